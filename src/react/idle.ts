// What a hook shows when it reads nothing (disabled, a null id, or before its first read): idle, no data.
import type { CollectionData, CollectionMeta, ItemMeta } from '../registry/types';

export interface ItemView<TData> {
  readonly data: TData | null;
  readonly meta: ItemMeta;
  readonly predicted?: TData;
}

export interface CollectionView<TMeta> {
  readonly data: CollectionData<TMeta> | null;
  readonly meta: CollectionMeta;
  readonly predicted?: CollectionData<TMeta>;
}

const idleBase = {
  status: 'idle',
  isLoading: false,
  isFetching: false,
  error: null,
  lastFetched: null,
  activeQueryId: null,
  lastUsedAt: null,
  isPredicted: false,
} as const;

export const IDLE_ITEM: ItemView<never> = Object.freeze({
  data: null,
  meta: Object.freeze({ ...idleBase, levels: Object.freeze({}) }),
});

export const IDLE_COLLECTION: CollectionView<never> = Object.freeze({
  data: null,
  meta: Object.freeze({ ...idleBase, paramsSnapshot: null, paramsKey: '' }),
});
