// Owns the client's reading of stream frames: what counts as a well-formed `hello` or `directives` envelope (SPEC §1.2).
import { isEpoch } from './epoch';

export interface DirectivesEnvelope {
  type: 'directives';
  seq?: number;
  audience?: string;
  source?: string;
  directives: unknown;
}

export interface HelloMessage {
  type: 'hello';
  audience?: string;
  /** The run of the audience's sequence; absent from servers without epochs. */
  epoch?: string;
  last_seq: number;
  resumed?: boolean;
}

export type StreamMessage = DirectivesEnvelope | HelloMessage;

export type ParsedFrame =
  | { ok: true; message: StreamMessage }
  | { ok: false; reason: string; ignored?: boolean };

type Invalid = { ok: false; reason: string };

const invalid = (reason: string): Invalid => ({ ok: false, reason });

/** Scratch space for counting: a frame is encoded through it piece by piece, never as a whole copy. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Uint8Array | null = null;
let encoder: TextEncoder | null = null;

/**
 * Counts what the frame weighs on the wire without allocating an encoded copy, which matters when
 * the frame being measured is the oversized one. The platform's encoder does the counting (a tenth of a
 * JavaScript loop's time on a 1 MiB frame); lone surrogates count 3 bytes, as it writes them as U+FFFD.
 */
export function utf8ByteLength(text: string): number {
  scratch ??= new Uint8Array(SCRATCH_BYTES);
  encoder ??= new TextEncoder();
  let bytes = 0;
  // encodeInto stops at a code point boundary when the scratch is full; `read` says where to go on.
  for (let rest = text; rest.length > 0; ) {
    const { read, written } = encoder.encodeInto(rest, scratch);
    bytes += written;
    rest = rest.slice(read);
  }
  return bytes;
}

/**
 * `maxFrameBytes` of 0 disables the bound, as a 0 cap does everywhere in the options. The size is
 * checked before parsing so that a huge frame costs one pass, not a JSON parse.
 */
export function parseFrame(data: string, maxFrameBytes: number): ParsedFrame {
  if (maxFrameBytes > 0 && data.length > maxFrameBytes / 3) {
    const bytes = utf8ByteLength(data);
    if (bytes > maxFrameBytes) {
      return invalid(`frame of ${bytes} bytes exceeds maxFrameBytes (${maxFrameBytes})`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return invalid('frame is not valid JSON');
  }
  return parseEnvelopeObject(value);
}

export function parseEnvelopeObject(value: unknown): ParsedFrame {
  if (!isRecord(value)) return invalid(`frame must be a JSON object, got ${describe(value)}`);
  const type = value.type;
  if (typeof type !== 'string') return invalid(`frame field "type" must be a string, got ${describe(type)}`);
  if (type === 'directives') return parseDirectives(value);
  if (type === 'hello') return parseHello(value);
  // Servers may add message types; an old client must not count them as junk.
  return { ok: false, reason: `frame type "${type}" is not handled`, ignored: true };
}

function parseDirectives(value: Record<string, unknown>): ParsedFrame {
  const seq = optional(value.seq);
  if (seq !== undefined && !isSafeInteger(seq, 1)) {
    return invalid(`directives field "seq" must be a positive safe integer, got ${describe(seq)}`);
  }
  const audience = optional(value.audience);
  if (audience !== undefined && typeof audience !== 'string') {
    return invalid(`directives field "audience" must be a string, got ${describe(audience)}`);
  }
  const source = optional(value.source);
  if (source !== undefined && typeof source !== 'string') {
    return invalid(`directives field "source" must be a string, got ${describe(source)}`);
  }
  if (!('directives' in value) || value.directives === undefined) {
    return invalid('directives envelope has no "directives" field');
  }
  const message: DirectivesEnvelope = { type: 'directives', directives: value.directives };
  if (seq !== undefined) message.seq = seq;
  if (audience !== undefined) message.audience = audience;
  if (source !== undefined) message.source = source;
  return { ok: true, message };
}

function parseHello(value: Record<string, unknown>): ParsedFrame {
  const lastSeq = value.last_seq;
  if (!isSafeInteger(lastSeq, 0)) {
    return invalid(`hello field "last_seq" must be a non-negative safe integer, got ${describe(lastSeq)}`);
  }
  const audience = optional(value.audience);
  if (audience !== undefined && typeof audience !== 'string') {
    return invalid(`hello field "audience" must be a string, got ${describe(audience)}`);
  }
  const resumed = optional(value.resumed);
  if (resumed !== undefined && typeof resumed !== 'boolean') {
    return invalid(`hello field "resumed" must be a boolean, got ${describe(resumed)}`);
  }
  const epoch = optional(value.epoch);
  if (epoch !== undefined && !isEpoch(epoch)) {
    return invalid(`hello field "epoch" must be a token without ":" or whitespace, got ${describe(epoch)}`);
  }
  const message: HelloMessage = { type: 'hello', last_seq: lastSeq };
  if (audience !== undefined) message.audience = audience;
  if (epoch !== undefined) message.epoch = epoch;
  if (resumed !== undefined) message.resumed = resumed;
  return { ok: true, message };
}

/** JSON has no `undefined`, so servers write an absent optional field as `null`. */
function optional(field: unknown): unknown {
  return field === null ? undefined : field;
}

function isSafeInteger(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}
