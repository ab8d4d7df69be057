// Core cache benchmarks, each next to @tanstack/query-core measured in the same run.
import { QueryClient } from '@tanstack/query-core';
import { createRegistry, type Registry } from '../src/index';

export interface BenchRow {
  name: string;
  verity: number;
  peer: number;
  unit: string;
  /** verity / peer: below 1 is better than the peer. */
  ratio: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (!gc) throw new Error('Run the benchmarks with node --expose-gc (npm run bench does).');
  for (let i = 0; i < 3; i++) gc();
}

async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function verityRegistry(): Registry {
  return createRegistry({
    // resyncWindowMs 0: only subscribers make an entry active, so a directive on an idle entry marks it stale.
    sse: { enabled: false, resyncWindowMs: 0 },
    bulk: { delayMs: 0 },
    memory: { sweepIntervalMs: 0 },
    logging: { level: 'silent' },
  });
}

async function fillVerity(registry: Registry, count: number): Promise<void> {
  registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}`, done: false }) });
  for (let i = 0; i < count; i++) registry.fetchItem('todo', i);
  while (registry.hasAnyInFlightRequests()) await drain();
}

async function fillQueryCore(client: QueryClient, count: number): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(i);
    pending.push(
      client.fetchQuery({
        queryKey: ['todo', id],
        queryFn: async () => ({ id, title: `todo ${id}`, done: false }),
      }),
    );
  }
  await Promise.all(pending);
}

/** Heap bytes per idle cached entry (fetched, no subscriber), default settings for both. */
export async function memoryPerIdleEntry(count = 20_000): Promise<BenchRow> {
  collect();
  const before = process.memoryUsage().heapUsed;
  const registry = verityRegistry();
  await fillVerity(registry, count);
  collect();
  const verity = (process.memoryUsage().heapUsed - before) / count;
  registry.dispose();

  collect();
  const beforePeer = process.memoryUsage().heapUsed;
  const client = new QueryClient();
  await fillQueryCore(client, count);
  collect();
  const peer = (process.memoryUsage().heapUsed - beforePeer) / count;
  client.clear();
  return {
    name: `memory per idle entry (${count} entries)`,
    verity,
    peer,
    unit: 'bytes',
    ratio: verity / peer,
  };
}

/** Time to tear down a cache of live entries: every entry subscribed (a running actor / an observer). */
export async function disposeLive(count = 10_000): Promise<BenchRow> {
  const registry = verityRegistry();
  await fillVerity(registry, count);
  const unsubscribers: Array<() => void> = [];
  for (let i = 0; i < count; i++) unsubscribers.push(registry.fetchItem('todo', i).subscribe(() => {}));
  // Collect first on both sides, so neither pays for the other's garbage.
  collect();
  let start = performance.now();
  registry.dispose();
  const verity = performance.now() - start;

  const { QueryObserver } = await import('@tanstack/query-core');
  const client = new QueryClient();
  client.mount();
  await fillQueryCore(client, count);
  const peerUnsubscribers: Array<() => void> = [];
  for (let i = 0; i < count; i++) {
    const observer = new QueryObserver(client, {
      queryKey: ['todo', String(i)],
      staleTime: Number.POSITIVE_INFINITY,
    });
    peerUnsubscribers.push(observer.subscribe(() => {}));
  }
  collect();
  start = performance.now();
  client.clear();
  client.unmount();
  const peer = performance.now() - start;
  return { name: `dispose ${count} live entries`, verity, peer, unit: 'ms', ratio: verity / peer };
}

/**
 * Cost per directive of a 1,000-directive burst on a 50,000-entry cache (passive entries: marked stale, no
 * fetch), next to ONE exact-key invalidateQueries call on a query-core cache of the same size.
 */
export async function directiveBurst(cacheSize = 50_000, burst = 1_000): Promise<BenchRow> {
  const registry = verityRegistry();
  await fillVerity(registry, cacheSize);
  // Make every entry passive: a directive only marks it stale.
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const directives = [];
    for (let i = 0; i < burst; i++) {
      directives.push({ op: 'refresh_item', name: 'todo', id: (round * burst + i * 37) % cacheSize });
    }
    const start = performance.now();
    await registry.applyDirectives(directives, { disableIdempotencyGuard: true });
    samples.push((performance.now() - start) / burst);
  }
  const verity = median(samples);
  registry.dispose();

  const client = new QueryClient();
  await fillQueryCore(client, cacheSize);
  const peerSamples: number[] = [];
  for (let round = 0; round < 20; round++) {
    const start = performance.now();
    await client.invalidateQueries({
      queryKey: ['todo', String(round * 97)],
      exact: true,
      refetchType: 'none',
    });
    peerSamples.push(performance.now() - start);
  }
  const peer = median(peerSamples);
  client.clear();
  return {
    name: `per directive, ${burst}-burst on ${cacheSize} entries vs one exact invalidateQueries`,
    verity,
    peer,
    unit: 'ms',
    ratio: verity / peer,
  };
}

/** Cold reads: create, fetch and settle `count` entries (per entry), next to query-core's fetchQuery. */
export async function coldReads(count = 10_000): Promise<BenchRow> {
  const registry = verityRegistry();
  collect();
  let start = performance.now();
  await fillVerity(registry, count);
  const verity = ((performance.now() - start) / count) * 1000;
  registry.dispose();

  const client = new QueryClient();
  collect();
  start = performance.now();
  await fillQueryCore(client, count);
  const peer = ((performance.now() - start) / count) * 1000;
  client.clear();
  return {
    name: `cold read: create, fetch, settle (${count} entries)`,
    verity,
    peer,
    unit: 'µs/entry',
    ratio: verity / peer,
  };
}
