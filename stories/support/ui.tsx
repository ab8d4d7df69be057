// Small UI pieces the scenario stories share: a list of todos read with useItems, and a filtered list.
import type { ReactNode } from 'react';
import { useCollection, useItems } from '../../src/react/index';
import type { TodoFilter, TodoLevel } from './schema';

export function TodoRows({ ids, level }: { ids: readonly string[]; level?: TodoLevel }): ReactNode {
  const rows = useItems('todo', ids, level);
  return (
    <ul data-testid="rows">
      {rows.map((row, i) => (
        <li key={ids[i]}>{row.data ? row.data.title : row.meta.isLoading ? 'loading…' : row.meta.status}</li>
      ))}
    </ul>
  );
}

export function FilteredList({ params, testId }: { params: TodoFilter; testId: string }): ReactNode {
  const { data, meta } = useCollection('todos', { params });
  return (
    <p data-testid={testId}>
      {JSON.stringify(params)}: {meta.isLoading ? 'loading…' : (data?.ids.join(',') ?? '')}
    </p>
  );
}
