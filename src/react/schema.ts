// The schema the hooks are typed with (the registry's own, once registered) and the shape every hook returns.
import type {
  CollectionName,
  DefaultSchema,
  MetaOf,
  ParamsOf,
  Registry,
  RegistrySchema,
  TypeName,
} from '../registry/registry-api';
import type { CollectionData, CollectionMeta, ItemMeta } from '../registry/types';

/**
 * Register your registry once so every hook infers names, data, params and meta from its schema:
 * `declare module 'verity-xstate/react' { interface Register { registry: typeof registry } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the application through declaration merging.
export interface Register {}

export type RegisteredSchema = Register extends { registry: Registry<infer S> } ? S : DefaultSchema;

export type ItemType = TypeName<RegisteredSchema>;
export type ItemData<K extends ItemType> = RegisteredSchema['types'][K];
export type CollectionKey = CollectionName<RegisteredSchema>;
export type CollectionParams<K extends CollectionKey> = ParamsOf<RegisteredSchema, K>;
export type CollectionMetaData<K extends CollectionKey> = MetaOf<RegisteredSchema, K>;

/** What every hook returns: server truth (`data`), its `meta`, and `predicted` (undefined when nothing is predicted). */
export interface VerityResult<TData, TMeta> {
  readonly data: TData | null;
  readonly meta: TMeta;
  readonly predicted: TData | undefined;
}

export type ItemResult<TData> = VerityResult<TData, ItemMeta>;
export type CollectionResult<TMeta> = VerityResult<CollectionData<TMeta>, CollectionMeta>;

/** A suspense hook's result: the first fetch has settled with data. */
export interface SuspenseResult<TData, TMeta> extends VerityResult<TData, TMeta> {
  readonly data: TData;
}

export type AnySchemaRegistry = Registry<RegistrySchema>;
