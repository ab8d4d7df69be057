// Minimality of a directive burst (SPEC §3 "Directives", "Levels", "Bulk"): planBatch's rules on a plain fake
// cache (fast, many runs), then the same model end to end through a registry: fetch counts, bulk groups, statuses.
import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, vi } from 'vitest';
import type { Directive, LevelConfig, Params, Registry } from '../src/index';
import { normalizeDirectives } from '../src/protocol/directive';
import { buildLevelGraph, type LevelGraph } from '../src/registry/level-graph';
import { type BatchPlan, type CacheView, type PendingCall, planBatch } from '../src/registry/plan-batch';
import { withFakeClock } from './support/clock';
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
  /** Levels with a fetch in flight when the window closes (planBatch's worlds only). */
  readonly flying: readonly string[];
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
  readonly flying: boolean;
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

function typeSpec(name: string, inFlight: boolean): fc.Arbitrary<TypeSpec> {
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
          flying: inFlight ? fc.subarray(levels) : fc.constant([]),
        }),
        { minLength: 1, maxLength: 6, selector: (item) => item.id },
      ),
    });
  });
}

function collectionSpec(name: string, inFlight: boolean): fc.Arbitrary<CollectionSpec> {
  const flying = inFlight ? fc.boolean() : fc.constant(false);
  return fc.record({
    name: fc.constant(name),
    entries: fc
      .uniqueArray(fc.record({ index: fc.nat(PARAM_POOL.length - 1), activity, flying }), {
        maxLength: PARAM_POOL.length,
        selector: (entry) => entry.index,
      })
      .map((entries) =>
        entries.map(({ index, activity, flying }) => ({
          params: PARAM_POOL[index] ?? null,
          activity,
          flying,
        })),
      ),
  });
}

/** A cache to batch against; `inFlight` adds fetches in flight (planBatch only: a registry cannot hold them still). */
function world(inFlight: boolean): fc.Arbitrary<World> {
  return fc.record({
    types: fc
      .integer({ min: 1, max: 2 })
      .chain((count) =>
        fc.tuple(...Array.from({ length: count }, (_, index) => typeSpec(`type${index}`, inFlight))),
      ),
    collections: fc.tuple(collectionSpec('col0', inFlight), collectionSpec('col1', inFlight)),
    maxBatchSize: fc.integer({ min: 1, max: 4 }),
  });
}

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

function scenario(inFlight: boolean) {
  return world(inFlight).chain((w) =>
    fc.tuple(
      fc.constant(w),
      fc.array(fc.array(directive(w), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
    ),
  );
}

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
  /** Required levels with a fetch in flight: each owes its own trailing fetch, active or not. */
  readonly flying: ReadonlySet<string>;
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
      const held = new Set([...covered(type, item.reads), ...item.flying]);
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
      const flying = new Set(item.flying.filter((level) => required.has(level)));
      const reach = covered(type, flying);
      const rest = new Set([...required].filter((level) => !reach.has(level)));
      const active = item.activity !== 'passive';
      const staleMarked = !active && [...held].some((level) => !satisfied.has(level));
      return {
        type,
        item,
        touched: mine.length > 0,
        required,
        flying: mine.length > 0 ? flying : new Set<string>(),
        fetches: mine.length > 0 && active ? flying.size + minCover(type, rest) : 0,
        status: mine.length > 0 && staleMarked ? 'stale' : 'fresh',
      };
    }),
  );
}

interface CollectionExpectation {
  readonly name: string;
  readonly entry: CollectionEntrySpec;
  /** Whether a directive wants it refetched (matched, and no result filled it). */
  readonly needed: boolean;
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
        needed,
        fetches: needed && active ? 1 : 0,
        status: needed && !active ? 'stale' : 'fresh',
      };
    }),
  );
}

// ── planBatch on a plain fake cache ──────────────────────────────────────────

interface FakeEntry {
  readonly label: string;
  readonly graph: LevelGraph | null;
  readonly held: readonly string[];
  readonly flying: ReadonlySet<string>;
  readonly active: boolean;
  readonly params: Params | null;
}

const itemLabel = (type: string, id: string) => `${type}|${id}`;
const collectionLabel = (name: string, params: Params | null) => `${name}|${canon(params ?? {})}`;

function graphOf(type: TypeSpec): LevelGraph {
  const map: Record<string, string[]> = {};
  for (const [from, to] of type.edges) (map[from] ??= []).push(to);
  return buildLevelGraph({
    levelConversionMap: map,
    levels: Object.fromEntries(type.levels.slice(1).map((level) => [level, {}])),
  });
}

/** The world as a read-only cache view: what a registry holding it would answer. */
function fakeCache(w: World, seen: ReadonlySet<string> = new Set()) {
  const entries = new Map<string, FakeEntry>();
  const graphs = new Map<string, LevelGraph>();
  for (const type of w.types) {
    const graph = graphOf(type);
    graphs.set(type.name, graph);
    for (const item of type.items) {
      entries.set(itemLabel(type.name, item.id), {
        label: itemLabel(type.name, item.id),
        graph,
        held: [...new Set([...covered(type, item.reads), ...item.flying])],
        flying: new Set(item.flying),
        active: item.activity !== 'passive',
        params: null,
      });
    }
  }
  for (const collection of w.collections) {
    for (const entry of collection.entries) {
      const label = collectionLabel(collection.name, entry.params);
      entries.set(label, {
        label,
        graph: null,
        held: ['default'],
        flying: new Set(entry.flying ? ['default'] : []),
        active: entry.activity !== 'passive',
        params: entry.params,
      });
    }
  }
  const named = (name: string) => [...entries.values()].filter((e) => e.label.startsWith(`${name}|`));
  const view: CacheView<FakeEntry> = {
    type: (name) => {
      const graph = graphs.get(name);
      if (!graph) return undefined;
      return { graph, entry: (id) => entries.get(itemLabel(name, id)), refuse: () => undefined };
    },
    collection: (name) => {
      if (!w.collections.some((collection) => collection.name === name)) return undefined;
      return {
        entry: (params) => entries.get(collectionLabel(name, params as Params)),
        entries: () => named(name),
        params: (entry) => entry.params,
        refuse: () => undefined,
      };
    },
    everyEntry: () => entries.values(),
    graphOf: (entry) => entry.graph,
    heldLevels: (entry) => entry.held,
    isInFlight: (entry, level) => entry.flying.has(level),
    isActive: (entry) => entry.active,
    seen: (key) => seen.has(key),
  };
  return { view, entries };
}

function pendingOf(calls: readonly (readonly Generated[])[], guard = true): PendingCall[] {
  return calls.map((call) => {
    const { directives, rejected } = normalizeDirectives(
      call.map((d) => d.wire),
      { maxDirectivesPerBatch: 1_000 },
    );
    expect(rejected).toEqual([]);
    return { directives, guard };
  });
}

/** Each entry's one refetch and one stale mark, if any (and proof there is never a second). */
function stepsByEntry(plan: BatchPlan<FakeEntry>) {
  const refetch = new Map<string, { levels: readonly string[]; mode: string }>();
  const stale = new Map<string, readonly string[]>();
  for (const step of plan.refetch) {
    expect(refetch.has(step.entry.label), `a second refetch plan for ${step.entry.label}`).toBe(false);
    expect(step.levels.length).toBeGreaterThan(0);
    refetch.set(step.entry.label, step);
  }
  for (const step of plan.markStale) {
    expect(stale.has(step.entry.label), `a second stale mark for ${step.entry.label}`).toBe(false);
    expect(step.levels.length).toBeGreaterThan(0);
    stale.set(step.entry.label, step.levels);
  }
  return { refetch, stale };
}

const sorted = (levels: Iterable<string>) => [...levels].sort();

describe('planBatch', () => {
  test.prop([scenario(true)], { numRuns: 300 })(
    'at most one plan per entry: active entries refetch their minimal cover (levels in flight first), passive ones are marked stale',
    ([w, calls]) => {
      const { view } = fakeCache(w);
      const plan = planBatch({ calls: pendingOf(calls), resync: false }, view, 1_000);
      const { refetch, stale } = stepsByEntry(plan);
      const leaves = calls.flat().flatMap((d) => d.leaves);

      for (const expected of expectItems(w, leaves)) {
        const label = itemLabel(expected.type.name, expected.item.id);
        const planned = refetch.get(label);
        if (!expected.touched || expected.required.size === 0) {
          expect(planned).toBeUndefined();
          expect(stale.get(label)).toBeUndefined();
          continue;
        }
        if (expected.item.activity !== 'passive') {
          expect(stale.get(label)).toBeUndefined();
          expect(planned?.mode).toBe('directive');
          const levels = planned?.levels ?? [];
          expect(levels).toHaveLength(expected.fetches);
          expect(new Set(levels).size).toBe(levels.length);
          // A level in flight gets its own trailing fetch: its answer may predate the change.
          expect(sorted(levels.slice(0, expected.flying.size))).toEqual(sorted(expected.flying));
          const reach = covered(expected.type, levels);
          expect([...expected.required].every((level) => reach.has(level))).toBe(true);
        } else {
          const flying = [...expected.required].filter((level) => expected.flying.has(level));
          const idle = [...expected.required].filter((level) => !expected.flying.has(level));
          expect(sorted(planned?.levels ?? [])).toEqual(sorted(flying));
          expect(sorted(stale.get(label) ?? [])).toEqual(sorted(idle));
        }
      }

      for (const expected of expectCollections(w, leaves)) {
        const label = collectionLabel(expected.name, expected.entry.params);
        const active = expected.entry.activity !== 'passive';
        const refetched = expected.needed && (active || expected.entry.flying);
        expect(refetch.get(label)?.levels).toEqual(refetched ? ['default'] : undefined);
        expect(stale.get(label)).toEqual(expected.needed && !refetched ? ['default'] : undefined);
      }
    },
  );

  test.prop([scenario(true)], { numRuns: 300 })(
    'results come first, in directive order, only for cached entries; every directive has one outcome in order',
    ([w, calls]) => {
      const { view } = fakeCache(w);
      const pending = pendingOf(calls);
      const plan = planBatch({ calls: pending, resync: false }, view, 1_000);
      const leaves = calls.map((call) => call.flatMap((d) => d.leaves));

      // One outcome per (flattened) directive, call by call; unknown names are skipped with a reason.
      const outcomes = plan.report.outcomes;
      expect(outcomes.map((o) => o.call)).toEqual(leaves.flatMap((call, index) => call.map(() => index)));
      expect(outcomes.map((o) => o.applied)).toEqual(leaves.flat().map((leaf) => leaf.kind !== 'unknown'));
      for (const outcome of outcomes) {
        if (!outcome.applied) expect(outcome.reason).toMatch(/^unknown (type|collection) 'ghosts?'$/);
      }

      // Results: one step per directive whose result lands on a cached entry, in directive order.
      const expected: string[] = [];
      for (const leaf of leaves.flat()) {
        if (leaf.kind === 'item' && leaf.resultLevels !== null) {
          const item = w.types.find((t) => t.name === leaf.type)?.items.find((i) => i.id === leaf.id);
          if (item) expected.push(itemLabel(leaf.type, leaf.id));
        }
        if (leaf.kind === 'collection' && leaf.hasResult && leaf.mode === 'exact') {
          const params = leaf.params ?? {};
          const collection = w.collections.find((c) => c.name === leaf.name)!;
          const entry = collection.entries.find((e) => canon(e.params ?? {}) === canon(params));
          if (entry) expected.push(collectionLabel(leaf.name, entry.params));
        }
      }
      expect(plan.results.map((step) => step.entry.label)).toEqual(expected);
      const order = plan.results.map((step) => step.outcome);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      for (const step of plan.results) expect(outcomes[step.outcome]?.applied).toBe(true);

      // Each call waits for exactly the entries its directives reached; uncached ids reach none.
      for (const [index, call] of leaves.entries()) {
        const reached = new Set<string>();
        for (const leaf of call) {
          if (leaf.kind === 'item') {
            const item = w.types.find((t) => t.name === leaf.type)?.items.find((i) => i.id === leaf.id);
            if (item) reached.add(itemLabel(leaf.type, leaf.id));
          }
          if (leaf.kind === 'collection') {
            for (const entry of w.collections.find((c) => c.name === leaf.name)!.entries) {
              if (collectionMatches(leaf, entry.params))
                reached.add(collectionLabel(leaf.name, entry.params));
            }
          }
        }
        expect(sorted(plan.report.touched[index]!.map((entry) => entry.label))).toEqual(sorted(reached));
      }
    },
  );

  test.prop([world(true), fc.boolean()], { numRuns: 200 })(
    'a resync plans every entry once: active ones refetch what they hold, passive ones are marked stale',
    (w, withDirective) => {
      const { view, entries } = fakeCache(w);
      const first = w.types[0]!.items[0]!;
      const calls = withDirective
        ? [
            {
              directives: normalizeDirectives(
                [{ op: 'refresh_item', name: w.types[0]!.name, id: first.id }],
                {
                  maxDirectivesPerBatch: 10,
                },
              ).directives,
              guard: true,
            },
          ]
        : [];
      const plan = planBatch({ calls, resync: true }, view, 1_000);
      const { refetch, stale } = stepsByEntry(plan);
      expect(sorted(plan.report.resynced.map((entry) => entry.label))).toEqual(sorted(entries.keys()));
      for (const entry of entries.values()) {
        const planned = refetch.get(entry.label);
        const directed = withDirective && entry.label === itemLabel(w.types[0]!.name, first.id);
        if (planned) expect(planned.mode).toBe(directed ? 'directive' : 'resync');
        if (entry.active) {
          expect(stale.get(entry.label)).toBeUndefined();
          const reach = new Set(
            (planned?.levels ?? []).flatMap((level) => [level, ...(entry.graph?.satisfies(level) ?? [])]),
          );
          expect(entry.held.every((level) => reach.has(level))).toBe(true);
        } else {
          expect(sorted(planned?.levels ?? [])).toEqual(
            sorted(entry.held.filter((l) => entry.flying.has(l))),
          );
          expect(sorted(stale.get(entry.label) ?? [])).toEqual(
            sorted(entry.held.filter((l) => !entry.flying.has(l))),
          );
        }
      }
    },
  );

  const KEYS = ['k1', 'k2', 'k3'] as const;
  const keyed = fc.record({
    key: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
    known: fc.boolean(),
  });

  test.prop(
    [
      fc.array(
        fc.record({ guard: fc.boolean(), directives: fc.array(keyed, { minLength: 1, maxLength: 4 }) }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      fc.subarray([...KEYS]),
    ],
    { numRuns: 300 },
  )('an idempotency key applies once: never when already seen, never twice in one batch', (calls, seen) => {
    const w: World = {
      types: [
        {
          name: 'type0',
          levels: ['default'],
          edges: [],
          typeBulk: false,
          ownBulk: [],
          items: [{ id: '1', reads: ['default'], activity: 'subscribed', flying: [] }],
        },
      ],
      collections: [],
      maxBatchSize: 1,
    };
    const { view } = fakeCache(w, new Set(seen));
    const pending = calls.map((call) => ({
      guard: call.guard,
      directives: normalizeDirectives(
        call.directives.map(({ key, known }) => ({
          op: 'refresh_item',
          name: known ? 'type0' : 'ghost',
          id: 1,
          ...(key ? { idempotency_key: key } : {}),
        })),
        { maxDirectivesPerBatch: 10 },
      ).directives,
    }));
    const plan = planBatch({ calls: pending, resync: false }, view, 1_000);

    const recorded = new Set<string>(seen);
    const remember: string[] = [];
    const applied: boolean[] = [];
    let repeats = 0;
    for (const call of calls) {
      for (const { key, known } of call.directives) {
        const guarded = call.guard && key !== undefined;
        if (guarded && recorded.has(key)) {
          applied.push(false);
          repeats++;
          continue;
        }
        applied.push(known);
        if (guarded && known) {
          recorded.add(key);
          remember.push(key);
        }
      }
    }
    expect(plan.report.outcomes.map((outcome) => outcome.applied)).toEqual(applied);
    expect(plan.report.remember).toEqual(remember);
    const skippedForKey = plan.report.outcomes.filter(
      (outcome) => !outcome.applied && /idempotency key/.test(outcome.reason),
    );
    expect(skippedForKey).toHaveLength(repeats);
  });
});

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

withFakeClock();

// One registry per generated world, disposed before the next one (a property runs many worlds in one test).
afterEach(() => {
  registry?.dispose();
  registry = undefined;
});

test.prop([scenario(false)], { numRuns: 40 })(
  'end to end: a burst costs one fetch per active entry touched (its minimal level plan for items), bulk-grouped by (type, level)',
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
  // The rules have their many runs on planBatch above; these worlds check the wiring (fetch counts, bulk groups,
  // statuses) and take a few seconds on 2 shared cores, so the default timeout would be too close under a full run.
  60_000,
);
