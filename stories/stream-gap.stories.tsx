// Scenario: a gap in the stream's sequence numbers schedules one resync after a jittered delay. The registry's
// EventSource connects to an msw `sse` handler, which sends the envelopes; the resync refetches over HTTP.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { DirectiveStream } from './support/directive-stream';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { fetchTodoList } from './support/todo-client';
import { FilteredList } from './support/ui';

const api = new TodoApi();
const stream = new DirectiveStream();

function Envelopes(): ReactNode {
  const send = (seq: number) => stream.send({ type: 'directives', seq, audience: 'global', directives: [] });
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
    { sse: { enabled: true, url: '/api/events', resyncJitterMinMs: 300, resyncJitterMaxMs: 600 } },
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
  ...api.annotations(() => stream.reset(), [stream.handler]),
} satisfies Meta<typeof StreamGap>;
export default meta;

export const GapTriggersAJitteredResync: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const events = (name: string) => itemsOf(canvasElement, 'events').filter((line) => line.startsWith(name));
    await waitFor(() => expect(canvas.getByTestId('list').textContent).toContain('1,4,7,10'));
    await waitFor(() => expect(events('sse:hello')).toHaveLength(1));
    await userEvent.click(canvas.getByRole('button', { name: 'envelope 1' }));
    await userEvent.click(canvas.getByRole('button', { name: 'envelope 2' }));
    await waitFor(() => expect(events('sse:message')).toHaveLength(2));
    expect(events('sse:gap')).toEqual([]);

    // Taken before the click: the gap (and so the resync's timer) can only start after it, so the time from
    // here to the refetch is at least the jittered delay, however slowly the click itself returns.
    const beforeGap = performance.now();
    await userEvent.click(canvas.getByRole('button', { name: 'envelope 5' }));
    await waitFor(() => expect(events('sse:gap')).toHaveLength(1));
    expect(events('sse:resync-scheduled')).toHaveLength(1);
    // Not yet: the resync waits for its jittered delay (300–600 ms), then refetches the list once.
    expect(api.log).toEqual(['GET /api/todos?owner=bob']);
    await waitFor(() => expect(api.log).toHaveLength(2), { timeout: 2_000 });
    expect(performance.now() - beforeGap).toBeGreaterThanOrEqual(300);
    expect(events('sse:resync-dispatch')).toHaveLength(1);
    expect(api.log).toEqual(['GET /api/todos?owner=bob', 'GET /api/todos?owner=bob']);
    // One connection all along: the gap was repaired by a refetch, not by reconnecting.
    expect(stream.connections).toBe(1);
  },
};
