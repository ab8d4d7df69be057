// Scenario: switching filters fast; the earlier filters' answers arrive last and never replace the last one's list.
import type { Meta, StoryObj } from '@storybook/react-vite';
import { type ReactNode, useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useCollection } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { fetchTodoList } from './support/todo-client';

const api = new TodoApi();
const ANN = 'GET /api/todos?owner=ann';
const BOB = 'GET /api/todos?owner=bob';
const CY = 'GET /api/todos?owner=cy';
// The msw handlers hold ann's and bob's answers until `play` releases them (cy answers at once).
let release = { ann: () => {}, bob: () => {} };

function OwnerFilter(): ReactNode {
  const [owner, setOwner] = useState('ann');
  const { data, meta } = useCollection('todos', { params: { owner } });
  return (
    <div>
      {['ann', 'bob', 'cy'].map((name) => (
        <button key={name} type="button" onClick={() => setOwner(name)}>
          {name}
        </button>
      ))}
      <p data-testid="showing">{meta.isLoading ? 'loading…' : `${owner}: ${data?.ids.join(',') ?? ''}`}</p>
    </div>
  );
}

function LatestWins(): ReactNode {
  const scenario = useScenario(api, (registry) => {
    registry.createCollection('todos', { fetch: fetchTodoList });
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <OwnerFilter />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Latest wins',
  component: LatestWins,
  ...api.annotations(() => {
    release = { ann: api.hold(ANN), bob: api.hold(BOB) };
  }),
} satisfies Meta<typeof LatestWins>;
export default meta;

/** The entries panel: each owner's list and its state (cy's is the one on screen). */
const entries = (ann: string, bob: string) => [
  `collection:todos:{"owner":"ann"} ${ann}`,
  `collection:todos:{"owner":"bob"} ${bob}`,
  'collection:todos:{"owner":"cy"} fresh (1 on screen)',
];

export const SwitchingFiltersFast: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(api.log).toEqual([ANN]));
    await userEvent.click(canvas.getByRole('button', { name: 'bob' }));
    await userEvent.click(canvas.getByRole('button', { name: 'cy' }));
    await waitFor(() => expect(canvas.getByTestId('showing').textContent).toBe('cy: 2,5,8,11'));
    expect(api.log).toEqual([ANN, BOB, CY]);
    expect(itemsOf(canvasElement, 'entries')).toEqual(entries('fetching', 'fetching'));

    // The older answers now arrive, newest first then oldest: bob, then ann. Each lands in its own list's
    // entry; neither replaces cy's list on screen.
    release.bob();
    await waitFor(() => expect(itemsOf(canvasElement, 'entries')).toEqual(entries('fetching', 'fresh')));
    expect(canvas.getByTestId('showing').textContent).toBe('cy: 2,5,8,11');
    release.ann();
    await waitFor(() => expect(itemsOf(canvasElement, 'entries')).toEqual(entries('fresh', 'fresh')));
    expect(canvas.getByTestId('showing').textContent).toBe('cy: 2,5,8,11');
    expect(api.log).toEqual([ANN, BOB, CY]);
  },
};
