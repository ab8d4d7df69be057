// A registry as the stream tests drive it: the fake Backend behind todo, user and todos, and its lifecycle log.
import { EventSource } from 'eventsource';
import type { Registry, RegistryOptions, SseOptions } from '../../src/index';
import { Backend } from './backend';
import { type LifecycleLog, recordLifecycle } from './lifecycle';
import { makeRegistry } from './registry';
import { waitUntil } from './sse-test-server';

/** Short, since these tests run in real time, and shorter than their resync jitter: a gap envelope's own window closes before its resync runs. */
export const STREAM_WINDOW_MS = 10;

export interface StreamClient {
  readonly registry: Registry;
  readonly backend: Backend;
  readonly log: LifecycleLog;
}

/**
 * `todo`: single fetches. `user`: with bulkFetch. `todos`: a collection. Nothing goes stale or is swept during a
 * test; the registry is disposed when the test finishes.
 */
export function streamClient(options: RegistryOptions = {}): StreamClient {
  const backend = new Backend();
  const registry = makeRegistry({
    stalenessMs: 600_000,
    memory: { sweepIntervalMs: 0 },
    bulk: { delayMs: STREAM_WINDOW_MS },
    ...options,
  });
  registry.createType('todo', { fetch: backend.itemFetcher('todo') });
  registry.createType('user', { fetch: backend.itemFetcher('user'), bulkFetch: backend.bulkFetcher('user') });
  registry.createCollection('todos', { fetch: backend.collectionFetcher('todos') });
  return { registry, backend, log: recordLifecycle(registry) };
}

/** SSE to a real server through the `eventsource` client, connected by the test, with fast retries and resyncs. */
export function sseTo(url: string, overrides: SseOptions = {}): SseOptions {
  return {
    enabled: true,
    EventSource,
    url,
    connectOnInit: false,
    initialRetryMs: 20,
    maxRetryMs: 100,
    resyncJitterMinMs: 20,
    resyncJitterMaxMs: 30,
    ...overrides,
  };
}

/** Waits (real time) until no fetch is in flight and no batch or bulk window is pending. */
export function settled({ registry }: StreamClient): Promise<void> {
  return waitUntil(
    () => !registry.hasAnyInFlightRequests() && !registry.state().bulk.pending,
    'fetches settled',
  );
}

/** Reads, waits until the reads' fetches settle, then forgets their calls. */
export async function prime(client: StreamClient, read: () => void): Promise<void> {
  read();
  await settled(client);
  client.backend.reset();
}
