// @vitest-environment happy-dom
// Contract: a component re-renders only when what it reads changes (SPEC §6), counted with React.Profiler.
import { act, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { useCollection, useItem } from '../../src/react/index';
import { withFakeClock } from '../support/clock';
import {
  Counted,
  makeTypedRegistry,
  type RenderCounter,
  renderCounter,
  renderWith,
  type Todo,
} from '../support/react';
import { controlledFetcher } from '../support/registry';

withFakeClock();

const ROWS = 1_000;
const ids = Array.from({ length: ROWS }, (_, i) => String(i + 1));
const advance = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));

function Row({ id }: { id: string }): ReactNode {
  const { data } = useItem('todo', id);
  return <li>{data?.title ?? '…'}</li>;
}

function Rows({ counter }: { counter: RenderCounter }): ReactNode {
  return (
    <ul>
      {ids.map((id) => (
        <Counted key={id} id={`row:${id}`} counter={counter}>
          <Row id={id} />
        </Counted>
      ))}
    </ul>
  );
}

/** 1,000 rendered rows, loaded and settled; the counter is reset after the load. */
async function thousandRows(title: (id: string) => string = (id) => `todo ${id}`) {
  const registry = makeTypedRegistry({ bulk: { delayMs: 10 } });
  const bulkFetch = vi.fn(
    async (list: string[]): Promise<Todo[]> => list.map((id) => ({ id, title: title(id), done: false })),
  );
  registry.createType('todo', { fetch: async (id) => ({ id, title: title(id) }), bulkFetch });
  const counter = renderCounter();
  renderWith(registry, <Rows counter={counter} />);
  await advance(10);
  expect(screen.getByText('todo 1000')).toBeTruthy();
  counter.reset();
  return { registry, counter, bulkFetch };
}

describe('render counts', () => {
  it('a directive that changes 1 of 1,000 rendered rows re-renders exactly that row, once', async () => {
    const { registry, counter } = await thousandRows();

    const applied = registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: '500', result: { data: { id: '500', title: 'renamed' } } },
    ]);
    await advance(10);
    await applied;

    expect(screen.getByText('renamed')).toBeTruthy();
    expect(counter.ids()).toEqual(['row:500']);
    expect(counter.of('row:500')).toBe(1);
  });

  it('a background refresh of all 1,000 rows with unchanged data re-renders nothing', async () => {
    const { registry, counter, bulkFetch } = await thousandRows();
    bulkFetch.mockClear();

    const applied = registry.applyDirectives(ids.map((id) => ({ op: 'refresh_item', name: 'todo', id })));
    await advance(10);
    await applied;

    // The refetch happened (10 bulk calls of 100), and nothing rendered.
    expect(bulkFetch).toHaveBeenCalledTimes(10);
    expect(counter.total()).toBe(0);
  });

  it('a list reading only data does not re-render when a refetch returns the same ids', async () => {
    const registry = makeTypedRegistry();
    registry.createCollection('todos', { fetch: async () => ({ ids: ['1', '2'], meta: { total: 2 } }) });
    const counter = renderCounter();
    function List(): ReactNode {
      const { data } = useCollection('todos', { params: { status: 'open' } });
      return <p>{data?.ids.join(',') ?? '…'}</p>;
    }
    renderWith(
      registry,
      <Counted id="list" counter={counter}>
        <List />
      </Counted>,
    );
    await advance(0);
    expect(screen.getByText('1,2')).toBeTruthy();
    counter.reset();

    const applied = registry.applyDirectives([{ op: 'refresh_collection', name: 'todos' }]);
    await advance(50);
    await applied;

    expect(counter.total()).toBe(0);
  });

  it('a row that shows isFetching re-renders for the refetch and its end, and no more', async () => {
    const registry = makeTypedRegistry();
    const fetcher = controlledFetcher<Todo>();
    registry.createType('todo', { fetch: fetcher.fetch });
    const counter = renderCounter();
    const shown: string[] = [];
    function Spinner(): ReactNode {
      const { data, meta } = useItem('todo', 1);
      shown.push(`${data?.title ?? '-'}:${meta.isFetching ? 'fetching' : 'idle'}`);
      return null;
    }
    renderWith(
      registry,
      <Counted id="row" counter={counter}>
        <Spinner />
      </Counted>,
    );
    await act(async () => fetcher.call(0).resolve({ id: '1', title: 'same' }));
    counter.reset();
    shown.length = 0;

    const applied = registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    await advance(50);
    await act(async () => fetcher.call(1).resolve({ id: '1', title: 'same' }));
    await applied;

    expect(shown).toEqual(['same:fetching', 'same:idle']);
    expect(counter.of('row')).toBe(2);
  });

  it('a row that reads only meta.isFetching does not re-render when its data changes without a fetch', async () => {
    const registry = makeTypedRegistry();
    registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}` }) });
    const counter = renderCounter();
    function Spinner(): ReactNode {
      const { meta } = useItem('todo', 1);
      return <p>{meta.isFetching ? 'fetching' : 'settled'}</p>;
    }
    renderWith(
      registry,
      <Counted id="spinner" counter={counter}>
        <Spinner />
      </Counted>,
    );
    await advance(0);
    expect(screen.getByText('settled')).toBeTruthy();
    counter.reset();

    const applied = registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: '1', result: { data: { id: '1', title: 'renamed' } } },
    ]);
    await advance(50);
    await applied;

    expect(registry.peekItem('todo', 1)?.data?.title).toBe('renamed');
    expect(counter.total()).toBe(0);
  });

  it('a parent re-render with nothing new hands the row the same result object', async () => {
    const registry = makeTypedRegistry();
    registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}` }) });
    const results: unknown[] = [];
    function Row({ tick }: { tick: number }): ReactNode {
      const result = useItem('todo', 1);
      results.push(result);
      return <p>{`${result.data?.title ?? '…'} ${tick}`}</p>;
    }
    const view = renderWith(registry, <Row tick={0} />);
    await advance(0);
    expect(screen.getByText('todo 1 0')).toBeTruthy();
    const settled = results.length;

    view.rerender(<Row tick={1} />);
    view.rerender(<Row tick={2} />);

    expect(screen.getByText('todo 1 2')).toBeTruthy();
    expect(results).toHaveLength(settled + 2);
    expect(new Set(results.slice(settled - 1))).toHaveProperty('size', 1);
  });

  it('a first load shows loading exactly once', async () => {
    const registry = makeTypedRegistry();
    registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}` }) });
    const counter = renderCounter();
    const states: string[] = [];
    function Loader(): ReactNode {
      const { data, meta } = useItem('todo', 1);
      states.push(meta.isLoading ? 'loading' : (data?.title ?? 'empty'));
      return null;
    }
    renderWith(
      registry,
      <Counted id="loader" counter={counter}>
        <Loader />
      </Counted>,
    );
    await advance(0);

    expect(states).toEqual(['empty', 'loading', 'todo 1']);
    expect(states.filter((state) => state === 'loading')).toHaveLength(1);
    expect(counter.of('loader')).toBe(3);
  });
});
