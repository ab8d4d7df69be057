// The measuring rules every benchmark shares: alternate rounds next to a peer, medians, ratios, busy time.
import { performance } from 'node:perf_hooks';

/** The middle value (the mean of the two middle ones for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * How many times better verity is than its peer, for a figure where lower is better (time, bytes):
 * above 1 means verity is better. Every `ratio` in results.json reads this way.
 */
export function ratio(peer: number, verity: number): number {
  if (verity === 0) return peer === 0 ? 1 : Number.POSITIVE_INFINITY;
  return peer / verity;
}

/** Rounds to `digits` significant digits, so results.json does not pretend to nanosecond precision. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/**
 * Runs `sides` in turn, `rounds` times (a, b, a, b, ...; the starting side alternates too, so neither
 * always runs on a warmer or a more fragmented heap), and returns each side's samples.
 * Machines here are shared and noisy: interleaving puts the same drift on both sides.
 */
export async function alternate<K extends string>(
  rounds: number,
  sides: Readonly<Record<K, () => Promise<number> | number>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(sides) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) samples[name].push(await sides[name]());
  }
  return samples;
}

/** Medians of every side of an `alternate` run. */
export function medians<K extends string>(samples: Readonly<Record<K, number[]>>): Record<K, number> {
  return Object.fromEntries(
    Object.entries<number[]>(samples).map(([name, values]) => [name, median(values)]),
  ) as Record<K, number>;
}

/** Deeper than any promise chain a directive flush or a query-core invalidation starts. */
const MICROTASK_HOPS = 64;

type TimerFn = (callback: (...args: unknown[]) => void, ...rest: unknown[]) => unknown;

/**
 * Main-thread busy time of `work`, in milliseconds: the synchronous call and every timer or immediate
 * callback scheduled while it runs (transitively), each with the microtasks it leaves behind, until its
 * promise has settled and the callbacks due right after it (query-core's batched notifications) have run.
 * The time spent waiting for those timers is not busy: a directive's 50 ms bulk window costs only its flush.
 * A slice is timed from the callback's start until a marker has gone round the microtask queue
 * MICROTASK_HOPS times, so the promise chains it starts count, and no wait on the loop does.
 */
export async function busyMs(work: () => Promise<unknown> | unknown): Promise<number> {
  const realTimeout = globalThis.setTimeout;
  const realImmediate = globalThis.setImmediate;
  let busy = 0;
  let openSince: number | null = null;
  const close = (hops: number): void => {
    if (hops > 0) {
      queueMicrotask(() => close(hops - 1));
      return;
    }
    busy += performance.now() - openSince!;
    openSince = null;
  };
  const slice = (run: () => void): void => {
    if (openSince !== null) {
      run();
      return;
    }
    openSince = performance.now();
    try {
      run();
    } finally {
      close(MICROTASK_HOPS);
    }
  };
  const wrap =
    (real: TimerFn): TimerFn =>
    (callback, ...rest) =>
      real((...args: unknown[]) => slice(() => callback(...args)), ...rest);
  const g = globalThis as unknown as Record<'setTimeout' | 'setImmediate', TimerFn>;
  g.setTimeout = wrap(realTimeout as unknown as TimerFn);
  g.setImmediate = wrap(realImmediate as unknown as TimerFn);
  try {
    let settled: Promise<unknown> = Promise.resolve();
    slice(() => {
      settled = Promise.resolve(work());
    });
    await settled;
    await new Promise<void>((resolve) => realTimeout(resolve, 1));
    await new Promise<void>((resolve) => realImmediate(resolve));
  } finally {
    globalThis.setTimeout = realTimeout;
    globalThis.setImmediate = realImmediate;
  }
  return busy;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** A full collection, so a heap figure holds live objects only. */
export function collect(): void {
  if (!gc) throw new Error('Run the benchmarks with node --expose-gc (npm run bench does).');
  for (let i = 0; i < 3; i++) gc();
}

/** Heap bytes in use after a full collection. */
export function heapUsed(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

/** Lets promise chains and immediate callbacks run out. */
export async function drain(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
