// useItems: one snapshot per id, in order; the first reads of a list go out as one bulk call.
import { useSyncExternalStore } from 'react';
import type { Registry } from '../registry/registry-api';
import type { ItemId, ItemMeta } from '../registry/types';
import { useRegistry } from './provider';
import { RefListView, useView } from './ref-view';
import type { ItemData, ItemResult, ItemType, RegisteredSchema } from './schema';

/** The ids ride last: they are compared by value, through their key. */
type ItemsReadArgs<K extends ItemType> = readonly [
  registry: Registry<RegisteredSchema>,
  type: K,
  idsKey: string,
  level: string | null | undefined,
  ids: readonly ItemId[],
];

/** One synchronous pass: every first read joins the same bulk window, so the type's bulkFetch gets them all. */
function readItems<K extends ItemType>(...[registry, type, , level, ids]: ItemsReadArgs<K>) {
  return ids.map((id) => registry.fetchItem(type, id, level));
}

export function useItems<K extends ItemType>(
  type: K,
  ids: readonly ItemId[],
  level?: string | null,
): readonly ItemResult<ItemData<K>>[] {
  const registry = useRegistry();
  const view = useView(() => new RefListView<ItemData<K>, ItemMeta, ItemsReadArgs<K>>(readItems, 4));
  // The list is compared by its ids, not by the array's identity (callers often build it while rendering).
  const idsKey = JSON.stringify(ids.map(String));
  const subscribe = view.subscriber([registry, type, idsKey, level, ids]);
  return view.results(useSyncExternalStore(subscribe, view.getSnapshot, view.getSnapshot));
}
