// Contract of levels and conversions (SPEC §3 "Levels"): satisfaction, stamping and minimal fetch plans.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  buildLevelGraph,
  DEFAULT_LEVEL,
  type LevelConversionMap,
  type LevelGraph,
  type LevelGraphInput,
  normalizeLevel,
} from '../src/registry/level-graph';

// The invoice type of seed 002: expanded and default both contain the simplified data.
const invoice = buildLevelGraph({
  levels: {
    simplified: {
      checkIfExists: (data) => (data as { title?: unknown } | null)?.title != null,
      levelConversionMap: { expanded: ['simplified'], default: ['simplified'] },
    },
    expanded: { checkIfExists: (data) => (data as { description?: unknown } | null)?.description != null },
  },
});

function closure(graph: LevelGraph, level: string): Set<string> {
  return new Set([level, ...graph.satisfies(level)]);
}

function covers(graph: LevelGraph, plan: readonly string[], required: readonly string[]): boolean {
  const covered = new Set(plan.flatMap((level) => [...closure(graph, level)]));
  return required.every((level) => covered.has(level));
}

/** The smallest plan size, and the fewest levels outside `required` among plans of that size. */
function bruteForceOptimum(
  graph: LevelGraph,
  required: readonly string[],
): { size: number; outside: number } {
  const wanted = new Set(required);
  let best = { size: wanted.size, outside: 0 };
  for (let mask = 1; mask < 1 << graph.levels.length; mask++) {
    const plan = graph.levels.filter((_, i) => mask & (1 << i));
    const outside = plan.filter((level) => !wanted.has(level)).length;
    const better = plan.length < best.size || (plan.length === best.size && outside < best.outside);
    if (better && covers(graph, plan, required)) best = { size: plan.length, outside };
  }
  return best;
}

/** A random type config: declared levels and random edges, in both the type's and the levels' maps. */
const graphOf = (minLevels: number, maxLevels: number, maxRequired: number) =>
  fc.integer({ min: minLevels, max: maxLevels }).chain((count) => {
    const names = Array.from({ length: count }, (_, i) => `l${i}`);
    const all = [DEFAULT_LEVEL, ...names];
    const target = fc.oneof(fc.constantFrom(...all), fc.constant(true as const));
    const map = fc.dictionary(fc.constantFrom(...all), fc.oneof(target, fc.array(target, { maxLength: 3 })), {
      maxKeys: all.length,
    }) as fc.Arbitrary<LevelConversionMap>;
    const levels = fc.tuple(...names.map(() => fc.option(map, { nil: undefined })));
    return fc.record({
      input: fc.tuple(fc.option(map, { nil: undefined }), levels).map(([typeMap, levelMaps]) => {
        const input: LevelGraphInput = {
          levelConversionMap: typeMap,
          levels: Object.fromEntries(names.map((name, i) => [name, { levelConversionMap: levelMaps[i] }])),
        };
        return input;
      }),
      required: fc.array(fc.constantFrom(...all), { maxLength: maxRequired }),
    });
  });

const randomGraph = graphOf(0, 7, 6);
// Enough levels to push the planner past 16 candidates into its greedy fallback.
const largeGraph = graphOf(17, 30, 40);

describe('normalizeLevel', () => {
  it("reads null, undefined and '' as the default level", () => {
    expect(normalizeLevel(null)).toBe('default');
    expect(normalizeLevel(undefined)).toBe('default');
    expect(normalizeLevel('')).toBe('default');
  });

  it('keeps a non-empty string and refuses anything else', () => {
    expect(normalizeLevel('expanded')).toBe('expanded');
    expect(normalizeLevel(1)).toBeNull();
    expect(normalizeLevel({})).toBeNull();
    expect(normalizeLevel(true)).toBeNull();
  });
});

describe('buildLevelGraph', () => {
  it('lists the default level first, then the declared levels in order', () => {
    expect(invoice.levels).toEqual(['default', 'simplified', 'expanded']);
    expect(buildLevelGraph({}).levels).toEqual(['default']);
  });

  it('does not list a declared default level twice', () => {
    expect(buildLevelGraph({ levels: { default: {}, full: {} } }).levels).toEqual(['default', 'full']);
  });

  it("reads true in the type's map as the default level", () => {
    const graph = buildLevelGraph({ levelConversionMap: { full: true }, levels: { full: {} } });
    expect(graph.satisfies('full')).toEqual(['default']);
  });

  it("reads true in a level's own map as that level", () => {
    const graph = buildLevelGraph({
      levels: { summary: { levelConversionMap: { full: [true] } }, full: {} },
    });
    expect(graph.satisfies('full')).toEqual(['summary']);
  });

  it('accepts a single target as well as a list', () => {
    const graph = buildLevelGraph({
      levelConversionMap: { full: 'summary' },
      levels: { summary: {}, full: {} },
    });
    expect(graph.satisfies('full')).toEqual(['summary']);
  });

  it('throws UNKNOWN_LEVEL when a map names an undeclared level, as source or target', () => {
    expect(() => buildLevelGraph({ levelConversionMap: { full: ['default'] } })).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_LEVEL', message: expect.stringMatching(/'full'/) }),
    );
    expect(() =>
      buildLevelGraph({ levels: { full: { levelConversionMap: { full: ['sumary'] } } } }),
    ).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_LEVEL', message: expect.stringMatching(/'sumary'/) }),
    );
  });

  it("throws INVALID_LEVEL for a level named '' or a target that is not a level name", () => {
    expect(() => buildLevelGraph({ levels: { '': {} } })).toThrowError(
      expect.objectContaining({ code: 'INVALID_LEVEL' }),
    );
    const input = { levelConversionMap: { default: [1] } } as unknown as LevelGraphInput;
    expect(() => buildLevelGraph(input)).toThrowError(expect.objectContaining({ code: 'INVALID_LEVEL' }));
  });

  it('knows which levels it has', () => {
    expect(invoice.has('expanded')).toBe(true);
    expect(invoice.has('full')).toBe(false);
  });
});

describe('satisfies', () => {
  it('lists the levels a fetch also satisfies, without the level itself', () => {
    expect(invoice.satisfies('expanded')).toEqual(['simplified']);
    expect(invoice.satisfies('default')).toEqual(['simplified']);
    expect(invoice.satisfies('simplified')).toEqual([]);
  });

  it('follows conversions transitively, in level order', () => {
    const graph = buildLevelGraph({
      levelConversionMap: { full: ['expanded'], expanded: ['summary'], summary: [true] },
      levels: { summary: {}, expanded: {}, full: {} },
    });
    expect(graph.satisfies('full')).toEqual(['default', 'summary', 'expanded']);
  });

  it('tolerates cycles', () => {
    const graph = buildLevelGraph({
      levelConversionMap: { a: ['b'], b: ['a', 'default'] },
      levels: { a: {}, b: {} },
    });
    expect(graph.satisfies('a')).toEqual(['default', 'b']);
    expect(graph.satisfies('b')).toEqual(['default', 'a']);
  });

  it('throws UNKNOWN_LEVEL for a level the type does not have', () => {
    expect(() => invoice.satisfies('full')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_LEVEL' }));
  });
});

describe('stampsFor', () => {
  it('stamps the fetched level and each satisfied level whose check holds', () => {
    expect(invoice.stampsFor('expanded', { title: 't', description: 'd' })).toEqual([
      'expanded',
      'simplified',
    ]);
  });

  it('does not stamp a satisfied level whose check fails', () => {
    expect(invoice.stampsFor('expanded', { description: 'd' })).toEqual(['expanded']);
  });

  it('stamps a satisfied level that has no check', () => {
    const graph = buildLevelGraph({ levelConversionMap: { full: [true] }, levels: { full: {} } });
    expect(graph.stampsFor('full', null)).toEqual(['full', 'default']);
  });

  it('does not stamp a satisfied level whose check throws', () => {
    const graph = buildLevelGraph({
      levelConversionMap: { full: ['summary'] },
      levels: {
        summary: {
          checkIfExists: () => {
            throw new Error('boom');
          },
        },
        full: {},
      },
    });
    expect(graph.stampsFor('full', {})).toEqual(['full']);
  });

  it('stamps the fetched level itself whatever its own check says', () => {
    expect(invoice.stampsFor('simplified', {})).toEqual(['simplified']);
  });
});

describe('plan', () => {
  it('plans nothing when nothing is required', () => {
    expect(invoice.plan([])).toEqual([]);
  });

  it('fetches a required level itself when it is enough', () => {
    expect(invoice.plan(['simplified'])).toEqual(['simplified']);
  });

  it('covers several required levels with the fewest fetches', () => {
    expect(invoice.plan(['simplified', 'expanded'])).toEqual(['expanded']);
    expect(invoice.plan(['simplified', 'default', 'expanded'])).toEqual(['default', 'expanded']);
  });

  it('prefers a required level to an outside one that covers as much', () => {
    const graph = buildLevelGraph({
      levelConversionMap: { full: ['summary', 'default'], summary: ['default'] },
      levels: { summary: {}, full: {} },
    });
    expect(graph.plan(['summary', 'default'])).toEqual(['summary']);
  });

  it('breaks remaining ties by level order', () => {
    const graph = buildLevelGraph({
      levelConversionMap: { y: ['a', 'b'], x: ['a', 'b'] },
      levels: { a: {}, b: {}, x: {}, y: {} },
    });
    expect(graph.plan(['a', 'b'])).toEqual(['x']);
  });

  it('ignores duplicate required levels', () => {
    expect(invoice.plan(['expanded', 'expanded', 'simplified'])).toEqual(['expanded']);
  });

  it('throws UNKNOWN_LEVEL for a required level the type does not have', () => {
    expect(() => invoice.plan(['full'])).toThrowError(expect.objectContaining({ code: 'UNKNOWN_LEVEL' }));
  });

  it('falls back to a greedy cover beyond 16 candidates and still covers everything', () => {
    const names = Array.from({ length: 40 }, (_, i) => `l${i}`);
    const graph = buildLevelGraph({
      levelConversionMap: { l0: names.slice(1, 20), l20: names.slice(21) },
      levels: Object.fromEntries(names.map((name) => [name, {}])),
    });
    const plan = graph.plan(names);
    expect(plan).toEqual(['l0', 'l20']);
    expect(covers(graph, plan, names)).toBe(true);
  });

  describe.each([
    ['small', randomGraph],
    ['large', largeGraph],
  ])('on %s random graphs', (_, graphs) => {
    test.prop([graphs])('always covers every required level', ({ input, required }) => {
      const graph = buildLevelGraph(input);
      expect(covers(graph, graph.plan(required), required)).toBe(true);
    });

    test.prop([graphs])(
      'never plans a level inside the closure of another planned level',
      ({ input, required }) => {
        const graph = buildLevelGraph(input);
        const plan = graph.plan(required);
        for (const a of plan) {
          for (const b of plan) if (a !== b) expect(closure(graph, b).has(a)).toBe(false);
        }
      },
    );

    test.prop([graphs])('plans at most one fetch per distinct required level', ({ input, required }) => {
      const graph = buildLevelGraph(input);
      expect(graph.plan(required).length).toBeLessThanOrEqual(new Set(required).size);
    });
  });

  test.prop([randomGraph])(
    'plans the fewest fetches, then the fewest levels nobody asked for (brute force agrees)',
    ({ input, required }) => {
      const graph = buildLevelGraph(input);
      const plan = graph.plan(required);
      const outside = plan.filter((level) => !required.includes(level)).length;
      expect({ size: plan.length, outside }).toEqual(bruteForceOptimum(graph, required));
    },
  );

  test.prop([randomGraph])('is deterministic and lists the plan in level order', ({ input, required }) => {
    const graph = buildLevelGraph(input);
    const plan = graph.plan(required);
    expect(graph.plan([...required].reverse())).toEqual(plan);
    expect([...plan].sort((x, y) => graph.levels.indexOf(x) - graph.levels.indexOf(y))).toEqual(plan);
  });
});
