// useItem: one item's snapshot, read in an effect and followed through an actor-compatible view of its ref.
import { useSelector } from '@xstate/react';
import { useLayoutEffect, useMemo, useState } from 'react';
import type { ItemId } from '../registry/types';
import { IDLE_ITEM, type ItemView, wholeSnapshot } from './idle';
import { useRegistry } from './provider';
import { fixedSource, RefView } from './ref-view';
import type { ItemData, ItemResult, ItemType } from './schema';
import { type Reads, sameReads, trackedResult } from './tracked-result';

export interface UseItemOptions {
  readonly silent?: boolean;
  readonly force?: boolean;
  /** `false` reads nothing and returns the idle result. */
  readonly enabled?: boolean;
}

/** Per-component state: the view it follows, the fields it read, and the compare built on them. */
export interface HookState<TView> {
  readonly view: RefView<TView>;
  readonly reads: Reads;
  readonly compare: (a: TView, b: TView) => boolean;
}

/**
 * `cached` is the entry's snapshot when it is already cached: the first render shows it (no idle frame, and
 * no second render when the read in the effect finds it fresh).
 */
export function createHookState<TView extends { data: unknown; meta: object }>(
  idle: TView,
  cached: TView | null,
): HookState<TView> {
  const reads: Reads = new Set();
  const view = new RefView<TView>(idle, cached ? fixedSource(cached) : null);
  return { view, reads, compare: sameReads(reads) };
}

export function useItem<K extends ItemType>(
  type: K,
  id: ItemId | null | undefined,
  level?: string | null,
  options: UseItemOptions = {},
): ItemResult<ItemData<K>> {
  const registry = useRegistry();
  const readId = options.enabled === false ? null : (id ?? null);
  const [state] = useState(() =>
    createHookState<ItemView<ItemData<K>>>(
      IDLE_ITEM,
      readId === null ? null : registry.peekItem(type, readId),
    ),
  );
  const { force, silent } = options;
  // A layout effect: the read starts after render (never during it) but before paint, so no idle frame shows.
  useLayoutEffect(() => {
    state.view.follow(readId === null ? null : registry.fetchItem(type, readId, level, { force, silent }));
  }, [state, registry, type, readId, level, force, silent]);
  const snapshot = useSelector(state.view, wholeSnapshot, state.compare);
  return useMemo(() => trackedResult(snapshot, state.reads), [snapshot, state]);
}
