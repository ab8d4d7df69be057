// Writing the directive stream (SPEC §1.2): hello, envelope and heartbeat frames.
import type { Directive } from './directive-check';
import { formatEventId, type ResumePoint } from './epoch';

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

export interface Hello {
  readonly audience: string;
  /** Null only for a server without epochs (the test server can play one); the hub always sends one. */
  readonly epoch: string | null;
  readonly lastSeq: number;
  readonly resumed: boolean;
}

export function helloData({ audience, epoch, lastSeq, resumed }: Hello): string {
  const fields = epoch === null ? { audience } : { audience, epoch };
  return JSON.stringify({ type: 'hello', ...fields, last_seq: lastSeq, resumed });
}

/** JSON never contains a raw line break, so one `data:` line always carries the whole payload. */
export function envelopeFrame(point: ResumePoint, data: string): Uint8Array {
  return encode(`id: ${formatEventId(point)}\ndata: ${data}\n\n`);
}

/** No `id:` line: a hello must not move the client's Last-Event-ID. */
export function helloFrame(hello: Hello): Uint8Array {
  return encode(`data: ${helloData(hello)}\n\n`);
}

export const HEARTBEAT_FRAME: Uint8Array = encoder.encode(': keep-alive\n\n');
