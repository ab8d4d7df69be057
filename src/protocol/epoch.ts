// Epochs (SPEC §1.2): the token naming one run of an audience's sequence, and the `<epoch>:<seq>` event id built from it.

/** Digits only; the value must also be a safe integer, as every seq the writer can write is. */
const SEQ_PATTERN = /^\d{1,16}$/;
/**
 * Opaque, but it must survive being the part before the `:` of an SSE id: no colon, no whitespace,
 * no NUL (EventSource drops an id holding one) and no surrogates (a lone one would not survive UTF-8).
 */
const EPOCH_PATTERN = /^[^\s:\0\uD800-\uDFFF]{1,128}$/;

export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_PATTERN.test(value);
}

/** 64 random bits in hex: two runs of one audience never share an epoch by chance. */
export function newEpoch(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Where a client stands in an audience's sequence; `epoch` is null for a server that sends none. */
export interface ResumePoint {
  readonly epoch: string | null;
  readonly seq: number;
}

export function formatEventId({ epoch, seq }: ResumePoint): string {
  return epoch === null ? String(seq) : `${epoch}:${seq}`;
}

/**
 * `<epoch>:<seq>`, or a bare `<seq>` from a client of a server without epochs (epoch null: a hub
 * never resumes it, it cannot tell which run the number belongs to). Anything else is no resume point.
 */
export function parseEventId(value: string | null | undefined): ResumePoint | null {
  if (value == null) return null;
  const text = value.trim();
  const colon = text.lastIndexOf(':');
  const seqText = colon < 0 ? text : text.slice(colon + 1);
  const seq = Number(seqText);
  if (!SEQ_PATTERN.test(seqText) || !Number.isSafeInteger(seq)) return null;
  if (colon < 0) return { epoch: null, seq };
  const epoch = text.slice(0, colon);
  return isEpoch(epoch) ? { epoch, seq } : null;
}
