// The external store ({ subscribe, getSnapshot }) a hook reads with useSyncExternalStore: a view of the ref(s) it reads.
import { useRef } from 'react';
import type { VerityResult } from './schema';
import {
  type Reads,
  recordMetaRead,
  type Snapshot,
  sameListReads,
  sameReads,
  TrackedResult,
} from './tracked-result';

/** What a view reads: a ref (ItemRef, CollectionRef), or anything with the same two methods. */
export interface SnapshotSource<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

/** One snapshot as a hook shows it: `data`, `meta` and `predicted` of an entry, or a placeholder. */
export interface ViewSnapshot<TData, TMeta extends object> extends Snapshot {
  readonly data: TData | null;
  readonly meta: TMeta;
  readonly predicted?: TData;
}

/** useSyncExternalStore's subscribe. */
export type Subscribe = (onChange: () => void) => () => void;

const noop = (): void => {};

/**
 * One component's view of what its hook reads: all a rendered row adds besides React's own hook state (one object,
 * two closures, the read's arguments). The read starts when React subscribes (in an effect, never during render:
 * as TanStack Query's observers fetch on subscribe), React's listener goes straight to the ref, and the snapshot
 * shown changes only when a field the component read changes.
 */
abstract class HookView<T, TSource, TArgs extends readonly unknown[]> {
  /** The fields the component read (tracked-result bits), shared by every result this view hands out. */
  reads: Reads = 0;
  readonly getSnapshot: () => T;
  /** Starts the read; a module-level function, so a view holds no closure for it. */
  readonly #read: (...args: TArgs) => TSource;
  /** How many leading arguments decide whether the read changed (the rest ride along, e.g. params by their key). */
  readonly #compared: number;
  #args: TArgs | null = null;
  #subscribe: Subscribe | null = null;
  /** The sources' snapshot when last read, and the one shown (kept while only unread fields change). */
  #latest: T | undefined = undefined;
  #shown: T | undefined = undefined;

  constructor(read: (...args: TArgs) => TSource, compared: number) {
    this.#read = read;
    this.#compared = compared;
    // Assigned here rather than as a class field: some transforms (esbuild's keepNames, which tsx uses) name a
    // class field's arrow at run time, which gives every such closure its own property dictionary.
    this.getSnapshot = () => {
      const next = this.read();
      if (next !== this.#latest) {
        if (this.#shown === undefined || !this.same(this.#shown, next)) this.#shown = next;
        this.#latest = next;
      }
      return this.#shown as T;
    };
  }

  /**
   * The subscribe function for a read with `args`: the same function while the compared arguments are the same
   * (as effect dependencies are compared), a new one when they change, so React moves the subscription over.
   */
  subscriber(args: TArgs): Subscribe {
    const last = this.#args;
    if (this.#subscribe && last && sameLeading(last, args, this.#compared)) return this.#subscribe;
    this.#args = args;
    this.#subscribe = (onChange) => {
      this.show(this.#read(...args));
      return this.attach(onChange);
    };
    return this.#subscribe;
  }

  /**
   * Results' meta proxies use the view as their handler: a read of `meta.<key>` is recorded here. The read runs
   * against the meta itself, not the proxy: its live `lastUsedAt` getter reads the meta's private field.
   */
  get(target: object, key: string | symbol): unknown {
    recordMetaRead(this, key);
    return Reflect.get(target, key);
  }

  /** Points the view at what the read returned (React checks the snapshot once subscribed). */
  abstract show(source: TSource): void;

  /** The sources' current snapshot. */
  protected abstract read(): T;

  /** Whether `next` shows the component nothing new, given what it read. */
  protected abstract same(shown: T, next: T): boolean;

  /** Subscribes `onChange` to the source(s); returns how to let go. */
  protected abstract attach(onChange: () => void): () => void;
}

function sameLeading(a: readonly unknown[], b: readonly unknown[], count: number): boolean {
  for (let i = 0; i < count; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

type Source<TData, TMeta extends object> = SnapshotSource<ViewSnapshot<TData, TMeta>> | null;

/** The view of one ref; without one (disabled, or before the first read) it shows a placeholder. */
export class RefView<TData, TMeta extends object, TArgs extends readonly unknown[]> extends HookView<
  ViewSnapshot<TData, TMeta>,
  Source<TData, TMeta>,
  TArgs
> {
  readonly #placeholder: ViewSnapshot<TData, TMeta>;
  /** Shown while no ref is followed: the cached snapshot until the first read, the placeholder after. */
  #unread: ViewSnapshot<TData, TMeta>;
  #source: Source<TData, TMeta> = null;
  #resultFor: ViewSnapshot<TData, TMeta> | null = null;
  #result: VerityResult<TData, TMeta> | null = null;

  /** `cached`: the entry's snapshot when it is already cached, shown on the first render (no idle frame). */
  constructor(
    read: (...args: TArgs) => Source<TData, TMeta>,
    compared: number,
    placeholder: ViewSnapshot<TData, TMeta>,
    cached: ViewSnapshot<TData, TMeta> | null = null,
  ) {
    super(read, compared);
    this.#placeholder = placeholder;
    this.#unread = cached ?? placeholder;
  }

  show(source: Source<TData, TMeta>): void {
    this.#unread = this.#placeholder;
    this.#source = source;
  }

  /** The component's result for `snapshot`: the same object for the same snapshot (no allocation per render). */
  result(snapshot: ViewSnapshot<TData, TMeta>): VerityResult<TData, TMeta> {
    if (snapshot !== this.#resultFor) {
      this.#resultFor = snapshot;
      this.#result = new TrackedResult<TData, TMeta>(snapshot, this);
    }
    return this.#result!;
  }

  protected read(): ViewSnapshot<TData, TMeta> {
    return this.#source ? this.#source.getSnapshot() : this.#unread;
  }

  protected same(shown: ViewSnapshot<TData, TMeta>, next: ViewSnapshot<TData, TMeta>): boolean {
    return sameReads(this.reads, shown, next);
  }

  protected attach(onChange: () => void): () => void {
    return this.#source ? this.#source.subscribe(onChange) : noop;
  }
}

type ListSnapshot<TData, TMeta extends object> = readonly ViewSnapshot<TData, TMeta>[];
type Sources<TData, TMeta extends object> = readonly SnapshotSource<ViewSnapshot<TData, TMeta>>[];

/** The view of a list of refs: one snapshot per ref, in order; the array changes when one of them does. */
export class RefListView<TData, TMeta extends object, TArgs extends readonly unknown[]> extends HookView<
  ListSnapshot<TData, TMeta>,
  Sources<TData, TMeta>,
  TArgs
> {
  #sources: Sources<TData, TMeta> = [];
  #list: ListSnapshot<TData, TMeta> = [];
  #dirty = false;
  #subscribed = false;
  #resultsFor: ListSnapshot<TData, TMeta> | null = null;
  #results: readonly VerityResult<TData, TMeta>[] = [];

  show(sources: Sources<TData, TMeta>): void {
    this.#sources = sources;
    this.#dirty = true;
  }

  /** One result per snapshot; an element whose snapshot did not change keeps its result. */
  results(list: ListSnapshot<TData, TMeta>): readonly VerityResult<TData, TMeta>[] {
    if (list === this.#resultsFor) return this.#results;
    const before = this.#resultsFor;
    const kept = this.#results;
    this.#results = list.map((snapshot, i) =>
      before?.[i] === snapshot ? kept[i]! : new TrackedResult<TData, TMeta>(snapshot, this),
    );
    this.#resultsFor = list;
    return this.#results;
  }

  protected read(): ListSnapshot<TData, TMeta> {
    // Unsubscribed, nothing marks the list dirty: read it afresh (keeping the array when nothing changed).
    if (this.#dirty || !this.#subscribed) {
      const next = this.#sources.map((source) => source.getSnapshot());
      const same =
        next.length === this.#list.length && next.every((snapshot, i) => snapshot === this.#list[i]);
      if (!same) this.#list = next;
      this.#dirty = false;
    }
    return this.#list;
  }

  protected same(shown: ListSnapshot<TData, TMeta>, next: ListSnapshot<TData, TMeta>): boolean {
    return sameListReads(this.reads, shown, next);
  }

  protected attach(onChange: () => void): () => void {
    const changed = () => {
      this.#dirty = true;
      onChange();
    };
    const releases = this.#sources.map((source) => source.subscribe(changed));
    this.#subscribed = true;
    return () => {
      this.#subscribed = false;
      for (const release of releases) release();
    };
  }
}

/** A component's view, made on its first render and kept (a ref, not state: a row needs no update queue). */
export function useView<TView>(create: () => TView): TView {
  const holder = useRef<TView | null>(null);
  holder.current ??= create();
  return holder.current;
}
