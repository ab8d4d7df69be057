// useIsFetching: how many entries have a fetch in flight, optionally for one type or collection name.
import { useCallback, useSyncExternalStore } from 'react';
import type { Registry } from '../registry/registry-api';
import { useRegistry } from './provider';
import type { CollectionKey, ItemType, RegisteredSchema } from './schema';

export interface IsFetchingFilter {
  readonly type?: ItemType;
  readonly collection?: CollectionKey;
}

export function countFetching(registry: Registry<RegisteredSchema>, filter: IsFetchingFilter = {}): number {
  const { types, collections } = registry.state();
  if (filter.type !== undefined || filter.collection !== undefined) {
    const ofType = filter.type === undefined ? 0 : (types[filter.type]?.inFlight ?? 0);
    const ofCollection =
      filter.collection === undefined ? 0 : (collections[filter.collection]?.inFlight ?? 0);
    return ofType + ofCollection;
  }
  let count = 0;
  for (const name in types) count += types[name]!.inFlight;
  for (const name in collections) count += collections[name]!.inFlight;
  return count;
}

export function useIsFetching(filter: IsFetchingFilter = {}): number {
  const registry = useRegistry();
  const { type, collection } = filter;
  // Every entry change is an onChange event; the count is a number, so React re-renders only when it moves.
  const subscribe = useCallback((onChange: () => void) => registry.onChange(onChange), [registry]);
  const count = useCallback(
    () => countFetching(registry, { type, collection }),
    [registry, type, collection],
  );
  return useSyncExternalStore(subscribe, count, count);
}
