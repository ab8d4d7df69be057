// The registry the directive contract suites (test/directives-*.test.ts) run against, and their shared steps.
import { vi } from 'vitest';
import type { Directive, DirectiveGate, Registry, RegistryOptions } from '../../src/index';
import { Backend } from './backend';
import { testRegistry } from './directive-fixtures';

/** Short enough to step over in a test, long enough that nothing goes stale on its own meanwhile. */
export const RESYNC_WINDOW_MS = 10_000;
const STALENESS_MS = 600_000;

export interface Gates {
  todo?: DirectiveGate;
  todos?: DirectiveGate;
}

/**
 * `todo`: levels default and full, where a full fetch also satisfies default; single fetches.
 * `note`: levels default and extra, no conversion. `user`: default only, with bulkFetch.
 * `todos`: a collection. The registry is disposed when the test finishes.
 */
export function start(options: RegistryOptions = {}, gates: Gates = {}) {
  const backend = new Backend();
  const registry = testRegistry({
    stalenessMs: STALENESS_MS,
    ...options,
    sse: { resyncWindowMs: RESYNC_WINDOW_MS, ...options.sse },
  });
  registry.createType('todo', {
    fetch: backend.itemFetcher('todo'),
    levelConversionMap: { full: ['default'] },
    levels: { full: { fetch: backend.itemFetcher('todo') } },
    ...(gates.todo ? { check: gates.todo } : {}),
  });
  registry.createType('note', {
    fetch: backend.itemFetcher('note'),
    levels: { extra: { fetch: backend.itemFetcher('note') } },
  });
  registry.createType('user', { fetch: backend.itemFetcher('user'), bulkFetch: backend.bulkFetcher('user') });
  registry.createCollection('todos', {
    fetch: backend.collectionFetcher('todos'),
    ...(gates.todos ? { check: gates.todos } : {}),
  });
  return { backend, registry };
}

/** Lets every entry primed so far fall out of the resync window (they stay fresh). */
export async function makePassive(): Promise<void> {
  await vi.advanceTimersByTimeAsync(RESYNC_WINDOW_MS + 1);
}

export function entryCounts(registry: Registry) {
  const state = registry.state();
  return {
    todo: state.types.todo?.entries,
    note: state.types.note?.entries,
    user: state.types.user?.entries,
    todos: state.collections.todos?.entries,
  };
}

export const refreshTodo = (id: string | number, extra: Record<string, unknown> = {}): Directive => ({
  op: 'refresh_item',
  name: 'todo',
  id,
  ...extra,
});
