// Minimality of a directive burst (SPEC §3 "Directives", "Levels", "Bulk"): the fewest fetches, grouped in bulk.
import { fc, test } from '@fast-check/vitest';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { Directive, LevelConfig, Params, Registry } from '../src/index';
import { Backend, settle, testRegistry, WINDOW_MS } from './support/directive-fixtures';

const RESYNC_WINDOW_MS = 1_000;
const STALENESS_MS = 600_000;
const EXTRA_LEVELS = ['l1', 'l2', 'l3'] as const;
const UNCACHED_ID = '99';

type Activity = 'subscribed' | 'recent' | 'passive';

interface ItemSpec {
  readonly id: string;
  readonly reads: readonly string[];
  readonly activity: Activity;
}

interface TypeSpec {
  readonly name: string;
  readonly levels: readonly string[];
  readonly edges: ReadonlyArray<readonly [string, string]>;
  readonly typeBulk: boolean;
  /** Levels (other than default) with a bulkFetch of their own. */
  readonly ownBulk: readonly string[];
  readonly items: readonly ItemSpec[];
}

interface CollectionEntrySpec {
  readonly params: Params | null;
  readonly activity: Activity;
}

interface CollectionSpec {
  readonly name: string;
  readonly entries: readonly CollectionEntrySpec[];
}

interface World {
  readonly types: readonly TypeSpec[];
  readonly collections: readonly CollectionSpec[];
  readonly maxBatchSize: number;
}

/** What the test knows about one leaf directive, to compute the expected cost on its own. */
type Leaf =
  | {
      readonly kind: 'item';
      readonly type: string;
      readonly id: string;
      readonly level: string | null;
      readonly resultLevels: readonly string[] | null;
    }
  | {
      readonly kind: 'collection';
      readonly name: string;
      /** undefined: no params field at all. */
      readonly params: Params | null | undefined;
      readonly mode: 'exact' | 'contains';
      readonly hasResult: boolean;
    }
  | { readonly kind: 'unknown' };

interface Generated {
  readonly wire: Directive;
  readonly leaves: readonly Leaf[];
}

const PARAM_POOL: ReadonlyArray<Params | null> = [
  null,
  { p: 1 },
  { p: 2 },
  { p: 1, f: { a: 1 } },
  { f: { a: 1 } },
  { f: { a: 2, b: [1, 2] } },
];

/** Filters a directive may carry: cached param sets, parts of them, and sets nobody cached. */
const FILTER_POOL: ReadonlyArray<Params> = [
  {},
  { p: 1 },
  { p: 2 },
  { p: 3 },
  { f: { a: 1 } },
  { f: { b: [1, 2], a: 2 } },
  { f: { a: 2 } },
  { f: { a: 1 }, p: 1 },
];

const activity = fc.constantFrom<Activity>('subscribed', 'recent', 'passive');

function typeSpec(name: string): fc.Arbitrary<TypeSpec> {
  return fc.subarray([...EXTRA_LEVELS]).chain((extra) => {
    const levels = ['default', ...extra];
    const pairs = levels.flatMap((from) =>
      levels.filter((to) => to !== from).map((to) => [from, to] as const),
    );
    return fc.record({
      name: fc.constant(name),
      levels: fc.constant(levels),
      edges: fc.shuffledSubarray(pairs, { maxLength: Math.min(5, pairs.length) }),
      typeBulk: fc.boolean(),
      ownBulk: fc.subarray(extra),
      items: fc.uniqueArray(
        fc.record({
          id: fc.integer({ min: 1, max: 8 }).map(String),
          reads: fc.subarray(levels, { minLength: 1 }),
          activity,
        }),
        { minLength: 1, maxLength: 6, selector: (item) => item.id },
      ),
    });
  });
}

function collectionSpec(name: string): fc.Arbitrary<CollectionSpec> {
  return fc.record({
    name: fc.constant(name),
    entries: fc
      .uniqueArray(fc.record({ index: fc.nat(PARAM_POOL.length - 1), activity }), {
        maxLength: PARAM_POOL.length,
        selector: (entry) => entry.index,
      })
      .map((entries) =>
        entries.map(({ index, activity }) => ({ params: PARAM_POOL[index] ?? null, activity })),
      ),
  });
}

const world: fc.Arbitrary<World> = fc.record({
  types: fc
    .integer({ min: 1, max: 2 })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => typeSpec(`type${index}`)))),
  collections: fc.tuple(collectionSpec('col0'), collectionSpec('col1')),
  maxBatchSize: fc.integer({ min: 1, max: 4 }),
});

function itemDirective(type: TypeSpec): fc.Arbitrary<Generated> {
  const ids = [...type.items.map((item) => item.id), UNCACHED_ID];
  const levels = fc.constantFrom(...type.levels);
  const result = fc.option(
    fc.oneof(
      fc.constant({ form: 'data' as const, levels: ['default'] }),
      levels.map((level) => ({ form: 'level' as const, levels: [level] })),
      fc
        .subarray([...type.levels], { minLength: 1 })
        .map((chosen) => ({ form: 'levels' as const, levels: chosen })),
    ),
    { freq: 3 },
  );
  return fc
    .record({
      id: fc.constantFrom(...ids),
      numericId: fc.boolean(),
      level: fc.option(levels, { freq: 2 }),
      dialect: fc.constantFrom('A', 'refresh', 'invalidate'),
      result,
    })
    .map(({ id, numericId, level, dialect, result }) => {
      const wire: Record<string, unknown> =
        dialect === 'A'
          ? { op: 'refresh_item', name: type.name }
          : { op: dialect, kind: 'item', name: type.name };
      wire.id = numericId ? Number(id) : id;
      if (level !== null) wire.level = level;
      if (result !== null) {
        const data = (l: string) => ({ id, [l]: 'server' });
        const first = result.levels[0] ?? 'default';
        wire.result =
          result.form === 'data'
            ? { data: data('default') }
            : result.form === 'level'
              ? { level: first, data: data(first) }
              : { levels: Object.fromEntries(result.levels.map((l) => [l, data(l)])) };
      }
      const leaf: Leaf = { kind: 'item', type: type.name, id, level, resultLevels: result?.levels ?? null };
      return { wire, leaves: [leaf] };
    });
}

function collectionDirective(name: string): fc.Arbitrary<Generated> {
  const params = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constantFrom(...FILTER_POOL),
    fc.constantFrom(...PARAM_POOL.filter((p): p is Params => p !== null)),
  );
  return fc
    .record({
      params,
      mode: fc.constantFrom<'exact' | 'contains' | undefined>('exact', 'contains', undefined),
      hasResult: fc.boolean(),
      dialect: fc.constantFrom('A', 'refresh', 'invalidate'),
    })
    .map(({ params, mode, hasResult, dialect }) => {
      const wire: Record<string, unknown> =
        dialect === 'A' ? { op: 'refresh_collection', name } : { op: dialect, kind: 'collection', name };
      if (params !== undefined) wire.params = params;
      if (mode !== undefined) wire.params_mode = mode;
      if (hasResult) wire.result = { ids: ['s1', 's2'], count: 2, meta: { from: 'server' } };
      const leaf: Leaf = { kind: 'collection', name, params, mode: mode ?? 'exact', hasResult };
      return { wire, leaves: [leaf] };
    });
}

const unknownDirective: fc.Arbitrary<Generated> = fc
  .constantFrom<Directive>(
    { op: 'refresh_item', name: 'ghost', id: 1 },
    { op: 'refresh_collection', name: 'ghosts' },
  )
  .map((wire) => ({ wire, leaves: [{ kind: 'unknown' }] }));

function directive(w: World): fc.Arbitrary<Generated> {
  const leaf = fc.oneof(
    { arbitrary: fc.oneof(...w.types.map(itemDirective)), weight: 4 },
    { arbitrary: fc.oneof(...w.collections.map((c) => collectionDirective(c.name))), weight: 3 },
    { arbitrary: unknownDirective, weight: 1 },
  );
  const group = fc.array(leaf, { minLength: 1, maxLength: 3 }).map((targets) => ({
    wire: { op: 'invalidate', targets: targets.map((t) => t.wire) },
    leaves: targets.flatMap((t) => t.leaves),
  }));
  return fc.oneof({ arbitrary: leaf, weight: 4 }, { arbitrary: group, weight: 1 });
}

const scenario = world.chain((w) =>
  fc.tuple(
    fc.constant(w),
    fc.array(fc.array(directive(w), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  ),
);

// ── The independent model ────────────────────────────────────────────────────

function closure(type: TypeSpec, level: string): Set<string> {
  const seen = new Set([level]);
  const queue = [level];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const [from, to] of type.edges) {
      if (from === next && !seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

function covered(type: TypeSpec, chosen: Iterable<string>): Set<string> {
  const all = new Set<string>();
  for (const level of chosen) for (const reached of closure(type, level)) all.add(reached);
  return all;
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, index) =>
    subsets(items.slice(index + 1), size - 1).map((rest) => [item, ...rest]),
  );
}

/** The fewest levels whose closures cover `required`, by brute force. */
function minCover(type: TypeSpec, required: ReadonlySet<string>): number {
  if (required.size === 0) return 0;
  for (let size = 1; size <= type.levels.length; size++) {
    const found = subsets(type.levels, size).some((chosen) => {
      const reach = covered(type, chosen);
      return [...required].every((level) => reach.has(level));
    });
    if (found) return size;
  }
  throw new Error('every level covers itself, so a cover always exists');
}

/** Stable JSON with sorted keys: the test's own notion of "the same params". */
function canon(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canon(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function collectionMatches(leaf: Extract<Leaf, { kind: 'collection' }>, params: Params | null): boolean {
  if (leaf.params === undefined || leaf.params === null) return true;
  const held = params ?? {};
  if (leaf.mode === 'exact') return canon(leaf.params) === canon(held);
  return Object.entries(leaf.params).every(
    ([key, value]) => Object.hasOwn(held, key) && canon(held[key]) === canon(value),
  );
}

interface ItemExpectation {
  readonly type: TypeSpec;
  readonly item: ItemSpec;
  readonly touched: boolean;
  readonly required: ReadonlySet<string>;
  readonly fetches: number;
  readonly status: 'fresh' | 'stale';
}

function expectItems(w: World, leaves: readonly Leaf[]): ItemExpectation[] {
  return w.types.flatMap((type) =>
    type.items.map((item) => {
      const mine = leaves.filter(
        (leaf): leaf is Extract<Leaf, { kind: 'item' }> =>
          leaf.kind === 'item' && leaf.type === type.name && leaf.id === item.id,
      );
      const held = covered(type, item.reads);
      const wanted = new Set(held);
      const satisfied = new Set<string>();
      for (const leaf of mine) {
        if (leaf.level !== null) wanted.add(leaf.level);
        for (const level of leaf.resultLevels ?? []) {
          wanted.add(level);
          for (const reached of closure(type, level)) satisfied.add(reached);
        }
      }
      const required = new Set([...wanted].filter((level) => !satisfied.has(level)));
      const active = item.activity !== 'passive';
      const staleMarked = !active && [...held].some((level) => !satisfied.has(level));
      return {
        type,
        item,
        touched: mine.length > 0,
        required,
        fetches: mine.length > 0 && active ? minCover(type, required) : 0,
        status: mine.length > 0 && staleMarked ? 'stale' : 'fresh',
      };
    }),
  );
}

interface CollectionExpectation {
  readonly name: string;
  readonly entry: CollectionEntrySpec;
  readonly fetches: number;
  readonly status: 'fresh' | 'stale';
}

function expectCollections(w: World, leaves: readonly Leaf[]): CollectionExpectation[] {
  return w.collections.flatMap((collection) =>
    collection.entries.map((entry) => {
      const matching = leaves.filter(
        (leaf): leaf is Extract<Leaf, { kind: 'collection' }> =>
          leaf.kind === 'collection' &&
          leaf.name === collection.name &&
          collectionMatches(leaf, entry.params),
      );
      // A result fills the entry whose key the directive names exactly; no params names the default key.
      const satisfied = matching.some(
        (leaf) =>
          leaf.hasResult && leaf.mode === 'exact' && canon(leaf.params ?? {}) === canon(entry.params ?? {}),
      );
      const needed = matching.length > 0 && !satisfied;
      const active = entry.activity !== 'passive';
      return {
        name: collection.name,
        entry,
        fetches: needed && active ? 1 : 0,
        status: needed && !active ? 'stale' : 'fresh',
      };
    }),
  );
}

// ── The registry under test ──────────────────────────────────────────────────

function build(w: World, backend: Backend): Registry {
  const registry = testRegistry({
    stalenessMs: STALENESS_MS,
    bulk: { maxBatchSize: w.maxBatchSize },
    sse: { resyncWindowMs: RESYNC_WINDOW_MS },
  });
  for (const type of w.types) {
    const levels: Record<string, LevelConfig> = {};
    for (const level of type.levels.slice(1)) {
      levels[level] = {
        fetch: backend.itemFetcher(type.name),
        ...(type.ownBulk.includes(level) ? { bulkFetch: backend.bulkFetcher(type.name) } : {}),
      };
    }
    const map: Record<string, string[]> = {};
    for (const [from, to] of type.edges) (map[from] ??= []).push(to);
    registry.createType(type.name, {
      fetch: backend.itemFetcher(type.name),
      ...(type.typeBulk ? { bulkFetch: backend.bulkFetcher(type.name) } : {}),
      levelConversionMap: map,
      levels,
    });
  }
  for (const collection of w.collections) {
    registry.createCollection(collection.name, { fetch: backend.collectionFetcher(collection.name) });
  }
  return registry;
}

interface Watched {
  readonly meta: { readonly status: string };
}

/**
 * Fills the cache, lets it all fall out of the resync window, then makes the active entries active. Returns a ref
 * per entry, to watch its status without reading it again.
 */
async function primeCache(w: World, registry: Registry, backend: Backend): Promise<Map<string, Watched>> {
  const refs = new Map<string, Watched>();
  for (const type of w.types) {
    for (const item of type.items) {
      for (const level of item.reads)
        refs.set(`${type.name}|${item.id}`, registry.fetchItem(type.name, item.id, level));
    }
  }
  for (const collection of w.collections) {
    for (const entry of collection.entries) {
      const ref = registry.fetchCollection(collection.name, { params: entry.params });
      refs.set(`${collection.name}|${canon(entry.params ?? {})}`, ref);
    }
  }
  await vi.advanceTimersByTimeAsync(RESYNC_WINDOW_MS + 1);
  expect(registry.hasAnyInFlightRequests()).toBe(false);
  backend.reset();
  const activate = (activity: Activity, read: () => { subscribe(listener: () => void): () => void }) => {
    if (activity === 'recent') read();
    if (activity === 'subscribed') read().subscribe(() => {});
  };
  for (const type of w.types) {
    for (const item of type.items) {
      activate(item.activity, () => registry.fetchItem(type.name, item.id, item.reads[0]));
    }
  }
  for (const collection of w.collections) {
    for (const entry of collection.entries) {
      activate(entry.activity, () => registry.fetchCollection(collection.name, { params: entry.params }));
    }
  }
  expect(backend.count()).toBe(0);
  return refs;
}

let registry: Registry | undefined;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  registry?.dispose();
  registry = undefined;
  vi.useRealTimers();
});

test.prop([scenario], { numRuns: 300 })(
  'a burst costs one fetch per active entry touched (its minimal level plan for items), bulk-grouped by (type, level)',
  async ([w, calls]) => {
    const backend = new Backend();
    registry?.dispose();
    registry = build(w, backend);
    const refs = await primeCache(w, registry, backend);
    const counts = registry.state();

    // The burst: up to three applyDirectives calls, all within one window.
    const pending: Promise<unknown>[] = [];
    const step = Math.floor((WINDOW_MS - 1) / calls.length);
    for (const [index, call] of calls.entries()) {
      if (index > 0) await vi.advanceTimersByTimeAsync(step);
      pending.push(registry.applyDirectives(call.map((d) => d.wire)));
    }
    expect(backend.count()).toBe(0);
    await vi.advanceTimersByTimeAsync(WINDOW_MS - step * (calls.length - 1));
    // Directive refetches go out when the window closes, bulk calls included, without a second window.
    const atClose = backend.calls.length;
    await settle(Promise.all(pending));
    expect(backend.calls.length).toBe(atClose);

    const leaves = calls.flat().flatMap((d) => d.leaves);
    const items = expectItems(w, leaves);
    const collections = expectCollections(w, leaves);

    // Which levels each item entry was fetched at, through single and bulk calls alike.
    const fetched = new Map<string, string[]>();
    const note = (type: string, id: string, level: string) => {
      const key = `${type}|${id}`;
      fetched.set(key, [...(fetched.get(key) ?? []), level]);
    };
    for (const call of backend.itemCalls()) note(call.type, call.id, call.level);
    for (const call of backend.bulkCalls()) for (const id of call.ids) note(call.type, id, call.level);

    const expectedTotal =
      items.reduce((sum, item) => sum + item.fetches, 0) +
      collections.reduce((sum, collection) => sum + collection.fetches, 0);
    const actualTotal =
      [...fetched.values()].reduce((sum, levels) => sum + levels.length, 0) +
      backend.collectionCalls().length;
    expect(actualTotal).toBe(expectedTotal);

    for (const expected of items) {
      const levels = fetched.get(`${expected.type.name}|${expected.item.id}`) ?? [];
      expect(levels).toHaveLength(expected.fetches);
      expect(new Set(levels).size).toBe(levels.length);
      if (expected.fetches > 0) {
        const reach = covered(expected.type, levels);
        expect([...expected.required].every((level) => reach.has(level))).toBe(true);
      }
      expect(refs.get(`${expected.type.name}|${expected.item.id}`)?.meta.status).toBe(expected.status);
    }
    for (const type of w.types) {
      expect(fetched.has(`${type.name}|${UNCACHED_ID}`)).toBe(false);
    }

    // Bulk grouping: n refetches of one (type, level) with a bulkFetch are ceil(n / maxBatchSize) calls.
    for (const type of w.types) {
      for (const level of type.levels) {
        const ids = [...fetched.entries()]
          .filter(([key, levels]) => key.startsWith(`${type.name}|`) && levels.includes(level))
          .map(([key]) => key);
        const bulk = type.ownBulk.includes(level) || type.typeBulk;
        const bulkCalls = backend.bulkCalls(type.name).filter((call) => call.level === level);
        const singleCalls = backend.itemCalls(type.name).filter((call) => call.level === level);
        if (bulk) {
          expect(bulkCalls).toHaveLength(Math.ceil(ids.length / w.maxBatchSize));
          expect(bulkCalls.every((call) => call.ids.length <= w.maxBatchSize)).toBe(true);
          expect(singleCalls).toHaveLength(0);
        } else {
          expect(singleCalls).toHaveLength(ids.length);
          expect(bulkCalls).toHaveLength(0);
        }
      }
    }

    const collectionCalls = backend.collectionCalls();
    for (const expected of collections) {
      const made = collectionCalls.filter(
        (call) => call.name === expected.name && canon(call.params) === canon(expected.entry.params ?? {}),
      );
      expect(made).toHaveLength(expected.fetches);
      expect(refs.get(`${expected.name}|${canon(expected.entry.params ?? {})}`)?.meta.status).toBe(
        expected.status,
      );
    }

    // Directives never create entries.
    const after = registry.state();
    expect(Object.fromEntries(Object.entries(after.types).map(([n, t]) => [n, t.entries]))).toEqual(
      Object.fromEntries(Object.entries(counts.types).map(([n, t]) => [n, t.entries])),
    );
    expect(Object.fromEntries(Object.entries(after.collections).map(([n, c]) => [n, c.entries]))).toEqual(
      Object.fromEntries(Object.entries(counts.collections).map(([n, c]) => [n, c.entries])),
    );
  },
);
