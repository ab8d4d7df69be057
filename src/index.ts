// verity-xstate: the public door of the client core.

export type { VerityErrorCode } from './protocol/errors';
export { VerityError } from './protocol/errors';
export type {
  AwaitTruth,
  MutateOptions,
  Predictions,
  PredictionTransform,
  PredictionTransforms,
  StoredTransform,
} from './registry/predictions';
export { definePredictions } from './registry/predictions';
export type {
  DefaultSchema,
  DevtoolsSnapshot,
  Registry,
  RegistrySchema,
  RegistryState,
} from './registry/registry';
export { createRegistry } from './registry/registry';
export type * from './registry/types';
export type { EventSourceCtor, EventSourceLike } from './transport/sse-stream';
