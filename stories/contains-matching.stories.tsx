// Scenario: a `contains` directive refreshes every cached list whose params include the given ones.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { fetchTodoList } from './support/todo-client';
import { FilteredList } from './support/ui';

const api = new TodoApi();

function ContainsButton(): ReactNode {
  const registry = useRegistry();
  const send = () =>
    registry.applyDirective({
      op: 'refresh_collection',
      name: 'todos',
      params: { owner: 'ann' },
      params_mode: 'contains',
    });
  return (
    <button type="button" onClick={send}>
      refresh todos containing owner=ann
    </button>
  );
}

function ContainsMatching(): ReactNode {
  const scenario = useScenario(api, (registry) => {
    registry.createCollection('todos', { fetch: fetchTodoList });
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <FilteredList params={{ owner: 'ann', status: 'open' }} testId="ann-open" />
      <FilteredList params={{ owner: 'ann', status: 'done' }} testId="ann-done" />
      <FilteredList params={{ owner: 'bob' }} testId="bob" />
      <ContainsButton />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Contains matching',
  component: ContainsMatching,
  ...api.annotations(),
} satisfies Meta<typeof ContainsMatching>;
export default meta;

export const ContainsRefreshesEveryMatchingList: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('bob').textContent).toContain('1,4,7,10'));
    await waitFor(() => expect(itemsOf(canvasElement, 'entries').join('|')).not.toMatch(/fetching/));
    expect([...api.log].sort()).toEqual([
      'GET /api/todos?owner=ann&status=done',
      'GET /api/todos?owner=ann&status=open',
      'GET /api/todos?owner=bob',
    ]);

    await userEvent.click(canvas.getByRole('button', { name: 'refresh todos containing owner=ann' }));
    await waitFor(() => expect(api.log).toHaveLength(5));
    await waitFor(() => expect(itemsOf(canvasElement, 'entries').join('|')).not.toMatch(/fetching/));
    // Both ann lists (they contain owner=ann), and not bob's.
    expect(api.log.slice(3).sort()).toEqual([
      'GET /api/todos?owner=ann&status=done',
      'GET /api/todos?owner=ann&status=open',
    ]);
  },
};
