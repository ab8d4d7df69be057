// Scenario: a burst of directives for one list inside the bulk window collapses into one refetch.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { fetchTodoList } from './support/todo-client';
import { FilteredList } from './support/ui';

const api = new TodoApi();

function BurstButton(): ReactNode {
  const registry = useRegistry();
  const burst = () => {
    for (let i = 0; i < 25; i++) void registry.applyDirective({ op: 'refresh_collection', name: 'todos' });
  };
  return (
    <button type="button" onClick={burst}>
      Send 25 directives
    </button>
  );
}

function DirectiveBurst(): ReactNode {
  const scenario = useScenario(
    api,
    (registry) => {
      registry.createCollection('todos', { fetch: fetchTodoList });
    },
    { bulk: { delayMs: 100 } },
  );
  return (
    <ScenarioFrame scenario={scenario}>
      <FilteredList params={{ owner: 'ann' }} testId="list" />
      <BurstButton />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Directive burst',
  component: DirectiveBurst,
  ...api.annotations(),
} satisfies Meta<typeof DirectiveBurst>;
export default meta;

export const BurstCollapsesIntoOneRefetch: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('list').textContent).toContain('3,6,9,12'));
    expect(api.log).toEqual(['GET /api/todos?owner=ann']);
    await userEvent.click(canvas.getByRole('button', { name: 'Send 25 directives' }));
    await waitFor(() =>
      expect(
        itemsOf(canvasElement, 'events').filter((line) => line.startsWith('directive:processed')),
      ).toHaveLength(25),
    );
    await waitFor(() => expect(api.log).toHaveLength(2));
    await waitFor(() => expect(itemsOf(canvasElement, 'entries').join('|')).not.toMatch(/fetching/));
    // 25 directives, one refetch.
    expect(api.log).toEqual(['GET /api/todos?owner=ann', 'GET /api/todos?owner=ann']);
  },
};
