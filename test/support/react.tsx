// React fixtures: the schema the hook tests are typed with, a provider wrapper and render counters (React.Profiler).
import { cleanup, render } from '@testing-library/react';
import { Profiler, type ReactNode, StrictMode } from 'react';
import { afterEach } from 'vitest';
import type { CollectionFetchResult, Registry, RegistryOptions } from '../../src/index';
import { VerityProvider } from '../../src/react/index';
import { controlledCollectionFetcher, makeRegistry } from './registry';

export interface Todo {
  readonly id: string;
  readonly title: string;
  readonly done?: boolean;
  readonly detail?: string;
}

// A type alias, not an interface: collection params are records (an alias gets the implicit index signature).
export type TodoFilter = {
  readonly status?: string;
  readonly owner?: string;
  readonly page?: number;
};

export interface TestSchema {
  types: { todo: Todo; user: { readonly id: string; readonly name: string } };
  collections: { todos: { params: TodoFilter; meta: { readonly total: number } } };
}

declare module '../../src/react/schema' {
  interface Register {
    registry: Registry<TestSchema>;
  }
}

// Without vitest globals, Testing Library cannot unmount by itself between tests.
afterEach(() => cleanup());

/** A test registry typed with TestSchema (SSE off, quiet, disposed after the test). */
export function makeTypedRegistry(options: RegistryOptions = {}): Registry<TestSchema> {
  return makeRegistry(options) as unknown as Registry<TestSchema>;
}

/** Counts commits per Profiler id: `renders.of('row:5')`. */
export function renderCounter() {
  const counts = new Map<string, number>();
  const phases: Array<{ id: string; phase: string }> = [];
  return {
    onRender(id: string, phase: string): void {
      counts.set(id, (counts.get(id) ?? 0) + 1);
      phases.push({ id, phase });
    },
    of(id: string): number {
      return counts.get(id) ?? 0;
    },
    total(): number {
      let sum = 0;
      for (const count of counts.values()) sum += count;
      return sum;
    },
    /** The ids that committed since `reset()`. */
    ids(): string[] {
      return [...counts.keys()].sort();
    },
    reset(): void {
      counts.clear();
      phases.length = 0;
    },
  };
}

export type RenderCounter = ReturnType<typeof renderCounter>;

export function Counted({
  id,
  counter,
  children,
}: {
  id: string;
  counter: RenderCounter;
  children: ReactNode;
}): ReactNode {
  return (
    <Profiler id={id} onRender={counter.onRender}>
      {children}
    </Profiler>
  );
}

/** Renders inside a VerityProvider (kept across `rerender`), optionally in StrictMode. */
export function renderWith(
  registry: Registry<TestSchema>,
  ui: ReactNode,
  options: { strict?: boolean } = {},
) {
  function Wrapper({ children }: { children: ReactNode }): ReactNode {
    const tree = <VerityProvider registry={registry}>{children}</VerityProvider>;
    return options.strict ? <StrictMode>{tree}</StrictMode> : tree;
  }
  return render(ui, { wrapper: Wrapper });
}

/** Registers `todos` with a controlled fetcher (typed with the schema's meta) and returns the fetcher. */
export function controlledTodos(registry: Registry<TestSchema>) {
  const fetcher = controlledCollectionFetcher();
  registry.createCollection('todos', {
    fetch: (params, context) =>
      fetcher.fetch(params, context) as Promise<CollectionFetchResult<{ readonly total: number }>>,
  });
  return fetcher;
}
