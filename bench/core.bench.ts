// Cache benchmarks, each next to @tanstack/query-core measured in the same process and run, alternating.
import { performance } from 'node:perf_hooks';
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { createRegistry, type Registry } from '../src/index';
import { alternate, busyMs, drain, heapUsed, medians, ratio, round } from './harness';
import type { BenchOutput } from './report';

/** Long enough that no staleness timer fires during a bench, on either side. */
const QUIET_MS = 60 * 60_000;

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

type TodoRegistry = Registry<{ types: { todo: Todo }; collections: Record<never, never> }>;

const todo = (id: string): Todo => ({ id, title: `todo ${id}`, done: false });

function verityRegistry(bulkDelayMs = 0): TodoRegistry {
  const registry: TodoRegistry = createRegistry({
    // resyncWindowMs 0: only subscribers make an entry active, so a directive on an unsubscribed entry marks it stale.
    sse: { enabled: false, resyncWindowMs: 0 },
    bulk: { delayMs: bulkDelayMs },
    memory: { sweepIntervalMs: 0 },
    stalenessMs: QUIET_MS,
    logging: { level: 'silent' },
  });
  registry.createType('todo', { fetch: async (id) => todo(id) });
  return registry;
}

function queryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { staleTime: QUIET_MS, gcTime: QUIET_MS } } });
}

async function fillVerity(registry: TodoRegistry, count: number): Promise<void> {
  for (let i = 0; i < count; i++) registry.fetchItem('todo', i);
  while (registry.hasAnyInFlightRequests()) await drain();
}

async function fillQueryCore(client: QueryClient, count: number): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(i);
    pending.push(client.fetchQuery({ queryKey: ['todo', id], queryFn: async () => todo(id) }));
  }
  await Promise.all(pending);
}

function observeAll(client: QueryClient, count: number): Array<() => void> {
  const unsubscribers: Array<() => void> = [];
  for (let i = 0; i < count; i++) {
    const id = String(i);
    const observer = new QueryObserver(client, { queryKey: ['todo', id], queryFn: async () => todo(id) });
    unsubscribers.push(observer.subscribe(() => {}));
  }
  return unsubscribers;
}

function subscribeAll(registry: TodoRegistry, count: number): Array<() => void> {
  const unsubscribers: Array<() => void> = [];
  for (let i = 0; i < count; i++) unsubscribers.push(registry.fetchItem('todo', i).subscribe(() => {}));
  return unsubscribers;
}

/** The cache sizes one exact directive is measured at: its cost must not grow with the cache. */
const DIRECTIVE_SIZES = [1_000, 10_000, 100_000] as const;

/** The directive's bulk window (`bulk.delayMs`, its default). */
const WINDOW_MS = 50;

/** Rounds each side runs before its samples count. */
const WARMUP_ROUNDS = 10;

interface DirectiveSize {
  entries: number;
  verityBusyUs: number;
  queryCoreUs: number;
  ratio: number;
}

/**
 * One exact `refresh_item` on a passive entry (cached, no subscriber: it is only marked stale) at each of
 * DIRECTIVE_SIZES, next to one exact-key `invalidateQueries` (refetchType none) on a query-core cache of the
 * same size, alternating. Busy time on both sides: the call, and the timer callbacks it causes until it settles
 * (the directive's 50 ms bulk window; query-core's batched notifications). Two floors say what the measuring
 * itself costs: an empty call (one slice), and an empty call that waits for one timer of the same window (two
 * slices, the second after 50 ms asleep, as the directive's flush is).
 */
export async function directiveOne(
  sizes: readonly number[] = DIRECTIVE_SIZES,
  rounds = 21,
): Promise<BenchOutput> {
  const results: DirectiveSize[] = [];
  const floors = { call: [] as number[], window: [] as number[] };
  for (const entries of sizes) {
    const registry = verityRegistry(WINDOW_MS);
    await fillVerity(registry, entries);
    const client = queryClient();
    await fillQueryCore(client, entries);
    // A different entry each time, spread over the cache, so no call finds its target already stale.
    let verityNext = 0;
    let peerNext = 0;
    const pick = (n: number): string => String((n * 7919) % entries);
    const samples = await alternate(rounds + WARMUP_ROUNDS, {
      verity: () =>
        busyMs(() =>
          registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: pick(verityNext++) }]),
        ),
      queryCore: () =>
        busyMs(() =>
          client.invalidateQueries({
            queryKey: ['todo', pick(peerNext++)],
            exact: true,
            refetchType: 'none',
          }),
        ),
      floor: () => busyMs(() => undefined),
      windowFloor: () => busyMs(() => new Promise((resolve) => setTimeout(resolve, WINDOW_MS))),
    });
    // The first rounds warm both sides' code paths up (the first size's most); they are not part of the figure.
    const m = medians({
      verity: samples.verity.slice(WARMUP_ROUNDS),
      queryCore: samples.queryCore.slice(WARMUP_ROUNDS),
    });
    floors.call.push(...samples.floor.slice(WARMUP_ROUNDS));
    floors.window.push(...samples.windowFloor.slice(WARMUP_ROUNDS));
    registry.dispose();
    client.clear();
    const verityBusyUs = round(m.verity * 1000);
    const queryCoreUs = round(m.queryCore * 1000);
    results.push({ entries, verityBusyUs, queryCoreUs, ratio: round(ratio(queryCoreUs, verityBusyUs)) });
  }
  const floor = medians(floors);
  return {
    result: {
      sizes: results,
      measuringFloorUs: round(floor.call * 1000),
      windowFloorUs: round(floor.window * 1000),
    },
    rows: results.map(({ entries, verityBusyUs, queryCoreUs }) => ({
      figure: `one exact refresh_item vs invalidateQueries (${entries.toLocaleString('en-US')} entries)`,
      verity: verityBusyUs,
      peer: queryCoreUs,
      unit: 'µs busy',
      ratio: ratio(queryCoreUs, verityBusyUs),
    })),
  };
}

/**
 * Heap bytes per entry: idle (fetched, no subscriber) and live (one subscriber), next to a query and a
 * query plus one subscribed QueryObserver. The subscriber's own closure is on both sides.
 */
export async function memoryPerEntry(count = 10_000, rounds = 3): Promise<BenchOutput> {
  const idle = { verity: [] as number[], queryCore: [] as number[] };
  const samples = await alternate(rounds, {
    verity: async () => {
      const before = heapUsed();
      const registry = verityRegistry();
      await fillVerity(registry, count);
      idle.verity.push((heapUsed() - before) / count);
      const unsubscribers = subscribeAll(registry, count);
      await drain();
      const live = (heapUsed() - before) / count;
      for (const unsubscribe of unsubscribers) unsubscribe();
      registry.dispose();
      return live;
    },
    queryCore: async () => {
      const before = heapUsed();
      const client = queryClient();
      await fillQueryCore(client, count);
      idle.queryCore.push((heapUsed() - before) / count);
      const unsubscribers = observeAll(client, count);
      await drain();
      const live = (heapUsed() - before) / count;
      for (const unsubscribe of unsubscribers) unsubscribe();
      client.clear();
      return live;
    },
  });
  const live = medians(samples);
  const idleM = medians(idle);
  const result = {
    entries: count,
    idleBytes: Math.round(idleM.verity),
    liveBytes: Math.round(live.verity),
    queryCoreIdleBytes: Math.round(idleM.queryCore),
    queryCoreLiveBytes: Math.round(live.queryCore),
    idleRatio: round(ratio(idleM.queryCore, idleM.verity)),
    liveRatio: round(ratio(live.queryCore, live.verity)),
  };
  return {
    result,
    rows: [
      {
        figure: `memory per idle entry (${count} entries)`,
        verity: result.idleBytes,
        peer: result.queryCoreIdleBytes,
        unit: 'bytes',
        ratio: result.idleRatio,
      },
      {
        figure: `memory per live entry, one subscriber (${count} entries)`,
        verity: result.liveBytes,
        peer: result.queryCoreLiveBytes,
        unit: 'bytes',
        ratio: result.liveRatio,
      },
    ],
  };
}

/** Cold reads: create, fetch (an already resolved fetcher) and settle `count` entries; µs per entry. */
export async function coldRead(count = 10_000, rounds = 3): Promise<BenchOutput> {
  const samples = await alternate(rounds, {
    verity: async () => {
      const registry = verityRegistry();
      heapUsed();
      const start = performance.now();
      await fillVerity(registry, count);
      const us = ((performance.now() - start) / count) * 1000;
      registry.dispose();
      return us;
    },
    queryCore: async () => {
      const client = queryClient();
      heapUsed();
      const start = performance.now();
      await fillQueryCore(client, count);
      const us = ((performance.now() - start) / count) * 1000;
      client.clear();
      return us;
    },
  });
  const m = medians(samples);
  const result = {
    entries: count,
    verityUs: round(m.verity),
    queryCoreUs: round(m.queryCore),
    ratio: round(ratio(m.queryCore, m.verity)),
  };
  return {
    result,
    rows: [
      {
        figure: `cold read: create, fetch, settle (${count} entries)`,
        verity: result.verityUs,
        peer: result.queryCoreUs,
        unit: 'µs/entry',
        ratio: result.ratio,
      },
    ],
  };
}

/**
 * Reads of entries that are cached and fresh (no fetch): `fetchItem`, also with an unrelated lifecycle
 * listener registered (events nobody listens to must cost nothing), next to query-core's `ensureQueryData`.
 * µs per read, over `count` reads.
 */
export async function freshRead(count = 10_000, rounds = 7): Promise<BenchOutput> {
  const registry = verityRegistry();
  await fillVerity(registry, count);
  const listening = verityRegistry();
  await fillVerity(listening, count);
  listening.onLifecycle('sse:open', () => {});
  const client = queryClient();
  await fillQueryCore(client, count);
  const readAll = (r: TodoRegistry): number => {
    const start = performance.now();
    for (let i = 0; i < count; i++) r.fetchItem('todo', i);
    return ((performance.now() - start) / count) * 1000;
  };
  const samples = await alternate(rounds, {
    verity: () => readAll(registry),
    withListener: () => readAll(listening),
    queryCore: async () => {
      const start = performance.now();
      const reads: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const id = String(i);
        reads.push(client.ensureQueryData({ queryKey: ['todo', id], queryFn: async () => todo(id) }));
      }
      await Promise.all(reads);
      return ((performance.now() - start) / count) * 1000;
    },
  });
  registry.dispose();
  listening.dispose();
  client.clear();
  const m = medians(samples);
  const result = {
    entries: count,
    verityUs: round(m.verity),
    withListenerUs: round(m.withListener),
    queryCoreUs: round(m.queryCore),
    ratio: round(ratio(m.queryCore, m.verity)),
  };
  return {
    result,
    rows: [
      {
        figure: 'fresh read (fetchItem vs ensureQueryData)',
        verity: result.verityUs,
        peer: result.queryCoreUs,
        unit: 'µs/read',
        ratio: result.ratio,
      },
      {
        figure: 'fresh read, unrelated onLifecycle listener',
        verity: result.withListenerUs,
        peer: result.queryCoreUs,
        unit: 'µs/read',
        ratio: ratio(m.queryCore, m.withListener),
      },
    ],
  };
}

/** Tear-down of `count` live entries (one subscriber each): `dispose()` next to `queryClient.clear()`. */
export async function dispose(count = 10_000, rounds = 3): Promise<BenchOutput> {
  const samples = await alternate(rounds, {
    verity: async () => {
      const registry = verityRegistry();
      await fillVerity(registry, count);
      subscribeAll(registry, count);
      heapUsed();
      const start = performance.now();
      registry.dispose();
      return performance.now() - start;
    },
    queryCore: async () => {
      const client = queryClient();
      client.mount();
      await fillQueryCore(client, count);
      observeAll(client, count);
      heapUsed();
      const start = performance.now();
      client.clear();
      client.unmount();
      return performance.now() - start;
    },
  });
  const m = medians(samples);
  const result = {
    entries: count,
    liveMs: round(m.verity),
    queryCoreMs: round(m.queryCore),
    ratio: round(ratio(m.queryCore, m.verity)),
  };
  return {
    result,
    rows: [
      {
        figure: `dispose ${count} live entries vs clear()`,
        verity: result.liveMs,
        peer: result.queryCoreMs,
        unit: 'ms',
        ratio: result.ratio,
      },
    ],
  };
}
