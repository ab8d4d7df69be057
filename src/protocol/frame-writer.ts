// The wire format of the directive stream (SPEC §1.2): hello, envelope and heartbeat frames.
import type { Directive } from './directive-check';

const encoder = new TextEncoder();

/** Node's Buffer when there is one: `res.write` takes it without wrapping every Uint8Array again. */
const encode: (text: string) => Uint8Array =
  typeof Buffer === 'function' ? (text) => Buffer.from(text, 'utf8') : (text) => encoder.encode(text);

/**
 * An envelope's JSON text is `head + seq + tail`. Splitting it around the seq lets a backplane
 * fill in the number it allocates (even inside a Redis Lua script) without parsing JSON.
 */
export interface EnvelopeTemplate {
  readonly head: string;
  readonly tail: string;
}

export function envelopeTemplate(
  audience: string,
  source: string | null,
  directives: readonly Directive[],
): EnvelopeTemplate {
  return {
    head: '{"type":"directives","seq":',
    tail: `,"audience":${JSON.stringify(audience)},"source":${JSON.stringify(source)},"directives":${JSON.stringify(directives)}}`,
  };
}

export function renderEnvelope(template: EnvelopeTemplate, seq: number): string {
  return `${template.head}${seq}${template.tail}`;
}

export function helloData(audience: string, lastSeq: number, resumed: boolean): string {
  return JSON.stringify({ type: 'hello', audience, last_seq: lastSeq, resumed });
}

/** JSON never contains a raw line break, so one `data:` line always carries the whole payload. */
export function envelopeFrame(seq: number, data: string): Uint8Array {
  return encode(`id: ${seq}\ndata: ${data}\n\n`);
}

/** No `id:` line: a hello must not move the client's Last-Event-ID. */
export function helloFrame(audience: string, lastSeq: number, resumed: boolean): Uint8Array {
  return encode(`data: ${helloData(audience, lastSeq, resumed)}\n\n`);
}

export const HEARTBEAT_FRAME: Uint8Array = encoder.encode(': keep-alive\n\n');

/** A Last-Event-ID is only honoured when it is a plain non-negative integer; anything else starts afresh. */
export function parseLastEventId(value: string | null | undefined): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (!/^\d{1,15}$/.test(trimmed)) return null;
  return Number(trimmed);
}
