// Registry fixtures: a registry without SSE that is disposed after the test, and fetchers that count calls.
import { onTestFinished, vi } from 'vitest';
import {
  type CollectionFetchResult,
  createRegistry,
  type FetchContext,
  type Params,
  type Registry,
  type RegistryOptions,
} from '../../src/index';
import { type Deferred, deferred } from './deferred';

/** A registry with SSE off and quiet logs; it is disposed when the current test finishes. */
export function makeRegistry(options: RegistryOptions = {}): Registry {
  const registry = createRegistry({
    ...options,
    sse: { enabled: false, ...options.sse },
    logging: { level: 'silent', ...options.logging },
  });
  onTestFinished(() => registry.dispose());
  return registry;
}

/** Lets pending promise callbacks run (fake timers stay where they are). */
export function flush(): Promise<void> {
  return vi.advanceTimersByTimeAsync(0).then(() => undefined);
}

/** A deferred plus what the fetcher was called with (`settled` stays live). */
function withContext<T, C extends object>(pending: Deferred<T>, context: C): Deferred<T> & C {
  return Object.assign(
    {
      promise: pending.promise,
      resolve: pending.resolve,
      reject: pending.reject,
      get settled() {
        return pending.settled;
      },
    },
    context,
  );
}

export interface ItemCall<T> extends Deferred<T> {
  readonly id: string;
  readonly level: string;
  readonly signal: AbortSignal;
}

/** The calls a controlled fetcher was given, in order; asking for one that was never made fails loudly. */
class CallLog<C> {
  readonly calls: C[] = [];
  readonly #what: string;

  constructor(what: string) {
    this.#what = what;
  }

  get count(): number {
    return this.calls.length;
  }

  /** The nth call (0-based). */
  call(index: number): C {
    const call = this.calls[index];
    if (!call) throw new Error(`${this.#what} call #${index} was never made (${this.calls.length} calls)`);
    return call;
  }
}

/** An item fetcher whose every call waits for the test to resolve or reject it. */
export function controlledFetcher<T = unknown>() {
  const log = new CallLog<ItemCall<T>>('fetch');
  const fetch = vi.fn((id: string, level: string, { signal }: FetchContext): Promise<T> => {
    const call = withContext(deferred<T>(), { id, level, signal });
    log.calls.push(call);
    return call.promise;
  });
  return Object.assign(log, { fetch });
}

/** The most common arrangement: a registry with one type, `todo`, whose every fetch the test settles. */
export function todoRegistry(options: RegistryOptions = {}) {
  const registry = makeRegistry(options);
  const fetcher = controlledFetcher();
  registry.createType('todo', { fetch: fetcher.fetch });
  return { registry, fetcher };
}

/** The same for a collection, `todos`. */
export function todosRegistry(options: RegistryOptions = {}) {
  const registry = makeRegistry(options);
  const fetcher = controlledCollectionFetcher();
  registry.createCollection('todos', { fetch: fetcher.fetch });
  return { registry, fetcher };
}

/** An item fetcher that answers at once with `{ id, level, n }`, n counting calls from 1. */
export function countingFetcher() {
  let n = 0;
  const fetch = vi.fn(async (id: string, level: string, _context: FetchContext) => ({ id, level, n: ++n }));
  return {
    fetch,
    get count(): number {
      return fetch.mock.calls.length;
    },
  };
}

export interface CollectionCall extends Deferred<CollectionFetchResult> {
  readonly params: Params;
  readonly signal: AbortSignal;
}

/** A collection fetcher whose every call waits for the test. */
export function controlledCollectionFetcher() {
  const log = new CallLog<CollectionCall>('collection fetch');
  const fetch = vi.fn((params: Params, { signal }: FetchContext): Promise<CollectionFetchResult> => {
    const call = withContext(deferred<CollectionFetchResult>(), { params, signal });
    log.calls.push(call);
    return call.promise;
  });
  return Object.assign(log, { fetch });
}
