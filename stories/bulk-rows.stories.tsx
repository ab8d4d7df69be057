// Scenario: 200 rows read at once go out as bulk calls (chunks of maxBatchSize), not 200 requests.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, waitFor } from 'storybook/test';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { bulkFetchTodos, fetchTodo } from './support/todo-client';
import { TodoRows } from './support/ui';

const api = new TodoApi(200);
const ids = Array.from({ length: 200 }, (_, i) => String(i + 1));

function BulkRows(): ReactNode {
  const scenario = useScenario(api, (registry) => {
    registry.createType('todo', {
      fetch: (id, _level, context) => fetchTodo(id, 'default', context),
      bulkFetch: bulkFetchTodos,
    });
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <TodoRows ids={ids} />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Bulk rows',
  component: BulkRows,
  ...api.annotations(),
} satisfies Meta<typeof BulkRows>;
export default meta;

export const TwoHundredRowsInTwoBulkCalls: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    await waitFor(() =>
      expect(itemsOf(canvasElement, 'rows').filter((row) => row.startsWith('todo '))).toHaveLength(200),
    );
    expect(api.log).toEqual([
      'POST /api/todos/bulk level=default (100 ids)',
      'POST /api/todos/bulk level=default (100 ids)',
    ]);
    expect(itemsOf(canvasElement, 'requests')).toEqual(api.log);
  },
};
