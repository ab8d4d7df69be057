// The server SDK's error: a stable `code` to branch on and a message that says what to do.
export type VerityErrorCode =
  | 'HUB_CLOSED'
  | 'INVALID_DIRECTIVES'
  | 'INVALID_OPTIONS'
  | 'INVALID_BODY'
  | 'BACKPLANE_UNAVAILABLE'
  | 'BACKPLANE_FAILED'
  | 'SLOW_CLIENT';

export class VerityError extends Error {
  override readonly name = 'VerityError';
  readonly code: VerityErrorCode;

  constructor(code: VerityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
