// Scenario: switching filters fast; the slow answers of earlier filters never replace the last one's list.
import type { Meta, StoryObj } from '@storybook/react-vite';
import { type ReactNode, useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useCollection } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';

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
  const scenario = useScenario(({ registry, server }) => {
    registry.createCollection('todos', { fetch: (params) => server.fetchList(params) });
    // Earlier filters answer last: ann after 400 ms, bob after 250 ms, cy at once.
    server.latency = (what) => (what.includes('ann') ? 400 : what.includes('bob') ? 250 : 10);
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <OwnerFilter />
    </ScenarioFrame>
  );
}

const meta = { title: 'Scenarios/Latest wins', component: LatestWins } satisfies Meta<typeof LatestWins>;
export default meta;

export const SwitchingFiltersFast: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'bob' }));
    await userEvent.click(canvas.getByRole('button', { name: 'cy' }));
    await waitFor(() => expect(canvas.getByTestId('showing').textContent).toBe('cy: 2,5,8,11'));
    // Every request has been answered (the slow ones too), and the list is still the last filter's.
    await waitFor(() => expect(itemsOf(canvasElement, 'entries').join('|')).not.toMatch(/fetching/), {
      timeout: 3_000,
    });
    expect(canvas.getByTestId('showing').textContent).toBe('cy: 2,5,8,11');
    expect(itemsOf(canvasElement, 'requests')).toEqual([
      'GET /todos?owner=ann',
      'GET /todos?owner=bob',
      'GET /todos?owner=cy',
    ]);
  },
};
