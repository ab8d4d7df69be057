// Scenario: rows scrolled away lose their subscriber; the sweeper evicts them beyond the per-type cap.
import type { Meta, StoryObj } from '@storybook/react-vite';
import { type ReactNode, useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { bulkFetchTodos, fetchTodo } from './support/todo-client';
import { TodoRows } from './support/ui';

const PAGE = 8;
const api = new TodoApi(40);

function Scroller(): ReactNode {
  const [first, setFirst] = useState(1);
  const ids = Array.from({ length: PAGE }, (_, i) => String(first + i));
  return (
    <div>
      <button type="button" onClick={() => setFirst((n) => n + PAGE)}>
        Scroll down
      </button>
      <TodoRows ids={ids} />
    </div>
  );
}

function MemoryEviction(): ReactNode {
  const scenario = useScenario(
    api,
    (registry) => {
      registry.createType('todo', {
        fetch: (id, _level, context) => fetchTodo(id, 'default', context),
        bulkFetch: bulkFetchTodos,
      });
    },
    { memory: { maxItemsPerType: PAGE, sweepIntervalMs: 200 } },
  );
  return (
    <ScenarioFrame scenario={scenario}>
      <Scroller />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Memory eviction',
  component: MemoryEviction,
  ...api.annotations(),
} satisfies Meta<typeof MemoryEviction>;
export default meta;

export const RowsScrolledAwayAreEvicted: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(itemsOf(canvasElement, 'rows')[0]).toBe('todo 1'));
    for (const first of [9, 17]) {
      await userEvent.click(canvas.getByRole('button', { name: 'Scroll down' }));
      await waitFor(() => expect(itemsOf(canvasElement, 'rows')[0]).toBe(`todo ${first}`));
    }
    // Only the rows on screen stay cached: the 16 scrolled away are evicted (LRU beyond the cap of 8).
    await waitFor(
      () =>
        expect(itemsOf(canvasElement, 'entries')).toEqual(
          Array.from({ length: PAGE }, (_, i) => `item:todo:${17 + i} fresh (1 on screen)`),
        ),
      { timeout: 2_000 },
    );
    expect(itemsOf(canvasElement, 'events').filter((line) => line.startsWith('cache:evict'))).toHaveLength(
      16,
    );
    // One bulk call per page of rows: eviction never refetched a row still on screen.
    expect(api.log).toEqual(Array.from({ length: 3 }, () => 'POST /api/todos/bulk level=default (8 ids)'));
  },
};
