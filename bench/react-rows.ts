// Memory per rendered row: useItem (a ref, a view, a listener; no live actor) next to a query-core QueryObserver row.
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { Window } from 'happy-dom';
import { createElement, type ReactNode, useState, useSyncExternalStore } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { createRegistry, type Registry } from '../src/index';
import { useItem, VerityProvider } from '../src/react/index';
import type { BenchRow } from './core.bench';

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (!gc) throw new Error('Run the benchmarks with node --expose-gc (npm run bench does).');
  for (let i = 0; i < 3; i++) gc();
}

async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

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
  return id;
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

async function mount(element: ReactNode, container: Element): Promise<{ root: Root; bytes: number }> {
  collect();
  const before = process.memoryUsage().heapUsed;
  const root = createRoot(container);
  flushSync(() => root.render(element));
  await drain();
  collect();
  return { root, bytes: process.memoryUsage().heapUsed - before };
}

/** Heap bytes a rendered row adds over a plain row, with every entry already cached (fresh) on both sides. */
export async function memoryPerRenderedRow(count = 2_000): Promise<BenchRow> {
  const window = installDom();
  const ids = Array.from({ length: count }, (_, i) => String(i));
  const container = window.document.createElement('div');
  window.document.body.appendChild(container);

  const registry: Registry = createRegistry({
    sse: { enabled: false },
    memory: { sweepIntervalMs: 0 },
    logging: { level: 'silent' },
  });
  registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}` }) });
  for (const id of ids) registry.fetchItem('todo', id);
  while (registry.hasAnyInFlightRequests()) await drain();

  const client = new QueryClient();
  client.mount();
  await Promise.all(
    ids.map((id) =>
      client.fetchQuery({ queryKey: ['todo', id], queryFn: async () => ({ id, title: `todo ${id}` }) }),
    ),
  );

  const list = (row: (id: string) => ReactNode) => createElement('ul', null, ids.map(row));

  const plain = await mount(
    list((id) => createElement(PlainRow, { key: id, id })),
    container,
  );
  plain.root.unmount();

  const verity = await mount(
    createElement(VerityProvider, {
      registry,
      children: list((id) => createElement(VerityRow, { key: id, id })),
    }),
    container,
  );
  const running = registry.devtools().entries.filter((entry) => entry.running).length;
  if (running !== 0) throw new Error(`expected no running actors for rendered rows, found ${running}`);
  verity.root.unmount();

  const peer = await mount(
    list((id) => createElement(QueryRow, { key: id, client, id })),
    container,
  );
  peer.root.unmount();

  registry.dispose();
  client.clear();
  client.unmount();
  await window.happyDOM.close();
  const verityPerRow = (verity.bytes - plain.bytes) / count;
  const peerPerRow = (peer.bytes - plain.bytes) / count;
  return {
    name: `memory per rendered row over a plain row (${count} rows, cached data)`,
    verity: verityPerRow,
    peer: peerPerRow,
    unit: 'bytes',
    ratio: verityPerRow / peerPerRow,
  };
}
