// The public shapes of the client API (SPEC §2): options, registrations, refs, events, reports.
import type { AnyActorRef, InspectionEvent, Observer } from 'xstate';
import type { EventSourceCtor } from '../transport/sse-stream';

export type Params = Readonly<Record<string, unknown>>;
export type ItemId = string | number;

/** What a fetcher gets besides its arguments: abort it when the result is no longer wanted. */
export interface FetchContext {
  readonly signal: AbortSignal;
}

export type ConversionTargets = string | true | ReadonlyArray<string | true>;
export type LevelConversionMap = Readonly<Record<string, ConversionTargets>>;

export type ItemFetcher<TData> = (id: string, level: string, context: FetchContext) => Promise<TData> | TData;
export type BulkItemFetcher<TData> = (
  ids: string[],
  level: string,
  context: FetchContext,
) =>
  | Promise<ReadonlyArray<TData> | Readonly<Record<string, TData>>>
  | ReadonlyArray<TData>
  | Readonly<Record<string, TData>>;

export interface LevelConfig<TData = unknown> {
  fetch: ItemFetcher<TData>;
  bulkFetch?: BulkItemFetcher<TData>;
  checkIfExists?: (data: unknown) => boolean;
  stalenessMs?: number;
  levelConversionMap?: LevelConversionMap;
}

/** A directive gate: gets the directive as the server sent it (either dialect, after validation). */
export type DirectiveGate = (directive: Directive) => boolean;

export interface TypeConfig<TData = unknown> {
  fetch: ItemFetcher<TData>;
  bulkFetch?: BulkItemFetcher<TData>;
  stalenessMs?: number;
  errorRetryMs?: number;
  check?: DirectiveGate;
  levelConversionMap?: LevelConversionMap;
  levels?: Readonly<Record<string, LevelConfig<TData>>>;
}

export interface CollectionData<TMeta = unknown> {
  readonly ids: readonly ItemId[];
  readonly count: number;
  readonly meta: TMeta | null;
}

export type CollectionFetchResult<TMeta = unknown> =
  | { ids: readonly ItemId[]; count?: number; meta?: TMeta }
  | { items: readonly unknown[]; meta?: TMeta };

export interface CollectionConfig<TParams extends object = Params, TMeta = unknown> {
  fetch: (
    params: TParams,
    context: FetchContext,
  ) => Promise<CollectionFetchResult<TMeta>> | CollectionFetchResult<TMeta>;
  stalenessMs?: number;
  errorRetryMs?: number;
  check?: DirectiveGate;
  key?: (params: TParams) => string;
}

export type EntryStatus = 'idle' | 'fetching' | 'fresh' | 'stale' | 'error';

export interface LevelMeta {
  readonly lastFetched: string | null;
  readonly isFetching: boolean;
  readonly error: Error | null;
}

/** The meta fields items and collections share. */
export interface BaseMeta {
  readonly status: EntryStatus;
  readonly isLoading: boolean;
  readonly isFetching: boolean;
  readonly error: Error | null;
  readonly lastFetched: string | null;
  readonly activeQueryId: string | null;
  /** Last consumer read, as an ISO string; a live value (reading it never changes the snapshot). */
  readonly lastUsedAt: string | null;
  /** A pending mutation's prediction is shown beside the truth (`predicted`). */
  readonly isPredicted: boolean;
}

export interface ItemMeta extends BaseMeta {
  readonly levels: Readonly<Record<string, LevelMeta>>;
}

export interface CollectionMeta extends BaseMeta {
  readonly paramsSnapshot: Params | null;
  readonly paramsKey: string;
}

export interface ItemSnapshot<TData = unknown> {
  /** Server truth, only ever. */
  readonly data: TData | null;
  readonly meta: ItemMeta;
  /** What pending mutations predict; `undefined` when none does. */
  readonly predicted?: TData;
}

export interface CollectionSnapshot<TMeta = unknown> {
  readonly data: CollectionData<TMeta>;
  readonly meta: CollectionMeta;
  readonly predicted?: CollectionData<TMeta>;
}

export interface ItemRef<TData = unknown> extends ItemSnapshot<TData> {
  readonly type: string;
  readonly id: string;
  readonly level: string;
  /** The same snapshot in the shape older Verity code reads: `{ loading, error, value }`. */
  readonly state: { readonly loading: boolean; readonly error: Error | null; readonly value: TData | null };
  subscribe(listener: () => void): () => void;
  getSnapshot(): ItemSnapshot<TData>;
  /** Refetches the levels this item holds (and this ref's level); resolves when done. Never rejects. */
  refresh(): Promise<void>;
  remove(): void;
  /** A live XState actor for the entry, started from its snapshot; it runs the entry from then on. */
  readonly actor: AnyActorRef;
}

export interface CollectionRef<TMeta = unknown> extends CollectionSnapshot<TMeta> {
  readonly name: string;
  readonly state: {
    readonly loading: boolean;
    readonly error: Error | null;
    readonly items: readonly ItemId[];
    readonly meta: TMeta | null;
  };
  subscribe(listener: () => void): () => void;
  getSnapshot(): CollectionSnapshot<TMeta>;
  refresh(): Promise<void>;
  remove(): void;
  /** Points this ref at another param set (and reads it). */
  setParams(params: Params | null | undefined): void;
  readonly actor: AnyActorRef;
}

export interface FetchItemOptions {
  force?: boolean;
  silent?: boolean;
}

export interface FetchCollectionOptions {
  params?: Params | null;
  force?: boolean;
  silent?: boolean;
}

/** A directive as sent by servers (either dialect); validated at runtime. */
export type Directive = Readonly<Record<string, unknown>>;

export interface ApplyReport {
  readonly applied: Directive[];
  readonly skipped: { directive: Directive; reason: string }[];
  readonly rejected: { directive: unknown; reason: string }[];
}

export interface ApplyOptions {
  source?: string;
  disableIdempotencyGuard?: boolean;
}

export type LifecycleEventName =
  | 'collection:fetch:intent'
  | 'collection:fetch:success'
  | 'collection:fetch:error'
  | 'collection:fetch:complete'
  | 'collection:fetch:skip'
  | 'collection:fetch:coalesced'
  | 'collection:fetch:aborted'
  | 'item:fetch:intent'
  | 'item:fetch:success'
  | 'item:fetch:error'
  | 'item:fetch:complete'
  | 'item:fetch:skip'
  | 'item:fetch:coalesced'
  | 'item:fetch:aborted'
  | 'bulk:flush'
  | 'directive:received'
  | 'directive:processed'
  | 'directive:skipped'
  | 'directive:rejected'
  | 'cache:evict'
  | 'sse:open'
  | 'sse:message'
  | 'sse:error'
  | 'sse:disconnect'
  | 'sse:gap'
  | 'sse:hello'
  | 'sse:junk'
  | 'sse:resync-scheduled'
  | 'sse:resync-dispatch'
  | 'prediction:confirm'
  | 'prediction:correct'
  | 'prediction:drop';

export interface LifecycleEvent {
  readonly event: LifecycleEventName;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly timestamp: string;
}

export interface ChangeEvent {
  readonly type: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly timestamp: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface SseOptions {
  enabled?: boolean;
  url?: string;
  audience?: string;
  clientIdParam?: string;
  audienceParam?: string;
  withCredentials?: boolean;
  connectOnInit?: boolean;
  initialRetryMs?: number;
  maxRetryMs?: number;
  backoffMultiplier?: number;
  /** Older name of `backoffMultiplier`. */
  retryBackoffFactor?: number;
  resyncOnGap?: boolean;
  resyncJitterMinMs?: number;
  resyncJitterMaxMs?: number;
  resyncWindowMs?: number;
  /** Frames larger than this are ignored (with an `sse:junk` event). */
  maxFrameBytes?: number;
  onResync?: (context: ResyncContext) => boolean | undefined;
  EventSource?: EventSourceCtor;
}

export interface ResyncContext {
  /** `epoch`: the server's sequence restarted; `reset`: its seq went backwards; `gap`: envelopes were lost. */
  readonly reason: 'gap' | 'reset' | 'epoch' | 'manual';
  readonly gaps: ReadonlyArray<{ audience: string; lastSeq: number; incomingSeq: number }>;
}

export interface MemoryOptions {
  enabled?: boolean;
  maxItemsPerType?: number;
  maxCollectionsPerName?: number;
  itemTtlMs?: number;
  collectionTtlMs?: number;
  sweepIntervalMs?: number;
  /** Older names of `maxCollectionsPerName`, `itemTtlMs`, `collectionTtlMs` and `sweepIntervalMs`. */
  maxCollectionRefsPerCollection?: number;
  itemEntryTtlMs?: number;
  collectionEntryTtlMs?: number;
  pruneIntervalMs?: number;
}

export interface RegistryOptions {
  bulk?: { delayMs?: number; maxBatchSize?: number };
  memory?: MemoryOptions;
  stalenessMs?: number;
  errorRetryMs?: number;
  sse?: SseOptions;
  directives?: { idempotencyTtlMs?: number; idempotencyMaxKeys?: number };
  limits?: { maxDirectivesPerBatch?: number };
  clientId?: string;
  fetch?: typeof globalThis.fetch;
  logging?: { level?: LogLevel; prefix?: string };
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  onForceReload?: (directive: { hard: boolean }) => void;
}

export interface DirectiveSourceHandle {
  ingestEnvelope(envelope: unknown): void;
  applyDirectives(directives: unknown, options?: ApplyOptions): Promise<ApplyReport>;
  readonly clientId: string;
}

export interface DirectiveSource {
  connect(handle: DirectiveSourceHandle): (() => void) | undefined;
}
