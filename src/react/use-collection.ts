// useCollection: one param set of a collection, re-read when the params' key changes (latest params win).
import { useSelector } from '@xstate/react';
import { useLayoutEffect, useMemo, useState } from 'react';
import { paramsKey } from '../registry/params-key';
import type { Params } from '../registry/types';
import { type CollectionView, IDLE_COLLECTION, wholeSnapshot } from './idle';
import { useRegistry } from './provider';
import type { CollectionKey, CollectionMetaData, CollectionParams, CollectionResult } from './schema';
import { trackedResult } from './tracked-result';
import { createHookState } from './use-item';

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
  const [state] = useState(() =>
    createHookState<CollectionView<CollectionMetaData<K>>>(
      IDLE_COLLECTION,
      enabled ? registry.peekCollection(name, params) : null,
    ),
  );
  // Params are compared by value: a new object with the same fields is the same read.
  const key = paramsKey(params as Params | null | undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `params` is read through its key, its value.
  useLayoutEffect(() => {
    state.view.follow(enabled ? registry.fetchCollection(name, { params, force, silent }) : null);
  }, [state, registry, name, key, enabled, force, silent]);
  const snapshot = useSelector(state.view, wholeSnapshot, state.compare);
  return useMemo(() => trackedResult(snapshot, state.reads), [snapshot, state]);
}
