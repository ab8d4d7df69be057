// The external store ({ subscribe, getSnapshot }) a hook reads with useSyncExternalStore: a view of the ref(s) it follows.
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

const noop = (): void => {};

/**
 * One component's view of what its hook reads. It is everything a rendered row adds besides React's own hook
 * state: one object with three closures, React's listener handed straight to the ref (no Set, no actor, nothing
 * allocated per render). The snapshot it shows changes only when a field the component read changes.
 */
abstract class HookView<T> {
  /** The fields the component read (tracked-result bits), shared by every result this view hands out. */
  reads: Reads = 0;
  #onChange: (() => void) | null = null;
  #release: (() => void) | null = null;
  /** The sources' snapshot when last read, and the one shown (kept while only unread fields change). */
  #latest: T | undefined = undefined;
  #shown: T | undefined = undefined;

  /** useSyncExternalStore's subscribe: one subscriber (the component), whose listener goes to the source(s). */
  readonly subscribe: (onChange: () => void) => () => void;
  readonly getSnapshot: () => T;
  readonly #unsubscribe: () => void;

  constructor() {
    // Assigned here rather than as class fields: V8 names a class field's arrow at run time, which gives every
    // such closure its own property dictionary (about 250 bytes each, per rendered row).
    this.subscribe = (onChange) => {
      this.#onChange = onChange;
      this.#release = this.attach(onChange);
      return this.#unsubscribe;
    };
    this.getSnapshot = () => {
      const next = this.read();
      if (next !== this.#latest) {
        if (this.#shown === undefined || !this.same(this.#shown, next)) this.#shown = next;
        this.#latest = next;
      }
      return this.#shown as T;
    };
    this.#unsubscribe = () => {
      const release = this.#release;
      this.#onChange = null;
      this.#release = null;
      release?.();
    };
  }

  /** Results' meta proxies use the view as their handler: a read of `meta.<key>` is recorded here. */
  get(target: object, key: string | symbol, receiver: unknown): unknown {
    recordMetaRead(this, key);
    return Reflect.get(target, key, receiver);
  }

  protected get observed(): boolean {
    return this.#onChange !== null;
  }

  /** The sources' current snapshot. */
  protected abstract read(): T;

  /** Whether `next` shows the component nothing new, given what it read. */
  protected abstract same(shown: T, next: T): boolean;

  /** Subscribes `onChange` to the source(s); returns how to let go. */
  protected abstract attach(onChange: () => void): () => void;

  /** The source(s) were replaced: move the subscription over (when subscribed) and tell the component. */
  protected replaced(): void {
    const onChange = this.#onChange;
    if (!onChange) return;
    this.#release?.();
    this.#release = this.attach(onChange);
    onChange();
  }
}

/** The view of one ref; without one (disabled, or before the first read) it shows a placeholder. */
export class RefView<TData, TMeta extends object> extends HookView<ViewSnapshot<TData, TMeta>> {
  readonly #placeholder: ViewSnapshot<TData, TMeta>;
  /** Shown while no ref is followed: the cached snapshot until the first `follow`, the placeholder after. */
  #unread: ViewSnapshot<TData, TMeta>;
  #source: SnapshotSource<ViewSnapshot<TData, TMeta>> | null = null;
  #resultFor: ViewSnapshot<TData, TMeta> | null = null;
  #result: VerityResult<TData, TMeta> | null = null;

  /** `cached`: the entry's snapshot when it is already cached, shown on the first render (no idle frame). */
  constructor(placeholder: ViewSnapshot<TData, TMeta>, cached: ViewSnapshot<TData, TMeta> | null = null) {
    super();
    this.#placeholder = placeholder;
    this.#unread = cached ?? placeholder;
  }

  /** Points the view at another ref (or none), telling the component. */
  follow(source: SnapshotSource<ViewSnapshot<TData, TMeta>> | null): void {
    this.#unread = this.#placeholder;
    if (source === this.#source) return;
    this.#source = source;
    this.replaced();
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

/** The view of a list of refs: one snapshot per ref, in order; the array changes when one of them does. */
export class RefListView<TData, TMeta extends object> extends HookView<ListSnapshot<TData, TMeta>> {
  #sources: readonly SnapshotSource<ViewSnapshot<TData, TMeta>>[] = [];
  #list: ListSnapshot<TData, TMeta> = [];
  #dirty = false;
  #resultsFor: ListSnapshot<TData, TMeta> | null = null;
  #results: readonly VerityResult<TData, TMeta>[] = [];

  follow(sources: readonly SnapshotSource<ViewSnapshot<TData, TMeta>>[]): void {
    this.#sources = sources;
    this.#dirty = true;
    this.replaced();
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
    if (this.#dirty || !this.observed) {
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
    return () => {
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
