// useItem: one item's snapshot, read when the component subscribes and followed through a view of its ref.
import { useSyncExternalStore } from 'react';
import type { Registry } from '../registry/registry-api';
import type { ItemId, ItemMeta } from '../registry/types';
import { IDLE_ITEM } from './idle';
import { useRegistry } from './provider';
import { RefView, useView } from './ref-view';
import type { ItemData, ItemResult, ItemType, RegisteredSchema } from './schema';

export interface UseItemOptions {
  readonly silent?: boolean;
  readonly force?: boolean;
  /** `false` reads nothing and returns the idle result. */
  readonly enabled?: boolean;
}

type ItemReadArgs<K extends ItemType> = readonly [
  registry: Registry<RegisteredSchema>,
  type: K,
  id: ItemId | null,
  level: string | null | undefined,
  force: boolean | undefined,
  silent: boolean | undefined,
];

/** Starts the read (module-level: a view holds no closure for it); `null` for a disabled hook or a null id. */
function readItem<K extends ItemType>(...[registry, type, id, level, force, silent]: ItemReadArgs<K>) {
  return id === null ? null : registry.fetchItem(type, id, level, { force, silent });
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
      new RefView<ItemData<K>, ItemMeta, ItemReadArgs<K>>(
        readItem,
        6,
        IDLE_ITEM,
        readId === null ? null : registry.peekItem(type, readId),
      ),
  );
  const subscribe = view.subscriber([registry, type, readId, level, options.force, options.silent]);
  return view.result(useSyncExternalStore(subscribe, view.getSnapshot, view.getSnapshot));
}
