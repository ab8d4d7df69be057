// Fixtures for the registry's stream tests: a backend that records every fetcher call, envelopes, and lifecycle logs.
import type { LifecycleEvent, LifecycleEventName, Params, Registry } from '../../src/index';
import { waitUntil } from './sse-test-server';

export type StreamFetchCall =
  | { readonly kind: 'item'; readonly type: string; readonly id: string; readonly level: string }
  | { readonly kind: 'bulk'; readonly type: string; readonly level: string; readonly ids: readonly string[] }
  | { readonly kind: 'collection'; readonly name: string; readonly params: Params };

/**
 * Records fetcher calls and answers them, at once or (after `hold()`) when the test says so. Every
 * answer carries a new revision, so a test can tell which fetch produced the data it sees.
 */
export class RecordingBackend {
  readonly calls: StreamFetchCall[] = [];
  #revision = 0;
  #holding = false;
  #held: Array<() => void> = [];

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    const held = this.#held;
    this.#held = [];
    for (const settle of held) settle();
  }

  reset(): void {
    this.calls.length = 0;
  }

  items(type?: string): Array<Extract<StreamFetchCall, { kind: 'item' }>> {
    return this.calls.filter(
      (call): call is Extract<StreamFetchCall, { kind: 'item' }> =>
        call.kind === 'item' && (type === undefined || call.type === type),
    );
  }

  bulks(type?: string): Array<Extract<StreamFetchCall, { kind: 'bulk' }>> {
    return this.calls.filter(
      (call): call is Extract<StreamFetchCall, { kind: 'bulk' }> =>
        call.kind === 'bulk' && (type === undefined || call.type === type),
    );
  }

  collections(name?: string): Array<Extract<StreamFetchCall, { kind: 'collection' }>> {
    return this.calls.filter(
      (call): call is Extract<StreamFetchCall, { kind: 'collection' }> =>
        call.kind === 'collection' && (name === undefined || call.name === name),
    );
  }

  /** Every item id a fetch or bulk fetch asked for, one string per request, as `type:id@level`. */
  itemRequests(): string[] {
    return this.calls.flatMap((call) => {
      if (call.kind === 'item') return [`${call.type}:${call.id}@${call.level}`];
      if (call.kind === 'bulk') return call.ids.map((id) => `${call.type}:${id}@${call.level}`);
      return [];
    });
  }

  item(type: string) {
    return (id: string, level: string): Promise<Record<string, unknown>> => {
      this.calls.push({ kind: 'item', type, id, level });
      return this.#answer(() => ({ id, [level]: `r${++this.#revision}` }));
    };
  }

  bulk(type: string) {
    return (ids: string[], level: string): Promise<Array<Record<string, unknown>>> => {
      this.calls.push({ kind: 'bulk', type, level, ids: [...ids] });
      return this.#answer(() => ids.map((id) => ({ id, [level]: `r${++this.#revision}` })));
    };
  }

  collection(name: string) {
    return (params: Params): Promise<{ ids: string[]; meta: { revision: string } }> => {
      this.calls.push({ kind: 'collection', name, params });
      return this.#answer(() => ({ ids: ['1', '2'], meta: { revision: `r${++this.#revision}` } }));
    };
  }

  #answer<T>(make: () => T): Promise<T> {
    if (!this.#holding) return Promise.resolve(make());
    return new Promise<T>((resolve) => this.#held.push(() => resolve(make())));
  }
}

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

export interface LifecycleLog {
  readonly events: LifecycleEvent[];
  of(name: LifecycleEventName): LifecycleEvent[];
  details(name: LifecycleEventName): Array<Readonly<Record<string, unknown>>>;
  count(name: LifecycleEventName): number;
  /** Waits (bounded, real time) until `name` has been emitted `times` times in all. */
  until(name: LifecycleEventName, times?: number, timeoutMs?: number): Promise<void>;
}

/** Records every lifecycle event in order. */
export function lifecycleLog(registry: Registry): LifecycleLog {
  const events: LifecycleEvent[] = [];
  registry.onLifecycle('*', (event) => events.push(event));
  const of = (name: LifecycleEventName) => events.filter((event) => event.event === name);
  return {
    events,
    of,
    details: (name) => of(name).map((event) => event.detail),
    count: (name) => of(name).length,
    until: (name, times = 1, timeoutMs = 5000) =>
      waitUntil(() => of(name).length >= times, `${times} × ${name}`, timeoutMs),
  };
}
