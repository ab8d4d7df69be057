// VerityError (every error the library throws on purpose) and the conversion of anything thrown into an Error.

export type VerityErrorCode =
  | 'INVALID_NAME'
  | 'MISSING_FETCH'
  | 'DUPLICATE_NAME'
  | 'INVALID_LEVEL'
  | 'UNKNOWN_LEVEL'
  | 'UNKNOWN_TYPE'
  | 'UNKNOWN_COLLECTION'
  | 'INVALID_ID'
  | 'INVALID_PARAMS'
  | 'INVALID_OPTIONS'
  | 'HTTP_ERROR'
  | 'INVALID_RESPONSE'
  | 'DISPOSED'
  | 'NO_PROVIDER'
  // The server SDK's codes (verity-xstate/server).
  | 'HUB_CLOSED'
  | 'INVALID_DIRECTIVES'
  | 'INVALID_BODY'
  | 'BACKPLANE_UNAVAILABLE'
  | 'BACKPLANE_FAILED'
  | 'SLOW_CLIENT'
  // Declared touches (verity-xstate/server, SPEC §7).
  | 'INVALID_GRAPH'
  | 'UNKNOWN_WRITE'
  | 'INVALID_INPUT';

export interface VerityErrorExtra {
  readonly status?: number;
  readonly body?: unknown;
  readonly cause?: unknown;
}

export class VerityError extends Error {
  override readonly name = 'VerityError';
  readonly code: VerityErrorCode;
  // `declare` keeps absent fields absent (`'status' in error` is false) instead of own `undefined` fields.
  declare readonly status?: number;
  declare readonly body?: unknown;

  constructor(code: VerityErrorCode, message: string, extra: VerityErrorExtra = {}) {
    super(message, 'cause' in extra ? { cause: extra.cause } : undefined);
    this.code = code;
    if (extra.status !== undefined)
      Object.defineProperty(this, 'status', { value: extra.status, enumerable: true });
    if ('body' in extra) Object.defineProperty(this, 'body', { value: extra.body, enumerable: true });
  }
}

const MAX_DESCRIPTION_LENGTH = 200;

function truncate(text: string): string {
  return text.length > MAX_DESCRIPTION_LENGTH ? `${text.slice(0, MAX_DESCRIPTION_LENGTH)}…` : text;
}

function readOwn(value: object, key: string): unknown {
  try {
    return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown === '' ? 'An empty string was thrown' : thrown;
  if (typeof thrown === 'object' && thrown !== null) {
    const message = readOwn(thrown, 'message');
    if (typeof message === 'string' && message !== '') return message;
    try {
      const json = JSON.stringify(thrown);
      if (json !== undefined) return `A non-Error value was thrown: ${truncate(json)}`;
    } catch {
      // Circular or hostile objects fall through to the generic description.
    }
    return 'A non-Error object was thrown';
  }
  if (typeof thrown === 'symbol' || typeof thrown === 'function')
    return `A non-Error ${typeof thrown} was thrown`;
  return `A non-Error value was thrown: ${String(thrown)}`;
}

function isError(thrown: unknown): thrown is Error {
  try {
    return thrown instanceof Error;
  } catch {
    // A proxy whose prototype lookup throws is not an Error we can hand back.
    return false;
  }
}

/**
 * Fetchers may throw anything; entries and listeners always see an `Error`. A non-Error keeps the original as
 * `cause`, and a numeric `status` on a thrown object is carried over so HTTP failures stay recognisable.
 */
export function toError(thrown: unknown): Error {
  if (isError(thrown)) return thrown;
  const error = new Error(describeThrown(thrown), { cause: thrown });
  if (typeof thrown === 'object' && thrown !== null) {
    const status = readOwn(thrown, 'status');
    if (typeof status === 'number' && Number.isFinite(status)) {
      Object.defineProperty(error, 'status', { value: status, enumerable: true });
    }
  }
  return error;
}
