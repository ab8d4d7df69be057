// One timer for the whole cache: tells running entries when their data goes stale (exact, O(log n) each).
export interface StalenessWatcher {
  /** Called once the watched moment has passed (if it is still the entry's latest one). */
  staled(): void;
}

interface Due<T> {
  at: number;
  readonly watcher: T;
  /** Position in the heap, kept current by every move, so a record can be removed or re-keyed in place. */
  index: number;
}

/**
 * An indexed min-heap of due times: one record per watcher, re-keyed in place when it is watched again and
 * removed at once when unwatched, so the clock never holds an entry it no longer watches (an evicted entry
 * and its data are released at once). XState's per-actor delayed events would cost a scheduled event (and
 * its cancellation) on every fetch and make stopping thousands of actors slow; one clock per registry does not.
 */
export class StalenessClock<T extends StalenessWatcher> {
  readonly #heap: Due<T>[] = [];
  readonly #records = new Map<T, Due<T>>();
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(now: () => number) {
    this.#now = now;
  }

  get size(): number {
    return this.#records.size;
  }

  watch(watcher: T, at: number): void {
    if (!Number.isFinite(at)) {
      this.unwatch(watcher);
      return;
    }
    const record = this.#records.get(watcher);
    if (record) {
      if (record.at === at) return;
      record.at = at;
      this.#siftDown(this.#siftUp(record.index));
    } else {
      const added: Due<T> = { at, watcher, index: this.#heap.length };
      this.#records.set(watcher, added);
      this.#heap.push(added);
      this.#siftUp(added.index);
    }
    this.#arm();
  }

  unwatch(watcher: T): void {
    const record = this.#records.get(watcher);
    if (!record) return;
    this.#records.delete(watcher);
    this.#removeAt(record.index);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#heap.length = 0;
    this.#records.clear();
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#now();
    const due: T[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
      const record = this.#removeAt(0);
      this.#records.delete(record.watcher);
      due.push(record.watcher);
    }
    for (const watcher of due) watcher.staled();
    this.#arm();
  }

  #arm(): void {
    const next = this.#heap[0];
    if (!next) {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (next.at === this.#timerAt && this.#timer !== null) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = next.at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next.at - this.#now()));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #removeAt(index: number): Due<T> {
    const heap = this.#heap;
    const removed = heap[index]!;
    const last = heap.pop()!;
    if (last !== removed) {
      heap[index] = last;
      last.index = index;
      this.#siftDown(this.#siftUp(index));
    }
    return removed;
  }

  /** Moves the record at `index` up to its place; returns where it ended. */
  #siftUp(index: number): number {
    const heap = this.#heap;
    const record = heap[index]!;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= record.at) break;
      heap[i] = heap[parent]!;
      heap[i]!.index = i;
      i = parent;
    }
    heap[i] = record;
    record.index = i;
    return i;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const record = heap[index]!;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= record.at) break;
      heap[i] = heap[child]!;
      heap[i]!.index = i;
      i = child;
    }
    heap[i] = record;
    record.index = i;
  }
}
