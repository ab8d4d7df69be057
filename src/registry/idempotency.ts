// Bounded memory of processed idempotency keys: TTL and a key cap, pruned from the oldest in O(pruned).
export class IdempotencyMemory {
  /** Insertion order is expiry order: the TTL is fixed and a re-recorded key moves to the end. */
  readonly #expiries = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #maxKeys: number;

  constructor(ttlMs: number, maxKeys: number) {
    this.#ttlMs = ttlMs;
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#expiries.size;
  }

  seen(key: string, now: number): boolean {
    const expiry = this.#expiries.get(key);
    return expiry !== undefined && expiry > now;
  }

  record(key: string, now: number): void {
    if (this.#ttlMs === 0 || this.#maxKeys === 0) return;
    this.#expiries.delete(key);
    this.#expiries.set(key, now + this.#ttlMs);
    this.prune(now);
  }

  prune(now: number): void {
    for (const [key, expiry] of this.#expiries) {
      if (expiry > now && this.#expiries.size <= this.#maxKeys) break;
      this.#expiries.delete(key);
    }
  }

  clear(): void {
    this.#expiries.clear();
  }
}
