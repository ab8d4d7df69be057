// The mutation helper (SPEC §1.3, §2 `mutate`, `directiveHeaders`): tag the request, apply directives, then settle.
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Directive, VerityError } from '../src/index';
import { withFakeClock } from './support/clock';
import { Backend, flushWindow, settle, testRegistry, track } from './support/directive-fixtures';

const API = 'https://api.test';
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

withFakeClock();

afterEach(() => {
  server.resetHandlers();
});

const refreshTodo = (id: number): Directive => ({ op: 'refresh_item', name: 'todo', id });

/** A registry with a cached, active todo 1 and todos list; the backend's call log starts empty. */
async function start(options: Parameters<typeof testRegistry>[0] = {}) {
  const backend = new Backend();
  const registry = testRegistry({ clientId: 'client-abc', ...options });
  registry.createType('todo', { fetch: backend.itemFetcher('todo') });
  registry.createCollection('todos', { fetch: backend.collectionFetcher('todos') });
  const todo = registry.fetchItem('todo', 1);
  const todos = registry.fetchCollection('todos');
  await flushWindow();
  backend.reset();
  return { backend, registry, todo, todos };
}

interface SeenRequest {
  readonly headers: Headers;
  readonly method: string;
  readonly body: unknown;
}

/** Answers `{ ok: true }` at `path` and keeps the last request it got (a body parsed as JSON, if any). */
function answerOk(method: 'post' | 'patch', path: string): { readonly last: SeenRequest | undefined } {
  const seen: { last: SeenRequest | undefined } = { last: undefined };
  server.use(
    http[method](`${API}${path}`, async ({ request }) => {
      const text = await request.text();
      seen.last = {
        headers: request.headers,
        method: request.method,
        body: text ? JSON.parse(text) : undefined,
      };
      return HttpResponse.json({ ok: true });
    }),
  );
  return seen;
}

describe('request headers', () => {
  it.each([
    ['a plain object', { 'Content-Type': 'application/json', 'X-Trace': 't1' }],
    ['a Headers instance', new Headers({ 'Content-Type': 'application/json', 'X-Trace': 't1' })],
    [
      'a list of pairs',
      [
        ['Content-Type', 'application/json'],
        ['X-Trace', 't1'],
      ] as [string, string][],
    ],
  ])(
    'sends X-Verity-Client-ID and X-Verity-Directive-Request, keeping headers given as %s',
    async (_, headers) => {
      const { registry } = await start();
      const seen = answerOk('post', '/todos');
      await settle(
        registry.mutate(`${API}/todos`, { method: 'POST', headers, body: JSON.stringify({ title: 'x' }) }),
      );
      expect(seen.last?.method).toBe('POST');
      expect(seen.last?.body).toEqual({ title: 'x' });
      expect(seen.last?.headers.get('X-Verity-Client-ID')).toBe('client-abc');
      expect(seen.last?.headers.get('X-Verity-Directive-Request')).toBeTruthy();
      expect(seen.last?.headers.get('X-Trace')).toBe('t1');
      expect(seen.last?.headers.get('Content-Type')).toBe('application/json');
    },
  );

  it('headers from directiveHeaders() passed back in are sent once, not doubled', async () => {
    const { registry } = await start();
    const seen = answerOk('post', '/todos');
    await settle(
      registry.mutate(`${API}/todos`, {
        method: 'POST',
        headers: registry.directiveHeaders({ 'X-Trace': 't1' }),
      }),
    );
    expect(seen.last?.headers.get('X-Verity-Client-ID')).toBe('client-abc');
    expect(seen.last?.headers.get('X-Verity-Directive-Request')).toBe(
      registry.directiveHeaders()['X-Verity-Directive-Request'],
    );
    expect(seen.last?.headers.get('X-Trace')).toBe('t1');
  });

  it("a caller's own X-Verity-Client-ID, in any case, is replaced by this registry's", async () => {
    const { registry } = await start();
    const seen = answerOk('post', '/todos');
    await settle(
      registry.mutate(`${API}/todos`, { method: 'POST', headers: { 'x-verity-client-id': 'someone-else' } }),
    );
    expect(seen.last?.headers.get('X-Verity-Client-ID')).toBe('client-abc');
  });

  it('a Request input keeps its own headers, method and body', async () => {
    const { registry } = await start();
    const seen = answerOk('patch', '/todos/1');
    const request = new Request(`${API}/todos/1`, {
      method: 'PATCH',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
      body: JSON.stringify({ done: true }),
    });
    await settle(registry.mutate(request));
    expect(seen.last?.method).toBe('PATCH');
    expect(seen.last?.body).toEqual({ done: true });
    expect(seen.last?.headers.get('Authorization')).toBe('Bearer t');
    expect(seen.last?.headers.get('X-Verity-Client-ID')).toBe('client-abc');
  });

  it('uses the fetch given to createRegistry', async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
      Response.json({ ok: true, directives: [refreshTodo(1)] }),
    );
    const { registry, backend } = await start({ fetch });
    const body = await settle(registry.mutate('/api/todos/1', { method: 'PATCH' }));
    expect(body).toEqual({ ok: true, directives: [refreshTodo(1)] });
    expect(fetch).toHaveBeenCalledTimes(1);
    const [input, init] = fetch.mock.calls[0]!;
    expect(input).toBe('/api/todos/1');
    expect(init?.method).toBe('PATCH');
    expect(new Headers(init?.headers).get('X-Verity-Client-ID')).toBe('client-abc');
    expect(new Headers(init?.headers).get('X-Verity-Directive-Request')).toBeTruthy();
    expect(backend.count()).toBe(1);
  });
});

describe('directiveHeaders', () => {
  it('returns the two Verity headers', async () => {
    const { registry } = await start();
    const headers = registry.directiveHeaders();
    expect(headers['X-Verity-Client-ID']).toBe('client-abc');
    expect(headers['X-Verity-Directive-Request']).toBeTruthy();
    expect(Object.keys(headers).sort()).toEqual(['X-Verity-Client-ID', 'X-Verity-Directive-Request']);
  });

  it('merges extra headers', async () => {
    const { registry } = await start();
    const headers = registry.directiveHeaders({ Authorization: 'Bearer t', 'X-Trace': 't1' });
    expect(headers).toEqual({
      Authorization: 'Bearer t',
      'X-Trace': 't1',
      'X-Verity-Client-ID': 'client-abc',
      'X-Verity-Directive-Request': registry.directiveHeaders()['X-Verity-Directive-Request'],
    });
  });
});

describe('directives in the response', () => {
  it('applies directives from the JSON body before resolving', async () => {
    const { backend, registry, todo } = await start();
    server.use(http.post(`${API}/todos/1`, () => HttpResponse.json({ id: 1, directives: [refreshTodo(1)] })));
    backend.hold();
    const seenAtResolve: unknown[] = [];
    const mutation = track(
      registry.mutate(`${API}/todos/1`, { method: 'POST' }).then((body) => {
        seenAtResolve.push(todo.data, todo.meta.isFetching, backend.count());
        return body;
      }),
    );
    for (let step = 0; step < 10 && backend.count() === 0; step++) await flushWindow();
    expect(backend.count()).toBe(1);
    await flushWindow();
    expect(mutation.settled).toBe(false);
    backend.release();
    const body = await settle(mutation.promise);
    expect(body).toEqual({ id: 1, directives: [refreshTodo(1)] });
    expect(seenAtResolve).toEqual([{ id: '1', default: expect.any(String) }, false, 1]);
    expect(seenAtResolve[0]).toBe(todo.data);
  });

  it('applies directives from the X-Verity-Directives header before resolving', async () => {
    const { backend, registry, todos } = await start();
    const before = todos.data.meta;
    server.use(
      http.post(`${API}/todos`, () =>
        HttpResponse.json(
          { created: 7 },
          {
            headers: { 'X-Verity-Directives': JSON.stringify([{ op: 'refresh_collection', name: 'todos' }]) },
          },
        ),
      ),
    );
    let fetchedBeforeResolve = 0;
    const body = await settle(
      registry.mutate(`${API}/todos`, { method: 'POST' }).then((result) => {
        fetchedBeforeResolve = backend.count();
        return result;
      }),
    );
    expect(body).toEqual({ created: 7 });
    expect(fetchedBeforeResolve).toBe(1);
    expect(todos.data.meta).not.toEqual(before);
  });

  it('applies body and header directives together, as one batch', async () => {
    const { backend, registry } = await start();
    server.use(
      http.post(`${API}/todos/1`, () =>
        HttpResponse.json(
          { directives: [refreshTodo(1), { op: 'refresh_collection', name: 'todos' }] },
          { headers: { 'X-Verity-Directives': JSON.stringify([refreshTodo(1)]) } },
        ),
      ),
    );
    await settle(registry.mutate(`${API}/todos/1`, { method: 'POST' }));
    expect(backend.itemCalls()).toHaveLength(1);
    expect(backend.collectionCalls()).toHaveLength(1);
  });

  it('resolves with the parsed body when there are no directives', async () => {
    const { backend, registry } = await start();
    server.use(http.get(`${API}/todos`, () => HttpResponse.json([{ id: 1 }, { id: 2 }])));
    const body = await settle(registry.mutate<Array<{ id: number }>>(`${API}/todos`));
    expect(body).toEqual([{ id: 1 }, { id: 2 }]);
    expect(backend.count()).toBe(0);
  });

  it('a body that is not JSON resolves as text', async () => {
    const { registry } = await start();
    server.use(http.post(`${API}/ping`, () => HttpResponse.text('pong')));
    await expect(settle(registry.mutate(`${API}/ping`, { method: 'POST' }))).resolves.toBe('pong');
  });

  it('a malformed X-Verity-Directives header does not fail the mutation, and body directives still apply', async () => {
    const { backend, registry } = await start();
    server.use(
      http.post(`${API}/todos/1`, () =>
        HttpResponse.json(
          { directives: [refreshTodo(1)] },
          { headers: { 'X-Verity-Directives': '[{not json' } },
        ),
      ),
    );
    const body = await settle(registry.mutate(`${API}/todos/1`, { method: 'POST' }));
    expect(body).toEqual({ directives: [refreshTodo(1)] });
    expect(backend.count()).toBe(1);
  });

  it('the echo of its own mutation on the stream is skipped', async () => {
    const { backend, registry } = await start();
    server.use(http.post(`${API}/todos/1`, () => HttpResponse.json({ directives: [refreshTodo(1)] })));
    await settle(registry.mutate(`${API}/todos/1`, { method: 'POST' }));
    expect(backend.count()).toBe(1);
    const skipped: unknown[] = [];
    registry.onLifecycle('directive:skipped', (event) => skipped.push(event.detail.directive));
    registry.ingestEnvelope({
      type: 'directives',
      seq: 1,
      audience: 'global',
      source: registry.clientId,
      directives: [refreshTodo(1)],
    });
    await flushWindow();
    await flushWindow();
    expect(backend.count()).toBe(1);
    expect(skipped).toEqual([refreshTodo(1)]);
  });
});

describe('failed mutations', () => {
  it('a non-2xx response rejects with a VerityError carrying status and body, after applying its directives', async () => {
    const { backend, registry, todo } = await start();
    const body = { error: 'conflict', directives: [refreshTodo(1)] };
    server.use(http.put(`${API}/todos/1`, () => HttpResponse.json(body, { status: 409 })));
    backend.hold();
    const seenAtReject: unknown[] = [];
    const mutation = track(
      registry.mutate(`${API}/todos/1`, { method: 'PUT' }).catch((error: unknown) => {
        seenAtReject.push(backend.count(), todo.meta.isFetching);
        throw error;
      }),
    );
    for (let step = 0; step < 10 && backend.count() === 0; step++) await flushWindow();
    await flushWindow();
    expect(mutation.settled).toBe(false);
    backend.release();
    const error = await settle(mutation.promise).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(VerityError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ status: 409, body });
    expect((error as Error).message).not.toBe('');
    expect(seenAtReject).toEqual([1, false]);
  });

  it('a non-2xx response applies directives from its header too', async () => {
    const { backend, registry } = await start();
    server.use(
      http.delete(
        `${API}/todos/1`,
        () =>
          new HttpResponse('gone', {
            status: 410,
            headers: { 'X-Verity-Directives': JSON.stringify([{ op: 'refresh_collection', name: 'todos' }]) },
          }),
      ),
    );
    const error = await settle(registry.mutate(`${API}/todos/1`, { method: 'DELETE' })).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(VerityError);
    expect(error).toMatchObject({ status: 410, body: 'gone' });
    expect(backend.collectionCalls()).toHaveLength(1);
  });

  it('a non-2xx response without directives rejects at once', async () => {
    const { backend, registry } = await start();
    server.use(http.post(`${API}/todos`, () => HttpResponse.json({ error: 'bad' }, { status: 500 })));
    const error = await settle(registry.mutate(`${API}/todos`, { method: 'POST' })).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({ status: 500, body: { error: 'bad' } });
    expect(backend.count()).toBe(0);
  });
});

describe('input size', () => {
  /** About twice what V8 takes as the arguments of one call (~125k): spreading this list anywhere would throw. */
  const HUGE = 250_000;
  // Built and serialized once for both cases: the cost under test is the registry's, not the fixture's.
  const list: unknown[] = [refreshTodo(1)];
  for (let i = 1; i < HUGE; i++) list.push(1);
  const json = JSON.stringify(list);

  it('the 250k list is past what one spread call takes', () => {
    expect(() => [].push(...(list as never[]))).toThrow(RangeError);
  });

  it.each([
    ['the body', () => new Response(`{"ok":true,"directives":${json}}`)],
    [
      'the X-Verity-Directives header',
      () => new Response(JSON.stringify({ ok: true }), { headers: { 'X-Verity-Directives': json } }),
    ],
  ])(
    'a response with 250k directives in %s resolves with the body; the limit cuts the rest',
    async (_where, respond) => {
      const { backend, registry } = await start({ fetch: async () => respond() });

      const body = await settle(registry.mutate(`${API}/todos`, { method: 'POST' }));

      expect(body).toMatchObject({ ok: true });
      expect(backend.count()).toBe(1);
    },
  );
});
