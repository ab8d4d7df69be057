// The entry cache: owners, find-or-create, the in-flight index, eviction, sweeping, state() and devtools().
import type { AnyActorRef } from 'xstate';
import { type EntryEmitted, type EntryEvent, levelOf, type RequestMode } from '../machines/entry.machine';
import { VerityError } from '../protocol/errors';
import { Entry, type EntryHost } from './entry';
import type { EntryView } from './entry-view';
import type { FetchRunner } from './fetch-runner';
import { DEFAULT_LEVEL, planRefetch } from './level-graph';
import { entryDetail, type Lifecycle } from './lifecycle';
import { type EvictionReason, sweepOwner } from './memory';
import type { ResolvedOptions } from './options';
import {
  type CollectionOwner,
  collectionKey,
  createCollectionOwner,
  createTypeOwner,
  itemKey,
  type Owner,
  type TypeOwner,
} from './owners';
import { snapshotParams } from './params-key';
import type { PredictionBook } from './predictions';
import type { DevtoolsSnapshot, RegistryState } from './registry-api';
import { StalenessClock } from './staleness-clock';
import type { CollectionConfig, Params, TypeConfig } from './types';

/** The registry's parts the cache works with. */
export interface EntryCacheParts {
  readonly options: ResolvedOptions;
  readonly lifecycle: Lifecycle;
  /** Performs the fetches entries decide on. */
  readonly runner: FetchRunner;
  /** Shows predictions beside the truth in entries' views. */
  readonly predictions: PredictionBook;
  /** With the `inspect` option: the actor whose system inspected entries join (the coordinator). */
  readonly inspectionRoot: AnyActorRef | undefined;
}

/** How a read asks: `force` fetches even when fresh; `silent: true` never shows loading, `false` asks to. */
export interface ReadOptions {
  readonly force?: boolean | undefined;
  readonly silent?: boolean | undefined;
}

/**
 * Every entry of one registry, under the type or collection that owns it. Entries talk to the cache (it is their
 * host): what they decide goes to the fetch runner, what changes is reported, and the in-flight index follows.
 */
export class EntryCache implements EntryHost {
  readonly types = new Map<string, TypeOwner>();
  readonly collections = new Map<string, CollectionOwner>();
  readonly clock = new StalenessClock<Entry>(() => Date.now());
  readonly #parts: EntryCacheParts;
  readonly #inFlight = new Set<Entry>();
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #disposed = false;

  constructor(parts: EntryCacheParts) {
    this.#parts = parts;
    const { enabled, sweepIntervalMs } = parts.options.memory;
    if (enabled && sweepIntervalMs > 0) {
      this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
      (this.#sweeper as { unref?: () => void }).unref?.();
    }
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  // ── Owners ──────────────────────────────────────────────────────────────────

  createType(name: string, config: TypeConfig<unknown>): void {
    if (this.types.has(name)) {
      throw new VerityError(
        'DUPLICATE_NAME',
        `Type '${name}' is already registered; register each type once.`,
      );
    }
    this.types.set(name, createTypeOwner(name, config, this, this.#parts.options));
  }

  createCollection(name: string, config: CollectionConfig<Params>): void {
    if (this.collections.has(name)) {
      throw new VerityError(
        'DUPLICATE_NAME',
        `Collection '${name}' is already registered; register each collection once.`,
      );
    }
    this.collections.set(name, createCollectionOwner(name, config, this, this.#parts.options));
  }

  type(name: string): TypeOwner {
    const owner = typeof name === 'string' ? this.types.get(name) : undefined;
    if (!owner) {
      throw new VerityError(
        'UNKNOWN_TYPE',
        `Type '${String(name)}' is not registered: call createType('${String(name)}', { fetch }) first.`,
      );
    }
    return owner;
  }

  collection(name: string): CollectionOwner {
    const owner = typeof name === 'string' ? this.collections.get(name) : undefined;
    if (!owner) {
      throw new VerityError(
        'UNKNOWN_COLLECTION',
        `Collection '${String(name)}' is not registered: call createCollection('${String(name)}', { fetch }) first.`,
      );
    }
    return owner;
  }

  /** The cached entry of an item, if any: a lookup, not a read (no fetch, not a use). */
  findItem(type: string, id: unknown): Entry | undefined {
    return this.type(type).entries.get(itemKey(type, id));
  }

  /** The cached entry of a collection's param set, if any: a lookup, not a read. */
  findCollection(name: string, params: unknown): Entry | undefined {
    const owner = this.collection(name);
    return owner.entries.get(collectionKey(owner, params));
  }

  /** Cached entries of the type and the collection with this name (predictions apply by name). */
  *entriesNamed(name: string): Iterable<Entry> {
    const type = this.types.get(name);
    if (type) yield* type.entries.values();
    const collection = this.collections.get(name);
    if (collection) yield* collection.entries.values();
  }

  // ── Reads ───────────────────────────────────────────────────────────────────

  /** Finds or creates the entry and records a consumer read (the only thing that counts as use), then requests. */
  read(owner: Owner, key: string, params: Params | null, level: string, options: ReadOptions): Entry {
    const entry = this.#touch(owner, key, params);
    entry.send(request(level, options.force ? 'force' : 'read', options.silent));
    return entry;
  }

  /** Reads `params` of the named collection (a ref's `setParams`). */
  readCollection(name: string, params: Params | null | undefined, options: ReadOptions = {}): Entry {
    const owner = this.collection(name);
    return this.read(owner, collectionKey(owner, params), params ?? null, DEFAULT_LEVEL, options);
  }

  /** A ref's `refresh()`: forced fetches of the fewest levels that cover what the item holds and the ref's level. */
  refreshItem(entry: Entry, level: string): Promise<void> {
    if (entry.removed || this.#disposed) return Promise.resolve();
    const owner = entry.owner as TypeOwner;
    const context = entry.context();
    const inFlight = (name: string) => levelOf(context, name).qid !== null;
    for (const planned of planRefetch(owner.graph, [...Object.keys(context.levels), level], inFlight)) {
      entry.send(request(planned, 'force', undefined));
    }
    return entry.whenSettled();
  }

  refreshCollection(entry: Entry): Promise<void> {
    if (entry.removed || this.#disposed) return Promise.resolve();
    entry.send(request(DEFAULT_LEVEL, 'force', undefined));
    return entry.whenSettled();
  }

  /** Active: on screen (a subscriber) or read within the resync window. */
  isActive(entry: Entry): boolean {
    if (entry.subscriberCount > 0) return true;
    return this.now() - entry.lastUsedAt <= this.#parts.options.sse.resyncWindowMs;
  }

  #touch(owner: Owner, key: string, params: Params | null): Entry {
    const now = this.now();
    let entry = owner.entries.get(key);
    if (entry) {
      // A read is a use: the entry moves to the end of its owner's Map, which keeps the LRU order.
      owner.entries.delete(key);
      entry.lastUsedAt = now;
    } else {
      const snapshot = owner.kind === 'collection' ? (snapshotParams(params) as Params | null) : null;
      entry = new Entry(owner, key, snapshot, now);
    }
    owner.entries.set(key, entry);
    return entry;
  }

  // ── EntryHost: what the entries report ──────────────────────────────────────

  now(): number {
    return Date.now();
  }

  inspectionRoot(): AnyActorRef | undefined {
    return this.#parts.inspectionRoot;
  }

  onEmitted(entry: Entry, event: EntryEmitted): void {
    if (event.type === 'fetchStarted') this.#inFlight.add(entry);
    this.#parts.runner.perform(entry, event);
  }

  onChanged(entry: Entry): void {
    if (!entry.inFlight()) this.#inFlight.delete(entry);
    const lifecycle = this.#parts.lifecycle;
    if (lifecycle.watchingChanges) lifecycle.change(`${entry.owner.kind}:change`, entryDetail(entry));
  }

  overlay(entry: Entry, view: EntryView): EntryView {
    return this.#parts.predictions.overlay(entry, view);
  }

  // ── Eviction ────────────────────────────────────────────────────────────────

  /** One sweep now: TTL, then LRU per name (the timer calls this). */
  sweep(): void {
    if (this.#disposed) return;
    const memory = this.#parts.options.memory;
    const now = this.now();
    const evict = (entry: Entry, reason: EvictionReason) => this.remove(entry, reason);
    for (const owner of this.types.values()) {
      sweepOwner(owner, { ttlMs: memory.itemTtlMs, maxEntries: memory.maxItemsPerType }, now, evict);
    }
    for (const owner of this.collections.values()) {
      sweepOwner(
        owner,
        { ttlMs: memory.collectionTtlMs, maxEntries: memory.maxCollectionsPerName },
        now,
        evict,
      );
    }
  }

  remove(entry: Entry, reason: EvictionReason | 'removed' = 'removed'): void {
    if (entry.removed) return;
    const owner = entry.owner as Owner;
    if (owner.entries.get(entry.key) === entry) owner.entries.delete(entry.key);
    this.#inFlight.delete(entry);
    entry.destroy();
    this.#parts.lifecycle.emit('cache:evict', { ...entryDetail(entry), reason });
  }

  /** Registry teardown: every entry stops, nothing is reported. */
  dispose(): void {
    this.#disposed = true;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.clock.stop();
    for (const owner of [...this.types.values(), ...this.collections.values()]) {
      for (const entry of owner.entries.values()) entry.dispose();
      owner.entries.clear();
    }
    this.#inFlight.clear();
  }

  // ── Inspection ──────────────────────────────────────────────────────────────

  /** The cache's part of `state()`: entries and fetches in flight per name. */
  state(): Pick<RegistryState, 'types' | 'collections'> & { entries: number } {
    const types: RegistryState['types'] = {};
    let entries = 0;
    for (const [name, owner] of this.types) {
      types[name] = {
        entries: owner.entries.size,
        inFlight: this.#countInFlight(owner),
        levels: owner.graph.levels.slice(),
      };
      entries += owner.entries.size;
    }
    const collections: RegistryState['collections'] = {};
    for (const [name, owner] of this.collections) {
      collections[name] = { entries: owner.entries.size, inFlight: this.#countInFlight(owner) };
      entries += owner.entries.size;
    }
    return { types, collections, entries };
  }

  /** A deep-frozen snapshot: tools may keep it, and nothing they do to it reaches the registry. */
  devtools(state: RegistryState, clientId: string): DevtoolsSnapshot {
    const list: DevtoolsSnapshot['entries'] = [];
    const items: DevtoolsSnapshot['inFlight']['items'] = [];
    const collections: DevtoolsSnapshot['inFlight']['collections'] = [];
    for (const owner of [...this.types.values(), ...this.collections.values()]) {
      for (const entry of owner.entries.values()) {
        list.push({
          kind: owner.kind,
          name: owner.name,
          key: entry.key,
          status: entry.status(),
          running: entry.running,
          subscribers: entry.subscriberCount,
          lastUsedAt: new Date(entry.lastUsedAt).toISOString(),
        });
      }
    }
    for (const entry of this.#inFlight) {
      if (entry.owner.kind === 'item') items.push({ type: entry.owner.name, id: entry.key });
      else collections.push({ name: entry.owner.name, paramsKey: entry.key });
    }
    return deepFreeze({
      ...state,
      clientId,
      entries: list,
      inFlight: {
        items,
        collections,
        totalCount: this.#inFlight.size,
        hasAnyInFlight: this.#inFlight.size > 0,
      },
    });
  }

  #countInFlight(owner: Owner): number {
    let count = 0;
    for (const entry of this.#inFlight) if (entry.owner === owner) count++;
    return count;
  }
}

/** A read's request: `silent: true` never shows loading, `silent: false` asks to. */
function request(level: string, mode: RequestMode, silent: boolean | undefined): EntryEvent {
  return { type: 'REQUEST', level, mode, loud: silent === undefined ? undefined : !silent };
}

/** Freezes a tree of plain objects and arrays built for one snapshot (nothing shared, so nothing else is frozen). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
