// useItems: one snapshot per id, in order; the first reads of a list go out as one bulk call.
import { useSelector } from '@xstate/react';
import { useLayoutEffect, useMemo, useState } from 'react';
import type { ItemId } from '../registry/types';
import type { ItemView } from './idle';
import { useRegistry } from './provider';
import { RefListView } from './ref-view';
import type { ItemData, ItemResult, ItemType } from './schema';
import { type Reads, sameListReads, trackedResult } from './tracked-result';

const wholeList = <T>(list: T): T => list;

export function useItems<K extends ItemType>(
  type: K,
  ids: readonly ItemId[],
  level?: string | null,
): readonly ItemResult<ItemData<K>>[] {
  const registry = useRegistry();
  const [state] = useState(() => {
    const reads: Reads = new Set();
    return { view: new RefListView<ItemView<ItemData<K>>>(), reads, compare: sameListReads(reads) };
  });
  // The list is compared by its ids, not by the array's identity (callers often build it while rendering).
  const idsKey = JSON.stringify(ids.map(String));
  // biome-ignore lint/correctness/useExhaustiveDependencies: `ids` is read through idsKey, its value.
  useLayoutEffect(() => {
    // One synchronous pass: every first read joins the same bulk window, so the type's bulkFetch gets them all.
    state.view.follow(ids.map((id) => registry.fetchItem(type, id, level)));
  }, [state, registry, type, idsKey, level]);
  const snapshots = useSelector(state.view, wholeList, state.compare);
  return useMemo(() => snapshots.map((snapshot) => trackedResult(snapshot, state.reads)), [snapshots, state]);
}
