// An in-memory backend for the stories: todos with levels, filtered lists, latency, failures and a request log.

export interface Todo {
  readonly id: string;
  readonly title: string;
  readonly owner: string;
  readonly status: 'open' | 'done';
  readonly detail?: string;
}

export interface RequestRecord {
  readonly n: number;
  readonly what: string;
}

type Listener = () => void;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FakeServer {
  readonly todos = new Map<string, Todo>();
  readonly requests: RequestRecord[] = [];
  /** Latency per request, by what is asked (default 30 ms). */
  latency: (what: string) => number = () => 30;
  /** Requests still to fail, by kind of request ('item', 'list', 'bulk'). */
  failures = new Map<string, number>();
  #listeners = new Set<Listener>();

  constructor(count = 12) {
    const owners = ['ann', 'bob', 'cy'];
    for (let i = 1; i <= count; i++) {
      const id = String(i);
      this.todos.set(id, {
        id,
        title: `todo ${id}`,
        owner: owners[i % owners.length]!,
        status: i % 2 === 0 ? 'done' : 'open',
      });
    }
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  count(prefix: string): number {
    return this.requests.filter((request) => request.what.startsWith(prefix)).length;
  }

  async #serve<T>(kind: string, what: string, answer: () => T): Promise<T> {
    this.requests.push({ n: this.requests.length + 1, what });
    for (const listener of this.#listeners) listener();
    await sleep(this.latency(what));
    const failing = this.failures.get(kind) ?? 0;
    if (failing > 0) {
      this.failures.set(kind, failing - 1);
      throw Object.assign(new Error(`HTTP 503 for ${what}`), { status: 503 });
    }
    return answer();
  }

  #level(todo: Todo, level: string): Todo | Omit<Todo, 'detail'> {
    if (level === 'detail') return { ...todo, detail: `everything about ${todo.title}` };
    const { detail: _detail, ...summary } = todo;
    return summary;
  }

  fetchTodo = (id: string, level: string): Promise<unknown> =>
    this.#serve('item', `GET /todos/${id}?level=${level}`, () => {
      const todo = this.todos.get(id);
      if (!todo) throw Object.assign(new Error(`todo ${id} not found`), { status: 404 });
      return this.#level(todo, level);
    });

  bulkFetchTodos = (ids: string[], level: string): Promise<unknown[]> =>
    this.#serve('bulk', `POST /todos/bulk level=${level} (${ids.length} ids)`, () =>
      ids.flatMap((id) => {
        const todo = this.todos.get(id);
        return todo ? [this.#level(todo, level)] : [];
      }),
    );

  fetchList = (params: { owner?: string; status?: string }): Promise<{ ids: string[] }> =>
    this.#serve('list', `GET /todos?${new URLSearchParams(params as Record<string, string>)}`, () => ({
      ids: [...this.todos.values()]
        .filter((todo) => (params.owner ? todo.owner === params.owner : true))
        .filter((todo) => (params.status ? todo.status === params.status : true))
        .map((todo) => todo.id),
    }));

  rename(id: string, title: string): void {
    const todo = this.todos.get(id);
    if (todo) this.todos.set(id, { ...todo, title });
  }
}
