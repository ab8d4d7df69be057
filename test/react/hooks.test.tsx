// @vitest-environment happy-dom
// Contract: the React hooks (SPEC §6) — reads in effects, StrictMode, enabled/null ids, bulk lists, suspense.
import { act, render, screen } from '@testing-library/react';
import { Component, type ReactNode, Suspense } from 'react';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { VerityError } from '../../src/index';
import {
  useCollection,
  useIsFetching,
  useItem,
  useItems,
  useRegistry,
  useSuspenseCollection,
  useSuspenseItem,
} from '../../src/react/index';
import type { CollectionData } from '../../src/registry/types';
import { withFakeClock } from '../support/clock';
import { recordLifecycle } from '../support/lifecycle';
import { controlledTodos, makeTypedRegistry, renderWith, type Todo } from '../support/react';
import { controlledFetcher } from '../support/registry';

withFakeClock();

const advance = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));

function todo(id: string, title = `todo ${id}`): Todo {
  return { id, title };
}

describe('useRegistry', () => {
  it('outside a provider throws a VerityError that names the fix', () => {
    function Orphan(): ReactNode {
      useRegistry();
      return null;
    }
    vi.spyOn(console, 'error').mockImplementation(() => {});
    let caught: unknown;
    try {
      render(<Orphan />);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VerityError);
    expect((caught as VerityError).code).toBe('NO_PROVIDER');
    expect((caught as Error).message).toContain('<VerityProvider registry=');
  });
});

describe('useItem', () => {
  it('reads in an effect: the render before it reads nothing, then one fetch, loading, data', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    const seen: Array<{ status: string; isLoading: boolean; title: string | null }> = [];
    function Row(): ReactNode {
      const { data, meta } = useItem('todo', 1);
      // Reading during render never fetches: at the first render the fetcher has not been called.
      if (seen.length === 0) expect(fetcher.count).toBe(0);
      seen.push({ status: meta.status, isLoading: meta.isLoading, title: data?.title ?? null });
      return <p>{data?.title ?? 'loading'}</p>;
    }
    renderWith(registry, <Row />);
    expect(fetcher.count).toBe(1);

    await act(async () => fetcher.call(0).resolve(todo('1', 'milk')));

    expect(screen.getByText('milk')).toBeTruthy();
    expect(seen).toEqual([
      { status: 'idle', isLoading: false, title: null },
      { status: 'fetching', isLoading: true, title: null },
      { status: 'fresh', isLoading: false, title: 'milk' },
    ]);
    expect(seen.filter((render) => render.isLoading)).toHaveLength(1);
  });

  it('StrictMode mounts twice and fetches once', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    function Row(): ReactNode {
      const { data } = useItem('todo', 'a');
      return <p>{data?.title ?? 'loading'}</p>;
    }
    renderWith(registry, <Row />, { strict: true });
    await act(async () => fetcher.call(0).resolve(todo('a', 'eggs')));

    expect(fetcher.count).toBe(1);
    expect(screen.getByText('eggs')).toBeTruthy();
  });

  it('a null id or enabled: false reads nothing and returns the idle result', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    const results: unknown[] = [];
    function Rows(): ReactNode {
      const none = useItem('todo', null);
      const off = useItem('todo', 7, null, { enabled: false });
      results.push(none, off);
      return null;
    }
    renderWith(registry, <Rows />);
    await advance(100);

    expect(fetcher.count).toBe(0);
    for (const result of results) {
      expect(result).toMatchObject({
        data: null,
        predicted: undefined,
        meta: { status: 'idle', isLoading: false, isFetching: false, error: null, lastFetched: null },
      });
    }
  });

  it('turning enabled on later starts the read then', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    function Row({ enabled }: { enabled: boolean }): ReactNode {
      const { data, meta } = useItem('todo', 3, null, { enabled });
      return <p>{data?.title ?? meta.status}</p>;
    }
    const view = renderWith(registry, <Row enabled={false} />);
    expect(fetcher.count).toBe(0);
    view.rerender(<Row enabled />);
    await act(async () => fetcher.call(0).resolve(todo('3', 'bread')));
    expect(screen.getByText('bread')).toBeTruthy();
  });

  it('unmounting releases the subscription, so the sweeper evicts the entry', async () => {
    const registry = makeTypedRegistry({ memory: { itemTtlMs: 1_000, sweepIntervalMs: 500 } });
    registry.createType('todo', { fetch: async (id) => todo(id) });
    const evictions = recordLifecycle(registry, ['cache:evict']);
    function Row(): ReactNode {
      const { data } = useItem('todo', 9);
      return <p>{data?.title ?? 'loading'}</p>;
    }
    const view = renderWith(registry, <Row />);
    await advance(0);
    await advance(5_000);
    // Mounted: a subscriber, never evicted.
    expect(evictions.events).toHaveLength(0);
    expect(registry.devtools().entries[0]).toMatchObject({ subscribers: 1 });

    view.unmount();
    expect(registry.devtools().entries[0]).toMatchObject({ subscribers: 0 });
    await advance(2_000);
    expect(evictions.events.map((event) => event.detail)).toEqual([
      expect.objectContaining({ type: 'todo', id: '9', reason: 'ttl' }),
    ]);
  });

  it('a rendered row holds a subscription, not a live actor', async () => {
    const registry = makeTypedRegistry();
    registry.createType('todo', { fetch: async (id) => todo(id) });
    function Row({ id }: { id: number }): ReactNode {
      const { data } = useItem('todo', id);
      return <p>{data?.title ?? 'loading'}</p>;
    }
    renderWith(
      registry,
      <>
        {[1, 2, 3].map((id) => (
          <Row key={id} id={id} />
        ))}
      </>,
    );
    await advance(0);
    expect(screen.getByText('todo 3')).toBeTruthy();
    expect(registry.devtools().entries.map(({ running, subscribers }) => ({ running, subscribers }))).toEqual(
      [
        { running: false, subscribers: 1 },
        { running: false, subscribers: 1 },
        { running: false, subscribers: 1 },
      ],
    );
  });

  it('is typed from the registered schema', () => {
    function Typed(): ReactNode {
      const item = useItem('todo', 1);
      const list = useCollection('todos', { params: { status: 'open' } });
      expectTypeOf(item.data).toEqualTypeOf<Todo | null>();
      expectTypeOf(item.predicted).toEqualTypeOf<Todo | undefined>();
      expectTypeOf(list.data).toEqualTypeOf<CollectionData<{ readonly total: number }> | null>();
      // @ts-expect-error an unregistered type name
      useItem('nope', 1);
      // @ts-expect-error params outside the collection's params type
      useCollection('todos', { params: { status: 1 } });
      return null;
    }
    expect(typeof Typed).toBe('function');
  });
});

describe('useCollection', () => {
  it('switching filters fast ends on the last filter data, whatever order the responses come in', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledTodos(registry);
    function List({ status }: { status: string }): ReactNode {
      const { data, meta } = useCollection('todos', { params: { status } });
      return <p>{meta.isLoading ? 'loading' : (data?.ids.join(',') ?? 'none')}</p>;
    }
    const view = renderWith(registry, <List status="a" />);
    view.rerender(<List status="b" />);
    view.rerender(<List status="c" />);
    expect(fetcher.calls.map((call) => call.params)).toEqual([
      { status: 'a' },
      { status: 'b' },
      { status: 'c' },
    ]);

    await act(async () => fetcher.call(2).resolve({ ids: ['c1'] }));
    await act(async () => fetcher.call(0).resolve({ ids: ['a1'] }));
    await act(async () => fetcher.call(1).resolve({ ids: ['b1'] }));

    expect(view.container.textContent).toBe('c1');
  });

  it('the same params in a new object are the same read', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledTodos(registry);
    function List(): ReactNode {
      const { data } = useCollection('todos', { params: { status: 'open', page: 1 } });
      return <p>{data?.ids.length ?? 0}</p>;
    }
    const view = renderWith(registry, <List />);
    view.rerender(<List />);
    view.rerender(<List />);
    expect(fetcher.count).toBe(1);
  });
});

describe('useItems', () => {
  it('the first reads of a list go out as one bulk call; one snapshot per id, in order', async () => {
    const registry = makeTypedRegistry();
    const bulkFetch = vi.fn(async (ids: string[]) => ids.map((id) => todo(id)));
    const fetch = vi.fn(async (id: string) => todo(id));
    registry.createType('todo', { fetch, bulkFetch });
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    function List(): ReactNode {
      const rows = useItems('todo', ids);
      return <p>{rows.map((row) => row.data?.id ?? '-').join(' ')}</p>;
    }
    const view = renderWith(registry, <List />);
    await advance(50);

    expect(bulkFetch).toHaveBeenCalledTimes(1);
    expect(bulkFetch.mock.calls[0]![0]).toEqual(ids.map(String));
    expect(fetch).not.toHaveBeenCalled();
    expect(view.container.textContent).toBe(ids.join(' '));
  });
});

describe('useIsFetching', () => {
  it('counts entries with a fetch in flight, all or by name', async () => {
    const registry = makeTypedRegistry();
    const items = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: items.fetch });
    const lists = controlledTodos(registry);
    const counts: string[] = [];
    function Spinner(): ReactNode {
      const all = useIsFetching();
      const todos = useIsFetching({ type: 'todo' });
      const collections = useIsFetching({ collection: 'todos' });
      counts.push(`${all}/${todos}/${collections}`);
      return null;
    }
    function Reader(): ReactNode {
      useItem('todo', 1);
      useItem('todo', 2);
      useCollection('todos');
      return null;
    }
    renderWith(
      registry,
      <>
        <Spinner />
        <Reader />
      </>,
    );
    expect(counts.at(-1)).toBe('3/2/1');
    await act(async () => items.call(0).resolve(todo('1')));
    expect(counts.at(-1)).toBe('2/1/1');
    await act(async () => {
      items.call(1).resolve(todo('2'));
      lists.call(0).resolve({ ids: [] });
    });
    expect(counts.at(-1)).toBe('0/0/0');
  });
});

class Boundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render(): ReactNode {
    return this.state.error ? <p>failed: {this.state.error.message}</p> : this.props.children;
  }
}

describe('suspense hooks', () => {
  it('useSuspenseItem suspends until the first fetch settles, then renders data (one fetch)', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    function Title(): ReactNode {
      const { data } = useSuspenseItem('todo', 4);
      expectTypeOf(data).toEqualTypeOf<Todo>();
      return <p>{data.title}</p>;
    }
    renderWith(
      registry,
      <Suspense fallback={<p>waiting</p>}>
        <Title />
      </Suspense>,
    );
    expect(screen.getByText('waiting')).toBeTruthy();
    await act(async () => fetcher.call(0).resolve(todo('4', 'jam')));
    await advance(0);
    expect(screen.getByText('jam')).toBeTruthy();
    expect(fetcher.count).toBe(1);
  });

  it('a failed first fetch throws its error to the nearest error boundary, without a retry loop', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    function Title(): ReactNode {
      const { data } = useSuspenseItem('todo', 5);
      return <p>{data.title}</p>;
    }
    renderWith(
      registry,
      <Boundary>
        <Suspense fallback={<p>waiting</p>}>
          <Title />
        </Suspense>
      </Boundary>,
    );
    await act(async () => fetcher.call(0).reject(new Error('HTTP 500')));
    await advance(0);
    expect(screen.getByText('failed: HTTP 500')).toBeTruthy();
    expect(fetcher.count).toBe(1);
  });

  it('useSuspenseCollection suspends, then renders the ids', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledTodos(registry);
    function Ids(): ReactNode {
      const { data } = useSuspenseCollection('todos', { params: { owner: 'ann' } });
      return <p>{data.ids.join(',')}</p>;
    }
    renderWith(
      registry,
      <Suspense fallback={<p>waiting</p>}>
        <Ids />
      </Suspense>,
    );
    await act(async () => fetcher.call(0).resolve({ ids: [1, 2] }));
    await advance(0);
    expect(screen.getByText('1,2')).toBeTruthy();
    expect(fetcher.count).toBe(1);
  });
});

describe('a hook result’s meta', () => {
  it('reads every field, the live lastUsedAt too, and spreads and serialises like the ref’s meta', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    const seen: Array<Record<string, unknown>> = [];
    function Row(): ReactNode {
      const { meta } = useItem('todo', 1);
      seen.push({ lastUsedAt: meta.lastUsedAt, spread: { ...meta }, json: JSON.parse(JSON.stringify(meta)) });
      return <p>{meta.status}</p>;
    }
    renderWith(registry, <Row />);
    await advance();
    await act(async () => fetcher.call(0).resolve(todo('1')));
    const ref = registry.fetchItem('todo', 1);
    const last = seen[seen.length - 1];
    expect(ref.meta.lastUsedAt).not.toBeNull();
    expect(last?.lastUsedAt).toBe(ref.meta.lastUsedAt);
    expect(last?.spread).toMatchObject({
      status: 'fresh',
      isLoading: false,
      lastUsedAt: ref.meta.lastUsedAt,
    });
    expect(last?.json).toMatchObject({ status: 'fresh', lastUsedAt: ref.meta.lastUsedAt });
  });
});
