// createRegistry: the instance that owns registrations, entries, the coordinator, the sweeper and events.
import { type EntryEmitted, type EntryEvent, levelOf, type RequestMode } from '../machines/entry.machine';
import { VerityError } from '../protocol/errors';
import { itemIdKey } from '../protocol/id';
import { CLIENT_ID_HEADER, DIRECTIVE_REQUEST_HEADER } from '../protocol/names';
import { mutate } from '../transport/mutate';
import { StreamLink } from '../transport/stream-link';
import { Coordinator } from './coordinator';
import { Entry, type EntryHost } from './entry';
import { FetchRunner, type FetchStrategy } from './fetch-runner';
import { DEFAULT_LEVEL, normalizeLevel, planRefetch } from './level-graph';
import { Lifecycle, Logger } from './lifecycle';
import { type EvictionReason, sweepOwner } from './memory';
import { type ResolvedOptions, resolveOptions } from './options';
import {
  type CollectionOwner,
  createCollectionOwner,
  createTypeOwner,
  describe,
  type Owner,
  type TypeOwner,
  toCollectionData,
} from './owners';
import { isPlainObject, paramsKey, snapshotParams } from './params-key';
import { type MutateOptions, PredictionBook } from './predictions';
import { CollectionRefImpl, ItemRefImpl, type RefHost } from './refs';
import type {
  CollectionName,
  DefaultSchema,
  DevtoolsSnapshot,
  MetaOf,
  ParamsOf,
  Registry,
  RegistrySchema,
  RegistryState,
  TypeName,
} from './registry-api';
import { StalenessClock } from './staleness-clock';
import type {
  ApplyOptions,
  ApplyReport,
  ChangeEvent,
  CollectionConfig,
  CollectionRef,
  CollectionSnapshot,
  DirectiveSource,
  FetchCollectionOptions,
  FetchItemOptions,
  ItemId,
  ItemRef,
  ItemSnapshot,
  LifecycleEvent,
  LifecycleEventName,
  Params,
  RegistryOptions,
  ResyncContext,
  SseOptions,
  TypeConfig,
} from './types';

type FetchPhase = 'intent' | 'success' | 'error' | 'complete' | 'skip' | 'coalesced' | 'aborted';

/** Event names spelled out once, so an emit builds no string to find its listeners. */
const FETCH_EVENTS: Record<'item' | 'collection', Record<FetchPhase, LifecycleEventName>> = {
  item: {
    intent: 'item:fetch:intent',
    success: 'item:fetch:success',
    error: 'item:fetch:error',
    complete: 'item:fetch:complete',
    skip: 'item:fetch:skip',
    coalesced: 'item:fetch:coalesced',
    aborted: 'item:fetch:aborted',
  },
  collection: {
    intent: 'collection:fetch:intent',
    success: 'collection:fetch:success',
    error: 'collection:fetch:error',
    complete: 'collection:fetch:complete',
    skip: 'collection:fetch:skip',
    coalesced: 'collection:fetch:coalesced',
    aborted: 'collection:fetch:aborted',
  },
};

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `client-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Freezes a tree of plain objects and arrays built for one snapshot (nothing shared, so nothing else is frozen). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

export function normalizeId(type: string, id: unknown): string {
  const key = itemIdKey(id);
  if (key !== null) return key;
  throw new VerityError(
    'INVALID_ID',
    `Item ids are non-empty strings or finite numbers; fetchItem('${type}', …) got ${describe(id)}.`,
  );
}

export class VerityRegistry<S extends RegistrySchema = DefaultSchema> implements Registry<S> {
  readonly clientId: string;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #lifecycle: Lifecycle;
  readonly #types = new Map<string, TypeOwner>();
  readonly #collections = new Map<string, CollectionOwner>();
  readonly #host: EntryHost;
  readonly #refHost: RefHost;
  readonly #runner: FetchRunner;
  readonly #coordinator: Coordinator;
  readonly #predictions: PredictionBook;
  readonly #stream: StreamLink;
  readonly #inFlight = new Set<Entry>();
  readonly #fetchImpl: typeof globalThis.fetch | undefined;
  readonly #onForceReload: RegistryOptions['onForceReload'];
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #disposed = false;

  constructor(options: RegistryOptions = {}) {
    const corrected: string[] = [];
    this.#options = resolveOptions(options, (message) => corrected.push(message));
    this.clientId =
      typeof options.clientId === 'string' && options.clientId !== '' ? options.clientId : randomId();
    this.#logger = new Logger(this.#options.logging.level, this.#options.logging.prefix);
    for (const message of corrected) this.#logger.log('warn', message);
    this.#lifecycle = new Lifecycle(this.#logger);
    this.#fetchImpl = options.fetch;
    this.#onForceReload = options.onForceReload;
    this.#host = {
      now: () => Date.now(),
      // Inspected entries join the coordinator's actor system, so an inspector sees one system, readable ids.
      inspectionRoot: () => this.#coordinator.inspectionRoot,
      onEmitted: (entry, event) => this.#onEntryEmitted(entry, event),
      onChanged: (entry) => this.#onEntryChanged(entry),
      overlay: (entry, view) => this.#predictions.overlay(entry, view),
      clock: new StalenessClock<Entry>(() => Date.now()),
    };
    this.#predictions = new PredictionBook({
      entriesNamed: (name) => [
        ...(this.#types.get(name)?.entries.values() ?? []),
        ...(this.#collections.get(name)?.entries.values() ?? []),
      ],
      emit: (event, detail) => this.#lifecycle.emit(event, detail),
      describe: (entry) => this.#describeEntry(entry),
      logger: this.#logger,
    });
    this.#refHost = {
      refreshItem: (entry, level) => this.#refreshItem(entry, level),
      refreshCollection: (entry) => this.#refreshCollection(entry),
      remove: (entry) => this.#evict(entry, 'removed'),
      readCollection: (name, params) => this.#readCollection(name, params, {}),
    };
    this.#runner = new FetchRunner(
      {
        resolved: (entry, level, qid, data, strategy) => this.#resolved(entry, level, qid, data, strategy),
        rejected: (entry, level, qid, error, strategy) => this.#rejected(entry, level, qid, error, strategy),
        bulkFlushed: (detail) => this.#lifecycle.emit('bulk:flush', detail),
      },
      () => this.#options.bulk.maxBatchSize,
    );
    this.#coordinator = new Coordinator({
      options: this.#options,
      clientId: this.clientId,
      lifecycle: this.#lifecycle,
      logger: this.#logger,
      now: () => Date.now(),
      types: this.#types,
      collections: this.#collections,
      isActive: (entry) => this.#isActive(entry),
      onForceReload: (hard) => this.#forceReload(hard),
      flushBulk: () => this.#runner.flushBulk(),
      inspect: options.inspect,
    });
    this.#stream = new StreamLink({
      registry: this,
      settings: this.#options.sse,
      requested: options.sse?.url !== undefined || options.sse?.enabled === true,
      lifecycle: this.#lifecycle,
      logger: this.#logger,
      clientId: this.clientId,
      applyEnvelope: (directives, source, audience) =>
        this.#coordinator.enqueue(directives, { source, audience }),
      resync: (context) => this.resync(context),
    });
    this.#startSweeper();
    this.#stream.start();
  }

  // ── Registration ────────────────────────────────────────────────────────────

  createType<K extends TypeName<S>>(name: K, config: TypeConfig<S['types'][K]>): void {
    this.#assertLive();
    if (this.#types.has(name)) {
      throw new VerityError(
        'DUPLICATE_NAME',
        `Type '${name}' is already registered; register each type once.`,
      );
    }
    this.#types.set(name, createTypeOwner(name, config as TypeConfig<unknown>, this.#host, this.#options));
  }

  createCollection<K extends CollectionName<S>>(
    name: K,
    config: CollectionConfig<ParamsOf<S, K>, MetaOf<S, K>>,
  ): void {
    this.#assertLive();
    if (this.#collections.has(name)) {
      throw new VerityError(
        'DUPLICATE_NAME',
        `Collection '${name}' is already registered; register each collection once.`,
      );
    }
    const owner = createCollectionOwner(
      name,
      config as unknown as CollectionConfig<Params>,
      this.#host,
      this.#options,
    );
    this.#collections.set(name, owner);
  }

  registerType<K extends TypeName<S>>(name: K, config: TypeConfig<S['types'][K]>): void {
    this.createType(name, config);
  }

  registerCollection<K extends CollectionName<S>>(
    name: K,
    config: CollectionConfig<ParamsOf<S, K>, MetaOf<S, K>>,
  ): void {
    this.createCollection(name, config);
  }

  // ── Reads ───────────────────────────────────────────────────────────────────

  fetchItem<K extends TypeName<S>>(
    type: K,
    id: ItemId,
    level?: string | null,
    options: FetchItemOptions = {},
  ): ItemRef<S['types'][K]> {
    this.#assertLive();
    const owner = this.#typeOwner(type);
    const key = normalizeId(type, id);
    const levelName = this.#levelName(owner, level);
    const entry = this.#touch(owner, key, null);
    entry.send(request(levelName, options.force ? 'force' : 'read', options.silent));
    return new ItemRefImpl<S['types'][K]>(this.#refHost, entry, levelName);
  }

  fetchCollection<K extends CollectionName<S>>(
    name: K,
    options: Omit<FetchCollectionOptions, 'params'> & { params?: ParamsOf<S, K> | null } = {},
  ): CollectionRef<MetaOf<S, K>> {
    this.#assertLive();
    const entry = this.#readCollection(name, options.params as Params | null | undefined, {
      force: options.force,
      silent: options.silent,
    });
    return new CollectionRefImpl<MetaOf<S, K>>(this.#refHost, entry);
  }

  item<K extends TypeName<S>>(type: K, id: ItemId, level?: string | null): ItemRef<S['types'][K]> {
    return this.fetchItem(type, id, level);
  }

  collection<K extends CollectionName<S>>(
    name: K,
    params?: ParamsOf<S, K> | null,
  ): CollectionRef<MetaOf<S, K>> {
    return this.fetchCollection(name, { params: params ?? null });
  }

  isItemLoading(type: TypeName<S>, id: ItemId, level?: string | null): boolean {
    const owner = this.#typeOwner(type);
    const entry = owner.entries.get(normalizeId(type, id));
    if (!entry) return false;
    return levelOf(entry.context(), this.#levelName(owner, level)).qid !== null;
  }

  isCollectionLoading(name: CollectionName<S>, params?: Params | null): boolean {
    const owner = this.#collectionOwner(name);
    return owner.entries.get(this.#collectionKey(owner, params))?.inFlight() ?? false;
  }

  peekItem<K extends TypeName<S>>(type: K, id: ItemId): ItemSnapshot<S['types'][K]> | null {
    const entry = this.#typeOwner(type).entries.get(normalizeId(type, id));
    return entry ? (entry.view() as unknown as ItemSnapshot<S['types'][K]>) : null;
  }

  peekCollection<K extends CollectionName<S>>(
    name: K,
    params?: ParamsOf<S, K> | null,
  ): CollectionSnapshot<MetaOf<S, K>> | null {
    const owner = this.#collectionOwner(name);
    const entry = owner.entries.get(this.#collectionKey(owner, params));
    return entry ? (entry.view() as unknown as CollectionSnapshot<MetaOf<S, K>>) : null;
  }

  hasAnyInFlightRequests(): boolean {
    return this.#inFlight.size > 0;
  }

  // ── Directives and stream ───────────────────────────────────────────────────

  applyDirectives(directives: unknown, options: ApplyOptions = {}): Promise<ApplyReport> {
    if (this.#disposed) return Promise.resolve({ applied: [], skipped: [], rejected: [] });
    return this.#coordinator.enqueue(directives, {
      source: typeof options.source === 'string' ? options.source : undefined,
      disableIdempotencyGuard: options.disableIdempotencyGuard === true,
    });
  }

  applyDirective(directive: unknown, options?: ApplyOptions): Promise<ApplyReport> {
    return this.applyDirectives([directive], options);
  }

  ingestEnvelope(envelope: unknown): void {
    if (this.#disposed) return;
    this.#stream.ingest(envelope);
  }

  ingestDirectiveEnvelope(envelope: unknown): void {
    this.ingestEnvelope(envelope);
  }

  resync(context: Partial<ResyncContext> = {}): Promise<void> {
    if (this.#disposed) return Promise.resolve();
    const full: ResyncContext = { reason: context.reason ?? 'manual', gaps: context.gaps ?? [] };
    this.#lifecycle.emit('sse:resync-dispatch', { context: full });
    return this.#coordinator.enqueueResync();
  }

  connectSse(): void {
    this.#assertLive();
    this.#stream.connect();
  }

  disconnectSse(): void {
    this.#stream.disconnect();
  }

  reconnectSse(): void {
    this.#assertLive();
    this.#stream.reconnect();
  }

  configureSse(partial: SseOptions): void {
    this.#assertLive();
    this.#stream.configure(partial);
  }

  sseConnect(): void {
    this.connectSse();
  }

  sseDisconnect(): void {
    this.disconnectSse();
  }

  sseReconnect(): void {
    this.reconnectSse();
  }

  configureDirectiveSource(source: DirectiveSource): void {
    this.#assertLive();
    this.#stream.setSource(source);
  }

  directiveHeaders(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = {};
    // Header names are case-insensitive: a caller's own spelling of ours must not be sent twice.
    for (const [name, value] of Object.entries(extra)) {
      const lower = name.toLowerCase();
      if (lower !== CLIENT_ID_HEADER.toLowerCase() && lower !== DIRECTIVE_REQUEST_HEADER.toLowerCase()) {
        headers[name] = value;
      }
    }
    return {
      ...headers,
      [CLIENT_ID_HEADER]: this.clientId,
      [DIRECTIVE_REQUEST_HEADER]: 'send me directives',
    };
  }

  async mutate<TBody = unknown, TInput = unknown>(
    input: RequestInfo | URL,
    init: RequestInit = {},
    options?: MutateOptions<TInput>,
  ): Promise<TBody> {
    const prediction = this.#predictions.start(options as MutateOptions | undefined);
    const applying = mutate<TBody>(
      {
        fetch: this.#fetchImpl ?? globalThis.fetch,
        headers: (extra) => this.directiveHeaders(extra),
        apply: (directives) => {
          if (prediction) this.#predictions.responded(prediction);
          return this.applyDirectives(directives);
        },
      },
      input,
      init,
    );
    if (!prediction) return applying;
    try {
      const body = await applying;
      this.#predictions.settle(prediction);
      return body;
    } catch (error) {
      this.#predictions.drop(prediction, error);
      throw error;
    }
  }

  // ── Events and inspection ───────────────────────────────────────────────────

  onChange(listener: (event: ChangeEvent) => void): () => void {
    return this.#lifecycle.onChange(listener);
  }

  onLifecycle(event: LifecycleEventName | '*', listener: (event: LifecycleEvent) => void): () => void {
    return this.#lifecycle.on(event, listener);
  }

  state(): RegistryState {
    const types: RegistryState['types'] = {};
    let entries = 0;
    for (const [name, owner] of this.#types) {
      types[name] = {
        entries: owner.entries.size,
        inFlight: this.#countInFlight(owner),
        levels: owner.graph.levels.slice(),
      };
      entries += owner.entries.size;
    }
    const collections: RegistryState['collections'] = {};
    for (const [name, owner] of this.#collections) {
      collections[name] = { entries: owner.entries.size, inFlight: this.#countInFlight(owner) };
      entries += owner.entries.size;
    }
    return {
      types,
      collections,
      sse: this.#stream.state(),
      bulk: { ...this.#options.bulk, pending: this.#runner.hasPending || this.#coordinator.hasPending },
      memory: { ...this.#options.memory, entries },
    };
  }

  /** A deep-frozen snapshot: tools may keep it, and nothing they do to it reaches the registry. */
  devtools(): DevtoolsSnapshot {
    const list: DevtoolsSnapshot['entries'] = [];
    const items: DevtoolsSnapshot['inFlight']['items'] = [];
    const collections: DevtoolsSnapshot['inFlight']['collections'] = [];
    for (const owner of [...this.#types.values(), ...this.#collections.values()]) {
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
      ...this.state(),
      clientId: this.clientId,
      entries: list,
      inFlight: {
        items,
        collections,
        totalCount: this.#inFlight.size,
        hasAnyInFlight: this.#inFlight.size > 0,
      },
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stream.dispose();
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#coordinator.dispose();
    this.#host.clock.stop();
    this.#runner.clear();
    for (const owner of [...this.#types.values(), ...this.#collections.values()]) {
      for (const entry of owner.entries.values()) entry.dispose();
      owner.entries.clear();
    }
    this.#inFlight.clear();
    this.#predictions.clear();
    this.#lifecycle.clear();
  }

  // ── Internals ───────────────────────────────────────────────────────────────

  #assertLive(): void {
    if (this.#disposed) {
      throw new VerityError(
        'DISPOSED',
        'This registry was disposed; create a new one with createRegistry().',
      );
    }
  }

  #typeOwner(type: string): TypeOwner {
    const owner = typeof type === 'string' ? this.#types.get(type) : undefined;
    if (!owner) {
      throw new VerityError(
        'UNKNOWN_TYPE',
        `Type '${String(type)}' is not registered: call createType('${String(type)}', { fetch }) first.`,
      );
    }
    return owner;
  }

  #collectionOwner(name: string): CollectionOwner {
    const owner = typeof name === 'string' ? this.#collections.get(name) : undefined;
    if (!owner) {
      throw new VerityError(
        'UNKNOWN_COLLECTION',
        `Collection '${String(name)}' is not registered: call createCollection('${String(name)}', { fetch }) first.`,
      );
    }
    return owner;
  }

  #levelName(owner: TypeOwner, level: unknown): string {
    const name = normalizeLevel(level);
    if (name === null || !owner.levels.has(name)) {
      throw new VerityError(
        'UNKNOWN_LEVEL',
        `Type '${owner.name}' has no level '${String(level)}': declare it in createType('${owner.name}', { levels: { … } }).`,
      );
    }
    return name;
  }

  #collectionKey(owner: CollectionOwner, params: unknown): string {
    if (params !== undefined && params !== null && !isPlainObject(params)) {
      throw new VerityError(
        'INVALID_PARAMS',
        `Collection '${owner.name}' params must be a plain object (or null); got ${describe(params)}.`,
      );
    }
    if (!owner.key) return paramsKey(params);
    let key: unknown;
    try {
      key = owner.key((params ?? {}) as Params);
    } catch (error) {
      throw new VerityError('INVALID_PARAMS', `Collection '${owner.name}' key(params) threw.`, {
        cause: error,
      });
    }
    if (typeof key !== 'string') {
      throw new VerityError('INVALID_PARAMS', `Collection '${owner.name}' key(params) must return a string.`);
    }
    return key;
  }

  #readCollection(
    name: string,
    params: Params | null | undefined,
    options: { force?: boolean | undefined; silent?: boolean | undefined },
  ): Entry {
    const owner = this.#collectionOwner(name);
    const key = this.#collectionKey(owner, params);
    const entry = this.#touch(owner, key, params ?? null);
    entry.send(request(DEFAULT_LEVEL, options.force ? 'force' : 'read', options.silent));
    return entry;
  }

  /** Finds or creates an entry and records a consumer read (the only thing that counts as use). */
  #touch(owner: Owner, key: string, params: Params | null): Entry {
    const now = this.#host.now();
    let entry = owner.entries.get(key);
    if (entry) {
      owner.entries.delete(key);
      entry.lastUsedAt = now;
    } else {
      const snapshot = owner.kind === 'collection' ? (snapshotParams(params) as Params | null) : null;
      entry = new Entry(owner, key, snapshot, now);
    }
    owner.entries.set(key, entry);
    return entry;
  }

  /** Active: on screen (a subscriber) or read within the resync window. */
  #isActive(entry: Entry): boolean {
    if (entry.subscriberCount > 0) return true;
    return this.#host.now() - entry.lastUsedAt <= this.#options.sse.resyncWindowMs;
  }

  #onEntryEmitted(entry: Entry, event: EntryEmitted): void {
    switch (event.type) {
      case 'fetchStarted': {
        this.#inFlight.add(entry);
        this.#emitFetch(entry, 'intent', event.level, {
          qid: String(event.qid),
          loud: event.loud,
          trailing: event.trailing,
        });
        const owner = entry.owner as Owner;
        if (owner.kind === 'collection') this.#runner.collection(owner, entry, event.qid);
        // A bulk fetch queued while the batch runs goes out at its end: it needs no window of its own.
        else if (this.#runner.item(owner, entry, event.level, event.qid) === 'queued') {
          this.#coordinator.bulkQueued();
        }
        return;
      }
      case 'fetchCoalesced':
        this.#emitFetch(entry, 'coalesced', event.level, {
          qid: String(event.qid),
          queued: event.queued,
          mode: event.mode,
        });
        return;
      case 'fetchSkipped':
        this.#emitFetch(entry, 'skip', event.level, { reason: event.reason });
        return;
      case 'fetchSuperseded':
        entry.cancel(event.level);
        this.#emitFetch(entry, 'aborted', event.level, {
          qid: String(event.qid),
          reason: 'superseded by result',
        });
        return;
    }
  }

  #onEntryChanged(entry: Entry): void {
    if (!entry.inFlight()) this.#inFlight.delete(entry);
    if (this.#lifecycle.watchingChanges) {
      this.#lifecycle.change(`${entry.owner.kind}:change`, this.#describeEntry(entry));
    }
  }

  #resolved(entry: Entry, level: string, qid: number, raw: unknown, strategy: FetchStrategy): void {
    if (entry.removed) return;
    const owner = entry.owner as Owner;
    let data: unknown;
    let stamps: readonly string[];
    try {
      if (owner.kind === 'collection') {
        data = toCollectionData(owner.name, raw);
        stamps = [DEFAULT_LEVEL];
      } else {
        if (raw === undefined) {
          throw new VerityError(
            'INVALID_RESPONSE',
            `Type '${owner.name}' fetch for id '${entry.key}' (level '${level}') returned undefined; return the data or throw.`,
          );
        }
        data = raw;
        stamps = owner.graph.stampsFor(level, raw);
      }
    } catch (error) {
      this.#rejected(entry, level, qid, error as Error, strategy);
      return;
    }
    const result = { level, data, stamps, at: this.#host.now() };
    this.#answer(entry, level, { type: 'RESOLVE', qid, result }, 'success', { strategy });
  }

  #rejected(entry: Entry, level: string, qid: number, error: Error, strategy: FetchStrategy): void {
    if (entry.removed) return;
    this.#answer(entry, level, { type: 'REJECT', level, qid, error }, 'error', { strategy, error });
  }

  /** Hands a fetch's answer to its entry, which takes it only from the active query (latest-wins). */
  #answer(
    entry: Entry,
    level: string,
    event: Extract<EntryEvent, { type: 'RESOLVE' | 'REJECT' }>,
    phase: 'success' | 'error',
    detail: { strategy: FetchStrategy; error?: Error },
  ): void {
    const qid = String(event.qid);
    if (!entry.accepts(event)) {
      this.#emitFetch(entry, 'aborted', level, { qid, reason: 'superseded' });
      return;
    }
    entry.send(event);
    this.#emitFetch(entry, phase, level, { qid, ...detail });
    this.#emitFetch(entry, 'complete', level, { qid, strategy: detail.strategy });
  }

  #refreshItem(entry: Entry, level: string): Promise<void> {
    if (entry.removed || this.#disposed) return Promise.resolve();
    const owner = entry.owner as TypeOwner;
    const context = entry.context();
    const inFlight = (name: string) => levelOf(context, name).qid !== null;
    for (const planned of planRefetch(owner.graph, [...Object.keys(context.levels), level], inFlight)) {
      entry.send(request(planned, 'force', undefined));
    }
    return entry.whenSettled();
  }

  #refreshCollection(entry: Entry): Promise<void> {
    if (entry.removed || this.#disposed) return Promise.resolve();
    entry.send(request(DEFAULT_LEVEL, 'force', undefined));
    return entry.whenSettled();
  }

  #startSweeper(): void {
    const { enabled, sweepIntervalMs } = this.#options.memory;
    if (!enabled || sweepIntervalMs === 0) return;
    this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  /** One sweep now (the timer calls this; exposed for tests and manual pruning). */
  sweep(): void {
    if (this.#disposed) return;
    const memory = this.#options.memory;
    const now = this.#host.now();
    const evict = (entry: Entry, reason: EvictionReason) => this.#evict(entry, reason);
    for (const owner of this.#types.values()) {
      sweepOwner(owner, { ttlMs: memory.itemTtlMs, maxEntries: memory.maxItemsPerType }, now, evict);
    }
    for (const owner of this.#collections.values()) {
      sweepOwner(
        owner,
        { ttlMs: memory.collectionTtlMs, maxEntries: memory.maxCollectionsPerName },
        now,
        evict,
      );
    }
  }

  #evict(entry: Entry, reason: EvictionReason | 'removed'): void {
    if (entry.removed) return;
    const owner = entry.owner as Owner;
    if (owner.entries.get(entry.key) === entry) owner.entries.delete(entry.key);
    this.#inFlight.delete(entry);
    entry.destroy();
    this.#lifecycle.emit('cache:evict', { ...this.#describeEntry(entry), reason });
  }

  #countInFlight(owner: Owner): number {
    let count = 0;
    for (const entry of this.#inFlight) if (entry.owner === owner) count++;
    return count;
  }

  #forceReload(hard: boolean): void {
    if (this.#onForceReload) {
      this.#onForceReload({ hard });
      return;
    }
    const location = (globalThis as { location?: { reload?: () => void } }).location;
    if (typeof location?.reload === 'function') location.reload();
  }

  #describeEntry(entry: Entry): Record<string, unknown> {
    return entry.owner.kind === 'item'
      ? { type: entry.owner.name, id: entry.key }
      : { name: entry.owner.name, params: entry.params, paramsKey: entry.key };
  }

  #emitFetch(entry: Entry, phase: FetchPhase, level: string, detail: Record<string, unknown>): void {
    // Reads are the hot path: nothing is built unless this very event has a listener.
    const event = FETCH_EVENTS[entry.owner.kind][phase];
    if (!this.#lifecycle.wants(event)) return;
    const base = this.#describeEntry(entry);
    this.#lifecycle.emit(
      event,
      entry.owner.kind === 'item' ? { ...base, level, ...detail } : { ...base, ...detail },
    );
  }
}

/** A read's request: `silent: true` never shows loading, `silent: false` asks to. */
function request(level: string, mode: RequestMode, silent: boolean | undefined): EntryEvent {
  return { type: 'REQUEST', level, mode, loud: silent === undefined ? undefined : !silent };
}

// The public types have their own file; importers of this module keep finding them here.
export type {
  CollectionName,
  DefaultSchema,
  DevtoolsSnapshot,
  MetaOf,
  ParamsOf,
  Registry,
  RegistrySchema,
  RegistryState,
  TypeName,
} from './registry-api';

export function createRegistry<S extends RegistrySchema = DefaultSchema>(
  options?: RegistryOptions,
): Registry<S> {
  return new VerityRegistry<S>(options);
}
