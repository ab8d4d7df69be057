// One timer for the whole cache: tells running entries when their data goes stale (exact, O(log n) each).
export interface StalenessWatcher {
  /** Called once the watched moment has passed (if it is still the entry's latest one). */
  staled(): void;
}

interface Due<T> {
  readonly at: number;
  readonly watcher: T;
}

/**
 * A min-heap of due times with lazy deletion: re-watching replaces the expected time in `#latest`, and
 * heap records that no longer match it are dropped when they surface. XState's per-actor delayed events
 * would cost a scheduled event (and its cancellation) on every fetch and make stopping thousands of
 * actors slow; one clock per registry does not.
 */
export class StalenessClock<T extends StalenessWatcher> {
  readonly #heap: Due<T>[] = [];
  readonly #latest = new Map<T, number>();
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(now: () => number) {
    this.#now = now;
  }

  get size(): number {
    return this.#latest.size;
  }

  watch(watcher: T, at: number): void {
    if (!Number.isFinite(at)) {
      this.unwatch(watcher);
      return;
    }
    if (this.#latest.get(watcher) === at) return;
    this.#latest.set(watcher, at);
    this.#push({ at, watcher });
    if (at < this.#timerAt) this.#arm();
  }

  unwatch(watcher: T): void {
    this.#latest.delete(watcher);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#heap.length = 0;
    this.#latest.clear();
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#now();
    const due: T[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
      const record = this.#pop();
      if (this.#latest.get(record.watcher) !== record.at) continue;
      this.#latest.delete(record.watcher);
      due.push(record.watcher);
    }
    for (const watcher of due) watcher.staled();
    this.#arm();
  }

  #arm(): void {
    while (this.#heap.length > 0 && this.#latest.get(this.#heap[0]!.watcher) !== this.#heap[0]!.at)
      this.#pop();
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

  #push(record: Due<T>): void {
    const heap = this.#heap;
    heap.push(record);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= record.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = record;
  }

  #pop(): Due<T> {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
        if (heap[child]!.at >= last.at) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
