// Scenario: a list at `summary`, a detail panel at `detail`; a detail fetch also satisfies summary (conversion).
import type { Meta, StoryObj } from '@storybook/react-vite';
import { type ReactNode, useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useItem } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { bulkFetchTodos, fetchTodo } from './support/todo-client';
import { TodoRows } from './support/ui';

const api = new TodoApi();

function DetailPanel({ id }: { id: string }): ReactNode {
  const { data, meta } = useItem('todo', id, 'detail');
  return <p data-testid="detail">{meta.isLoading ? 'loading…' : `${data?.title}: ${data?.detail ?? ''}`}</p>;
}

function LevelsUi(): ReactNode {
  const [list, setList] = useState(false);
  return (
    <div>
      <DetailPanel id="3" />
      <button type="button" onClick={() => setList(true)}>
        Show the list
      </button>
      {list ? <TodoRows ids={['1', '2', '3', '4', '5', '6']} level="summary" /> : null}
    </div>
  );
}

function Levels(): ReactNode {
  const scenario = useScenario(api, (registry) => {
    registry.createType('todo', {
      fetch: (id, _level, context) => fetchTodo(id, 'default', context),
      bulkFetch: bulkFetchTodos,
      // A detail answer holds everything a summary has: it stamps summary too.
      levelConversionMap: { detail: ['summary'] },
      levels: {
        summary: { fetch: (id, _level, context) => fetchTodo(id, 'summary', context) },
        detail: { fetch: (id, _level, context) => fetchTodo(id, 'detail', context) },
      },
    });
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <LevelsUi />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Levels',
  component: Levels,
  ...api.annotations(),
} satisfies Meta<typeof Levels>;
export default meta;

export const ConversionSavesAFetch: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() =>
      expect(canvas.getByTestId('detail').textContent).toBe('todo 3: everything about todo 3'),
    );
    await userEvent.click(canvas.getByRole('button', { name: 'Show the list' }));
    await waitFor(() =>
      expect(itemsOf(canvasElement, 'rows')).toEqual([
        'todo 1',
        'todo 2',
        'todo 3',
        'todo 4',
        'todo 5',
        'todo 6',
      ]),
    );
    // Row 3 came from the detail fetch: the summary bulk call asked for the other five only.
    expect(api.log).toEqual([
      'POST /api/todos/bulk level=detail (1 ids)',
      'POST /api/todos/bulk level=summary (5 ids)',
    ]);
  },
};
