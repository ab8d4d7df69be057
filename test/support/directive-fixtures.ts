// Fixtures for the directive contract tests: the coordinator's window on fake timers, and a registry without sweeps.
import { vi } from 'vitest';
import type { ApplyReport, Registry, RegistryOptions } from '../../src/index';
import type { Backend } from './backend';
import { makeRegistry } from './registry';

/** The coordinator's default window (`bulk.delayMs`). */
export const WINDOW_MS = 50;

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

export { Backend } from './backend';

/** `makeRegistry` without the sweeper: directive tests step fake time far past its interval. */
export function testRegistry(options: RegistryOptions = {}): Registry {
  return makeRegistry({ ...options, memory: { sweepIntervalMs: 0, ...options.memory } });
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

/** Reads, lets every fetch settle, then forgets the calls the reads made. */
export async function prime(backend: Backend, read: () => void): Promise<void> {
  read();
  await flushWindow();
  backend.reset();
}

/** Applies directives, lets the window close and waits for the report. */
export async function apply(
  registry: Registry,
  directives: unknown,
  options?: Parameters<Registry['applyDirectives']>[1],
): Promise<ApplyReport> {
  return settle(registry.applyDirectives(directives, options));
}
