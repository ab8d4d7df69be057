// Contract of directive validation and normalisation (SPEC §1.1): both dialects, groups, results and rejections.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type NormalizedDirective, normalizeDirectives } from '../../src/protocol/directive';

const LIMITS = { maxDirectivesPerBatch: 1000 };

function normalize(input: unknown, limit = LIMITS.maxDirectivesPerBatch) {
  return normalizeDirectives(input, { maxDirectivesPerBatch: limit });
}

/** The one directive a valid input normalises to. */
function one(input: unknown): NormalizedDirective {
  const { directives, rejected } = normalize([input]);
  expect(rejected).toEqual([]);
  expect(directives).toHaveLength(1);
  return directives[0] as NormalizedDirective;
}

/** The reason the one invalid input is rejected with. */
function reason(input: unknown): string {
  const { directives, rejected } = normalize([input]);
  expect(directives).toEqual([]);
  expect(rejected).toHaveLength(1);
  expect(rejected[0]?.directive).toBe(input);
  return rejected[0]?.reason ?? '';
}

const NO_META = { key: null, source: null, audience: null, seq: null, timestamp: null };

describe('batch shape', () => {
  it('accepts an array of directives', () => {
    const { directives, rejected } = normalize([
      { op: 'refresh_collection', name: 'todos' },
      { op: 'refresh_item', name: 'todo', id: 1 },
    ]);
    expect(directives.map((d) => d.kind)).toEqual(['collection', 'item']);
    expect(rejected).toEqual([]);
  });

  it('treats a single directive object as a batch of one', () => {
    const directive = { op: 'refresh_collection', name: 'todos' };
    expect(normalize(directive).directives).toEqual([
      expect.objectContaining({ kind: 'collection', raw: directive }),
    ]);
  });

  it('rejects anything else as a whole, with one rejection', () => {
    for (const input of [undefined, null, 'refresh', 42, true]) {
      const { directives, rejected } = normalize(input);
      expect(directives).toEqual([]);
      expect(rejected).toEqual([
        { directive: input, reason: expect.stringMatching(/directives must be an array/) },
      ]);
    }
  });

  it('keeps the valid directives of a batch when others are rejected', () => {
    const bad = { op: 'refresh_item', name: 'todo' };
    const { directives, rejected } = normalize([{ op: 'refresh_collection', name: 'todos' }, bad]);
    expect(directives).toHaveLength(1);
    expect(rejected).toEqual([{ directive: bad, reason: expect.stringMatching(/^id /) }]);
  });

  it('rejects an element that is not an object', () => {
    expect(reason('refresh_collection')).toMatch(/a directive must be an object, got a string/);
    expect(reason(null)).toMatch(/got null/);
    expect(reason([{ op: 'refresh_collection', name: 'todos' }])).toMatch(/got an array/);
  });
});

describe('dialect A', () => {
  it('normalises refresh_collection with params and params_mode', () => {
    const raw = {
      op: 'refresh_collection',
      name: 'todos',
      params: { status: 'active' },
      params_mode: 'contains',
    };
    expect(one(raw)).toEqual({
      kind: 'collection',
      name: 'todos',
      params: { status: 'active' },
      mode: 'contains',
      result: null,
      meta: NO_META,
      raw,
    });
  });

  it('normalises refresh_item with id and level', () => {
    const raw = { op: 'refresh_item', name: 'invoice', id: 'a1', level: 'expanded' };
    expect(one(raw)).toEqual({
      kind: 'item',
      name: 'invoice',
      id: 'a1',
      level: 'expanded',
      result: null,
      meta: NO_META,
      raw,
    });
  });

  it('normalises force_reload_page, soft unless hard is true', () => {
    expect(one({ op: 'force_reload_page' })).toMatchObject({ kind: 'reload', hard: false });
    expect(one({ op: 'force_reload_page', hard: true })).toMatchObject({ kind: 'reload', hard: true });
  });

  it('rejects a hard flag that is not a boolean', () => {
    expect(reason({ op: 'force_reload_page', hard: 'yes' })).toMatch(/hard must be a boolean/);
  });
});

describe('dialect B', () => {
  it('normalises refresh and invalidate of a collection like refresh_collection', () => {
    for (const op of ['refresh', 'invalidate']) {
      expect(one({ op, kind: 'collection', name: 'invoices', params: { status: 'active' } })).toMatchObject({
        kind: 'collection',
        name: 'invoices',
        params: { status: 'active' },
        mode: 'exact',
      });
    }
  });

  it('normalises refresh and invalidate of an item like refresh_item', () => {
    for (const op of ['refresh', 'invalidate']) {
      expect(one({ op, kind: 'item', name: 'invoice', id: 42, level: 'expanded' })).toMatchObject({
        kind: 'item',
        name: 'invoice',
        id: '42',
        level: 'expanded',
      });
    }
  });

  it('rejects refresh without a known kind', () => {
    expect(reason({ op: 'refresh', name: 'invoice' })).toMatch(/kind must be 'collection' or 'item'/);
    expect(reason({ op: 'refresh', kind: 'page', name: 'invoice' })).toMatch(/kind .*got "page"/);
  });

  it('rejects invalidate with neither targets nor kind', () => {
    expect(reason({ op: 'invalidate', name: 'invoice' })).toMatch(/invalidate needs targets .* or kind/);
  });
});

describe('op', () => {
  it('rejects a missing op', () => {
    expect(reason({ name: 'todos' })).toMatch(/^op is missing/);
  });

  it('rejects an unknown op, naming it', () => {
    expect(reason({ op: 'delete_everything', name: 'todos' })).toMatch(/^unknown op "delete_everything"/);
    expect(reason({ op: 7, name: 'todos' })).toMatch(/^unknown op a number/);
  });

  it('checks the shape before anything else, whatever the directive names', () => {
    expect(reason({ op: 'refresh_item', name: 'no-such-type', id: {} })).toMatch(/^id /);
  });
});

describe('name', () => {
  it('must be a non-empty string', () => {
    expect(reason({ op: 'refresh_collection' })).toMatch(/^name must be a non-empty string, got undefined/);
    expect(reason({ op: 'refresh_collection', name: '' })).toMatch(/^name .*got an empty string/);
    expect(reason({ op: 'refresh_item', name: 5, id: 1 })).toMatch(/^name .*got a number/);
  });
});

describe('id', () => {
  it('keeps a string id and turns a finite number into its string', () => {
    expect(one({ op: 'refresh_item', name: 't', id: 'x-1' })).toMatchObject({ id: 'x-1' });
    expect(one({ op: 'refresh_item', name: 't', id: 42 })).toMatchObject({ id: '42' });
    expect(one({ op: 'refresh_item', name: 't', id: 0 })).toMatchObject({ id: '0' });
  });

  it('rejects a missing, empty, non-finite or non-scalar id', () => {
    expect(reason({ op: 'refresh_item', name: 't' })).toMatch(
      /^id must be a non-empty string or a finite number/,
    );
    expect(reason({ op: 'refresh_item', name: 't', id: '' })).toMatch(/^id .*empty string/);
    expect(reason({ op: 'refresh_item', name: 't', id: Number.NaN })).toMatch(/^id .*NaN/);
    expect(reason({ op: 'refresh_item', name: 't', id: Number.POSITIVE_INFINITY })).toMatch(/^id .*Infinity/);
    expect(reason({ op: 'refresh_item', name: 't', id: { id: 1 } })).toMatch(/^id .*an object/);
    expect(reason({ op: 'refresh_item', name: 't', id: [1] })).toMatch(/^id .*an array/);
  });
});

describe('params', () => {
  it('means every param set when omitted or null', () => {
    expect(one({ op: 'refresh_collection', name: 'todos' })).toMatchObject({ params: null });
    expect(one({ op: 'refresh_collection', name: 'todos', params: null })).toMatchObject({ params: null });
  });

  it('keeps an empty object as the default params, not as every param set', () => {
    expect(one({ op: 'refresh_collection', name: 'todos', params: {} })).toMatchObject({ params: {} });
  });

  it('is a deep-frozen copy', () => {
    const params = { filter: { status: 'active' }, tags: ['a'] };
    const directive = one({ op: 'refresh_collection', name: 'todos', params });
    if (directive.kind !== 'collection') throw new Error('expected a collection directive');
    expect(directive.params).toEqual(params);
    expect(directive.params).not.toBe(params);
    expect(Object.isFrozen(directive.params)).toBe(true);
    expect(Object.isFrozen(directive.params?.filter)).toBe(true);
    params.filter.status = 'paused';
    expect(directive.params?.filter).toEqual({ status: 'active' });
  });

  it('accepts a null-prototype object', () => {
    const params = Object.assign(Object.create(null), { a: 1 });
    expect(one({ op: 'refresh_collection', name: 'todos', params })).toMatchObject({ params: { a: 1 } });
  });

  it('rejects arrays, class instances and primitives', () => {
    expect(reason({ op: 'refresh_collection', name: 't', params: [1] })).toMatch(
      /^params must be a plain object/,
    );
    expect(reason({ op: 'refresh_collection', name: 't', params: new Date() })).toMatch(
      /^params must be a plain/,
    );
    expect(reason({ op: 'refresh_collection', name: 't', params: 'a=1' })).toMatch(/got a string/);
  });

  it('rejects params that are not JSON data (circular, BigInt)', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(reason({ op: 'refresh_collection', name: 't', params: circular })).toMatch(/^params .*circular/);
    expect(reason({ op: 'refresh_collection', name: 't', params: { n: 1n } })).toMatch(/^params .*BigInt/);
  });
});

describe('params_mode', () => {
  it("is 'exact' by default", () => {
    expect(one({ op: 'refresh_collection', name: 't', params: { a: 1 } })).toMatchObject({ mode: 'exact' });
    expect(one({ op: 'refresh_collection', name: 't', params_mode: null })).toMatchObject({ mode: 'exact' });
  });

  it("rejects anything but 'exact' or 'contains'", () => {
    expect(reason({ op: 'refresh_collection', name: 't', params_mode: 'prefix' })).toMatch(
      /^params_mode must be 'exact' or 'contains', got "prefix"/,
    );
  });
});

describe('level', () => {
  it("stays null when omitted, null or ''", () => {
    for (const level of [undefined, null, '']) {
      expect(one({ op: 'refresh_item', name: 't', id: 1, level })).toMatchObject({ level: null });
    }
  });

  it('rejects a level that is not a string', () => {
    expect(reason({ op: 'refresh_item', name: 't', id: 1, level: 2 })).toMatch(/^level must be a string/);
  });
});

describe('item result', () => {
  const item = (result: unknown) => ({ op: 'refresh_item', name: 'invoice', id: 1, result });

  it('reads { data } as the default level', () => {
    expect(one(item({ data: { total: 1 } }))).toMatchObject({
      result: [{ level: 'default', data: { total: 1 }, ts: null }],
    });
  });

  it('reads { level, data }', () => {
    expect(one(item({ level: 'expanded', data: null }))).toMatchObject({
      result: [{ level: 'expanded', data: null, ts: null }],
    });
  });

  it('reads { levels: { name: data } }', () => {
    expect(one(item({ levels: { simplified: { title: 't' }, default: 1 } }))).toMatchObject({
      result: [
        { level: 'simplified', data: { title: 't' }, ts: null },
        { level: 'default', data: 1, ts: null },
      ],
    });
  });

  it('reads { levels: { name: { data, ts } } } when the object has exactly data and ts', () => {
    expect(one(item({ levels: { expanded: { data: { d: 1 }, ts: 1700 } } }))).toMatchObject({
      result: [{ level: 'expanded', data: { d: 1 }, ts: 1700 }],
    });
    expect(one(item({ levels: { expanded: { data: 1, ts: '1970-01-01T00:00:01.000Z' } } }))).toMatchObject({
      result: [{ level: 'expanded', data: 1, ts: 1000 }],
    });
  });

  it('reads { data } and { data, ts } as wrapped, and an object with any other key as the data itself', () => {
    expect(one(item({ levels: { a: { data: { details: 'd' } } } }))).toMatchObject({
      result: [{ level: 'a', data: { details: 'd' }, ts: null }],
    });
    const extra = { data: 1, ts: 5, extra: true };
    expect(one(item({ levels: { a: extra } }))).toMatchObject({
      result: [{ level: 'a', data: extra, ts: null }],
    });
    const unknownTs = { data: 1, ts: 'soon', extra: true };
    expect(one(item({ levels: { a: unknownTs } }))).toMatchObject({
      result: [{ level: 'a', data: unknownTs, ts: null }],
    });
    const other = { ts: 5, title: 't' };
    expect(one(item({ levels: { a: other } }))).toMatchObject({
      result: [{ level: 'a', data: other, ts: null }],
    });
  });

  it('rejects a malformed result, naming the field', () => {
    expect(reason(item('data'))).toMatch(/^result must be an object/);
    expect(reason(item([]))).toMatch(/^result must be an object/);
    expect(reason(item({}))).toMatch(/^result must have data .* or levels/);
    expect(reason(item({ data: 1, levels: {} }))).toMatch(/^result must carry either data or levels/);
    expect(reason(item({ levels: [] }))).toMatch(/^result.levels must be an object/);
    expect(reason(item({ levels: {} }))).toMatch(/^result.levels must name at least one level/);
    expect(reason(item({ level: 3, data: 1 }))).toMatch(/^result.level must be a string/);
    expect(reason(item({ levels: { '': 1, default: 2 } }))).toMatch(
      /^result.levels names the level "default" twice/,
    );
  });
});

describe('collection result', () => {
  const collection = (result: unknown) => ({ op: 'refresh_collection', name: 'todos', result });

  it('reads { ids, count, meta }', () => {
    expect(one(collection({ ids: [1, 2], count: 10, meta: { page: 1 } }))).toMatchObject({
      result: { ids: [1, 2], count: 10, meta: { page: 1 } },
    });
  });

  it('defaults count to ids.length', () => {
    expect(one(collection({ ids: ['a', 'b', 'c'] }))).toMatchObject({
      result: { ids: ['a', 'b', 'c'], count: 3 },
    });
  });

  it('reads { items } as ids: the id of each object, or the item itself', () => {
    expect(one(collection({ items: [{ id: 1, title: 'x' }, 'b', 3], meta: 'm' }))).toMatchObject({
      result: { ids: [1, 'b', 3], count: 3, meta: 'm' },
    });
  });

  it('rejects a malformed result, naming the field', () => {
    expect(reason(collection(5))).toMatch(/^result must be an object with ids or items/);
    expect(reason(collection({}))).toMatch(/^result must have an ids array/);
    expect(reason(collection({ ids: 'a,b' }))).toMatch(/^result.ids must be an array/);
    expect(reason(collection({ ids: [], count: -1 }))).toMatch(
      /^result.count must be a finite number ≥ 0, got -1/,
    );
    expect(reason(collection({ ids: [], count: '2' }))).toMatch(/^result.count .*a string/);
    expect(reason(collection({ items: {} }))).toMatch(/^result.items must be an array/);
    expect(reason(collection({ items: [{ title: 'x' }] }))).toMatch(
      /^result.items\[0\] is an object without an id/,
    );
  });
});

describe('metadata', () => {
  it('reads idempotency_key, or key, as a string', () => {
    expect(one({ op: 'refresh_collection', name: 't', idempotency_key: 'k1' }).meta.key).toBe('k1');
    expect(one({ op: 'refresh_collection', name: 't', key: 'k2' }).meta.key).toBe('k2');
    expect(one({ op: 'refresh_collection', name: 't', key: 7 }).meta.key).toBe('7');
    expect(one({ op: 'refresh_collection', name: 't', idempotency_key: 'a', key: 'b' }).meta.key).toBe('a');
  });

  it('rejects an idempotency key that is not a string or a finite number', () => {
    expect(reason({ op: 'refresh_collection', name: 't', idempotency_key: {} })).toMatch(
      /^idempotency_key must be a string or a finite number/,
    );
    expect(reason({ op: 'refresh_collection', name: 't', key: Number.NaN })).toMatch(/^key must be/);
  });

  it('reads source, audience, seq and timestamp, ignoring malformed informational fields', () => {
    const meta = { source: 'client-a', audience: 'team', seq: 4, timestamp: '2024-01-01' };
    expect(one({ op: 'refresh_collection', name: 't', ...meta }).meta).toEqual({ key: null, ...meta });
    expect(one({ op: 'refresh_collection', name: 't', source: 1, audience: {}, seq: 'x' }).meta).toEqual(
      NO_META,
    );
  });
});

describe('invalidate groups', () => {
  it('are flattened into their targets, recursively', () => {
    const { directives, rejected } = normalize([
      {
        op: 'invalidate',
        targets: [
          { op: 'refresh_collection', name: 'todos' },
          { op: 'invalidate', targets: [{ op: 'refresh_item', name: 'user', id: 123 }] },
        ],
      },
    ]);
    expect(rejected).toEqual([]);
    expect(directives.map((d) => (d.kind === 'reload' ? d.kind : d.name))).toEqual(['todos', 'user']);
  });

  it('pass their metadata to targets that lack their own', () => {
    const { directives } = normalize({
      op: 'invalidate',
      source: 'client-a',
      audience: 'team',
      seq: 9,
      timestamp: 100,
      targets: [
        { op: 'refresh_collection', name: 'todos' },
        { op: 'refresh_collection', name: 'tags', source: 'client-b', seq: 10 },
      ],
    });
    expect(directives.map((d) => d.meta)).toEqual([
      { key: null, source: 'client-a', audience: 'team', seq: 9, timestamp: 100 },
      { key: null, source: 'client-b', audience: 'team', seq: 10, timestamp: 100 },
    ]);
  });

  it('derive key/index idempotency keys for targets without their own, at every depth', () => {
    const { directives } = normalize({
      op: 'invalidate',
      idempotency_key: 'g',
      targets: [
        { op: 'refresh_collection', name: 'a' },
        { op: 'refresh_collection', name: 'b', key: 'own' },
        { op: 'invalidate', targets: [{ op: 'refresh_collection', name: 'c' }] },
      ],
    });
    expect(directives.map((d) => d.meta.key)).toEqual(['g/0', 'own', 'g/2/0']);
  });

  it('reject each malformed target alone, keeping the others', () => {
    const bad = { op: 'refresh_item', name: 'user' };
    const { directives, rejected } = normalize({
      op: 'invalidate',
      targets: [{ op: 'refresh_collection', name: 'todos' }, bad],
    });
    expect(directives).toHaveLength(1);
    expect(rejected).toEqual([{ directive: bad, reason: expect.stringMatching(/^id /) }]);
  });

  it('may be empty', () => {
    expect(normalize({ op: 'invalidate', targets: [] })).toEqual({ directives: [], rejected: [] });
  });

  it('are rejected when targets is not an array', () => {
    expect(reason({ op: 'invalidate', targets: { op: 'refresh_collection', name: 't' } })).toMatch(
      /^targets must be an array/,
    );
  });

  it('may nest 8 deep; a deeper group is rejected with the reason', () => {
    const nest = (depth: number): unknown =>
      depth === 0
        ? { op: 'refresh_collection', name: 'leaf' }
        : { op: 'invalidate', targets: [nest(depth - 1)] };
    expect(normalize(nest(8)).directives).toHaveLength(1);
    const { directives, rejected } = normalize(nest(9));
    expect(directives).toEqual([]);
    expect(rejected).toEqual([
      { directive: expect.anything(), reason: expect.stringMatching(/deeper than 8/) },
    ]);
  });
});

describe('limits.maxDirectivesPerBatch', () => {
  it('keeps the first N directives, counted after flattening, and rejects every later one', () => {
    const input = [
      { op: 'invalidate', targets: [1, 2].map((i) => ({ op: 'refresh_item', name: 't', id: i })) },
      { op: 'refresh_item', name: 't', id: 3 },
      { op: 'refresh_item', name: 't', id: 4 },
    ];
    const { directives, rejected } = normalize(input, 2);
    expect(directives.map((d) => (d.kind === 'item' ? d.id : null))).toEqual(['1', '2']);
    expect(rejected).toEqual([
      {
        directive: [input[1], input[2]],
        reason:
          'over limits.maxDirectivesPerBatch (2): the 2 directive(s) after it are rejected as one group, unread',
      },
    ]);
  });

  it('counts rejected directives too, and leaves everything past the limit unread', () => {
    const unread = {
      get op(): string {
        throw new Error('read past the limit');
      },
    };
    const input = [
      1,
      { op: 'refresh_item', name: 't', id: 1 },
      { op: 'refresh_item', name: 't', id: 2 },
      unread,
    ];
    const { directives, rejected } = normalize(input, 2);
    expect(directives).toHaveLength(1);
    expect(rejected).toEqual([
      { directive: 1, reason: 'a directive must be an object, got a number' },
      {
        directive: [input[2], unread],
        reason: expect.stringMatching(/^over limits\.maxDirectivesPerBatch \(2\)/),
      },
    ]);
  });

  it('cuts a group at the limit: its remaining targets join the group rejected unread', () => {
    const targets = [1, 2, 3].map((i) => ({ op: 'refresh_item', name: 't', id: i }));
    const { directives, rejected } = normalize({ op: 'invalidate', targets }, 1);
    expect(directives).toHaveLength(1);
    expect(rejected).toEqual([{ directive: [targets[1], targets[2]], reason: expect.any(String) }]);
  });

  it('rejects 500,000 junk directives past the limit as one group', () => {
    const input = new Array(500_000).fill(1);
    const { directives, rejected } = normalize(input, 1000);
    expect(directives).toEqual([]);
    expect(rejected).toHaveLength(1001);
    expect((rejected[1000]?.directive as unknown[] | undefined)?.length).toBe(499_000);
  });
});

describe('hostile input', () => {
  it('rejects a directive whose getter throws, naming the field', () => {
    const raw = {
      op: 'refresh_item',
      get name(): string {
        throw new Error('boom');
      },
      id: 1,
    };
    expect(reason(raw)).toBe('name could not be read (boom)');
  });

  it('rejects proxies whose traps throw', () => {
    const trap = () => {
      throw new Error('trap');
    };
    const raw = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
    expect(reason(raw)).toMatch(/could not be read \(trap\)/);
  });

  it('rejects an element that cannot even be read, and keeps the others', () => {
    const good = { op: 'refresh_collection', name: 'todos' };
    const list = new Proxy([good, good], {
      get(target, property, receiver) {
        if (property === '1') throw new Error('gone');
        return Reflect.get(target, property, receiver);
      },
    });
    const { directives, rejected } = normalize(list);
    expect(directives).toHaveLength(1);
    expect(rejected).toEqual([{ directive: undefined, reason: 'directives[1] could not be read (gone)' }]);
  });

  it('rejects a batch whose length cannot be read', () => {
    const list = new Proxy([], {
      get(target, property, receiver) {
        if (property === 'length') throw new Error('no length');
        return Reflect.get(target, property, receiver);
      },
    });
    expect(normalize(list)).toEqual({
      directives: [],
      rejected: [{ directive: list, reason: 'directives could not be read (no length)' }],
    });
  });

  it('ignores inherited fields, so a polluted prototype cannot steer a directive', () => {
    const raw = Object.create({ op: 'refresh_collection', name: 'todos' });
    expect(reason(raw)).toMatch(/^op is missing/);
  });

  it('treats "__proto__" keys as data and pollutes nothing', () => {
    const raw = JSON.parse(
      '{"op":"refresh_collection","name":"t","params":{"__proto__":{"polluted":true}},"__proto__":{"x":1}}',
    );
    const directive = one(raw);
    if (directive.kind !== 'collection') throw new Error('expected a collection directive');
    expect(Object.hasOwn(directive.params ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('rejects very deeply nested params without throwing', () => {
    let params: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) params = { a: params };
    expect(reason({ op: 'refresh_collection', name: 't', params })).toMatch(/^params /);
  });
});

/** A valid directive of each shape, then the same with one field broken. */
const validDirective = fc.oneof(
  fc.record({
    op: fc.constantFrom('refresh_collection'),
    name: fc.string({ minLength: 1 }),
    params: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
    params_mode: fc.constantFrom(undefined, 'exact', 'contains'),
  }),
  fc.record({
    op: fc.constantFrom('refresh', 'invalidate'),
    kind: fc.constantFrom('collection', 'item'),
    name: fc.string({ minLength: 1 }),
    id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()),
  }),
  fc.record({
    op: fc.constant('refresh_item'),
    name: fc.string({ minLength: 1 }),
    id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()),
    level: fc.option(fc.string(), { nil: undefined }),
    result: fc.option(
      fc.oneof(fc.record({ data: fc.jsonValue() }), fc.record({ level: fc.string(), data: fc.jsonValue() })),
      {
        nil: undefined,
      },
    ),
  }),
);

const FIELDS = ['op', 'kind', 'name', 'id', 'params', 'params_mode', 'level', 'result', 'key', 'targets'];
const brokenDirective = fc
  .tuple(validDirective, fc.constantFrom(...FIELDS), fc.anything())
  .map(([directive, field, value]) => {
    const broken: Record<string, unknown> = { ...directive };
    Object.defineProperty(broken, field, { value, enumerable: true, writable: true, configurable: true });
    return broken;
  });

const HOSTILE: unknown[] = [
  '{"op":"refresh_collection","name":"x","__proto__":{"polluted":1},"params":{"__proto__":{"polluted":1}}}',
  '{"op":"refresh_item","name":"x","id":1,"result":{"levels":{"__proto__":{"data":1,"ts":2},"constructor":{}}}}',
  '{"op":"invalidate","__proto__":{"polluted":1},"targets":[{"op":"refresh","kind":"item","name":"__proto__","id":"__proto__"}]}',
  '{"op":"refresh_collection","name":"x","result":{"items":[{"__proto__":{"id":1}}]}}',
].map((json) => JSON.parse(json));

function isGroup(value: unknown): boolean {
  try {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { op?: unknown }).op === 'invalidate' &&
      (value as { targets?: unknown }).targets != null
    );
  } catch {
    return false;
  }
}

describe('fuzzing', () => {
  test.prop([fc.anything()])('never throws for any input', (input) => {
    const { directives, rejected } = normalize(input);
    expect(Array.isArray(directives) && Array.isArray(rejected)).toBe(true);
  });

  test.prop([fc.array(fc.jsonValue())])('never throws for any JSON batch', (input) => {
    expect(() => normalize(input)).not.toThrow();
  });

  test.prop([fc.array(fc.oneof(validDirective, brokenDirective, fc.anything()), { maxLength: 20 })])(
    'puts every non-group element in exactly one of directives or rejected',
    (input) => {
      fc.pre(!input.some(isGroup));
      const { directives, rejected } = normalize(input);
      expect(directives.length + rejected.length).toBe(input.length);
      const seen = [...directives.map((d) => d.raw), ...rejected.map((r) => r.directive)];
      for (const element of input) expect(seen.some((out) => Object.is(out, element))).toBe(true);
    },
  );

  test.prop([fc.array(validDirective, { maxLength: 20 })])('accepts every valid directive', (input) => {
    expect(normalize(input)).toMatchObject({ rejected: [] });
  });

  test.prop([fc.array(validDirective, { maxLength: 20 }), fc.nat({ max: 25 })])(
    'keeps at most maxDirectivesPerBatch directives and rejects the rest',
    (input, limit) => {
      const { directives, rejected } = normalize(input, limit);
      expect(directives).toHaveLength(Math.min(limit, input.length));
      expect(rejected).toHaveLength(input.length > limit ? 1 : 0);
      expect(rejected[0]?.directive ?? []).toEqual(input.slice(limit));
    },
  );

  test.prop([fc.array(fc.oneof(brokenDirective, fc.anything()), { maxLength: 10 })])(
    'never pollutes Object.prototype',
    (input) => {
      normalize([...input, ...HOSTILE]);
      normalize({ op: 'invalidate', idempotency_key: '__proto__', targets: [...input, ...HOSTILE] });
      expect(Object.keys(Object.prototype)).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  test.prop([validDirective])('returns frozen directives', (input) => {
    const { directives } = normalize(input);
    for (const directive of directives) {
      expect(Object.isFrozen(directive)).toBe(true);
      expect(Object.isFrozen(directive.meta)).toBe(true);
    }
  });
});
