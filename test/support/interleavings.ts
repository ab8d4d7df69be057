// Runs reads, forced reads and directive results against one entry under a fast-check scheduler, and logs it all.
import fc from 'fast-check';
import { vi } from 'vitest';
import { makeRegistry } from './registry';

export type Op = { kind: 'read' } | { kind: 'force' } | { kind: 'result' } | { kind: 'tick' };

export type LogEntry =
  | { kind: 'read' }
  | { kind: 'force' }
  /** The fetcher was called for fetch #n. */
  | { kind: 'start'; n: number }
  /** Fetch #n's signal was aborted. */
  | { kind: 'abort'; n: number }
  /** Fetch #n's response (data, or a failure when `ok` is false) is handed back to the registry. */
  | { kind: 'respond'; n: number; ok: boolean }
  /** A directive result was applied (its window closed). */
  | { kind: 'result'; value: string }
  /** A subscriber saw the entry's data change. */
  | { kind: 'data'; value: string | null };

export type EntryKind = 'item' | 'collection';

/** The first op is always a read: directives never create entries, so something must read first. */
export const opsArbitrary = fc
  .array(
    fc.oneof(
      fc.constant<Op>({ kind: 'read' }),
      fc.constant<Op>({ kind: 'force' }),
      fc.constant<Op>({ kind: 'result' }),
      fc.constant<Op>({ kind: 'tick' }),
    ),
    { maxLength: 20 },
  )
  .map((ops): Op[] => [{ kind: 'read' }, ...ops]);

/** Which fetches fail: fetch #n fails when entry n - 1 is true. */
export const failuresArbitrary = fc.array(fc.boolean(), { maxLength: 25 });

export const kindArbitrary = fc.constantFrom<EntryKind>('item', 'collection');

/** What `runInterleaving` takes, for `test.prop`: a scheduler, ops, the entry kind, subscribed, failures. */
export const interleavingArbitraries = (): [
  fc.Arbitrary<fc.Scheduler>,
  typeof opsArbitrary,
  typeof kindArbitrary,
  fc.Arbitrary<boolean>,
  typeof failuresArbitrary,
] => [fc.scheduler(), opsArbitrary, kindArbitrary, fc.boolean(), failuresArbitrary];

export interface Outcome {
  readonly log: readonly LogEntry[];
  readonly finalValue: string | null;
  readonly status: string;
  readonly isFetching: boolean;
  /** The most fetches whose response was still awaited (and not aborted) at one time. */
  readonly maxInFlight: number;
}

const WINDOW_MS = 50;

/** The value an entry's data shows: `fetch#n` / `result#k` (item `value` field, collection `meta`). */
type Reader = () => { value: string | null; status: string; isFetching: boolean };

export async function runInterleaving(
  s: fc.Scheduler,
  ops: readonly Op[],
  kind: EntryKind,
  subscribed: boolean,
  failures: readonly boolean[] = [],
): Promise<Outcome> {
  const log: LogEntry[] = [];
  let started = 0;
  let results = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  // Staleness never interferes: only forced reads and results ask for new data.
  const registry = makeRegistry({
    stalenessMs: 3_600_000,
    bulk: { delayMs: WINDOW_MS },
    memory: { sweepIntervalMs: 0 },
  });

  const respond = <T>(signal: AbortSignal, body: (n: number) => T): Promise<T> => {
    const n = ++started;
    log.push({ kind: 'start', n });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let open = true;
    const close = () => {
      if (open) inFlight--;
      open = false;
    };
    signal.addEventListener('abort', () => {
      log.push({ kind: 'abort', n });
      close();
    });
    // The fetcher ignores its signal on purpose: a late response must still be discarded by query id.
    const ok = failures[n - 1] !== true;
    return s.schedule(Promise.resolve(n), `${ok ? 'response' : 'failure'} #${n}`).then(() => {
      close();
      log.push({ kind: 'respond', n, ok });
      if (!ok) throw new Error(`fetch#${n} failed`);
      return body(n);
    });
  };

  let read: (force: boolean) => void;
  let push: (value: string) => void;
  let reader: Reader;
  let subscribe: (listener: () => void) => () => void;
  if (kind === 'item') {
    registry.createType('todo', {
      fetch: (_id, _level, { signal }) => respond(signal, (n) => ({ value: `fetch#${n}` })),
    });
    read = (force) => {
      registry.fetchItem('todo', 1, null, force ? { force: true } : {});
    };
    push = (value) => {
      void registry.applyDirectives([
        { op: 'refresh_item', name: 'todo', id: 1, result: { data: { value } } },
      ]);
    };
    const first = registry.fetchItem('todo', 1);
    reader = () => ({
      value: (first.data as { value?: string } | null)?.value ?? null,
      status: first.meta.status,
      isFetching: first.meta.isFetching,
    });
    subscribe = (listener) => first.subscribe(listener);
  } else {
    const params = { page: 1 };
    registry.createCollection('todos', {
      fetch: (_params, { signal }) => respond(signal, (n) => ({ ids: [n], meta: `fetch#${n}` })),
    });
    read = (force) => {
      registry.fetchCollection('todos', { params, force });
    };
    push = (value) => {
      void registry.applyDirectives([
        { op: 'refresh_collection', name: 'todos', params, result: { ids: [0], meta: value } },
      ]);
    };
    const first = registry.fetchCollection('todos', { params });
    reader = () => ({
      value: (first.data.meta as string | null) ?? null,
      status: first.meta.status,
      isFetching: first.meta.isFetching,
    });
    subscribe = (listener) => first.subscribe(listener);
  }
  // The reader's own first read is the scenario's first op.
  log.unshift({ kind: 'read' });
  const [, ...rest] = ops;

  registry.onLifecycle('directive:processed', (event) => {
    const directive = event.detail.directive as { result: { data?: { value: string }; meta?: string } };
    log.push({ kind: 'result', value: directive.result.data?.value ?? directive.result.meta ?? '?' });
  });
  let lastSeen = reader().value;
  const unsubscribe = subscribed
    ? subscribe(() => {
        const { value } = reader();
        if (value !== lastSeen) log.push({ kind: 'data', value });
        lastSeen = value;
      })
    : () => {};

  s.scheduleSequence(
    rest.map((op) => ({
      label: op.kind,
      builder: async () => run(op),
    })),
  );
  function run(op: Op): void {
    switch (op.kind) {
      case 'read':
      case 'force':
        log.push({ kind: op.kind });
        read(op.kind === 'force');
        return;
      case 'result':
        push(`result#${++results}`);
        return;
      case 'tick':
        vi.advanceTimersByTime(WINDOW_MS);
        return;
    }
  }

  await s.waitIdle();
  // Close any window still open (a result pushed last), then let what it started finish.
  for (let round = 0; round < 5 && (registry.state().bulk.pending || s.count() > 0); round++) {
    vi.advanceTimersByTime(WINDOW_MS);
    await s.waitIdle();
  }
  unsubscribe();
  const final = reader();
  registry.dispose();
  return { log, finalValue: final.value, status: final.status, isFetching: final.isFetching, maxInFlight };
}

/** Index of the last entry matching `predicate`, or -1. */
export function lastIndex(log: readonly LogEntry[], predicate: (entry: LogEntry) => boolean): number {
  for (let i = log.length - 1; i >= 0; i--) if (predicate(log[i]!)) return i;
  return -1;
}
