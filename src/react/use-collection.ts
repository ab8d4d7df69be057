// useCollection: one param set of a collection, re-read when the params' key changes (latest params win).
import { useSyncExternalStore } from 'react';
import { paramsKey } from '../registry/params-key';
import type { Registry } from '../registry/registry-api';
import type { CollectionData, CollectionMeta, Params } from '../registry/types';
import { IDLE_COLLECTION } from './idle';
import { useRegistry } from './provider';
import { RefView, useView } from './ref-view';
import type {
  CollectionKey,
  CollectionMetaData,
  CollectionParams,
  CollectionResult,
  RegisteredSchema,
} from './schema';

export interface UseCollectionOptions<TParams> {
  readonly params?: TParams | null;
  readonly force?: boolean;
  readonly silent?: boolean;
  /** `false` reads nothing and returns the idle result. */
  readonly enabled?: boolean;
}

/** The params ride last: they are compared by value, through their key. */
type CollectionReadArgs<K extends CollectionKey> = readonly [
  registry: Registry<RegisteredSchema>,
  name: K,
  key: string,
  enabled: boolean,
  force: boolean | undefined,
  silent: boolean | undefined,
  params: CollectionParams<K> | null | undefined,
];

/** Starts the read (module-level: a view holds no closure for it); `null` for a disabled hook. */
function readCollection<K extends CollectionKey>(
  ...[registry, name, , enabled, force, silent, params]: CollectionReadArgs<K>
) {
  return enabled ? registry.fetchCollection(name, { params, force, silent }) : null;
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
      new RefView<CollectionData<CollectionMetaData<K>>, CollectionMeta, CollectionReadArgs<K>>(
        readCollection,
        6,
        IDLE_COLLECTION,
        enabled ? registry.peekCollection(name, params) : null,
      ),
  );
  const key = paramsKey(params as Params | null | undefined);
  const subscribe = view.subscriber([registry, name, key, enabled, force, silent, params]);
  return view.result(useSyncExternalStore(subscribe, view.getSnapshot, view.getSnapshot));
}
