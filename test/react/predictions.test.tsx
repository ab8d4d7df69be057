// @vitest-environment happy-dom
// Predictions in React (SPEC §6, §8): a counter ticks at once as a pending guess; a list waits for the truth.
import { act, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { type CollectionData, definePredictions } from '../../src/index';
import { useCollection } from '../../src/react/index';
import { withFakeClock } from '../support/clock';
import { type Deferred, deferred } from '../support/deferred';
import { Counted, makeTypedRegistry, renderCounter, renderWith } from '../support/react';

withFakeClock();

const advance = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));

type TodosData = CollectionData<{ readonly total: number }>;

/** The count is predictable from the input; the list itself waits for the server ('await-truth' elsewhere). */
const addTodo = definePredictions<'todos', { title: string }, { todos: TodosData }>({
  todos: (current) => ({
    ids: current?.ids ?? [],
    count: (current?.count ?? 0) + 1,
    meta: current?.meta ?? null,
  }),
});

function OpenCount(): ReactNode {
  const { data, meta, predicted } = useCollection('todos');
  return (
    <output data-testid="count" className={meta.isPredicted ? 'pending' : 'settled'}>
      {predicted?.count ?? data?.count ?? '…'}
    </output>
  );
}

function List(): ReactNode {
  const { data } = useCollection('todos');
  return (
    <ul data-testid="list">
      {data?.ids.map((id) => (
        <li key={String(id)}>{String(id)}</li>
      ))}
    </ul>
  );
}

describe('predictions through the hooks', () => {
  it('the count shows the guess, styled pending, until the truth settles; the list renders only truth', async () => {
    const server = { ids: ['t1'] };
    const responses: Deferred<Response>[] = [];
    const registry = makeTypedRegistry({
      fetch: () => {
        const response = deferred<Response>();
        responses.push(response);
        return response.promise;
      },
    });
    registry.createCollection('todos', {
      fetch: async () => ({
        ids: [...server.ids],
        count: server.ids.length,
        meta: { total: server.ids.length },
      }),
    });
    const renders = renderCounter();
    renderWith(
      registry,
      <>
        <OpenCount />
        <Counted id="list" counter={renders}>
          <List />
        </Counted>
      </>,
    );
    await advance(100);
    const count = screen.getByTestId('count');
    expect([count.textContent, count.className]).toEqual(['1', 'settled']);
    renders.reset();

    let done!: Promise<unknown>;
    await act(async () => {
      done = registry.mutate('/api/todos', { method: 'POST' }, { predict: addTodo, input: { title: 'new' } });
    });
    expect([count.textContent, count.className]).toEqual(['2', 'pending']);
    // The list reads only `data`, which a guess never changes: no render for it.
    expect(renders.of('list')).toBe(0);
    expect(screen.getByTestId('list').textContent).toBe('t1');

    server.ids.push('t2');
    responses[0]!.resolve(
      new Response(JSON.stringify({ directives: [{ op: 'refresh_collection', name: 'todos' }] }), {
        status: 201,
      }),
    );
    await advance(100);
    await act(() => done);
    expect([count.textContent, count.className]).toEqual(['2', 'settled']);
    expect(screen.getByTestId('list').textContent).toBe('t1t2');
    expect(renders.of('list')).toBe(1);
  });
});
