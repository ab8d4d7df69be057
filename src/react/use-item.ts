// useItem: one item's snapshot, read in an effect and followed through a view of its ref (useSyncExternalStore).
import { useLayoutEffect, useSyncExternalStore } from 'react';
import type { ItemId, ItemMeta } from '../registry/types';
import { IDLE_ITEM } from './idle';
import { useRegistry } from './provider';
import { RefView, useView } from './ref-view';
import type { ItemData, ItemResult, ItemType } from './schema';

export interface UseItemOptions {
  readonly silent?: boolean;
  readonly force?: boolean;
  /** `false` reads nothing and returns the idle result. */
  readonly enabled?: boolean;
}

export function useItem<K extends ItemType>(
  type: K,
  id: ItemId | null | undefined,
  level?: string | null,
  options: UseItemOptions = {},
): ItemResult<ItemData<K>> {
  const registry = useRegistry();
  const readId = options.enabled === false ? null : (id ?? null);
  // The first render shows what is cached already: no idle frame, no second render when the read finds it fresh.
  const view = useView(
    () =>
      new RefView<ItemData<K>, ItemMeta>(IDLE_ITEM, readId === null ? null : registry.peekItem(type, readId)),
  );
  const { force, silent } = options;
  // A layout effect: the read starts after render (never during it) but before paint, so no idle frame shows.
  useLayoutEffect(() => {
    view.follow(readId === null ? null : registry.fetchItem(type, readId, level, { force, silent }));
  }, [view, registry, type, readId, level, force, silent]);
  return view.result(useSyncExternalStore(view.subscribe, view.getSnapshot, view.getSnapshot));
}
