// Contract: onLifecycle/onChange event names, payloads and isolation of listeners (SPEC §2 "Directives and events").
import { describe, expect, it, vi } from 'vitest';
import type { LifecycleEvent } from '../src/index';
import { Lifecycle, Logger } from '../src/registry/lifecycle';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import {
  controlledFetcher,
  countingFetcher,
  flush,
  makeRegistry,
  todoRegistry,
  todosRegistry,
} from './support/registry';

const NOW = '2030-01-01T00:00:00.000Z';

withFakeClock({ now: NOW });

describe('item fetch events', () => {
  it('a successful fetch emits intent, success, complete, naming the entry and its query id', async () => {
    const { registry, fetcher } = todoRegistry();
    const events = recordLifecycle(registry);

    registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({});
    await flush();

    expect(events.names()).toEqual(['item:fetch:intent', 'item:fetch:success', 'item:fetch:complete']);
    const qid = events.events[0]?.detail.qid;
    expect(typeof qid).toBe('string');
    expect(events.events.map((e) => e.detail)).toEqual([
      { type: 'todo', id: '1', level: 'default', qid, loud: true, trailing: false },
      { type: 'todo', id: '1', level: 'default', qid, strategy: 'single' },
      { type: 'todo', id: '1', level: 'default', qid, strategy: 'single' },
    ]);
  });

  it('a failed fetch emits intent, error (with the error), complete', async () => {
    const { registry, fetcher } = todoRegistry();
    const events = recordLifecycle(registry);
    const error = new Error('down');

    registry.fetchItem('todo', 1, null, { silent: true });
    fetcher.call(0).reject(error);
    await flush();

    expect(events.names()).toEqual(['item:fetch:intent', 'item:fetch:error', 'item:fetch:complete']);
    expect(events.events[0]?.detail).toMatchObject({ loud: false });
    expect(events.events[1]?.detail).toMatchObject({ type: 'todo', id: '1', level: 'default', error });
  });

  it('skip, coalesced and aborted name their reason', async () => {
    const { registry } = todoRegistry();
    const events = recordLifecycle(registry, [
      'item:fetch:skip',
      'item:fetch:coalesced',
      'item:fetch:aborted',
    ]);

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1);
    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1, result: { data: {} } }]);
    await vi.advanceTimersByTimeAsync(50);
    registry.fetchItem('todo', 1);

    expect(events.names()).toEqual(['item:fetch:coalesced', 'item:fetch:aborted', 'item:fetch:skip']);
    expect(events.events[0]?.detail).toMatchObject({ type: 'todo', id: '1', level: 'default', mode: 'read' });
    expect(events.events[1]?.detail).toMatchObject({ type: 'todo', id: '1', reason: expect.any(String) });
    expect(events.events[2]?.detail).toEqual({ type: 'todo', id: '1', level: 'default', reason: 'fresh' });
  });

  it('bulk fetches emit bulk:flush and success with strategy bulk', async () => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: async (ids) => ids.map((id) => ({ id })),
    });
    const events = recordLifecycle(registry, ['bulk:flush', 'item:fetch:success']);

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(events.names()).toEqual(['bulk:flush', 'item:fetch:success', 'item:fetch:success']);
    expect(events.events[0]?.detail).toEqual({ type: 'todo', level: 'default', ids: ['1', '2'], chunks: 1 });
    expect(events.events[1]?.detail).toMatchObject({ id: '1', strategy: 'bulk' });
  });
});

describe('collection fetch events', () => {
  it('name the collection, its params and params key', async () => {
    const { registry, fetcher } = todosRegistry();
    const events = recordLifecycle(registry);

    registry.fetchCollection('todos', { params: { page: 2 } });
    registry.fetchCollection('todos', { params: { page: 2 } });
    fetcher.call(0).resolve({ ids: [] });
    await flush();
    registry.fetchCollection('todos', { params: { page: 2 } });

    expect(events.names()).toEqual([
      'collection:fetch:intent',
      'collection:fetch:coalesced',
      'collection:fetch:success',
      'collection:fetch:complete',
      'collection:fetch:skip',
    ]);
    for (const event of events.events) {
      expect(event.detail).toMatchObject({ name: 'todos', params: { page: 2 }, paramsKey: '{"page":2}' });
    }
    expect(events.events[0]?.detail).toMatchObject({ loud: true, trailing: false, qid: expect.any(String) });
  });

  it('a failed collection fetch emits collection:fetch:error with the error', async () => {
    const { registry, fetcher } = todosRegistry();
    const events = recordLifecycle(registry, ['collection:fetch:error']);
    const error = new Error('down');

    registry.fetchCollection('todos');
    fetcher.call(0).reject(error);
    await flush();

    expect(events.events[0]?.detail).toMatchObject({ name: 'todos', params: null, paramsKey: '{}', error });
  });
});

describe('directive and cache events', () => {
  it('directives emit received, then processed, skipped or rejected with a reason', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch, check: (d) => d.id !== 2 });
    const events = recordLifecycle(registry);

    const report = registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1 },
      { op: 'refresh_item', name: 'todo', id: 2 },
      { op: 'explode' },
    ]);
    await vi.advanceTimersByTimeAsync(50);
    await report;

    expect(events.names()).toEqual([
      'directive:received',
      'directive:rejected',
      'directive:processed',
      'directive:skipped',
    ]);
    expect(events.events[0]?.detail).toMatchObject({ count: 3 });
    expect(events.events[1]?.detail).toMatchObject({
      directive: { op: 'explode' },
      reason: expect.any(String),
    });
    expect(events.events[2]?.detail).toEqual({ directive: { op: 'refresh_item', name: 'todo', id: 1 } });
    expect(events.events[3]?.detail).toMatchObject({ reason: 'check gate returned false' });
  });

  it('removal emits cache:evict with reason removed', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const events = recordLifecycle(registry, ['cache:evict']);

    registry.fetchItem('todo', 3).remove();

    expect(events.events.map((e) => e.detail)).toEqual([{ type: 'todo', id: '3', reason: 'removed' }]);
  });
});

describe('event objects', () => {
  it('are frozen, with an ISO-8601 timestamp', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: controlledFetcher().fetch });
    const events = recordLifecycle(registry);

    registry.fetchItem('todo', 1);

    const [event] = events.events;
    expect(event?.timestamp).toBe(NOW);
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event?.detail)).toBe(true);
    expect(() => {
      (event as { event: string }).event = 'changed';
    }).toThrow(TypeError);
  });

  it('a named listener hears only its event; "*" hears every event', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: controlledFetcher().fetch });
    const named: LifecycleEvent[] = [];
    const all: LifecycleEvent[] = [];
    registry.onLifecycle('item:fetch:coalesced', (event) => named.push(event));
    registry.onLifecycle('*', (event) => all.push(event));

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1);

    expect(named.map((e) => e.event)).toEqual(['item:fetch:coalesced']);
    expect(all.map((e) => e.event)).toEqual(['item:fetch:intent', 'item:fetch:coalesced']);
    expect(all[1]).toBe(named[0]);
  });

  it('unsubscribing stops delivery, and unsubscribing twice is harmless', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: controlledFetcher().fetch });
    const listener = vi.fn();
    const stop = registry.onLifecycle('*', listener);

    stop();
    stop();
    registry.fetchItem('todo', 1);

    expect(listener).not.toHaveBeenCalled();
  });
});

describe('throwing listeners', () => {
  it('a throwing onLifecycle listener disturbs neither the registry nor other listeners', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.onLifecycle('*', () => {
      throw new Error('bad listener');
    });
    registry.onLifecycle('item:fetch:intent', () => {
      throw new Error('bad named listener');
    });
    const good = recordLifecycle(registry);

    const ref = registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ v: 1 });
    await flush();

    expect(good.names()).toEqual(['item:fetch:intent', 'item:fetch:success', 'item:fetch:complete']);
    expect(ref.data).toEqual({ v: 1 });
    expect(ref.meta.status).toBe('fresh');
  });

  it('a throwing onChange listener disturbs neither the registry nor other listeners', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.onChange(() => {
      throw new Error('bad change listener');
    });
    const changes: Array<{ type: string; detail: unknown; timestamp: string }> = [];
    registry.onChange((change) => changes.push(change));

    const ref = registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ v: 1 });
    await flush();

    expect(ref.data).toEqual({ v: 1 });
    expect(changes.length).toBeGreaterThan(0);
    expect(changes[0]).toEqual({ type: 'item:change', detail: { type: 'todo', id: '1' }, timestamp: NOW });
    expect(Object.isFrozen(changes[0])).toBe(true);
  });

  it('onChange reports collection changes with their params', async () => {
    const { registry, fetcher } = todosRegistry();
    const changes: Array<{ type: string; detail: unknown }> = [];
    const stop = registry.onChange((change) => changes.push(change));

    registry.fetchCollection('todos', { params: { page: 1 } });

    expect(changes[0]).toMatchObject({
      type: 'collection:change',
      detail: { name: 'todos', params: { page: 1 }, paramsKey: '{"page":1}' },
    });
    stop();
    const count = changes.length;
    fetcher.call(0).resolve({ ids: [] });
    await flush();
    expect(changes).toHaveLength(count);
  });

  it('a listener may read the registry while an event is delivered', async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    registry.onLifecycle('item:fetch:success', (event) => {
      if (event.detail.id === '1') registry.fetchItem('todo', 2);
    });

    registry.fetchItem('todo', 1);
    await flush();
    await flush();

    expect(fetcher.fetch.mock.calls.map(([id]) => id)).toEqual(['1', '2']);
    expect(registry.fetchItem('todo', 2).meta.status).toBe('fresh');
  });

  it('a listener that unsubscribes itself during delivery does not skip the others', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: controlledFetcher().fetch });
    const calls: string[] = [];
    const stop = registry.onLifecycle('item:fetch:intent', () => {
      calls.push('first');
      stop();
    });
    registry.onLifecycle('item:fetch:intent', () => calls.push('second'));

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2);

    expect(calls).toEqual(['first', 'second', 'second']);
  });
});

describe('events are built only for listeners', () => {
  it('an event is wanted only when it, or "*", has a listener', () => {
    const lifecycle = new Lifecycle(new Logger('silent', ''));
    expect(lifecycle.wants('item:fetch:skip')).toBe(false);

    const stopUnrelated = lifecycle.on('sse:open', () => {});
    expect(lifecycle.wants('item:fetch:skip')).toBe(false);
    expect(lifecycle.wants('sse:open')).toBe(true);

    const stopNamed = lifecycle.on('item:fetch:skip', () => {});
    expect(lifecycle.wants('item:fetch:skip')).toBe(true);
    stopNamed();
    expect(lifecycle.wants('item:fetch:skip')).toBe(false);

    const stopAll = lifecycle.on('*', () => {});
    expect(lifecycle.wants('item:fetch:skip')).toBe(true);
    stopAll();
    stopUnrelated();
    expect(lifecycle.wants('sse:open')).toBe(false);
  });

  it('with only an unrelated listener, reads emit nothing; a listener added later hears the next read', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);
    await flush();
    const unrelated = recordLifecycle(registry, ['sse:open']);

    registry.fetchItem('todo', 1);
    const skips = recordLifecycle(registry, ['item:fetch:skip']);
    registry.fetchItem('todo', 1);

    expect(unrelated.events).toEqual([]);
    expect(skips.events.map((event) => event.detail)).toEqual([
      { type: 'todo', id: '1', level: 'default', reason: 'fresh' },
    ]);
  });
});
