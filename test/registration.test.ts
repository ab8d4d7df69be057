// Contract: bad registrations and reads of unregistered names throw VerityErrors with a code (SPEC §2 "Registration").
import { describe, expect, it } from 'vitest';
import { createRegistry, type LevelConversionMap, type TypeConfig, VerityError } from '../src/index';
import { withFakeClock } from './support/clock';
import { countingFetcher, makeRegistry } from './support/registry';

withFakeClock();

/** Runs `act`, expecting a VerityError with `code`; returns it for further checks. */
function thrown(act: () => unknown, code: string): VerityError {
  let error: unknown;
  try {
    act();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(VerityError);
  expect(error).toBeInstanceOf(Error);
  expect(error).toMatchObject({ name: 'VerityError', code });
  return error as VerityError;
}

const fetch = async () => ({});
const untyped = (value: unknown) => value as never;

describe('createType', () => {
  it.each([
    ['an empty name', ''],
    ['a blank name', '   '],
    ['no name', undefined],
    ['a number', 42],
  ])('throws INVALID_NAME for %s', (_label, name) => {
    const registry = makeRegistry();
    const error = thrown(() => registry.createType(untyped(name), { fetch }), 'INVALID_NAME');
    expect(error.message).toContain("createType('invoice', { fetch })");
  });

  it.each([
    ['no config', undefined],
    ['a config without fetch', {}],
    ['a fetch that is not a function', { fetch: 'GET /todos' }],
  ])('throws MISSING_FETCH for %s', (_label, config) => {
    const registry = makeRegistry();
    const error = thrown(() => registry.createType('todo', untyped(config)), 'MISSING_FETCH');
    expect(error.message).toContain('todo');
    expect(error.message).toContain('fetch');
  });

  it('throws DUPLICATE_NAME when the type is registered twice', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch });

    const error = thrown(() => registry.createType('todo', { fetch }), 'DUPLICATE_NAME');
    expect(error.message).toBe("Type 'todo' is already registered; register each type once.");
  });

  it('throws MISSING_FETCH for a level without fetch, naming the level', () => {
    const registry = makeRegistry();
    const config = { fetch, levels: { full: {} } } as unknown as TypeConfig;

    const error = thrown(() => registry.createType('todo', config), 'MISSING_FETCH');
    expect(error.message).toContain("level 'full'");
  });

  it.each<[string, LevelConversionMap | undefined, LevelConversionMap | undefined]>([
    ['an unknown source level in the type map', { nope: ['full'] }, undefined],
    ['an unknown target level in the type map', { full: ['nope'] }, undefined],
    ['an unknown level in a level map', undefined, { nope: true }],
  ])('throws UNKNOWN_LEVEL for %s', (_label, typeMap, levelMap) => {
    const registry = makeRegistry();
    const config: TypeConfig = {
      fetch,
      ...(typeMap ? { levelConversionMap: typeMap } : {}),
      levels: { full: { fetch, ...(levelMap ? { levelConversionMap: levelMap } : {}) } },
    };

    const error = thrown(() => registry.createType('todo', config), 'UNKNOWN_LEVEL');
    expect(error.message).toContain("'nope'");
  });

  it("throws INVALID_LEVEL for a level named 'default'", () => {
    const registry = makeRegistry();
    thrown(() => registry.createType('todo', { fetch, levels: { default: { fetch } } }), 'INVALID_LEVEL');
  });

  it("throws INVALID_LEVEL for a level named '__proto__'", () => {
    const registry = makeRegistry();
    const levels: Record<string, { fetch: typeof fetch }> = {};
    Object.defineProperty(levels, '__proto__', { value: { fetch }, enumerable: true });

    thrown(() => registry.createType('todo', { fetch, levels }), 'INVALID_LEVEL');
  });

  it('throws INVALID_OPTIONS for a negative stalenessMs or a bulkFetch that is not a function', () => {
    const registry = makeRegistry();
    thrown(() => registry.createType('a', { fetch, stalenessMs: -1 }), 'INVALID_OPTIONS');
    thrown(() => registry.createType('b', { fetch, bulkFetch: untyped('nope') }), 'INVALID_OPTIONS');
  });

  it('a failed registration registers nothing, so a corrected one succeeds', () => {
    const registry = makeRegistry();
    thrown(() => registry.createType('todo', { fetch, levelConversionMap: { nope: true } }), 'UNKNOWN_LEVEL');

    expect(() => registry.createType('todo', { fetch })).not.toThrow();
  });

  it('registerType is createType', () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.registerType('todo', { fetch: fetcher.fetch });

    registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(1);
    thrown(() => registry.createType('todo', { fetch }), 'DUPLICATE_NAME');
  });
});

describe('createCollection', () => {
  it('throws INVALID_NAME without a name', () => {
    const registry = makeRegistry();
    const error = thrown(
      () => registry.createCollection('', { fetch: async () => ({ ids: [] }) }),
      'INVALID_NAME',
    );
    expect(error.message).toContain('createCollection');
  });

  it('throws MISSING_FETCH without fetch', () => {
    const registry = makeRegistry();
    const error = thrown(() => registry.createCollection('todos', untyped({})), 'MISSING_FETCH');
    expect(error.message).toContain("createCollection('todos'");
  });

  it('throws DUPLICATE_NAME when the collection is registered twice', () => {
    const registry = makeRegistry();
    registry.createCollection('todos', { fetch: async () => ({ ids: [] }) });

    thrown(
      () => registry.registerCollection('todos', { fetch: async () => ({ ids: [] }) }),
      'DUPLICATE_NAME',
    );
  });

  it('throws INVALID_OPTIONS for a key that is not a function', () => {
    const registry = makeRegistry();
    thrown(
      () => registry.createCollection('todos', { fetch: async () => ({ ids: [] }), key: untyped('page') }),
      'INVALID_OPTIONS',
    );
  });
});

describe('reads of what is not registered', () => {
  it('a read of an unregistered type throws UNKNOWN_TYPE with what to do', () => {
    const registry = makeRegistry();
    const error = thrown(() => registry.fetchItem('invoice', 1), 'UNKNOWN_TYPE');
    expect(error.message).toBe(
      "Type 'invoice' is not registered: call createType('invoice', { fetch }) first.",
    );
    thrown(() => registry.item('invoice', 1), 'UNKNOWN_TYPE');
    thrown(() => registry.isItemLoading('invoice', 1), 'UNKNOWN_TYPE');
  });

  it('a read of an unregistered collection throws UNKNOWN_COLLECTION', () => {
    const registry = makeRegistry();
    const error = thrown(() => registry.fetchCollection('invoices'), 'UNKNOWN_COLLECTION');
    expect(error.message).toContain("createCollection('invoices'");
    thrown(() => registry.collection('invoices'), 'UNKNOWN_COLLECTION');
    thrown(() => registry.isCollectionLoading('invoices'), 'UNKNOWN_COLLECTION');
  });

  it('a read of an undeclared level throws UNKNOWN_LEVEL', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch });

    const error = thrown(() => registry.fetchItem('todo', 1, 'full'), 'UNKNOWN_LEVEL');
    expect(error.message).toContain('levels: { … }');
    thrown(() => registry.fetchItem('todo', 1, untyped(7)), 'UNKNOWN_LEVEL');
  });

  it('a type and a collection are separate namespaces', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch });

    thrown(() => registry.fetchCollection('todo'), 'UNKNOWN_COLLECTION');
  });
});

describe('registry options', () => {
  it.each([
    ['a negative stalenessMs', { stalenessMs: -5 }],
    ['a NaN errorRetryMs', { errorRetryMs: Number.NaN }],
    ['a maxBatchSize of 0', { bulk: { maxBatchSize: 0 } }],
    ['a negative memory cap', { memory: { maxItemsPerType: -1 } }],
    ['an unknown log level', { logging: { level: untyped('loud') } }],
  ])('createRegistry throws INVALID_OPTIONS for %s', (_label, options) => {
    thrown(() => createRegistry({ sse: { enabled: false }, ...options }), 'INVALID_OPTIONS');
  });

  it('registries are independent: the same names register in each', () => {
    const a = makeRegistry();
    const b = makeRegistry();

    a.createType('todo', { fetch });
    b.createType('todo', { fetch });

    expect(a.clientId).not.toBe(b.clientId);
  });
});
