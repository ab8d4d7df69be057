// Scenario: a failed fetch keeps its error on screen (no retry loop) until the user retries.
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useItem, useRegistry } from '../src/react/index';
import { itemsOf, ScenarioFrame, useScenario } from './support/scenario';
import { TodoApi } from './support/todo-api';
import { fetchTodo } from './support/todo-client';

const api = new TodoApi();

function TodoCard(): ReactNode {
  const registry = useRegistry();
  const { data, meta } = useItem('todo', '1');
  return (
    <div>
      <p data-testid="card">
        {meta.isFetching ? 'loading…' : meta.error ? `failed: ${meta.error.message}` : (data?.title ?? '')}
      </p>
      <button type="button" onClick={() => registry.fetchItem('todo', '1', null, { force: true })}>
        Retry
      </button>
    </div>
  );
}

function ErrorRetry(): ReactNode {
  const scenario = useScenario(api, (registry) => {
    registry.createType('todo', { fetch: (id, _level, context) => fetchTodo(id, 'default', context) });
  });
  return (
    <ScenarioFrame scenario={scenario}>
      <TodoCard />
    </ScenarioFrame>
  );
}

const meta = {
  title: 'Scenarios/Error and retry',
  component: ErrorRetry,
  // The first read of the todo answers 503.
  ...api.annotations(() => api.failNext('item')),
} satisfies Meta<typeof ErrorRetry>;
export default meta;

export const ErrorThenRetry: StoryObj<typeof meta> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() =>
      expect(canvas.getByTestId('card').textContent).toBe(
        'failed: HTTP 503 for GET /api/todos/1?level=default',
      ),
    );
    expect(itemsOf(canvasElement, 'entries')).toEqual(['item:todo:1 error (1 on screen)']);
    expect(api.log).toEqual(['GET /api/todos/1?level=default']);

    await userEvent.click(canvas.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(canvas.getByTestId('card').textContent).toBe('todo 1'));
    expect(api.log).toEqual(['GET /api/todos/1?level=default', 'GET /api/todos/1?level=default']);
    expect(itemsOf(canvasElement, 'entries')).toEqual(['item:todo:1 fresh (1 on screen)']);
  },
};
