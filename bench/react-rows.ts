// Memory per rendered row: useItem (a ref, a view, a snapshot, a listener; no live actor) next to a query-core row.
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { Window } from 'happy-dom';
import {
  createContext,
  createElement,
  type ReactNode,
  useContext,
  useState,
  useSyncExternalStore,
} from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { createRegistry } from '../src/index';
import { type RegisteredSchema, useItem, VerityProvider } from '../src/react/index';
import type { Registry } from '../src/registry/registry-api';
import { alternate, drain, heapUsed, medians, ratio, round } from './harness';
import type { BenchOutput } from './report';

interface Todo {
  id: string;
  title: string;
}

function installDom(): Window {
  const window = new Window();
  const globals = globalThis as Record<string, unknown>;
  globals.window = window;
  globals.document = window.document;
  globals.HTMLElement = window.HTMLElement;
  globals.Node = window.Node;
  globals.IS_REACT_ACT_ENVIRONMENT = false;
  return window;
}

function PlainRow({ id }: { id: string }): ReactNode {
  return `todo ${id}`;
}

function VerityRow({ id }: { id: string }): ReactNode {
  const { data } = useItem('todo', id);
  return (data as Todo | null)?.title ?? null;
}

/** @tanstack/react-query's QueryClientProvider: rows find their client in context, as verity's find the registry. */
const QueryClientContext = createContext<QueryClient | null>(null);

/**
 * The core of @tanstack/react-query's useBaseQuery: the client from context (useQueryClient), one QueryObserver per
 * row, read through useSyncExternalStore. Leaner than useQuery itself (no useIsRestoring, no error-reset boundary,
 * no tracked result): a verity row is held to the cost of the observer, as the goal says.
 */
function useQueryRow(id: string): Todo | undefined {
  const client = useContext(QueryClientContext)!;
  const [observer] = useState(
    () => new QueryObserver<Todo>(client, { queryKey: ['todo', id], staleTime: Number.POSITIVE_INFINITY }),
  );
  const result = useSyncExternalStore(
    (onChange) => observer.subscribe(onChange),
    () => observer.getCurrentResult(),
  );
  return result.data;
}

function QueryRow({ id }: { id: string }): ReactNode {
  const data = useQueryRow(id);
  return data?.title ?? null;
}

async function mount(element: ReactNode, container: HTMLElement): Promise<{ root: Root; bytes: number }> {
  const before = heapUsed();
  const root = createRoot(container as unknown as Element);
  flushSync(() => root.render(element));
  await drain();
  return { root, bytes: heapUsed() - before };
}

/** A registry holding `ids`, fetched and fresh, none of them read yet. */
async function cachedRegistry(ids: readonly string[]): Promise<Registry<RegisteredSchema>> {
  const registry = createRegistry({
    sse: { enabled: false },
    memory: { sweepIntervalMs: 0 },
    stalenessMs: 60 * 60_000,
    logging: { level: 'silent' },
  }) as unknown as Registry<RegisteredSchema>;
  registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}` }) });
  for (const id of ids) registry.fetchItem('todo', id);
  while (registry.hasAnyInFlightRequests()) await drain();
  return registry;
}

/** A query client holding `ids`, fetched and fresh, none of them observed yet. */
async function cachedClient(ids: readonly string[]): Promise<QueryClient> {
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: 60 * 60_000 } } });
  client.mount();
  await Promise.all(
    ids.map((id) =>
      client.fetchQuery({ queryKey: ['todo', id], queryFn: async () => ({ id, title: `todo ${id}` }) }),
    ),
  );
  return client;
}

/**
 * Heap bytes a rendered row adds over a plain row that renders the same text, every entry already cached
 * (fresh) on both sides and not read yet: for verity a ref, its view, the entry's `{ data, meta }` snapshot the
 * row makes exist, and a listener (and no running actor, checked); for query-core a QueryObserver and its result,
 * read the way @tanstack/react-query's useBaseQuery reads them. Each round fills a cache of its own, so no round
 * finds snapshots an earlier one left.
 */
export async function memoryPerRenderedRow(count = 2_000, rounds = 3): Promise<BenchOutput> {
  const window = installDom();
  const ids = Array.from({ length: count }, (_, i) => String(i));
  const container = window.document.createElement('div') as unknown as HTMLElement;
  window.document.body.appendChild(container as never);
  const list = (row: (id: string) => ReactNode) => createElement('ul', null, ids.map(row));

  const samples = await alternate(rounds, {
    plain: async () => {
      const { root, bytes } = await mount(
        list((id) => createElement(PlainRow, { key: id, id })),
        container,
      );
      root.unmount();
      return bytes / count;
    },
    verity: async () => {
      const registry = await cachedRegistry(ids);
      const { root, bytes } = await mount(
        createElement(
          VerityProvider,
          { registry },
          list((id) => createElement(VerityRow, { key: id, id })),
        ),
        container,
      );
      const running = registry.devtools().entries.filter((entry) => entry.running).length;
      if (running !== 0) throw new Error(`rendered rows should not run actors; ${running} do`);
      root.unmount();
      registry.dispose();
      return bytes / count;
    },
    queryCore: async () => {
      const client = await cachedClient(ids);
      const { root, bytes } = await mount(
        createElement(
          QueryClientContext.Provider,
          { value: client },
          list((id) => createElement(QueryRow, { key: id, id })),
        ),
        container,
      );
      root.unmount();
      client.clear();
      client.unmount();
      return bytes / count;
    },
  });
  await window.happyDOM.close();

  const m = medians(samples);
  const verity = m.verity - m.plain;
  const peer = m.queryCore - m.plain;
  const result = {
    rows: count,
    plainRowBytes: Math.round(m.plain),
    verityRowBytes: Math.round(verity),
    queryCoreRowBytes: Math.round(peer),
    ratio: round(ratio(peer, verity)),
  };
  return {
    result,
    rows: [
      {
        figure: `memory per rendered row, over a plain row (${count} rows, cached)`,
        verity,
        peer,
        unit: 'bytes',
        ratio: result.ratio,
      },
    ],
  };
}
