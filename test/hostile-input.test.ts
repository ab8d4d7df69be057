// Contract: hostile ids, params and fetcher results give a clear error or error state, never a crash or pollution.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VerityError } from '../src/index';
import { withFakeClock } from './support/clock';
import {
  controlledCollectionFetcher,
  controlledFetcher,
  countingFetcher,
  flush,
  makeRegistry,
  todosRegistry,
} from './support/registry';

withFakeClock();

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
});

const untyped = (value: unknown) => value as never;

/** An object on which each of the named operations throws. */
function trapping(traps: ReadonlyArray<keyof ProxyHandler<object>>): object {
  const handler: ProxyHandler<object> = {};
  for (const trap of traps) {
    handler[trap] = () => {
      throw new Error('trap');
    };
  }
  return new Proxy({}, handler);
}

function codeOf(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    return error instanceof VerityError ? error.code : `not a VerityError: ${String(error)}`;
  }
  return undefined;
}

describe('ids', () => {
  it.each([
    ['an object', { id: 1 }],
    ['an array', [1]],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an empty string', ''],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['a symbol', Symbol('id')],
  ])('an id that is %s throws INVALID_ID and fetches nothing', (_label, id) => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });

    expect(codeOf(() => registry.fetchItem('todo', untyped(id)))).toBe('INVALID_ID');
    expect(fetcher.count).toBe(0);
    expect(registry.state().types.todo?.entries).toBe(0);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'])(
    "id '%s' is an ordinary entry",
    async (id) => {
      const registry = makeRegistry();
      const fetcher = countingFetcher();
      registry.createType('todo', { fetch: fetcher.fetch });

      const ref = registry.fetchItem('todo', id);
      await flush();

      expect(fetcher.fetch).toHaveBeenCalledWith(id, 'default', expect.anything());
      expect(ref.data).toEqual({ id, level: 'default', n: 1 });
      expect(registry.isItemLoading('todo', id)).toBe(false);
      registry.fetchItem('todo', 'other');
      expect(fetcher.count).toBe(2);
    },
  );

  it("types and collections named '__proto__' or 'constructor' work like any other", async () => {
    const registry = makeRegistry();
    registry.createType('__proto__', { fetch: async () => ({ ok: 1 }) });
    registry.createCollection('constructor', { fetch: async () => ({ ids: [1] }) });

    const item = registry.fetchItem('__proto__', 1);
    const list = registry.fetchCollection('constructor');
    await flush();

    expect(item.data).toEqual({ ok: 1 });
    expect(list.data.ids).toEqual([1]);
    expect(codeOf(() => registry.fetchItem('toString', 1))).toBe('UNKNOWN_TYPE');
  });
});

describe('params', () => {
  it.each([
    ['an array', [1, 2]],
    ['a string', 'page=1'],
    ['a number', 1],
    ['a Date', new Date(0)],
    ['a Map', new Map([['page', 1]])],
    ['a class instance', new (class Filter {})()],
  ])('params that are %s throw INVALID_PARAMS', (_label, params) => {
    const { registry, fetcher } = todosRegistry();

    expect(codeOf(() => registry.fetchCollection('todos', { params: untyped(params) }))).toBe(
      'INVALID_PARAMS',
    );
    expect(fetcher.count).toBe(0);
  });

  it('params with a BigInt, a cycle or a throwing getter throw INVALID_PARAMS', () => {
    const registry = makeRegistry();
    registry.createCollection('todos', { fetch: controlledCollectionFetcher().fetch });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const trap = {
      get page() {
        throw new Error('gotcha');
      },
    };

    expect(codeOf(() => registry.fetchCollection('todos', { params: { n: 1n } }))).toBe('INVALID_PARAMS');
    expect(codeOf(() => registry.fetchCollection('todos', { params: cycle }))).toBe('INVALID_PARAMS');
    expect(codeOf(() => registry.fetchCollection('todos', { params: trap }))).toBe('INVALID_PARAMS');
  });

  it('a collection key(params) that throws or returns a non-string throws INVALID_PARAMS', () => {
    const registry = makeRegistry();
    registry.createCollection('a', {
      fetch: controlledCollectionFetcher().fetch,
      key: () => {
        throw new Error('no key');
      },
    });
    registry.createCollection('b', { fetch: controlledCollectionFetcher().fetch, key: () => untyped(42) });

    expect(codeOf(() => registry.fetchCollection('a'))).toBe('INVALID_PARAMS');
    expect(codeOf(() => registry.fetchCollection('b'))).toBe('INVALID_PARAMS');
  });

  it('a __proto__ key in params pollutes nothing and is its own params key', async () => {
    const { registry, fetcher } = todosRegistry();
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "page": 1}') as Record<string, unknown>;

    const ref = registry.fetchCollection('todos', { params: hostile });
    registry.fetchCollection('todos', { params: { page: 1 } });
    fetcher.call(0).resolve({ ids: [1] });
    await flush();

    expect(fetcher.count).toBe(2);
    expect(ref.meta.paramsKey).toBe('{"__proto__":{"polluted":true},"page":1}');
    const received = fetcher.call(0).params;
    expect(Object.hasOwn(received, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(received)).toBe(Object.prototype);
    expect((received as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(ref.meta.paramsSnapshot ?? {}, '__proto__')).toBe(true);
  });

  it('constructor.prototype keys in params pollute nothing and are their own params key', () => {
    const { registry, fetcher } = todosRegistry();

    const ref = registry.fetchCollection('todos', {
      params: { constructor: { prototype: { polluted: true } } },
    });
    registry.fetchCollection('todos');

    expect(fetcher.count).toBe(2);
    expect(ref.meta.paramsKey).toBe('{"constructor":{"prototype":{"polluted":true}}}');
  });

  it('nested __proto__ keys stay data, at every depth', () => {
    const { registry, fetcher } = todosRegistry();
    const hostile = JSON.parse('{"filter": {"__proto__": {"polluted": true}}}') as Record<string, unknown>;

    const ref = registry.fetchCollection('todos', { params: hostile });
    registry.fetchCollection('todos', { params: { filter: {} } });

    expect(fetcher.count).toBe(2);
    expect(ref.meta.paramsKey).toBe('{"filter":{"__proto__":{"polluted":true}}}');
  });

  it('a directive with __proto__ params matches by key and pollutes nothing', async () => {
    const { registry, fetcher } = todosRegistry();
    registry.fetchCollection('todos', { params: { page: 1 } });
    fetcher.call(0).resolve({ ids: [] });
    await flush();

    const report = registry.applyDirectives(
      JSON.parse('[{"op":"refresh_collection","name":"todos","params":{"__proto__":{"polluted":true}}}]'),
    );
    await vi.advanceTimersByTimeAsync(50);

    await expect(report).resolves.toMatchObject({ rejected: [] });
    expect(fetcher.count).toBe(1);
  });
});

describe('fetchers that return junk', () => {
  it('an item fetch resolving undefined puts the entry in error, never throws out of fetchItem', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: async () => undefined });

    const ref = registry.fetchItem('todo', 1);
    await flush();

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect(ref.meta.error?.message).toContain('returned undefined');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'nope'],
    ['a number', 3],
    ['an array', [1, 2, 3]],
    ['an object without ids or items', { rows: [1] }],
    ['ids that are not an array', { ids: '1,2' }],
  ])('a collection fetch resolving %s puts the entry in error', async (_label, junk) => {
    const { registry, fetcher } = todosRegistry();

    let ref: ReturnType<typeof registry.fetchCollection> | undefined;
    expect(() => {
      ref = registry.fetchCollection('todos');
    }).not.toThrow();
    fetcher.call(0).resolve(untyped(junk));
    await flush();

    expect(ref?.meta.status).toBe('error');
    expect(ref?.meta.error).toMatchObject({ name: 'VerityError', code: 'INVALID_RESPONSE' });
    expect(ref?.data).toEqual({ ids: [], count: 0, meta: null });
  });

  it('ids that are not strings or finite numbers are dropped from a collection', async () => {
    const registry = makeRegistry();
    registry.createCollection('todos', {
      fetch: async () => untyped({ ids: [1, {}, null, 'a', Number.NaN, '', [2], 3] }),
    });

    const ref = registry.fetchCollection('todos');
    await flush();

    expect(ref.data).toEqual({ ids: [1, 'a', 3], count: 3, meta: null });
  });

  it('{ items } takes ids from the items, or from their id fields', async () => {
    const registry = makeRegistry();
    registry.createCollection('todos', {
      fetch: async () => ({ items: [{ id: 1, title: 'a' }, 2, { title: 'no id' }, null], meta: { page: 1 } }),
    });

    const ref = registry.fetchCollection('todos');
    await flush();

    expect(ref.data).toEqual({ ids: [1, 2], count: 2, meta: { page: 1 } });
  });

  it('a response whose every property access throws puts the entry in error', async () => {
    const registry = makeRegistry();
    const hostile = trapping(['get', 'getPrototypeOf']);
    registry.createCollection('todos', { fetch: async () => untyped(hostile) });

    const ref = registry.fetchCollection('todos');
    await flush();

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error).toBeInstanceOf(Error);
  });

  it('a thrown value whose every property access throws still becomes an Error', async () => {
    const registry = makeRegistry();
    const hostile = trapping(['get', 'getPrototypeOf', 'getOwnPropertyDescriptor', 'ownKeys']);
    registry.createType('todo', { fetch: () => Promise.reject(hostile) });

    const ref = registry.fetchItem('todo', 1);
    await flush();

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error).toBeInstanceOf(Error);
  });

  it('an item fetch resolving an object with a __proto__ key keeps it as data and pollutes nothing', async () => {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('todo', { fetch: fetcher.fetch, levels: { full: { fetch: fetcher.fetch } } });
    const ref = registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ title: 'a' });
    await flush();

    registry.fetchItem('todo', 1, 'full');
    fetcher.call(1).resolve(JSON.parse('{"__proto__": {"polluted": true}, "body": "b"}'));
    await flush();

    const data = ref.data as Record<string, unknown>;
    expect(data.title).toBe('a');
    expect(data.body).toBe('b');
    expect(data.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });

  it('a bulk map result with a __proto__ key pollutes nothing', async () => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: async () => JSON.parse('{"__proto__": {"polluted": true}, "1": {"v": 1}}'),
    });

    const ref = registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(50);

    expect(ref.data).toEqual({ v: 1 });
  });
});
