// What the registry's stream tests feed it: envelopes, hellos, refresh directives, and an EventSource that never opens.
import type { EventSourceLike, Params, SseOptions } from '../../src/index';

export function envelope(
  seq: number | undefined,
  directives: unknown,
  extra: { audience?: string; source?: string } = {},
): Record<string, unknown> {
  return {
    type: 'directives',
    audience: 'global',
    ...extra,
    ...(seq === undefined ? {} : { seq }),
    directives,
  };
}

export function hello(lastSeq: number, resumed: boolean, audience = 'global'): Record<string, unknown> {
  return { type: 'hello', audience, last_seq: lastSeq, resumed };
}

export const refreshItem = (name: string, id: string | number, extra: Record<string, unknown> = {}) => ({
  op: 'refresh_item',
  name,
  id,
  ...extra,
});

export const refreshCollection = (name: string, params?: Params) => ({
  op: 'refresh_collection',
  name,
  ...(params === undefined ? {} : { params }),
});

/** An EventSource class that records the URL of every connection asked of it and never opens one. */
export function silentEventSource(): {
  readonly EventSource: NonNullable<SseOptions['EventSource']>;
  readonly opened: string[];
} {
  const opened: string[] = [];
  class SilentEventSource implements EventSourceLike {
    readonly readyState = 0;
    onopen = null;
    onmessage = null;
    onerror = null;
    constructor(url: string) {
      opened.push(url);
    }
    close(): void {}
  }
  return { EventSource: SilentEventSource, opened };
}
