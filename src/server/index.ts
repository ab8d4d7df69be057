// verity-xstate/server: the directive hub, its helpers and public types.

export { VerityError, type VerityErrorCode } from '../protocol/errors';
export type {
  Backplane,
  BackplaneEnvelope,
  BackplaneListener,
  BackplaneResumePoint,
  BackplaneSnapshot,
  EnvelopeTemplate,
} from './backplane';
export { defineDirectiveGraph } from './graph';
export type {
  ArgFields,
  CollectionRead,
  DerivedDirective,
  DirectiveGraph,
  DirectiveGraphDeclaration,
  GraphDescription,
  GraphKey,
  InvalidatedNames,
  InvalidationSets,
  ObservedTouch,
  TypeRead,
  WriteInput,
  WriteName,
  WriteTouch,
} from './graph-types';
export { createDirectiveHub } from './hub';
export { readClientId } from './request';
export { respondWithDirectives } from './respond';
export type {
  Authorize,
  AuthorizeInput,
  Directive,
  DirectiveHub,
  DirectiveHubOptions,
  EmitOptions,
  EmitResult,
  HubStats,
} from './types';
