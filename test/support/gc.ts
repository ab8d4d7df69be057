// Forced garbage collection for tests that prove an object is released (a WeakRef to it empties).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Exposing gc at run time (instead of node --expose-gc) keeps it to the test files that ask for it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync' }) => void;

/**
 * Collects until `ref` empties or the tries run out. A WeakRef's target is kept alive until the current job
 * ends, so each try yields a macrotask (real timers: this must run outside vi.useFakeTimers).
 */
export async function released(ref: WeakRef<object>, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

/** The heap in use after full collections, for tests that bound how much memory a workload keeps. */
export async function heapUsedAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    gc();
  }
  return process.memoryUsage().heapUsed;
}
