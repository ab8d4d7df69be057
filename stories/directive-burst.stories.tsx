// Scenario: a burst of directives for one list inside the bulk window collapses into one refetch.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { FilteredList } from './support/ui';

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
    ({ registry, server }) => {
      registry.createCollection('todos', { fetch: (params) => server.fetchList(params) });
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

const meta = { title: 'Scenarios/Directive burst', component: DirectiveBurst } satisfies Meta<
  typeof DirectiveBurst
>;
export default meta;

export const BurstCollapsesIntoOneRefetch: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('list').textContent).toContain('3,6,9,12'));
    await userEvent.click(canvas.getByRole('button', { name: 'Send 25 directives' }));
    await waitFor(() =>
      expect(
        itemsOf(canvasElement, 'events').filter((line) => line.startsWith('directive:processed')),
      ).toHaveLength(25),
    );
    await waitFor(() => expect(itemsOf(canvasElement, 'requests')).toHaveLength(2));
    await waitFor(() => expect(itemsOf(canvasElement, 'entries').join('|')).not.toMatch(/fetching/));
    expect(itemsOf(canvasElement, 'requests')).toEqual(['GET /todos?owner=ann', 'GET /todos?owner=ann']);
  },
};
