// The stories' backend as msw handlers: todos with levels, filtered lists, held answers, failures and the request log.
import { HttpResponse, http, type RequestHandler } from 'msw';
import type { Todo, TodoLevel } from './schema';

/** The kinds of request a story can make fail: one todo, a filtered list, a bulk read. */
export type RequestKind = 'item' | 'list' | 'bulk';

interface BulkBody {
  readonly ids: readonly string[];
  readonly level: TodoLevel;
}

const OWNERS = ['ann', 'bob', 'cy'] as const;

function atLevel(todo: Todo, level: string): Todo {
  if (level === 'detail') return { ...todo, detail: `everything about ${todo.title}` };
  const { detail: _detail, ...summary } = todo;
  return summary;
}

/**
 * One story's API. Its `handlers` go in the story's `parameters.msw.handlers` (read by .storybook/msw.ts);
 * `reset()`, the story's `beforeEach`, gives every render a fresh backend and an empty log.
 */
export class TodoApi {
  readonly todos = new Map<string, Todo>();
  /** Every request the handlers received, in arrival order (`GET /api/todos?owner=ann`). */
  readonly log: string[] = [];
  readonly handlers: readonly RequestHandler[];
  readonly #count: number;
  readonly #failures = new Map<RequestKind, number>();
  readonly #holds = new Map<string, Promise<void>>();
  readonly #listeners = new Set<() => void>();

  constructor(count = 12) {
    this.#count = count;
    this.reset();
    this.handlers = [
      http.get('/api/todos', async ({ request }) => {
        const url = new URL(request.url);
        const failed = await this.#arrive('list', `GET ${url.pathname}${url.search}`);
        if (failed) return failed;
        const owner = url.searchParams.get('owner');
        const status = url.searchParams.get('status');
        const ids = [...this.todos.values()]
          .filter((todo) => (owner ? todo.owner === owner : true))
          .filter((todo) => (status ? todo.status === status : true))
          .map((todo) => todo.id);
        return HttpResponse.json({ ids });
      }),
      http.post<never, BulkBody>('/api/todos/bulk', async ({ request }) => {
        const { ids, level } = await request.json();
        const failed = await this.#arrive('bulk', `POST /api/todos/bulk level=${level} (${ids.length} ids)`);
        if (failed) return failed;
        const found = ids.flatMap((id) => {
          const todo = this.todos.get(id);
          return todo ? [atLevel(todo, level)] : [];
        });
        return HttpResponse.json(found);
      }),
      http.get<{ id: string }>('/api/todos/:id', async ({ request, params }) => {
        const url = new URL(request.url);
        const failed = await this.#arrive('item', `GET ${url.pathname}${url.search}`);
        if (failed) return failed;
        const todo = this.todos.get(params.id);
        if (!todo) return HttpResponse.json({ error: `todo ${params.id} not found` }, { status: 404 });
        return HttpResponse.json(atLevel(todo, url.searchParams.get('level') ?? 'default'));
      }),
    ];
  }

  /**
   * The annotations that put this API behind msw for a story's meta: its handlers (and `also`'s), and before
   * each render a fresh backend, then `prepare` (failures, held answers).
   */
  annotations(prepare: () => void = () => {}, also: readonly RequestHandler[] = []) {
    return {
      parameters: { msw: { handlers: [...this.handlers, ...also] } },
      beforeEach: () => {
        this.reset();
        prepare();
      },
    };
  }

  /** A fresh backend: `count` todos, owners ann/bob/cy in turn, even ids done; no log, holds or failures. */
  reset(): void {
    this.todos.clear();
    for (let i = 1; i <= this.#count; i++) {
      const id = String(i);
      this.todos.set(id, {
        id,
        title: `todo ${id}`,
        owner: OWNERS[i % OWNERS.length]!,
        status: i % 2 === 0 ? 'done' : 'open',
      });
    }
    this.log.length = 0;
    this.#failures.clear();
    this.#holds.clear();
    this.#notify();
  }

  /** The next `times` requests of this kind answer 503. */
  failNext(kind: RequestKind, times = 1): void {
    this.#failures.set(kind, times);
  }

  /** The request logged as `line` waits for its answer until the returned release is called. */
  hold(line: string): () => void {
    let release = () => {};
    this.#holds.set(
      line,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return release;
  }

  /** Called on every request (the Requests panel re-renders). */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Logs the request, waits while it is held, and answers 503 if a failure is due (else null: serve it). */
  async #arrive(kind: RequestKind, line: string): Promise<Response | null> {
    this.log.push(line);
    this.#notify();
    await this.#holds.get(line);
    const failing = this.#failures.get(kind) ?? 0;
    if (failing === 0) return null;
    this.#failures.set(kind, failing - 1);
    return HttpResponse.json({ error: 'unavailable' }, { status: 503 });
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
