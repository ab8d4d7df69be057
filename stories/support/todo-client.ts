// The stories' fetchers: real fetch() calls to the todo API (answered by the msw worker); a non-2xx is an error.
import type { Todo, TodoFilter, TodoLevel } from './schema';

/** An HTTP error as the registry sees it: the message names the request, `status` is the response's. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    request: string,
  ) {
    super(`HTTP ${status} for ${request}`);
  }
}

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  signal?: AbortSignal,
  body?: unknown,
): Promise<T> {
  const init: RequestInit = { method, signal: signal ?? null };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw new HttpError(response.status, `${method} ${path}`);
  return (await response.json()) as T;
}

// Each takes the registry's FetchContext, so a fetch the registry abandons is aborted on the wire too.
type Context = { readonly signal?: AbortSignal };

export const fetchTodo = (id: string, level: TodoLevel, context: Context = {}): Promise<Todo> =>
  call('GET', `/api/todos/${encodeURIComponent(id)}?level=${level}`, context.signal);

export const bulkFetchTodos = (
  ids: readonly string[],
  level: string,
  context: Context = {},
): Promise<Todo[]> => call('POST', '/api/todos/bulk', context.signal, { ids, level });

export const fetchTodoList = (params: TodoFilter, context: Context = {}): Promise<{ ids: string[] }> => {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
  return call('GET', `/api/todos?${query}`, context.signal);
};
