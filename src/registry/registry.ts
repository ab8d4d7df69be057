// createRegistry: the facade that validates public calls and wires the cache, runner, coordinator, stream and events.
import { levelOf } from '../machines/entry.machine';
import { VerityError } from '../protocol/errors';
import { mutate, verityHeaders } from '../transport/mutate';
import { StreamLink } from '../transport/stream-link';
import { Coordinator } from './coordinator';
import { EntryCache } from './entry-cache';
import { FetchRunner } from './fetch-runner';
import { Lifecycle, Logger } from './lifecycle';
import { type ResolvedOptions, resolveOptions } from './options';
import { itemKey, levelNamed, type TypeOwner } from './owners';
import { type MutateOptions, PredictionBook } from './predictions';
import { CollectionRefImpl, ItemRefImpl } from './refs';
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

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `client-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export class VerityRegistry<S extends RegistrySchema = DefaultSchema> implements Registry<S> {
  readonly clientId: string;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #lifecycle: Lifecycle;
  readonly #cache: EntryCache;
  readonly #runner: FetchRunner;
  readonly #coordinator: Coordinator;
  readonly #predictions: PredictionBook;
  readonly #stream: StreamLink;
  readonly #fetchImpl: typeof globalThis.fetch | undefined;
  readonly #onForceReload: RegistryOptions['onForceReload'];
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
    this.#coordinator = new Coordinator({
      options: this.#options,
      clientId: this.clientId,
      lifecycle: this.#lifecycle,
      logger: this.#logger,
      now: () => Date.now(),
      cache: () => this.#cache,
      onForceReload: (hard) => this.#forceReload(hard),
      flushBulk: () => this.#runner.flushBulk(),
      inspect: options.inspect,
    });
    this.#runner = new FetchRunner(this.#lifecycle, this.#options.bulk.maxBatchSize, () =>
      this.#coordinator.bulkQueued(),
    );
    this.#predictions = new PredictionBook(this.#lifecycle, this.#logger, (name) =>
      this.#cache.entriesNamed(name),
    );
    this.#cache = new EntryCache({
      options: this.#options,
      lifecycle: this.#lifecycle,
      runner: this.#runner,
      predictions: this.#predictions,
      // Inspected entries join the coordinator's actor system, so an inspector sees one system, readable ids.
      inspectionRoot: this.#coordinator.inspectionRoot,
    });
    this.#stream = new StreamLink(
      {
        applyDirectives: (directives, options) => this.applyDirectives(directives, options),
        applyEnvelope: (directives, source, audience) =>
          this.#coordinator.enqueue(directives, { source, audience }),
        resync: (context) => this.resync(context),
      },
      {
        settings: this.#options.sse,
        requested: options.sse?.url !== undefined || options.sse?.enabled === true,
        lifecycle: this.#lifecycle,
        logger: this.#logger,
        clientId: this.clientId,
      },
    );
    this.#stream.start();
  }

  // ── Registration ────────────────────────────────────────────────────────────

  createType<K extends TypeName<S>>(name: K, config: TypeConfig<S['types'][K]>): void {
    this.#assertLive();
    this.#cache.createType(name, config as TypeConfig<unknown>);
  }

  createCollection<K extends CollectionName<S>>(
    name: K,
    config: CollectionConfig<ParamsOf<S, K>, MetaOf<S, K>>,
  ): void {
    this.#assertLive();
    this.#cache.createCollection(name, config as unknown as CollectionConfig<Params>);
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
    const owner = this.#cache.type(type);
    const key = itemKey(type, id);
    const levelName = levelNamed(owner, level);
    const entry = this.#cache.read(owner, key, null, levelName, options);
    return new ItemRefImpl<S['types'][K]>(this.#cache, entry, levelName);
  }

  fetchCollection<K extends CollectionName<S>>(
    name: K,
    options: Omit<FetchCollectionOptions, 'params'> & { params?: ParamsOf<S, K> | null } = {},
  ): CollectionRef<MetaOf<S, K>> {
    this.#assertLive();
    const entry = this.#cache.readCollection(name, options.params as Params | null | undefined, options);
    return new CollectionRefImpl<MetaOf<S, K>>(this.#cache, entry);
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
    const entry = this.#cache.findItem(type, id);
    if (!entry) return false;
    return levelOf(entry.context(), levelNamed(entry.owner as TypeOwner, level)).qid !== null;
  }

  isCollectionLoading(name: CollectionName<S>, params?: Params | null): boolean {
    return this.#cache.findCollection(name, params)?.inFlight() ?? false;
  }

  peekItem<K extends TypeName<S>>(type: K, id: ItemId): ItemSnapshot<S['types'][K]> | null {
    const entry = this.#cache.findItem(type, id);
    return entry ? (entry.view() as unknown as ItemSnapshot<S['types'][K]>) : null;
  }

  peekCollection<K extends CollectionName<S>>(
    name: K,
    params?: ParamsOf<S, K> | null,
  ): CollectionSnapshot<MetaOf<S, K>> | null {
    const entry = this.#cache.findCollection(name, params);
    return entry ? (entry.view() as unknown as CollectionSnapshot<MetaOf<S, K>>) : null;
  }

  hasAnyInFlightRequests(): boolean {
    return this.#cache.inFlightCount > 0;
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
    return verityHeaders(this.clientId, extra);
  }

  mutate<TBody = unknown, TInput = unknown>(
    input: RequestInfo | URL,
    init: RequestInit = {},
    options?: MutateOptions<TInput>,
  ): Promise<TBody> {
    return this.#predictions.during(options as MutateOptions | undefined, (responded) =>
      mutate<TBody>(
        this.#fetchImpl ?? globalThis.fetch,
        this.directiveHeaders(),
        input,
        init,
        (directives) => {
          responded();
          return this.applyDirectives(directives);
        },
      ),
    );
  }

  // ── Events and inspection ───────────────────────────────────────────────────

  onChange(listener: (event: ChangeEvent) => void): () => void {
    return this.#lifecycle.onChange(listener);
  }

  onLifecycle(event: LifecycleEventName | '*', listener: (event: LifecycleEvent) => void): () => void {
    return this.#lifecycle.on(event, listener);
  }

  state(): RegistryState {
    const { types, collections, entries } = this.#cache.state();
    return {
      types,
      collections,
      sse: this.#stream.state(),
      bulk: { ...this.#options.bulk, pending: this.#runner.hasPending || this.#coordinator.hasPending },
      memory: { ...this.#options.memory, entries },
    };
  }

  devtools(): DevtoolsSnapshot {
    return this.#cache.devtools(this.state(), this.clientId);
  }

  /** One memory sweep now (the sweeper's timer does this; exposed for tests and manual pruning). */
  sweep(): void {
    this.#cache.sweep();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stream.dispose();
    this.#coordinator.dispose();
    this.#runner.clear();
    this.#cache.dispose();
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

  #forceReload(hard: boolean): void {
    if (this.#onForceReload) {
      this.#onForceReload({ hard });
      return;
    }
    const location = (globalThis as { location?: { reload?: () => void } }).location;
    if (typeof location?.reload === 'function') location.reload();
  }
}

export function createRegistry<S extends RegistrySchema = DefaultSchema>(
  options?: RegistryOptions,
): Registry<S> {
  return new VerityRegistry<S>(options);
}
