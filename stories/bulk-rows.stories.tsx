// Scenario: 200 rows read at once go out as bulk calls (chunks of maxBatchSize), not 200 requests.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, waitFor } from 'storybook/test';
import { FakeServer } from './support/fake-server';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoRows } from './support/ui';

const ids = Array.from({ length: 200 }, (_, i) => String(i + 1));

function BulkRows(): ReactNode {
  const scenario = useScenario(
    ({ registry, server }) => {
      registry.createType('todo', {
        fetch: (id) => server.fetchTodo(id, 'default'),
        bulkFetch: (list, level) => server.bulkFetchTodos(list, level),
      });
    },
    {},
    () => new FakeServer(200),
  );
  return (
    <ScenarioFrame scenario={scenario}>
      <TodoRows ids={ids} />
    </ScenarioFrame>
  );
}

const meta = { title: 'Scenarios/Bulk rows', component: BulkRows } satisfies Meta<typeof BulkRows>;
export default meta;

export const TwoHundredRowsInTwoBulkCalls: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    await waitFor(() =>
      expect(itemsOf(canvasElement, 'rows').filter((row) => row.startsWith('todo '))).toHaveLength(200),
    );
    expect(itemsOf(canvasElement, 'requests')).toEqual([
      'POST /todos/bulk level=default (100 ids)',
      'POST /todos/bulk level=default (100 ids)',
    ]);
  },
};
