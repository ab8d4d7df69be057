// Shared fixtures for the directive contract tests: a registry on fake timers and a backend that records calls.
import { vi } from 'vitest';
import {
  type ApplyReport,
  createRegistry,
  type LifecycleEvent,
  type LifecycleEventName,
  type Params,
  type Registry,
  type RegistryOptions,
} from '../../src/index';

/** The coordinator's default window (`bulk.delayMs`). */
export const WINDOW_MS = 50;

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A promise whose progress can be asserted without awaiting it. */
export interface Tracked<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  readonly rejected: boolean;
  readonly value: T | undefined;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const state = { settled: false, rejected: false, value: undefined as T | undefined };
  const watched = promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
      return value;
    },
    (error: unknown) => {
      state.settled = true;
      state.rejected = true;
      throw error;
    },
  );
  // The caller decides whether to await; an unawaited rejection must not fail the run on its own.
  watched.catch(() => {});
  return {
    promise: watched,
    get settled() {
      return state.settled;
    },
    get rejected() {
      return state.rejected;
    },
    get value() {
      return state.value;
    },
  };
}

export type FetchCall =
  | { readonly kind: 'item'; readonly type: string; readonly id: string; readonly level: string }
  | { readonly kind: 'bulk'; readonly type: string; readonly level: string; readonly ids: readonly string[] }
  | { readonly kind: 'collection'; readonly name: string; readonly params: Params };

export interface ItemData {
  readonly id: string;
  readonly [level: string]: unknown;
}

/**
 * A fake server. Every fetcher call is recorded; each response carries a fresh revision so a test can tell
 * which fetch produced the data it sees. `hold()` makes later calls wait until `release()`.
 */
export class Backend {
  readonly calls: FetchCall[] = [];
  readonly signals: AbortSignal[] = [];
  #revision = 0;
  #holding = false;
  #held: Array<{ settle: () => void }> = [];
  #failing = false;

  /** Responses to calls made from now on wait for `release()`. */
  hold(): void {
    this.#holding = true;
  }

  /** Answers every held call (in call order) and stops holding. */
  release(): void {
    this.#holding = false;
    const held = this.#held;
    this.#held = [];
    for (const call of held) call.settle();
  }

  /** Answers the oldest held call only; later calls keep waiting. */
  releaseNext(): void {
    this.#held.shift()?.settle();
  }

  get heldCount(): number {
    return this.#held.length;
  }

  /** Calls made from now on fail. */
  fail(failing = true): void {
    this.#failing = failing;
  }

  reset(): void {
    this.calls.length = 0;
    this.signals.length = 0;
  }

  count(predicate: (call: FetchCall) => boolean = () => true): number {
    return this.calls.filter(predicate).length;
  }

  itemCalls(type?: string): Array<Extract<FetchCall, { kind: 'item' }>> {
    return this.calls.filter(
      (call): call is Extract<FetchCall, { kind: 'item' }> =>
        call.kind === 'item' && (type === undefined || call.type === type),
    );
  }

  bulkCalls(type?: string): Array<Extract<FetchCall, { kind: 'bulk' }>> {
    return this.calls.filter(
      (call): call is Extract<FetchCall, { kind: 'bulk' }> =>
        call.kind === 'bulk' && (type === undefined || call.type === type),
    );
  }

  collectionCalls(name?: string): Array<Extract<FetchCall, { kind: 'collection' }>> {
    return this.calls.filter(
      (call): call is Extract<FetchCall, { kind: 'collection' }> =>
        call.kind === 'collection' && (name === undefined || call.name === name),
    );
  }

  /** A `fetch(id, level)` for a type: data `{ id, [level]: 'r<revision>' }`. */
  itemFetcher(type: string) {
    return (id: string, level: string, context: { signal: AbortSignal }): Promise<ItemData> => {
      this.calls.push({ kind: 'item', type, id, level });
      this.signals.push(context.signal);
      return this.#answer(() => ({ id, [level]: `r${++this.#revision}` }));
    };
  }

  /** A `bulkFetch(ids, level)` for a type, answering every id as an array of objects with `id`. */
  bulkFetcher(type: string) {
    return (ids: string[], level: string, context: { signal: AbortSignal }): Promise<ItemData[]> => {
      this.calls.push({ kind: 'bulk', type, level, ids: [...ids] });
      this.signals.push(context.signal);
      return this.#answer(() => ids.map((id) => ({ id, [level]: `r${++this.#revision}` })));
    };
  }

  /** A collection `fetch(params)`: `{ ids, count, meta: { revision } }`. */
  collectionFetcher(name: string, ids: readonly string[] = ['1', '2']) {
    return (
      params: Params,
      context: { signal: AbortSignal },
    ): Promise<{ ids: string[]; count: number; meta: { revision: string } }> => {
      this.calls.push({ kind: 'collection', name, params });
      this.signals.push(context.signal);
      return this.#answer(() => ({
        ids: [...ids],
        count: ids.length,
        meta: { revision: `r${++this.#revision}` },
      }));
    };
  }

  #answer<T>(make: () => T): Promise<T> {
    const failing = this.#failing;
    const answer = (): Promise<T> =>
      failing ? Promise.reject(new Error('backend down')) : Promise.resolve(make());
    if (!this.#holding) return answer();
    const gate = deferred<void>();
    this.#held.push({ settle: () => gate.resolve() });
    return gate.promise.then(answer);
  }
}

/** A registry for unit tests: no stream, no logging noise, no sweeper, unless the test says otherwise. */
export function testRegistry(options: RegistryOptions = {}): Registry {
  return createRegistry({
    ...options,
    sse: { enabled: false, ...options.sse },
    logging: { level: 'silent', ...options.logging },
    memory: { sweepIntervalMs: 0, ...options.memory },
  });
}

/** Lets the coordinator's window close and every promise chain run. */
export async function flushWindow(ms: number = WINDOW_MS): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Advances time in window-sized steps until the promise settles; fails fast if it never does. */
export async function settle<T>(promise: Promise<T>, steps = 40, stepMs: number = WINDOW_MS): Promise<T> {
  const tracked = track(promise);
  for (let step = 0; step < steps && !tracked.settled; step++) await vi.advanceTimersByTimeAsync(stepMs);
  if (!tracked.settled) throw new Error(`Still pending after ${steps * stepMs} ms of fake time.`);
  return tracked.promise;
}

/** Applies directives, lets the window close and waits for the report. */
export async function apply(
  registry: Registry,
  directives: unknown,
  options?: Parameters<Registry['applyDirectives']>[1],
): Promise<ApplyReport> {
  return settle(registry.applyDirectives(directives, options));
}

/** Records lifecycle events of the given names (all when none are given). */
export function recordLifecycle(
  registry: Registry,
  ...names: LifecycleEventName[]
): { readonly events: LifecycleEvent[]; of(name: LifecycleEventName): LifecycleEvent[] } {
  const events: LifecycleEvent[] = [];
  if (names.length === 0) registry.onLifecycle('*', (event) => events.push(event));
  for (const name of names) registry.onLifecycle(name, (event) => events.push(event));
  return { events, of: (name) => events.filter((event) => event.event === name) };
}
