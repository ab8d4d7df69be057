// Scenario: a gap in the stream's sequence numbers schedules one resync after a jittered delay.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { FilteredList } from './support/ui';

function Envelopes(): ReactNode {
  const registry = useRegistry();
  const send = (seq: number) =>
    registry.ingestEnvelope({ type: 'directives', seq, audience: 'global', directives: [] });
  return (
    <div>
      {[1, 2, 5].map((seq) => (
        <button key={seq} type="button" onClick={() => send(seq)}>
          envelope {seq}
        </button>
      ))}
    </div>
  );
}

function StreamGap(): ReactNode {
  const scenario = useScenario(
    ({ registry, server }) => {
      registry.createCollection('todos', { fetch: (params) => server.fetchList(params) });
    },
    { sse: { enabled: false, resyncJitterMinMs: 300, resyncJitterMaxMs: 600 } },
  );
  return (
    <ScenarioFrame scenario={scenario}>
      <FilteredList params={{ owner: 'bob' }} testId="list" />
      <Envelopes />
    </ScenarioFrame>
  );
}

const meta = { title: 'Scenarios/Stream gap', component: StreamGap } satisfies Meta<typeof StreamGap>;
export default meta;

export const GapTriggersAJitteredResync: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('list').textContent).toContain('1,4,7,10'));
    await userEvent.click(canvas.getByRole('button', { name: 'envelope 1' }));
    await userEvent.click(canvas.getByRole('button', { name: 'envelope 2' }));
    expect(itemsOf(canvasElement, 'events').some((line) => line.startsWith('sse:gap'))).toBe(false);

    await userEvent.click(canvas.getByRole('button', { name: 'envelope 5' }));
    const gapAt = performance.now();
    await waitFor(() =>
      expect(itemsOf(canvasElement, 'events').some((line) => line.startsWith('sse:gap'))).toBe(true),
    );
    expect(itemsOf(canvasElement, 'events').some((line) => line.startsWith('sse:resync-scheduled'))).toBe(
      true,
    );
    // Not yet: the resync waits for its jittered delay (300–600 ms), then refetches the list once.
    expect(itemsOf(canvasElement, 'requests')).toHaveLength(1);
    await waitFor(() => expect(itemsOf(canvasElement, 'requests')).toHaveLength(2), { timeout: 2_000 });
    expect(performance.now() - gapAt).toBeGreaterThanOrEqual(300);
    expect(
      itemsOf(canvasElement, 'events').filter((line) => line.startsWith('sse:resync-dispatch')),
    ).toHaveLength(1);
  },
};
