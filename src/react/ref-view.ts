// Actor-compatible views ({ subscribe, getSnapshot }) of the refs a hook reads, for @xstate/react's useSelector.
import type { Observer, Subscription } from 'xstate';

/** What a view reads: a ref (ItemRef, CollectionRef), or anything with the same two methods. */
export interface SnapshotSource<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

type Listener<T> = Observer<T> | ((snapshot: T) => void);

/**
 * Fans a source's notifications out to useSelector's observers; the source is subscribed only while someone
 * observes, so an unmounted component holds nothing and the sweeper may evict its entry.
 */
abstract class ObservedView<T> {
  #observers: Set<Listener<T>> | null = null;
  #release: (() => void) | null = null;

  abstract getSnapshot(): T;

  /** Subscribes to the source(s); returns how to let go. */
  protected abstract attach(onChange: () => void): () => void;

  subscribe(observer: Listener<T>): Subscription {
    (this.#observers ??= new Set()).add(observer);
    this.#release ??= this.attach(() => this.notify());
    return {
      unsubscribe: () => {
        if (!this.#observers?.delete(observer) || this.#observers.size > 0) return;
        this.#observers = null;
        const release = this.#release;
        this.#release = null;
        release?.();
      },
    };
  }

  protected get observed(): boolean {
    return this.#observers !== null;
  }

  /** Re-attaches after the source(s) changed, when observed. */
  protected reattach(): void {
    if (!this.#observers) return;
    this.#release?.();
    this.#release = this.attach(() => this.notify());
  }

  protected notify(): void {
    const observers = this.#observers;
    if (!observers) return;
    const snapshot = this.getSnapshot();
    for (const observer of [...observers]) {
      try {
        if (typeof observer === 'function') observer(snapshot);
        else observer.next?.(snapshot);
      } catch {
        // One observer's error is its own (React reports render errors through its boundaries).
      }
    }
  }
}

const noop = (): void => {};

/** A snapshot that never changes: what a hook shows on its first render, before its read starts. */
export function fixedSource<T>(snapshot: T): SnapshotSource<T> {
  return { getSnapshot: () => snapshot, subscribe: () => noop };
}

/** The view of one ref that a hook follows; before its first read (or when disabled) it shows a placeholder. */
export class RefView<T> extends ObservedView<T> {
  readonly #placeholder: T;
  #source: SnapshotSource<T> | null;

  constructor(placeholder: T, source: SnapshotSource<T> | null = null) {
    super();
    this.#placeholder = placeholder;
    this.#source = source;
  }

  getSnapshot(): T {
    return this.#source ? this.#source.getSnapshot() : this.#placeholder;
  }

  /** Points the view at another ref (or none), telling observers. */
  follow(source: SnapshotSource<T> | null): void {
    if (source === this.#source) return;
    this.#source = source;
    this.reattach();
    this.notify();
  }

  protected attach(onChange: () => void): () => void {
    return this.#source ? this.#source.subscribe(onChange) : () => {};
  }
}

/** The view of a list of refs: one snapshot per ref, in order; the array changes when one of them does. */
export class RefListView<T> extends ObservedView<readonly T[]> {
  #sources: readonly SnapshotSource<T>[] = [];
  #snapshot: readonly T[] = [];
  #dirty = false;

  getSnapshot(): readonly T[] {
    // Unobserved, nothing marks the list dirty: read it afresh (keeping the array when nothing changed).
    if (this.#dirty || !this.observed) {
      const next = this.#sources.map((source) => source.getSnapshot());
      const same =
        next.length === this.#snapshot.length && next.every((snapshot, i) => snapshot === this.#snapshot[i]);
      if (!same) this.#snapshot = next;
      this.#dirty = false;
    }
    return this.#snapshot;
  }

  follow(sources: readonly SnapshotSource<T>[]): void {
    this.#sources = sources;
    this.#dirty = true;
    this.reattach();
    this.notify();
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
