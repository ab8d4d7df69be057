// Contract: configureSse, configureDirectiveSource, disconnectSse and devtools never throw on odd input (SPEC §2).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRegistry, type DirectiveSource, type RegistryOptions, type SseOptions } from '../src/index';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import { countingFetcher, flush, makeRegistry } from './support/registry';
import { silentEventSource } from './support/stream-fixtures';

withFakeClock();

afterEach(() => {
  vi.restoreAllMocks();
});

/** A registry whose warnings are captured (the log level is warn), disposed after the test. */
function warned(options: RegistryOptions = {}) {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const registry = makeRegistry({ ...options, logging: { level: 'warn' } });
  const messages = () => warn.mock.calls.map((call) => String(call[0]));
  return { registry, warn, messages };
}

describe('configureSse', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'on'],
    ['an array', []],
  ])('with %s is ignored with a warning', (_label, input) => {
    const { registry, messages } = warned();
    const before = registry.state().sse;

    expect(() => registry.configureSse(input as unknown as SseOptions)).not.toThrow();

    expect(registry.state().sse).toEqual(before);
    expect(messages()).toEqual([expect.stringMatching(/configureSse needs an object/)]);
  });

  it('a resyncJitterMaxMs below resyncJitterMinMs is raised to the minimum, with a warning', async () => {
    const { registry, messages } = warned({ sse: { resyncJitterMinMs: 100, resyncJitterMaxMs: 200 } });
    const events = recordLifecycle(registry, ['sse:resync-dispatch']);

    expect(() => registry.configureSse({ resyncJitterMaxMs: 50 })).not.toThrow();
    expect(messages()).toEqual([expect.stringMatching(/resyncJitterMaxMs \(50\) is below .*using 100/)]);

    registry.ingestEnvelope({ type: 'directives', seq: 1, directives: [] });
    registry.ingestEnvelope({ type: 'directives', seq: 5, directives: [] });
    await vi.advanceTimersByTimeAsync(99);
    expect(events.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.events).toHaveLength(1);
  });

  it('createRegistry with resyncJitterMaxMs below resyncJitterMinMs does not throw: it warns and uses the minimum', () => {
    const { messages } = warned({ sse: { resyncJitterMinMs: 300, resyncJitterMaxMs: 10 } });
    expect(messages()).toEqual([expect.stringMatching(/resyncJitterMaxMs \(10\) is below .*using 300/)]);
  });
});

describe('a directive source whose connect throws', () => {
  const broken = (error: Error): DirectiveSource => ({
    connect: () => {
      throw error;
    },
  });

  it('is contained: sse:error with the error, a warning, and the registry stays usable', async () => {
    const { registry, messages } = warned();
    const events = recordLifecycle(registry, ['sse:error']);
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    const error = new Error('socket refused');

    expect(() => registry.configureDirectiveSource(broken(error))).not.toThrow();

    expect(events.events.map((event) => event.detail)).toEqual([{ error }]);
    expect(messages()).toEqual([expect.stringMatching(/directive source threw from connect/)]);
    expect(registry.state().sse.connected).toBe(false);
    const ref = registry.fetchItem('todo', 1);
    await flush();
    expect(ref.meta.status).toBe('fresh');
    registry.ingestEnvelope({
      type: 'directives',
      seq: 1,
      directives: [{ op: 'refresh_item', name: 'todo', id: 1 }],
    });
  });

  it('a later configureDirectiveSource replaces it', () => {
    const { registry } = warned();
    registry.configureDirectiveSource(broken(new Error('down')));
    const cleanup = vi.fn();
    const connect = vi.fn(() => cleanup);

    registry.configureDirectiveSource({ connect });

    expect(connect).toHaveBeenCalledTimes(1);
    expect(registry.state().sse.connected).toBe(true);
    registry.disconnectSse();
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('a later configureSse replaces it with SSE', () => {
    const { EventSource, opened } = silentEventSource();
    const { registry } = warned({ sse: { enabled: true, connectOnInit: false, EventSource } });
    const connect = vi.fn(() => {
      throw new Error('down');
    });
    registry.configureDirectiveSource({ connect });

    registry.configureSse({ url: 'https://api.test/events' });
    registry.reconnectSse();

    expect(connect).toHaveBeenCalledTimes(1);
    expect(opened).toHaveLength(2);
    expect(opened[0]).toMatch(/^https:\/\/api\.test\/events\?/);
  });
});

describe('disconnectSse', () => {
  it('always emits sse:disconnect, saying whether a connection was open', () => {
    const registry = makeRegistry();
    const events = recordLifecycle(registry, ['sse:disconnect']);

    registry.disconnectSse();
    registry.configureDirectiveSource({ connect: () => () => {} });
    registry.disconnectSse();
    registry.disconnectSse();

    expect(events.events.map((event) => event.detail)).toEqual([
      { reason: 'requested', wasConnected: false },
      { reason: 'requested', wasConnected: true },
      { reason: 'requested', wasConnected: false },
    ]);
  });
});

describe('devtools()', () => {
  it('returns a deep-frozen snapshot', async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    registry.createCollection('todos', { fetch: async () => ({ ids: [1] }) });
    registry.fetchItem('todo', 1);
    registry.fetchCollection('todos');
    const snapshot = registry.devtools();

    const unfrozen: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (typeof value !== 'object' || value === null) return;
      if (!Object.isFrozen(value)) unfrozen.push(path);
      for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
    };
    walk(snapshot, 'devtools()');
    expect(unfrozen).toEqual([]);
    expect(snapshot.entries).toHaveLength(2);
    expect(snapshot.inFlight.items).toEqual([{ type: 'todo', id: '1' }]);
    await flush();
    expect(registry.devtools().inFlight.totalCount).toBe(0);
  });
});

describe('SSE asked for where no EventSource exists', () => {
  it.each([
    ['sse.url', { url: 'https://api.test/events' }],
    ['sse.enabled: true', { enabled: true }],
  ])('%s without an EventSource logs one warning naming sse.EventSource', (_label, sse) => {
    expect((globalThis as { EventSource?: unknown }).EventSource).toBeUndefined();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const registry = createRegistry({ sse, logging: { level: 'warn' } });
    registry.dispose();

    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/sse\.EventSource/);
  });

  it('a registry that did not ask for SSE stays quiet', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    createRegistry({ logging: { level: 'warn' } }).dispose();
    createRegistry({ sse: { audience: 'team' }, logging: { level: 'warn' } }).dispose();
    expect(warn).not.toHaveBeenCalled();
  });
});
