// Small UI pieces the scenario stories share: a list of todos read with useItems, and a filtered list.
import type { ReactNode } from 'react';
import { useCollection, useItems } from '../../src/react/index';

interface TodoView {
  readonly id: string;
  readonly title: string;
  readonly detail?: string;
}

export function TodoRows({ ids, level }: { ids: readonly string[]; level?: string }): ReactNode {
  const rows = useItems('todo', ids, level);
  return (
    <ul data-testid="rows">
      {rows.map((row, i) => {
        const todo = row.data as TodoView | null;
        return <li key={ids[i]}>{todo ? todo.title : row.meta.isLoading ? 'loading…' : row.meta.status}</li>;
      })}
    </ul>
  );
}

export function FilteredList({
  params,
  testId,
}: {
  params: Record<string, string>;
  testId: string;
}): ReactNode {
  const { data, meta } = useCollection('todos', { params });
  return (
    <p data-testid={testId}>
      {JSON.stringify(params)}: {meta.isLoading ? 'loading…' : (data?.ids.join(',') ?? '')}
    </p>
  );
}
