// Requests each scenario sends, verity next to @tanstack/query-core doing the same job, against the scenario's floor.
import { QueryClient, type QueryKey, QueryObserver } from '@tanstack/query-core';
import { createRegistry, type Registry } from '../src/index';
import { alternate, medians, ratio, sleep } from './harness';
import { filterSwitching, levelCover, listWithSummaries, touchedEntries } from './minimums';
import type { BenchOutput, TableRow } from './report';

/** Both sides at verity's defaults: 50 ms bulk window, batches of 100, fresh for 15 s. */
const MAX_BATCH = 100;
const STALE_MS = 15_000;

interface Row {
  id: string;
  title: string;
}

type Schema = {
  types: { todo: Row };
  collections: { todos: { params: Record<string, unknown>; meta: unknown } };
};

const row = (id: string): Row => ({ id, title: `todo ${id}` });
const range = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));
const noop = (): void => {};

interface Side {
  requests: number;
}

function verity(): Registry<Schema> {
  return createRegistry<Schema>({
    sse: { enabled: false },
    memory: { sweepIntervalMs: 0 },
    logging: { level: 'silent' },
  });
}

/** Item fetchers that count every call: one per `fetch`, one per `bulkFetch`, whatever the level. */
function countingType(
  registry: Registry<Schema>,
  side: Side,
  levels: readonly string[] = [],
  levelConversionMap: Record<string, string[]> = {},
): void {
  const fetch = (id: string): Row => {
    side.requests += 1;
    return row(id);
  };
  const bulkFetch = (ids: string[]): Row[] => {
    side.requests += 1;
    return ids.map(row);
  };
  registry.createType('todo', {
    fetch,
    bulkFetch,
    levels: Object.fromEntries(levels.map((level) => [level, { fetch, bulkFetch }])),
    levelConversionMap,
  });
}

function countingCollection(registry: Registry<Schema>, side: Side, ids: string[], latencyMs = 0): void {
  registry.createCollection('todos', {
    fetch: (_params, { signal }) => {
      side.requests += 1;
      return respond({ ids }, latencyMs, signal);
    },
  });
}

/** A response after `latencyMs`, given up when the caller aborts, as `fetch(url, { signal })` would be. */
function respond<T>(value: T, latencyMs: number, signal: AbortSignal): Promise<T> {
  if (latencyMs === 0) return Promise.resolve(value);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), latencyMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

async function settleVerity(registry: Registry<Schema>): Promise<void> {
  do await sleep(60);
  while (registry.hasAnyInFlightRequests() || registry.state().bulk.pending);
}

function peer(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { staleTime: STALE_MS, retry: false } } });
}

async function settlePeer(client: QueryClient): Promise<void> {
  do await sleep(20);
  while (client.isFetching() > 0);
}

function observe(client: QueryClient, side: Side, queryKey: QueryKey, latencyMs = 0): QueryObserver<unknown> {
  const observer = new QueryObserver<unknown>(client, {
    queryKey,
    queryFn: ({ signal }) => {
      side.requests += 1;
      return respond(queryKey, latencyMs, signal);
    },
  });
  observer.subscribe(noop);
  return observer;
}

/** `collections` param sets and `items` items, each with a subscriber, fetched; the counter then reset. */
async function watchedVerity(
  side: Side,
  shape: { collections: number; items: number },
): Promise<Registry<Schema>> {
  const registry = verity();
  countingType(registry, side);
  countingCollection(registry, side, []);
  for (let page = 0; page < shape.collections; page++) {
    registry.fetchCollection('todos', { params: { page } }).subscribe(noop);
  }
  for (const id of range(shape.items)) registry.fetchItem('todo', id).subscribe(noop);
  await settleVerity(registry);
  side.requests = 0;
  return registry;
}

/** The same entries as query-core queries, each with a subscribed observer. */
async function watchedPeer(side: Side, shape: { collections: number; items: number }): Promise<QueryClient> {
  const client = peer();
  for (let page = 0; page < shape.collections; page++) observe(client, side, ['todos', { page }]);
  for (const id of range(shape.items)) observe(client, side, ['todo', id]);
  await settlePeer(client);
  side.requests = 0;
  return client;
}

interface Scenario {
  name: string;
  minimum: number;
  verity(side: Side): Promise<void>;
  queryCore(side: Side): Promise<void>;
}

const LIST_ROWS = 1000;
const BURST = { directives: 500, collections: 10, items: 40 };
const LEVELS = ['summary', 'detail', 'full'];
const CONVERSIONS: Record<string, string[]> = { full: ['detail', 'summary'], detail: ['summary'] };
const RESYNC = { collections: 20, items: 300 };
const FILTERS = ['all', 'open', 'done', 'mine', 'all', 'open', 'done', 'mine', 'open', 'all', 'mine', 'done'];

const scenarios: Scenario[] = [
  {
    name: `${LIST_ROWS}-row list with item summaries`,
    minimum: listWithSummaries(LIST_ROWS, MAX_BATCH),
    async verity(side) {
      const registry = verity();
      countingType(registry, side, ['summary']);
      countingCollection(registry, side, range(LIST_ROWS));
      const list = registry.fetchCollection('todos');
      list.subscribe(noop);
      await settleVerity(registry);
      for (const id of list.data.ids) registry.fetchItem('todo', id, 'summary').subscribe(noop);
      await settleVerity(registry);
      registry.dispose();
    },
    async queryCore(side) {
      const client = peer();
      observe(client, side, ['todos']);
      await settlePeer(client);
      for (const id of range(LIST_ROWS)) observe(client, side, ['todo', id, 'summary']);
      await settlePeer(client);
      client.clear();
    },
  },
  {
    name: `${BURST.directives}-directive burst touching ${BURST.collections + BURST.items} entries`,
    minimum: touchedEntries(BURST.collections, BURST.items, MAX_BATCH),
    async verity(side) {
      const registry = await watchedVerity(side, BURST);
      // Ten calls of fifty, back to back, as ten stream envelopes or mutation responses would arrive.
      const burst = Array.from({ length: BURST.directives }, (_, k) =>
        k % 5 === 0
          ? { op: 'refresh_collection', name: 'todos', params: { page: (k / 5) % BURST.collections } }
          : { op: 'refresh_item', name: 'todo', id: k % BURST.items },
      );
      const calls = [];
      for (let start = 0; start < burst.length; start += 50) {
        calls.push(registry.applyDirectives(burst.slice(start, start + 50)));
      }
      await Promise.all(calls);
      await settleVerity(registry);
      registry.dispose();
    },
    async queryCore(side) {
      const client = await watchedPeer(side, BURST);
      const calls = [];
      for (let k = 0; k < BURST.directives; k++) {
        const queryKey =
          k % 5 === 0 ? ['todos', { page: (k / 5) % BURST.collections }] : ['todo', String(k % 40)];
        calls.push(client.invalidateQueries({ queryKey, exact: true }).catch(noop));
      }
      await Promise.all(calls);
      await settlePeer(client);
      client.clear();
    },
  },
  {
    name: 'refresh_item on an item holding three levels',
    minimum: levelCover(LEVELS, CONVERSIONS),
    async verity(side) {
      const registry = verity();
      countingType(registry, side, LEVELS, CONVERSIONS);
      for (const level of LEVELS) {
        registry.fetchItem('todo', '1', level).subscribe(noop);
        await settleVerity(registry);
      }
      side.requests = 0;
      await registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: '1' }]);
      await settleVerity(registry);
      registry.dispose();
    },
    async queryCore(side) {
      const client = peer();
      for (const level of LEVELS) observe(client, side, ['todo', '1', level]);
      await settlePeer(client);
      side.requests = 0;
      await client.invalidateQueries({ queryKey: ['todo', '1'] });
      await settlePeer(client);
      client.clear();
    },
  },
  {
    name: `reconnect resync, ${RESYNC.collections} active collections and ${RESYNC.items} active items`,
    minimum: touchedEntries(RESYNC.collections, RESYNC.items, MAX_BATCH),
    async verity(side) {
      const registry = await watchedVerity(side, RESYNC);
      // What a reconnect that finds a gap or a new epoch dispatches once its jitter has passed.
      await registry.resync({ reason: 'gap' });
      await settleVerity(registry);
      registry.dispose();
    },
    async queryCore(side) {
      const client = await watchedPeer(side, RESYNC);
      // A query-core app that learns it missed events can only invalidate everything (active ones refetch).
      await client.invalidateQueries();
      await settlePeer(client);
      client.clear();
    },
  },
  {
    name: `rapid filter switching, ${FILTERS.length} switches among ${new Set(FILTERS).size} filters`,
    minimum: filterSwitching(FILTERS),
    async verity(side) {
      const registry = verity();
      countingCollection(registry, side, range(20), 20);
      const list = registry.fetchCollection('todos', { params: { filter: FILTERS[0] } });
      list.subscribe(noop);
      for (const filter of FILTERS.slice(1)) {
        await sleep(5);
        list.setParams({ filter });
      }
      await settleVerity(registry);
      registry.dispose();
    },
    async queryCore(side) {
      const client = peer();
      const observer = observe(client, side, ['todos', { filter: FILTERS[0] }], 20);
      for (const filter of FILTERS.slice(1)) {
        await sleep(5);
        const queryKey = ['todos', { filter }];
        observer.setOptions({
          queryKey,
          queryFn: ({ signal }) => {
            side.requests += 1;
            return respond(queryKey, 20, signal);
          },
        });
      }
      await settlePeer(client);
      client.clear();
    },
  },
];

export async function network(rounds = 3): Promise<BenchOutput> {
  const result: Array<{ scenario: string; requests: number; minimum: number; queryCoreRequests: number }> =
    [];
  const rows: TableRow[] = [];
  for (const scenario of scenarios) {
    const samples = await alternate(rounds, {
      verity: async () => {
        const side = { requests: 0 };
        await scenario.verity(side);
        return side.requests;
      },
      queryCore: async () => {
        const side = { requests: 0 };
        await scenario.queryCore(side);
        return side.requests;
      },
    });
    const m = medians(samples);
    result.push({
      scenario: scenario.name,
      requests: m.verity,
      minimum: scenario.minimum,
      queryCoreRequests: m.queryCore,
    });
    rows.push({
      figure: `network: ${scenario.name}`,
      verity: m.verity,
      peer: m.queryCore,
      unit: `requests (minimum ${scenario.minimum})`,
      ratio: ratio(m.queryCore, m.verity),
    });
  }
  return { result, rows };
}
