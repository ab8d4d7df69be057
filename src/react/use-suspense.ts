// useSuspenseItem / useSuspenseCollection: suspend until the first fetch settles; a failed one throws to a boundary.
import { useMemo, useSyncExternalStore } from 'react';
import { paramsKey } from '../registry/params-key';
import type { CollectionData, CollectionMeta, ItemId, ItemMeta, Params } from '../registry/types';
import { useRegistry } from './provider';
import { RefView, type SnapshotSource, type ViewSnapshot } from './ref-view';
import type {
  CollectionKey,
  CollectionMetaData,
  CollectionParams,
  ItemData,
  ItemType,
  SuspenseResult,
} from './schema';

interface SettledMeta {
  readonly isFetching: boolean;
  readonly error: Error | null;
}

type SettledRef<TData, TMeta extends object> = SnapshotSource<ViewSnapshot<TData, TMeta>>;

/** The read already happened during render: subscribing follows the same ref. */
const theRef = <T>(ref: T): T => ref;

/** Resolves when the ref's fetch has settled (React then renders again and reads the outcome). */
function settled(ref: SnapshotSource<{ meta: SettledMeta }>): Promise<void> {
  return new Promise((resolve) => {
    if (!ref.getSnapshot().meta.isFetching) {
      resolve();
      return;
    }
    const release = ref.subscribe(() => {
      if (ref.getSnapshot().meta.isFetching) return;
      release();
      resolve();
    });
  });
}

/**
 * Suspense needs the read during render (a suspended component never mounts, so it has no effects); the read is
 * idempotent (a second read coalesces with the fetch in flight or finds it fresh), so retries cost no fetch.
 */
function useSuspenseView<TData, TMeta extends SettledMeta & object>(
  ref: SettledRef<TData, TMeta>,
  hasData: (view: ViewSnapshot<TData, TMeta>) => boolean,
): SuspenseResult<TData, TMeta> {
  const view = useMemo(() => {
    const created = new RefView<TData, TMeta, readonly [SettledRef<TData, TMeta>]>(
      theRef,
      1,
      ref.getSnapshot(),
    );
    created.show(ref);
    return created;
  }, [ref]);
  const snapshot = useSyncExternalStore(view.subscriber([ref]), view.getSnapshot, view.getSnapshot);
  if (!hasData(snapshot)) {
    if (snapshot.meta.error) throw snapshot.meta.error;
    throw settled(ref);
  }
  return view.result(snapshot) as SuspenseResult<TData, TMeta>;
}

export interface UseSuspenseItemOptions {
  readonly silent?: boolean;
  readonly force?: boolean;
}

export function useSuspenseItem<K extends ItemType>(
  type: K,
  id: ItemId,
  level?: string | null,
  options: UseSuspenseItemOptions = {},
): SuspenseResult<ItemData<K>, ItemMeta> {
  const registry = useRegistry();
  const { force, silent } = options;
  const ref = useMemo(
    () => registry.fetchItem(type, id, level, { force, silent }),
    [registry, type, id, level, force, silent],
  );
  return useSuspenseView(ref, (view) => (view.meta.levels[ref.level]?.lastFetched ?? null) !== null);
}

export interface UseSuspenseCollectionOptions<TParams> {
  readonly params?: TParams | null;
  readonly force?: boolean;
}

export function useSuspenseCollection<K extends CollectionKey>(
  name: K,
  options: UseSuspenseCollectionOptions<CollectionParams<K>> = {},
): SuspenseResult<CollectionData<CollectionMetaData<K>>, CollectionMeta> {
  const registry = useRegistry();
  const { params, force } = options;
  const key = paramsKey(params as Params | null | undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `params` is read through its key, its value.
  const ref = useMemo(() => registry.fetchCollection(name, { params, force }), [registry, name, key, force]);
  return useSuspenseView(ref, (view) => view.meta.lastFetched !== null);
}
