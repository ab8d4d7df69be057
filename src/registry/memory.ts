// The memory sweeper: one timer; TTL then LRU per name; never evicts subscribed or in-flight entries.
import type { Entry, EntryOwner } from './entry';

export interface SweepLimits {
  /** 0 disables the bound. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

export type EvictionReason = 'ttl' | 'lru';

export function evictable(entry: Entry): boolean {
  return entry.subscriberCount === 0 && !entry.inFlight();
}

/**
 * Sweeps one owner. Entries sit in their Map in consumer-read order (a read moves an entry to the end),
 * so expired entries are a prefix and LRU victims are taken from the front: O(evicted + protected).
 * (Deleting the current key while iterating a Map is safe in JavaScript.)
 */
export function sweepOwner(
  owner: EntryOwner,
  limits: SweepLimits,
  now: number,
  evict: (entry: Entry, reason: EvictionReason) => void,
): void {
  if (limits.ttlMs > 0) {
    for (const entry of owner.entries.values()) {
      if (now - entry.lastUsedAt <= limits.ttlMs) break;
      if (evictable(entry)) evict(entry, 'ttl');
    }
  }
  if (limits.maxEntries > 0 && owner.entries.size > limits.maxEntries) {
    let excess = owner.entries.size - limits.maxEntries;
    for (const entry of owner.entries.values()) {
      if (excess === 0) break;
      if (!evictable(entry)) continue;
      evict(entry, 'lru');
      excess--;
    }
  }
}
