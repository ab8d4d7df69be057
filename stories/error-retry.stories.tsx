// Scenario: a failed fetch keeps its error on screen (no retry loop) until the user retries.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useItem, useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';

function TodoCard(): ReactNode {
  const registry = useRegistry();
  const { data, meta } = useItem('todo', '1');
  const todo = data as { title: string } | null;
  return (
    <div>
      <p data-testid="card">
        {meta.isFetching ? 'loading…' : meta.error ? `failed: ${meta.error.message}` : (todo?.title ?? '')}
      </p>
      <button type="button" onClick={() => registry.fetchItem('todo', '1', null, { force: true })}>
        Retry
      </button>
    </div>
  );
}

function ErrorRetry(): ReactNode {
  const scenario = useScenario(({ registry, server }) => {
    registry.createType('todo', { fetch: (id) => server.fetchTodo(id, 'default') });
    server.failures.set('item', 1);
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <TodoCard />
    </ScenarioFrame>
  );
}

const meta = { title: 'Scenarios/Error and retry', component: ErrorRetry } satisfies Meta<typeof ErrorRetry>;
export default meta;

export const ErrorThenRetry: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() =>
      expect(canvas.getByTestId('card').textContent).toBe('failed: HTTP 503 for GET /todos/1?level=default'),
    );
    expect(itemsOf(canvasElement, 'entries')).toEqual(['item:todo:1 error (1 on screen)']);
    expect(itemsOf(canvasElement, 'requests')).toHaveLength(1);

    await userEvent.click(canvas.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(canvas.getByTestId('card').textContent).toBe('todo 1'));
    expect(itemsOf(canvasElement, 'requests')).toHaveLength(2);
    expect(itemsOf(canvasElement, 'entries')).toEqual(['item:todo:1 fresh (1 on screen)']);
  },
};
