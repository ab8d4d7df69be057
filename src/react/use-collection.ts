// useCollection: one param set of a collection, re-read when the params' key changes (latest params win).
import { useLayoutEffect, useSyncExternalStore } from 'react';
import { paramsKey } from '../registry/params-key';
import type { CollectionData, CollectionMeta, Params } from '../registry/types';
import { IDLE_COLLECTION } from './idle';
import { useRegistry } from './provider';
import { RefView, useView } from './ref-view';
import type { CollectionKey, CollectionMetaData, CollectionParams, CollectionResult } from './schema';

export interface UseCollectionOptions<TParams> {
  readonly params?: TParams | null;
  readonly force?: boolean;
  readonly silent?: boolean;
  /** `false` reads nothing and returns the idle result. */
  readonly enabled?: boolean;
}

export function useCollection<K extends CollectionKey>(
  name: K,
  options: UseCollectionOptions<CollectionParams<K>> = {},
): CollectionResult<CollectionMetaData<K>> {
  const registry = useRegistry();
  const { params, force, silent } = options;
  const enabled = options.enabled !== false;
  const view = useView(
    () =>
      new RefView<CollectionData<CollectionMetaData<K>>, CollectionMeta>(
        IDLE_COLLECTION,
        enabled ? registry.peekCollection(name, params) : null,
      ),
  );
  // Params are compared by value: a new object with the same fields is the same read.
  const key = paramsKey(params as Params | null | undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `params` is read through its key, its value.
  useLayoutEffect(() => {
    view.follow(enabled ? registry.fetchCollection(name, { params, force, silent }) : null);
  }, [view, registry, name, key, enabled, force, silent]);
  return view.result(useSyncExternalStore(view.subscribe, view.getSnapshot, view.getSnapshot));
}
