// verity-xstate/react: React bindings over views of refs, read with useSyncExternalStore (SPEC §6).
export type { CollectionView, ItemView } from './idle';
export type { VerityProviderProps } from './provider';
export { useRegistry, VerityProvider } from './provider';
export type {
  CollectionResult,
  ItemResult,
  Register,
  RegisteredSchema,
  SuspenseResult,
  VerityResult,
} from './schema';
export type { UseCollectionOptions } from './use-collection';
export { useCollection } from './use-collection';
export type { IsFetchingFilter } from './use-is-fetching';
export { useIsFetching } from './use-is-fetching';
export type { UseItemOptions } from './use-item';
export { useItem } from './use-item';
export { useItems } from './use-items';
export type { UseSuspenseCollectionOptions, UseSuspenseItemOptions } from './use-suspense';
export { useSuspenseCollection, useSuspenseItem } from './use-suspense';
