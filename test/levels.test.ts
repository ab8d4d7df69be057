// Contract: levels, conversions, checkIfExists, multi-level status and minimal refresh plans (SPEC §3 "Levels").
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import type { LevelConfig, LevelConversionMap, TypeConfig } from '../src/index';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import { controlledFetcher, countingFetcher, flush, makeRegistry } from './support/registry';

withFakeClock({ now: '2030-01-01T00:00:00.000Z' });

interface Invoice {
  id?: string;
  title?: string;
  description?: string;
  lines?: number[];
}

/** Seed 002's invoice: expanded contains everything; default and expanded both contain simplified. */
function invoiceType(fetch: TypeConfig<Invoice>['fetch']): TypeConfig<Invoice> {
  return {
    fetch,
    levelConversionMap: { expanded: true },
    levels: {
      simplified: {
        fetch,
        checkIfExists: (data) => (data as Invoice | null)?.title != null,
        levelConversionMap: { expanded: true, default: true },
      },
      expanded: { fetch, checkIfExists: (data) => (data as Invoice | null)?.description != null },
    },
  };
}

/** A registry with seed 002's invoice type, whose every fetch the test settles. */
function invoiceRegistry() {
  const registry = makeRegistry();
  const fetcher = controlledFetcher<Invoice>();
  registry.createType('invoice', invoiceType(fetcher.fetch));
  return { registry, fetcher };
}

describe('conversions', () => {
  it('a fetch of a level also stamps every level it converts into', async () => {
    const { registry, fetcher } = invoiceRegistry();
    const ref = registry.fetchItem('invoice', 1, 'expanded');

    fetcher.call(0).resolve({ title: 'T', description: 'D', lines: [1] });
    await flush();

    expect(Object.keys(ref.meta.levels).sort()).toEqual(['default', 'expanded', 'simplified']);
    for (const level of Object.values(ref.meta.levels)) {
      expect(level).toEqual({ lastFetched: '2030-01-01T00:00:00.000Z', isFetching: false, error: null });
    }
  });

  it('a read of a level satisfied by conversion does not fetch', async () => {
    const { registry, fetcher } = invoiceRegistry();
    registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(0).resolve({ title: 'T', description: 'D' });
    await flush();
    const events = recordLifecycle(registry, ['item:fetch:skip', 'item:fetch:intent']);

    const simplified = registry.fetchItem('invoice', 1, 'simplified');
    const plain = registry.fetchItem('invoice', 1);

    expect(fetcher.count).toBe(1);
    expect(events.names()).toEqual(['item:fetch:skip', 'item:fetch:skip']);
    expect(simplified.meta.status).toBe('fresh');
    expect(plain.data).toEqual({ title: 'T', description: 'D' });
  });

  it('conversions go one way: a fetch of the default level does not satisfy expanded', async () => {
    const { registry, fetcher } = invoiceRegistry();
    registry.fetchItem('invoice', 1);
    fetcher.call(0).resolve({ title: 'T' });
    await flush();

    registry.fetchItem('invoice', 1, 'simplified');
    expect(fetcher.count).toBe(1);
    registry.fetchItem('invoice', 1, 'expanded');
    expect(fetcher.count).toBe(2);
    expect(fetcher.call(1).level).toBe('expanded');
  });

  it("true in the type's map means the default level", async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      levelConversionMap: { full: true },
      levels: { full: { fetch: fetcher.fetch } },
    });
    registry.fetchItem('doc', 1, 'full');
    await flush();

    registry.fetchItem('doc', 1);

    expect(fetcher.count).toBe(1);
  });

  it("true in a level's own map means that level", async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      levels: {
        summary: { fetch: fetcher.fetch, levelConversionMap: { full: true } },
        full: { fetch: fetcher.fetch },
      },
    });
    const ref = registry.fetchItem('doc', 1, 'full');
    await flush();
    expect(Object.keys(ref.meta.levels).sort()).toEqual(['full', 'summary']);

    registry.fetchItem('doc', 1, 'summary');
    expect(fetcher.count).toBe(1);
    registry.fetchItem('doc', 1);
    expect(fetcher.count).toBe(2);
  });

  it('conversions are transitive', async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      levelConversionMap: { a: ['b'], b: ['c'] },
      levels: { a: { fetch: fetcher.fetch }, b: { fetch: fetcher.fetch }, c: { fetch: fetcher.fetch } },
    });
    registry.fetchItem('doc', 1, 'a');
    await flush();

    registry.fetchItem('doc', 1, 'c');

    expect(fetcher.count).toBe(1);
  });
});

describe('checkIfExists', () => {
  it('a converted level whose check fails is not stamped, and a read of it fetches', async () => {
    const { registry, fetcher } = invoiceRegistry();
    const ref = registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(0).resolve({ description: 'no title here' });
    await flush();

    expect(Object.keys(ref.meta.levels).sort()).toEqual(['default', 'expanded']);
    registry.fetchItem('invoice', 1, 'simplified');
    expect(fetcher.count).toBe(2);
    expect(fetcher.call(1).level).toBe('simplified');
  });

  it('a check that throws counts as not satisfied', async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      levels: {
        summary: {
          fetch: fetcher.fetch,
          levelConversionMap: { default: true },
          checkIfExists: () => {
            throw new Error('cannot tell');
          },
        },
      },
    });
    registry.fetchItem('doc', 1);
    await flush();

    registry.fetchItem('doc', 1, 'summary');

    expect(fetcher.count).toBe(2);
  });

  it('the fetched level itself is stamped whatever its own check says', async () => {
    const { registry, fetcher } = invoiceRegistry();
    const ref = registry.fetchItem('invoice', 1, 'simplified');
    fetcher.call(0).resolve({});
    await flush();

    expect(ref.meta.levels.simplified?.lastFetched).not.toBeNull();
    registry.fetchItem('invoice', 1, 'simplified');
    expect(fetcher.count).toBe(1);
  });
});

describe('levels share one item', () => {
  it('level data merges into one data object', async () => {
    const { registry, fetcher } = invoiceRegistry();
    const plain = registry.fetchItem('invoice', 1);
    fetcher.call(0).resolve({ id: '1', title: 'T' });
    await flush();

    const expanded = registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(1).resolve({ id: '1', description: 'D', lines: [1, 2] });
    await flush();

    expect(plain.data).toEqual({ id: '1', title: 'T', description: 'D', lines: [1, 2] });
    expect(expanded.data).toBe(plain.data);
  });

  it.each([null, undefined, ''])('level %j means the default level', async (level) => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('doc', { fetch: fetcher.fetch });

    const ref = registry.fetchItem('doc', 1, level);
    await flush();

    expect(ref.level).toBe('default');
    expect(fetcher.fetch).toHaveBeenCalledWith('1', 'default', expect.anything());
  });

  it("meta.levels lists the levels held or requested, with each one's own isFetching and error", async () => {
    const { registry, fetcher } = invoiceRegistry();
    const ref = registry.fetchItem('invoice', 1);
    fetcher.call(0).resolve({ id: '1' });
    await flush();

    registry.fetchItem('invoice', 1, 'expanded');
    expect(ref.meta.levels).toEqual({
      default: { lastFetched: '2030-01-01T00:00:00.000Z', isFetching: false, error: null },
      expanded: { lastFetched: null, isFetching: true, error: null },
    });

    const error = new Error('expanded failed');
    fetcher.call(1).reject(error);
    await flush();
    expect(ref.meta.levels.expanded).toEqual({ lastFetched: null, isFetching: false, error });
    expect(ref.meta.levels.default?.error).toBeNull();
  });

  it('each level stays fresh for its own stalenessMs', async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      stalenessMs: 1000,
      levels: { full: { fetch: fetcher.fetch, stalenessMs: 5000 } },
    });
    registry.fetchItem('doc', 1);
    registry.fetchItem('doc', 1, 'full');
    await flush();

    await vi.advanceTimersByTimeAsync(1000);
    registry.fetchItem('doc', 1, 'full');
    expect(fetcher.count).toBe(2);
    registry.fetchItem('doc', 1);
    expect(fetcher.count).toBe(3);
  });
});

describe('status of an item with several levels', () => {
  async function twoLevels() {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      stalenessMs: 1000,
      levels: { full: { fetch: fetcher.fetch, stalenessMs: 5000 } },
    });
    const ref = registry.fetchItem('doc', 1);
    fetcher.call(0).resolve({ a: 1 });
    await flush();
    return { registry, fetcher, ref };
  }

  it('is fetching while any level is in flight, even when another is fresh', async () => {
    const { registry, ref } = await twoLevels();

    registry.fetchItem('doc', 1, 'full');

    expect(ref.meta.status).toBe('fetching');
    expect(ref.meta.isFetching).toBe(true);
  });

  it('is error when its last fetch failed, even when another level is fresh', async () => {
    const { registry, fetcher, ref } = await twoLevels();
    registry.fetchItem('doc', 1, 'full');

    fetcher.call(1).reject(new Error('full failed'));
    await flush();

    expect(ref.meta.status).toBe('error');
    expect(ref.data).toEqual({ a: 1 });
  });

  it('is fresh only while every held level is fresh, then stale', async () => {
    const { registry, fetcher, ref } = await twoLevels();
    registry.fetchItem('doc', 1, 'full');
    fetcher.call(1).resolve({ b: 2 });
    await flush();
    expect(ref.meta.status).toBe('fresh');

    await vi.advanceTimersByTimeAsync(1000);

    expect(ref.meta.status).toBe('stale');
  });

  it('a subscribed item turns stale when its first level does', async () => {
    const { registry, fetcher, ref } = await twoLevels();
    const unsubscribe = ref.subscribe(() => {});
    registry.fetchItem('doc', 1, 'full');
    fetcher.call(1).resolve({ b: 2 });
    await flush();

    await vi.advanceTimersByTimeAsync(999);
    expect(ref.meta.status).toBe('fresh');
    await vi.advanceTimersByTimeAsync(1);
    expect(ref.meta.status).toBe('stale');
    unsubscribe();
  });
});

describe('ref.refresh() plans the fewest fetches', () => {
  it('refetches only the level whose conversions cover every level held', async () => {
    const { registry, fetcher } = invoiceRegistry();
    const ref = registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(0).resolve({ title: 'T', description: 'D' });
    await flush();
    registry.fetchItem('invoice', 1);
    registry.fetchItem('invoice', 1, 'simplified');

    const done = ref.refresh();

    expect(fetcher.calls.slice(1).map((call) => call.level)).toEqual(['expanded']);
    fetcher.call(1).resolve({ title: 'T2', description: 'D2' });
    await done;
    expect(ref.data).toEqual({ title: 'T2', description: 'D2' });
  });

  it("includes the ref's own level when the item does not hold it", async () => {
    const { registry, fetcher } = invoiceRegistry();
    registry.fetchItem('invoice', 1);
    fetcher.call(0).resolve({ title: 'T' });
    await flush();
    const expanded = registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(1).reject(new Error('not yet'));
    await flush();

    void expanded.refresh();

    // expanded converts into default and simplified, so it alone covers what is held.
    expect(fetcher.calls.slice(2).map((call) => call.level)).toEqual(['expanded']);
  });

  it('fetches several levels when no one level covers the others', async () => {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('doc', {
      fetch: fetcher.fetch,
      levels: { a: { fetch: fetcher.fetch }, b: { fetch: fetcher.fetch } },
    });
    const ref = registry.fetchItem('doc', 1, 'a');
    registry.fetchItem('doc', 1, 'b');
    fetcher.call(0).resolve({});
    fetcher.call(1).resolve({});
    await flush();

    void ref.refresh();

    expect(fetcher.calls.slice(2).map((call) => call.level)).toEqual(['a', 'b']);
  });

  it('a refresh_item directive without a level refetches the held levels with the fewest fetches', async () => {
    const { registry, fetcher } = invoiceRegistry();
    registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(0).resolve({ title: 'T', description: 'D' });
    await flush();

    void registry.applyDirectives([{ op: 'refresh_item', name: 'invoice', id: 1 }]);
    await vi.advanceTimersByTimeAsync(50);

    expect(fetcher.calls.slice(1).map((call) => call.level)).toEqual(['expanded']);
  });

  it('a result for one level is applied first, and only levels it does not satisfy are fetched', async () => {
    const { registry, fetcher } = invoiceRegistry();
    const ref = registry.fetchItem('invoice', 1, 'expanded');
    fetcher.call(0).resolve({ title: 'T', description: 'D' });
    await flush();

    void registry.applyDirectives([
      { op: 'refresh_item', name: 'invoice', id: 1, result: { level: 'default', data: { title: 'T2' } } },
    ]);
    await vi.advanceTimersByTimeAsync(50);

    expect(ref.data).toMatchObject({ title: 'T2' });
    expect(fetcher.calls.slice(1).map((call) => call.level)).toEqual(['expanded']);
  });
});

/** A random level configuration: up to 5 levels besides default and conversion edges between them. */
const levelConfigs = fc.integer({ min: 1, max: 5 }).chain((extra) => {
  const levels = ['default', ...Array.from({ length: extra }, (_, i) => `l${i + 1}`)];
  const level = fc.constantFrom(...levels);
  return fc.record({
    levels: fc.constant(levels),
    edges: fc.uniqueArray(
      fc.tuple(level, level, fc.boolean()).filter(([from, to]) => from !== to),
      { selector: ([from, to]) => `${from}>${to}`, maxLength: 10 },
    ),
    held: fc.uniqueArray(level, { minLength: 1 }),
    refLevel: level,
  });
});

/** Edges to the default level go in the type's map; others, at random, in the type's map or the target's own. */
function typeConfig(
  levels: readonly string[],
  edges: ReadonlyArray<readonly [string, string, boolean]>,
  fetch: TypeConfig['fetch'],
): TypeConfig {
  const typeMap: Record<string, Array<string | true>> = {};
  const ownMaps = new Map<string, Record<string, Array<string | true>>>();
  for (const [from, to, inOwnMap] of edges) {
    if (to === 'default') (typeMap[from] ??= []).push(inOwnMap ? true : 'default');
    else if (inOwnMap) {
      const own = ownMaps.get(to) ?? {};
      ownMaps.set(to, own);
      (own[from] ??= []).push(true);
    } else (typeMap[from] ??= []).push(to);
  }
  const declared: Record<string, LevelConfig> = {};
  for (const level of levels.slice(1)) {
    const own = ownMaps.get(level);
    declared[level] = own ? { fetch, levelConversionMap: own as LevelConversionMap } : { fetch };
  }
  return { fetch, levelConversionMap: typeMap as LevelConversionMap, levels: declared };
}

function closureOf(level: string, edges: ReadonlyArray<readonly [string, string, boolean]>): Set<string> {
  const seen = new Set([level]);
  const queue = [level];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const [from, to] of edges) {
      if (from === next && !seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

describe('refresh plans for any level configuration', () => {
  test.prop([levelConfigs])(
    'refresh covers every held level with the fewest fetches and never fetches a level another planned level converts into',
    async ({ levels, edges, held, refLevel }) => {
      const registry = makeRegistry();
      const fetcher = countingFetcher();
      registry.createType('doc', typeConfig(levels, edges, fetcher.fetch));
      for (const level of held) {
        registry.fetchItem('doc', 1, level);
        await flush();
      }
      const ref = registry.fetchItem('doc', 1, refLevel);
      await flush();
      const required = new Set([...Object.keys(ref.meta.levels), refLevel]);
      const before = fetcher.count;
      await vi.advanceTimersByTimeAsync(1);

      await ref.refresh();

      const planned = fetcher.fetch.mock.calls.slice(before).map(([, level]) => level);
      expect(new Set(planned).size).toBe(planned.length);
      for (const a of planned) {
        for (const b of planned) {
          if (a !== b) expect(closureOf(a, edges).has(b), `${a} converts into ${b}`).toBe(false);
        }
      }
      const now = new Date().toISOString();
      for (const level of required) expect(ref.meta.levels[level]?.lastFetched, level).toBe(now);
      let fewest = Number.POSITIVE_INFINITY;
      for (let mask = 1; mask < 1 << levels.length; mask++) {
        const chosen = levels.filter((_, i) => mask & (1 << i));
        const covered = new Set(chosen.flatMap((level) => [...closureOf(level, edges)]));
        if ([...required].every((level) => covered.has(level))) fewest = Math.min(fewest, chosen.length);
      }
      expect(planned.length).toBe(fewest);
      registry.dispose();
    },
  );
});

describe('level names that are Object.prototype members', () => {
  const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const;

  it.each(NAMES)("a level named '%s' loads like any other", async (name) => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch, levels: { [name]: { fetch: fetcher.fetch } } });

    const ref = registry.fetchItem('todo', 1, name);
    expect(registry.isItemLoading('todo', 1, name)).toBe(true);
    await flush();

    expect(fetcher.fetch).toHaveBeenCalledWith('1', name, expect.anything());
    expect(ref.meta.status).toBe('fresh');
    expect(registry.isItemLoading('todo', 1, name)).toBe(false);
    expect(ref.meta.levels[name]).toMatchObject({ isFetching: false, error: null });
    registry.fetchItem('todo', 1, name);
    expect(fetcher.count).toBe(1);
  });

  it.each(NAMES)("conversions and directive results reach a level named '%s'", async (name) => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', {
      fetch: fetcher.fetch,
      levelConversionMap: { [name]: true },
      levels: { [name]: { fetch: fetcher.fetch } },
    });
    const ref = registry.fetchItem('todo', 1, name);
    await flush();
    registry.fetchItem('todo', 1);
    expect(fetcher.count).toBe(1);

    const report = registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1, result: { levels: { [name]: { title: 'srv' } } } },
    ]);
    await vi.advanceTimersByTimeAsync(50);
    expect((await report).applied).toHaveLength(1);

    expect(fetcher.count).toBe(1);
    expect(ref.data).toMatchObject({ title: 'srv' });
    expect(ref.meta.status).toBe('fresh');
  });
});
