// Memory per rendered row: useItem (a ref, a view, a listener; no live actor) next to a query-core QueryObserver row.
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { Window } from 'happy-dom';
import { createElement, type ReactNode, useState, useSyncExternalStore } from 'react';
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

/** The core of @tanstack/react-query's useBaseQuery: one QueryObserver per row, read through useSyncExternalStore. */
function useQueryRow(client: QueryClient, id: string): Todo | undefined {
  const [observer] = useState(
    () => new QueryObserver<Todo>(client, { queryKey: ['todo', id], staleTime: Number.POSITIVE_INFINITY }),
  );
  const result = useSyncExternalStore(
    (onChange) => observer.subscribe(onChange),
    () => observer.getCurrentResult(),
  );
  return result.data;
}

function QueryRow({ client, id }: { client: QueryClient; id: string }): ReactNode {
  const data = useQueryRow(client, id);
  return data?.title ?? null;
}

async function mount(element: ReactNode, container: HTMLElement): Promise<{ root: Root; bytes: number }> {
  const before = heapUsed();
  const root = createRoot(container as unknown as Element);
  flushSync(() => root.render(element));
  await drain();
  return { root, bytes: heapUsed() - before };
}

/**
 * Heap bytes a rendered row adds over a plain row that renders the same text, every entry already cached
 * (fresh) on both sides: for verity a ref, its view and a listener (and no running actor, checked); for
 * query-core a QueryObserver read the way @tanstack/react-query's useBaseQuery reads it.
 */
export async function memoryPerRenderedRow(count = 2_000, rounds = 3): Promise<BenchOutput> {
  const window = installDom();
  const ids = Array.from({ length: count }, (_, i) => String(i));
  const container = window.document.createElement('div') as unknown as HTMLElement;
  window.document.body.appendChild(container as never);
  const list = (row: (id: string) => ReactNode) => createElement('ul', null, ids.map(row));

  const registry = createRegistry({
    sse: { enabled: false },
    memory: { sweepIntervalMs: 0 },
    stalenessMs: 60 * 60_000,
    logging: { level: 'silent' },
  }) as unknown as Registry<RegisteredSchema>;
  registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}` }) });
  for (const id of ids) registry.fetchItem('todo', id);
  while (registry.hasAnyInFlightRequests()) await drain();

  const client = new QueryClient({ defaultOptions: { queries: { staleTime: 60 * 60_000 } } });
  client.mount();
  await Promise.all(
    ids.map((id) =>
      client.fetchQuery({ queryKey: ['todo', id], queryFn: async () => ({ id, title: `todo ${id}` }) }),
    ),
  );

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
      return bytes / count;
    },
    queryCore: async () => {
      const { root, bytes } = await mount(
        list((id) => createElement(QueryRow, { key: id, client, id })),
        container,
      );
      root.unmount();
      return bytes / count;
    },
  });
  registry.dispose();
  client.clear();
  client.unmount();
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
