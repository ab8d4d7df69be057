// Scenario: a gap in the stream's sequence numbers schedules one resync after a jittered delay. The envelopes are
// handed to the registry in process (ingestEnvelope, what the SSE transport does per frame); the resync's refetch
// goes over HTTP to the msw-mocked API.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { fetchTodoList } from './support/todo-client';
import { FilteredList } from './support/ui';

const api = new TodoApi();

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
    api,
    (registry) => {
      registry.createCollection('todos', { fetch: fetchTodoList });
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

const meta = {
  title: 'Scenarios/Stream gap',
  component: StreamGap,
  ...api.annotations(),
} satisfies Meta<typeof StreamGap>;
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
    expect(api.log).toEqual(['GET /api/todos?owner=bob']);
    await waitFor(() => expect(api.log).toHaveLength(2), { timeout: 2_000 });
    expect(performance.now() - gapAt).toBeGreaterThanOrEqual(300);
    expect(
      itemsOf(canvasElement, 'events').filter((line) => line.startsWith('sse:resync-dispatch')),
    ).toHaveLength(1);
    expect(api.log).toEqual(['GET /api/todos?owner=bob', 'GET /api/todos?owner=bob']);
  },
};
