// The wire shapes the registry's stream tests send: envelopes, hellos and refresh directives.
import type { Params } from '../../src/index';

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
