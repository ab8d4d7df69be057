// useItems: one snapshot per id, in order; the first reads of a list go out as one bulk call.
import { useLayoutEffect, useSyncExternalStore } from 'react';
import type { ItemId, ItemMeta } from '../registry/types';
import { useRegistry } from './provider';
import { RefListView, useView } from './ref-view';
import type { ItemData, ItemResult, ItemType } from './schema';

export function useItems<K extends ItemType>(
  type: K,
  ids: readonly ItemId[],
  level?: string | null,
): readonly ItemResult<ItemData<K>>[] {
  const registry = useRegistry();
  const view = useView(() => new RefListView<ItemData<K>, ItemMeta>());
  // The list is compared by its ids, not by the array's identity (callers often build it while rendering).
  const idsKey = JSON.stringify(ids.map(String));
  // biome-ignore lint/correctness/useExhaustiveDependencies: `ids` is read through idsKey, its value.
  useLayoutEffect(() => {
    // One synchronous pass: every first read joins the same bulk window, so the type's bulkFetch gets them all.
    view.follow(ids.map((id) => registry.fetchItem(type, id, level)));
  }, [view, registry, type, idsKey, level]);
  return view.results(useSyncExternalStore(view.subscribe, view.getSnapshot, view.getSnapshot));
}
