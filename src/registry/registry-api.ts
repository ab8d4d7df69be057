// The registry's public types: the schema that types reads, the Registry interface, state() and devtools().

import type { ResolvedOptions } from './options';
import type { MutateOptions } from './predictions';
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
  ResyncContext,
  SseOptions,
  TypeConfig,
} from './types';

/** Names and data shapes, so reads are typed: `createRegistry<{ types: { todo: Todo }, collections: {...} }>()`. */
export interface RegistrySchema {
  types: Record<string, unknown>;
  collections: Record<string, { params?: object; meta?: unknown }>;
}

export interface DefaultSchema extends RegistrySchema {
  types: Record<string, unknown>;
  collections: Record<string, { params: Params; meta: unknown }>;
}

export type TypeName<S extends RegistrySchema> = keyof S['types'] & string;
export type CollectionName<S extends RegistrySchema> = keyof S['collections'] & string;
export type ParamsOf<S extends RegistrySchema, K extends CollectionName<S>> = S['collections'][K] extends {
  params: infer P;
}
  ? P & object
  : Params;
export type MetaOf<S extends RegistrySchema, K extends CollectionName<S>> = S['collections'][K] extends {
  meta: infer M;
}
  ? M
  : unknown;

export interface Registry<S extends RegistrySchema = DefaultSchema> {
  readonly clientId: string;
  createType<K extends TypeName<S>>(name: K, config: TypeConfig<S['types'][K]>): void;
  createCollection<K extends CollectionName<S>>(
    name: K,
    config: CollectionConfig<ParamsOf<S, K>, MetaOf<S, K>>,
  ): void;
  registerType<K extends TypeName<S>>(name: K, config: TypeConfig<S['types'][K]>): void;
  registerCollection<K extends CollectionName<S>>(
    name: K,
    config: CollectionConfig<ParamsOf<S, K>, MetaOf<S, K>>,
  ): void;
  fetchItem<K extends TypeName<S>>(
    type: K,
    id: ItemId,
    level?: string | null,
    options?: FetchItemOptions,
  ): ItemRef<S['types'][K]>;
  fetchCollection<K extends CollectionName<S>>(
    name: K,
    options?: Omit<FetchCollectionOptions, 'params'> & { params?: ParamsOf<S, K> | null },
  ): CollectionRef<MetaOf<S, K>>;
  item<K extends TypeName<S>>(type: K, id: ItemId, level?: string | null): ItemRef<S['types'][K]>;
  collection<K extends CollectionName<S>>(
    name: K,
    params?: ParamsOf<S, K> | null,
  ): CollectionRef<MetaOf<S, K>>;
  isItemLoading(type: TypeName<S>, id: ItemId, level?: string | null): boolean;
  isCollectionLoading(name: CollectionName<S>, params?: Params | null): boolean;
  hasAnyInFlightRequests(): boolean;
  /**
   * The cached snapshot of an item, or null when it is not cached: no fetch, and not counted as a use (the
   * React hooks show it on their first render, before their read starts in an effect).
   */
  peekItem<K extends TypeName<S>>(type: K, id: ItemId): ItemSnapshot<S['types'][K]> | null;
  /** The cached snapshot of a collection param set, or null; no fetch, not counted as a use. */
  peekCollection<K extends CollectionName<S>>(
    name: K,
    params?: ParamsOf<S, K> | null,
  ): CollectionSnapshot<MetaOf<S, K>> | null;
  applyDirectives(directives: unknown, options?: ApplyOptions): Promise<ApplyReport>;
  applyDirective(directive: unknown, options?: ApplyOptions): Promise<ApplyReport>;
  ingestEnvelope(envelope: unknown): void;
  /** Older name of `ingestEnvelope`. */
  ingestDirectiveEnvelope(envelope: unknown): void;
  resync(context?: Partial<ResyncContext>): Promise<void>;
  onChange(listener: (event: ChangeEvent) => void): () => void;
  onLifecycle(event: LifecycleEventName | '*', listener: (event: LifecycleEvent) => void): () => void;
  state(): RegistryState;
  devtools(): DevtoolsSnapshot;
  connectSse(): void;
  disconnectSse(): void;
  reconnectSse(): void;
  configureSse(partial: SseOptions): void;
  sseConnect(): void;
  sseDisconnect(): void;
  sseReconnect(): void;
  configureDirectiveSource(source: DirectiveSource): void;
  /** With `{ predict, input }`, shows the predictions beside the truth until the directives settle. */
  mutate<TBody = unknown, TInput = unknown>(
    input: RequestInfo | URL,
    init?: RequestInit,
    options?: MutateOptions<TInput>,
  ): Promise<TBody>;
  directiveHeaders(extra?: Record<string, string>): Record<string, string>;
  dispose(): void;
}

export interface RegistryState {
  types: Record<string, { entries: number; inFlight: number; levels: string[] }>;
  collections: Record<string, { entries: number; inFlight: number }>;
  sse: {
    enabled: boolean;
    connected: boolean;
    url: string;
    audience: string;
    lastSeq: Record<string, number>;
  };
  bulk: { delayMs: number; maxBatchSize: number; pending: boolean };
  memory: ResolvedOptions['memory'] & { entries: number };
}

export interface DevtoolsSnapshot extends RegistryState {
  clientId: string;
  entries: Array<{
    kind: 'item' | 'collection';
    name: string;
    key: string;
    status: string;
    running: boolean;
    subscribers: number;
    lastUsedAt: string;
  }>;
  inFlight: {
    items: Array<{ type: string; id: string }>;
    collections: Array<{ name: string; paramsKey: string }>;
    totalCount: number;
    hasAnyInFlight: boolean;
  };
}
