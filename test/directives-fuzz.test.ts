// Bad input (SPEC §1.1): applyDirectives never throws or rejects, rejects what is malformed, and leaves the rest alone.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { ApplyReport, Directive, Registry } from '../src/index';
import { withFakeClock } from './support/clock';
import { Backend, flushWindow, settle, testRegistry, track } from './support/directive-fixtures';

type Bag = Record<string, unknown>;

const KNOWN_OPS = new Set([
  'refresh_collection',
  'refresh_item',
  'invalidate',
  'force_reload_page',
  'refresh',
]);

/** The cached entries, as `name|key`. todo 3 and the todos `{}` and `{"page":1}` entries are never targeted. */
const ITEM_IDS = ['1', '2', '3'] as const;
const PARAM_SETS = [null, { page: 1 }, { page: 2 }, { page: 1, tag: 'x' }] as const;

function canon(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Bag;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canon(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const itemKey = (id: string) => `todo|${id}`;
const collectionKey = (params: object | null) => `todos|${canon(params ?? {})}`;

interface Snapshotting {
  getSnapshot(): { readonly data: unknown; readonly meta: object };
}

interface Fixture {
  readonly registry: Registry;
  readonly backend: Backend;
  readonly refs: ReadonlyMap<string, Snapshotting>;
}

let current: Registry | undefined;

async function fixture(): Promise<Fixture> {
  current?.dispose();
  const backend = new Backend();
  const registry = testRegistry({ stalenessMs: 600_000 });
  current = registry;
  registry.createType('todo', {
    fetch: backend.itemFetcher('todo'),
    levelConversionMap: { full: ['default'] },
    levels: { full: { fetch: backend.itemFetcher('todo') } },
  });
  registry.createCollection('todos', { fetch: backend.collectionFetcher('todos') });
  const refs = new Map<string, Snapshotting>();
  for (const id of ITEM_IDS) refs.set(itemKey(id), registry.fetchItem('todo', id));
  registry.fetchItem('todo', 1, 'full');
  for (const params of PARAM_SETS)
    refs.set(collectionKey(params), registry.fetchCollection('todos', { params }));
  await flushWindow();
  backend.reset();
  return { registry, backend, refs };
}

function snapshotAll(refs: ReadonlyMap<string, Snapshotting>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, ref] of refs) {
    const { data, meta } = ref.getSnapshot();
    out.set(key, { data, meta: { ...meta } });
  }
  return out;
}

function entryCounts(registry: Registry) {
  const state = registry.state();
  return { todo: state.types.todo?.entries, todos: state.collections.todos?.entries };
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

function expectNoPollution(): void {
  expect(({} as Bag).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(([] as unknown as Bag).polluted).toBeUndefined();
}

/** Calls applyDirectives, asserting it neither throws nor rejects, and waits for the report. */
async function applySafely(registry: Registry, input: unknown): Promise<ApplyReport> {
  let pending: Promise<ApplyReport> | undefined;
  expect(() => {
    pending = registry.applyDirectives(input);
  }).not.toThrow();
  const tracked = track(pending!);
  const report = await settle(tracked.promise);
  expect(tracked.rejected).toBe(false);
  for (const rejection of report.rejected) {
    expect(typeof rejection.reason).toBe('string');
    expect(rejection.reason.length).toBeGreaterThan(0);
  }
  for (const skip of report.skipped) expect(skip.reason.length).toBeGreaterThan(0);
  return report;
}

/** Removes each expected value (by identity) from `actual` once; both must be used up exactly. */
function expectSameMembers(actual: readonly unknown[], expected: readonly unknown[]): void {
  const rest = [...actual];
  for (const value of expected) {
    const index = rest.findIndex((candidate) => Object.is(candidate, value));
    expect(index, `missing ${String(typeof value)} from the report`).toBeGreaterThanOrEqual(0);
    rest.splice(index, 1);
  }
  expect(rest).toHaveLength(0);
}

function hasKnownOp(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    return Object.hasOwn(value, 'op') && KNOWN_OPS.has((value as Bag).op as string);
  } catch {
    return false;
  }
}

/** For inputs nobody built as directives: no known op means rejected, nothing applied, nothing changed. */
async function expectJunkRejected(input: unknown): Promise<void> {
  const { registry, backend, refs } = await fixture();
  const before = snapshotAll(refs);
  const counts = entryCounts(registry);
  const report = await applySafely(registry, input);
  const elements: unknown[] = Array.isArray(input) ? Array.from(input as unknown[]) : [input];
  const junk = elements.filter((element) => !hasKnownOp(element));
  if (junk.length === elements.length) {
    expect(report.applied).toEqual([]);
    expect(backend.count()).toBe(0);
    expect(snapshotAll(refs)).toEqual(before);
  }
  const rejected = report.rejected.map((r) => r.directive);
  for (const element of junk) expect(rejected.some((d) => Object.is(d, element))).toBe(true);
  expect(entryCounts(registry)).toEqual(counts);
  expectNoPollution();
}

withFakeClock();

// ── Arbitrary input ──────────────────────────────────────────────────────────

const keys = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'op',
    'name',
    'id',
    'params',
    'targets',
    'result',
    'kind',
  ),
);
const anything = fc.anything({
  key: keys,
  maxDepth: 3,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withDate: true,
  withBigInt: true,
});

describe('arbitrary values', () => {
  test.prop([anything], { numRuns: 150 })(
    'fc.anything() as the whole input is rejected harmlessly',
    (input) => expectJunkRejected(input),
  );

  test.prop([fc.array(anything, { maxLength: 8 })], { numRuns: 150 })(
    'arrays of fc.anything() are rejected element by element',
    (input) => expectJunkRejected(input),
  );

  test.prop([fc.jsonValue()], { numRuns: 150 })(
    'fc.jsonValue() as the whole input is rejected harmlessly',
    (input) => expectJunkRejected(input),
  );

  test.prop([fc.array(fc.jsonValue(), { maxLength: 8 })], { numRuns: 150 })(
    'arrays of fc.jsonValue(), as parsed from the wire, are rejected element by element',
    (input) => expectJunkRejected(JSON.parse(JSON.stringify(input))),
  );
});

// ── Near-valid directives: one field broken ──────────────────────────────────

interface Valid {
  readonly wire: Directive;
  readonly targets: readonly string[];
}

const VALID: ReadonlyArray<() => Valid> = [
  () => ({ wire: { op: 'refresh_item', name: 'todo', id: 1 }, targets: [itemKey('1')] }),
  () => ({ wire: { op: 'refresh_item', name: 'todo', id: '2', level: 'full' }, targets: [itemKey('2')] }),
  () => ({ wire: { op: 'refresh', kind: 'item', name: 'todo', id: 99 }, targets: [] }),
  () => ({
    wire: { op: 'refresh_collection', name: 'todos', params: { page: 2 } },
    targets: [collectionKey({ page: 2 })],
  }),
  () => ({
    wire: {
      op: 'invalidate',
      kind: 'collection',
      name: 'todos',
      params: { tag: 'x' },
      params_mode: 'contains',
    },
    targets: [collectionKey({ page: 1, tag: 'x' })],
  }),
  () => ({ wire: { op: 'refresh_collection', name: 'todos', params: { page: 7 } }, targets: [] }),
  () => ({ wire: { op: 'refresh_item', name: 'ghost', id: 1 }, targets: [] }),
];

interface Broken {
  readonly wire: unknown;
  /** What the report's rejection names: the broken directive itself, or the part of it that is malformed. */
  readonly rejects: unknown;
  readonly label: string;
}

interface Breaker {
  readonly label: string;
  apply(directive: Bag): void;
}

const set = (field: string, label: string, value: () => unknown): Breaker => ({
  label: `${field} = ${label}`,
  apply: (directive) => {
    directive[field] = value();
  },
});

const drop = (field: string): Breaker => ({
  label: `no ${field}`,
  apply: (directive) => {
    delete directive[field];
  },
});

function circular(): Bag {
  const value: Bag = { page: 1 };
  value.self = value;
  return value;
}

class ParamsClass {
  page = 1;
}

const COMMON: readonly Breaker[] = [
  drop('op'),
  set('op', 'unknown', () => 'refresh_items'),
  set('op', 'upper case', () => 'REFRESH_ITEM'),
  set('op', 'number', () => 42),
  set('op', 'null', () => null),
  set('op', 'array', () => ['refresh_item']),
  drop('name'),
  set('name', 'empty', () => ''),
  set('name', 'number', () => 42),
  set('name', 'object', () => ({})),
  set('name', 'array', () => ['todo']),
  set('idempotency_key', 'object', () => ({})),
  set('idempotency_key', 'array', () => []),
  set('idempotency_key', 'boolean', () => true),
  set('idempotency_key', 'NaN', () => Number.NaN),
];

const ITEM: readonly Breaker[] = [
  drop('id'),
  set('id', 'empty', () => ''),
  set('id', 'NaN', () => Number.NaN),
  set('id', 'Infinity', () => Number.POSITIVE_INFINITY),
  set('id', 'object', () => ({})),
  set('id', 'object with toString', () => ({ toString: () => '1' })),
  set('id', 'array', () => [1]),
  set('id', 'boolean', () => true),
  set('id', 'null', () => null),
  set('level', 'number', () => 5),
  set('level', 'object', () => ({})),
  set('level', 'array', () => ['full']),
  set('level', 'boolean', () => true),
  set('result', 'string', () => 'x'),
  set('result', 'number', () => 5),
  set('result', 'array', () => []),
  set('result', 'empty object', () => ({})),
  set('result', 'data and levels', () => ({ data: {}, levels: { default: {} } })),
  set('result', 'levels array', () => ({ levels: [] })),
  set('result', 'empty levels', () => ({ levels: {} })),
  set('result', 'levels number', () => ({ levels: 5 })),
  set('result', 'level number', () => ({ level: 5, data: {} })),
];

const COLLECTION: readonly Breaker[] = [
  set('params', 'array', () => [1]),
  set('params', 'string', () => 'page=1'),
  set('params', 'number', () => 5),
  set('params', 'boolean', () => true),
  set('params', 'Date', () => new Date(0)),
  set('params', 'Map', () => new Map([['page', 1]])),
  set('params', 'inherited fields', () => Object.create({ page: 1 })),
  set('params', 'class instance', () => new ParamsClass()),
  set('params', 'circular', circular),
  set('params', 'bigint inside', () => ({ page: 1n })),
  set('params_mode', 'unknown', () => 'fuzzy'),
  set('params_mode', 'number', () => 1),
  set('params_mode', 'boolean', () => true),
  set('result', 'string', () => 'x'),
  set('result', 'array', () => []),
  set('result', 'empty object', () => ({})),
  set('result', 'ids string', () => ({ ids: 'x' })),
  set('result', 'negative count', () => ({ ids: [], count: -1 })),
  set('result', 'count string', () => ({ ids: [], count: 'many' })),
  set('result', 'count NaN', () => ({ ids: [], count: Number.NaN })),
  set('result', 'items number', () => ({ items: 5 })),
  set('result', 'item without id', () => ({ items: [{}] })),
];

const DIALECT_B: readonly Breaker[] = [
  set('kind', 'unknown', () => 'items'),
  set('kind', 'number', () => 5),
  drop('kind'),
];

interface Base {
  readonly make: () => Bag;
  readonly breakers: readonly Breaker[];
}

const BASES: readonly Base[] = [
  { make: () => ({ op: 'refresh_item', name: 'todo', id: 1 }), breakers: [...COMMON, ...ITEM] },
  { make: () => ({ op: 'refresh_item', name: 'ghost', id: 1 }), breakers: [...COMMON, ...ITEM] },
  {
    make: () => ({ op: 'refresh', kind: 'item', name: 'todo', id: 2, level: 'full' }),
    breakers: [...COMMON, ...ITEM, ...DIALECT_B],
  },
  {
    make: () => ({ op: 'refresh_collection', name: 'todos', params: { page: 2 } }),
    breakers: [...COMMON, ...COLLECTION],
  },
  {
    make: () => ({
      op: 'invalidate',
      kind: 'collection',
      name: 'todos',
      params: { page: 1 },
      params_mode: 'contains',
    }),
    breakers: [...COMMON, ...COLLECTION, ...DIALECT_B],
  },
  {
    make: () => ({ op: 'refresh_collection', name: 'ghosts' }),
    breakers: [...COMMON, ...COLLECTION],
  },
];

const brokenField: fc.Arbitrary<() => Broken> = fc
  .constantFrom(...BASES)
  .chain((base) => fc.constantFrom(...base.breakers).map((breaker) => ({ base, breaker })))
  .map(({ base, breaker }) => () => {
    const wire = base.make();
    breaker.apply(wire);
    return { wire, rejects: wire, label: `${String(base.make().op)}/${breaker.label}` };
  });

function nest(depth: number, leaf: Bag): { outer: Bag; innermost: Bag } {
  let innermost = leaf;
  let outer = leaf;
  for (let level = 0; level < depth; level++) {
    outer = { op: 'invalidate', targets: [outer] };
    if (level === 0) innermost = outer;
  }
  return { outer, innermost };
}

function throwing(): never {
  throw new Error('hostile');
}

const SHAPES: ReadonlyArray<() => Broken> = [
  ...['x', 5, {}, true].map((targets) => () => {
    const wire = { op: 'invalidate', targets };
    return { wire, rejects: wire, label: `targets ${typeof targets}` };
  }),
  () => {
    const wire = { op: 'invalidate', targets: null };
    return { wire, rejects: wire, label: 'targets null and no kind' };
  },
  () => {
    const { outer, innermost } = nest(9, { op: 'refresh_item', name: 'todo', id: 1 });
    return { wire: outer, rejects: innermost, label: 'nested nine deep' };
  },
  () => {
    const broken = { op: 'refresh_item', name: 'todo' };
    const wire = { op: 'invalidate', targets: [{ op: 'refresh_item', name: 'todo', id: 99 }, broken] };
    return { wire, rejects: broken, label: 'a broken target inside a group' };
  },
  ...['yes', 1, {}].map((hard) => () => {
    const wire = { op: 'force_reload_page', hard };
    return { wire, rejects: wire, label: `hard ${typeof hard}` };
  }),
  ...[5, 'refresh_item', null, undefined, true, 1n, Symbol('directive'), () => ({})].map((wire) => () => ({
    wire,
    rejects: wire,
    label: `not an object: ${typeof wire}`,
  })),
  () => {
    const wire = [{ op: 'refresh_item', name: 'todo', id: 1 }];
    return { wire, rejects: wire, label: 'an array inside the list' };
  },
  () => {
    const wire = {
      get op(): string {
        return throwing();
      },
    };
    return { wire, rejects: wire, label: 'op getter throws' };
  },
  () => {
    const wire = {
      op: 'refresh_collection',
      name: 'todos',
      get params(): unknown {
        return throwing();
      },
    };
    return { wire, rejects: wire, label: 'params getter throws' };
  },
  () => {
    const wire = new Proxy(
      { op: 'refresh_item', name: 'todo', id: 1 },
      { getOwnPropertyDescriptor: throwing },
    );
    return { wire, rejects: wire, label: 'proxy that hides its fields' };
  },
  () => {
    const { proxy, revoke } = Proxy.revocable({ op: 'refresh_item', name: 'todo', id: 1 }, {});
    revoke();
    return { wire: proxy, rejects: proxy, label: 'revoked proxy' };
  },
  () => {
    const params = new Proxy({ page: 1 }, { getPrototypeOf: throwing });
    const wire = { op: 'refresh_collection', name: 'todos', params };
    return { wire, rejects: wire, label: 'params proxy with a hostile prototype' };
  },
];

const broken: fc.Arbitrary<() => Broken> = fc.oneof(
  { arbitrary: brokenField, weight: 4 },
  { arbitrary: fc.constantFrom(...SHAPES), weight: 1 },
);

type Slot = { kind: 'valid'; make: () => Valid } | { kind: 'broken'; make: () => Broken };

const batch: fc.Arbitrary<Slot[]> = fc.array(
  fc.oneof(
    fc.constantFrom(...VALID).map((make): Slot => ({ kind: 'valid', make })),
    broken.map((make): Slot => ({ kind: 'broken', make })),
  ),
  { minLength: 1, maxLength: 10 },
);

describe('near-valid directives', () => {
  test.prop([batch], { numRuns: 250 })(
    'every broken directive is rejected with a reason; the valid ones apply; untouched entries stay as they were',
    async (slots) => {
      const { registry, backend, refs } = await fixture();
      const valid: Valid[] = [];
      const bad: Broken[] = [];
      const wire = slots.map((slot) => {
        if (slot.kind === 'valid') {
          const made = slot.make();
          valid.push(made);
          return made.wire;
        }
        const made = slot.make();
        bad.push(made);
        return made.wire;
      });
      const before = snapshotAll(refs);
      const counts = entryCounts(registry);

      const report = await applySafely(registry, wire);

      expectSameMembers(
        report.rejected.map((r) => r.directive),
        bad.map((b) => b.rejects),
      );
      // A valid target inside a group with a broken sibling is applied (it targets nothing cached).
      const groupedTargets = bad.filter((b) => b.label === 'a broken target inside a group').length;
      expect(report.applied.length + report.skipped.length).toBe(valid.length + groupedTargets);
      expectSameMembers(
        [...report.applied, ...report.skipped.map((s) => s.directive)].filter((d) =>
          valid.some((v) => v.wire === d),
        ),
        valid.map((v) => v.wire),
      );

      const targeted = new Set(valid.flatMap((v) => v.targets));
      const after = snapshotAll(refs);
      for (const [key, snapshot] of before) {
        if (!targeted.has(key)) expect(after.get(key), key).toEqual(snapshot);
      }
      for (const call of backend.itemCalls()) expect(targeted.has(itemKey(call.id))).toBe(true);
      for (const call of backend.collectionCalls())
        expect(targeted.has(collectionKey(call.params))).toBe(true);
      expect(entryCounts(registry)).toEqual(counts);
      expectNoPollution();
    },
  );

  it('a malformed directive is rejected whatever it names (shape is checked before names)', async () => {
    const { registry } = await fixture();
    const directive = { op: 'refresh_item', name: 'ghost', id: {} };
    const report = await applySafely(registry, [directive]);
    expect(report.skipped).toEqual([]);
    expect(report.rejected).toEqual([{ directive, reason: expect.stringMatching(/id/) }]);
  });

  it.each(
    BASES.flatMap((base) =>
      base.breakers.map(
        (breaker) =>
          [`${String(base.make().op)} ${String(base.make().name)}: ${breaker.label}`, base, breaker] as const,
      ),
    ),
  )('rejects %s', async (_, base, breaker) => {
    const { registry, backend } = await fixture();
    const directive = base.make();
    breaker.apply(directive);
    const report = await applySafely(registry, [directive, { op: 'refresh_item', name: 'todo', id: 1 }]);
    expect(report.rejected).toEqual([{ directive, reason: expect.any(String) }]);
    expect(report.applied).toEqual([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
  });

  it.each(SHAPES.map((make) => [make().label, make] as const))('rejects %s', async (_, make) => {
    const { registry } = await fixture();
    const bad = make();
    const report = await applySafely(registry, [bad.wire]);
    expectSameMembers(
      report.rejected.map((r) => r.directive),
      [bad.rejects],
    );
  });
});

// ── Prototype pollution ──────────────────────────────────────────────────────

const POISON: readonly string[] = [
  '{"op":"refresh_item","name":"todo","id":1,"__proto__":{"polluted":"yes"}}',
  '{"op":"refresh_item","name":"todo","id":1,"result":{"data":{"__proto__":{"polluted":"yes"}}}}',
  '{"op":"refresh_item","name":"todo","id":1,"result":{"levels":{"__proto__":{"polluted":"yes"}}}}',
  '{"op":"refresh_item","name":"todo","id":1,"result":{"levels":{"default":{"data":{"__proto__":{"polluted":"yes"}},"ts":1}}}}',
  '{"op":"refresh_collection","name":"todos","params":{"__proto__":{"polluted":"yes"}}}',
  '{"op":"refresh_collection","name":"todos","params":{"__proto__":{"polluted":"yes"}},"params_mode":"contains"}',
  '{"op":"refresh_collection","name":"todos","params":{"page":1},"result":{"ids":[1],"meta":{"__proto__":{"polluted":"yes"}}}}',
  '{"op":"refresh_collection","name":"todos","params":{"constructor":{"prototype":{"polluted":"yes"}}}}',
  '{"op":"invalidate","targets":[{"op":"refresh_item","name":"__proto__","id":"polluted"}],"__proto__":{"polluted":"yes"}}',
  '{"op":"refresh_item","name":"constructor","id":"prototype","level":"__proto__"}',
  '{"op":"refresh_collection","name":"__proto__","params":{"polluted":"yes"}}',
  '{"op":"refresh_item","name":"todo","id":"__proto__"}',
];

describe('prototype pollution', () => {
  test.prop([fc.array(fc.constantFrom(...POISON), { minLength: 1, maxLength: 6 })], { numRuns: 60 })(
    'no directive payload reaches Object.prototype',
    async (payloads) => {
      const { registry } = await fixture();
      const report = await applySafely(
        registry,
        payloads.map((payload) => JSON.parse(payload) as unknown),
      );
      expect(report.applied.length + report.skipped.length + report.rejected.length).toBeGreaterThanOrEqual(
        payloads.length,
      );
      expectNoPollution();
    },
  );

  it('a result carrying __proto__ keeps it as data of the item', async () => {
    const { registry, refs } = await fixture();
    await applySafely(registry, [JSON.parse(POISON[1]!) as unknown]);
    const data = refs.get(itemKey('1'))?.getSnapshot().data as Bag;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(data.polluted).toBeUndefined();
    expectNoPollution();
  });
});
