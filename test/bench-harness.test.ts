// The bench harness's pure pieces: medians, ratios, rounding, alternation, scenario minimums and the printed table.
import { describe, expect, it } from 'vitest';
import { alternate, median, medians, ratio, round } from '../bench/harness';
import {
  filterSwitching,
  levelCover,
  listWithSummaries,
  satisfiedBy,
  touchedEntries,
} from '../bench/minimums';
import { table } from '../bench/report';
import results from '../bench/results.json' with { type: 'json' };

describe('bench harness', () => {
  it('takes the middle value of an odd count and the mean of the two middle ones of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('does not reorder the samples it is given', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('reads every ratio as how many times better verity is than its peer', () => {
    expect(ratio(100, 4)).toBe(25);
    expect(ratio(2, 4)).toBe(0.5);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(3, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('rounds to significant digits', () => {
    expect(round(123_456)).toBe(123_000);
    expect(round(0.0012345)).toBe(0.00123);
    expect(round(0)).toBe(0);
  });

  it('alternates the sides, and which goes first, round after round', async () => {
    const calls: string[] = [];
    const samples = await alternate(3, {
      a: () => {
        calls.push('a');
        return calls.length;
      },
      b: async () => {
        calls.push('b');
        return calls.length;
      },
    });
    expect(calls).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    expect(samples).toEqual({ a: [1, 4, 5], b: [2, 3, 6] });
    expect(medians(samples)).toEqual({ a: 4, b: 3 });
  });

  it('prints one table line per figure, verity next to its peer', () => {
    const printed = table([
      { figure: 'one directive', verity: 12.345, peer: 99_000, unit: 'µs', ratio: 8019.4 },
    ]);
    expect(printed.split('\n')).toEqual([
      '| figure | verity | peer | unit | ratio (>1 = verity better) |',
      '|---|---|---|---|---|',
      '| one directive | 12.3 | 99,000 | µs | 8,019 |',
    ]);
  });

  it('prints a dash for a figure that has no peer', () => {
    expect(table([{ figure: 'x', verity: 1, peer: Number.NaN, unit: 'B', ratio: Number.NaN }])).toContain(
      '| x | 1 | — | B | — |',
    );
  });
});

describe('network scenario minimums', () => {
  it('a list costs one request, and its rows one bulk call per batch', () => {
    expect(listWithSummaries(1000, 100)).toBe(11);
    expect(listWithSummaries(1001, 100)).toBe(12);
    expect(listWithSummaries(0, 100)).toBe(1);
  });

  it('touched entries cost one request per collection entry and one bulk call per batch of items', () => {
    expect(touchedEntries(10, 40, 100)).toBe(11);
    expect(touchedEntries(20, 300, 100)).toBe(23);
    expect(touchedEntries(0, 0, 100)).toBe(0);
  });

  it('follows conversion edges transitively', () => {
    expect([...satisfiedBy('full', { full: ['detail'], detail: ['summary'] })].sort()).toEqual([
      'detail',
      'full',
      'summary',
    ]);
    expect([...satisfiedBy('summary', { full: ['detail'] })]).toEqual(['summary']);
    expect([...satisfiedBy('a', { a: ['b'], b: ['a'] })].sort()).toEqual(['a', 'b']);
  });

  it('covers held levels with the fewest fetches, through levels not held too', () => {
    const conversions = { full: ['detail', 'summary'], detail: ['summary'] };
    expect(levelCover(['summary', 'detail', 'full'], conversions)).toBe(1);
    expect(levelCover(['summary', 'detail'], conversions)).toBe(1);
    expect(levelCover(['a', 'b', 'c'], {})).toBe(3);
    expect(levelCover(['a', 'b', 'c'], { x: ['a', 'b'], y: ['c'] })).toBe(2);
    expect(levelCover([], conversions)).toBe(0);
  });

  it('filter switching needs one request per distinct filter', () => {
    expect(filterSwitching(['all', 'open', 'all', 'done', 'open'])).toBe(3);
  });
});

describe('bench/results.json', () => {
  it('holds every figure, in the shape readers of the closing note expect', () => {
    const number = expect.any(Number);
    expect(results.directiveOne).toMatchObject({
      sizes: [1_000, 10_000, 100_000].map((entries) => ({
        entries,
        verityBusyUs: number,
        queryCoreUs: number,
        ratio: number,
      })),
      measuringFloorUs: number,
      windowFloorUs: number,
    });
    expect(results.memoryPerEntry).toMatchObject({
      idleBytes: number,
      liveBytes: number,
      queryCoreIdleBytes: number,
      queryCoreLiveBytes: number,
      idleRatio: number,
      liveRatio: number,
    });
    expect(results.coldRead).toMatchObject({
      entries: 10_000,
      verityUs: number,
      queryCoreUs: number,
      ratio: number,
    });
    expect(results.freshRead).toMatchObject({
      verityUs: number,
      withListenerUs: number,
      queryCoreUs: number,
    });
    expect(results.dispose).toEqual({ entries: 10_000, liveMs: number, queryCoreMs: number, ratio: number });
    expect(results.frameIngest).toMatchObject({ worstFrameMs: number, jsonParseMs: number, ratio: number });
    expect(results.network.map((row) => Object.keys(row).sort())).toEqual(
      Array(5).fill(['minimum', 'queryCoreRequests', 'requests', 'scenario']),
    );
    for (const row of results.network) expect(row.requests).toBeGreaterThanOrEqual(row.minimum);
    expect(results.hub).toMatchObject({
      clients: 1000,
      p50Ms: number,
      p99Ms: number,
      envelopesPerSec: number,
      rawEnvelopesPerSec: number,
      ratio: number,
    });
    expect(results.bundle).toMatchObject({
      core: { gzipBytes: number },
      react: { gzipBytes: number },
      queryCore: { gzipBytes: number },
    });
  });
});
