// The cache entry actor: one per item (all its levels) or per collection param set.
import { and, assign, emit, enqueueActions, setup } from 'xstate';

/** The one trailing fetch a level owes after the fetch in flight (serialization). */
export type Queued = 'none' | 'silent' | 'loud';

/**
 * One level of an entry. Collections have a single `default` level.
 * `until` is when the level stops being fresh (0 = marked stale); `queued` remembers the one
 * trailing fetch asked for while this level was in flight.
 */
export interface LevelState {
  readonly at: number | null;
  readonly until: number;
  readonly qid: number | null;
  readonly loud: boolean;
  readonly queued: Queued;
  readonly error: Error | null;
  readonly errAt: number;
}

export interface EntryContext {
  readonly data: unknown;
  readonly levels: Readonly<Record<string, LevelState>>;
  /** The error of the last settled fetch; null once a fetch succeeds. */
  readonly error: Error | null;
  /** The last query id this entry handed out: every fetch gets the next one (latest-wins). */
  readonly lastQid: number;
}

export interface StampedData {
  readonly level: string;
  readonly data: unknown;
  /** Levels this data satisfies (the level itself included), already filtered by checkIfExists. */
  readonly stamps: readonly string[];
  /** When the server produced it (a directive result's `ts`), else now. */
  readonly at: number;
}

/**
 * Why a level is asked for: a plain read (skipped while fresh or backing off after an error), a forced read,
 * or a refetch a directive or a resync wants (never loud). Anything but a plain read queues a trailing fetch
 * when the level is already in flight.
 */
export type RequestMode = 'read' | 'force' | 'directive' | 'resync';

export type EntryEvent =
  /**
   * Someone wants `level`. `loud` is the read's wish: `false` never shows loading, `true` shows it for a forced
   * read, and by default only the first fetch of a level the entry does not hold yet is loud.
   */
  | { type: 'REQUEST'; level: string; mode: RequestMode; loud?: boolean | undefined }
  | { type: 'RESOLVE'; qid: number; result: StampedData }
  | { type: 'REJECT'; level: string; qid: number; error: Error }
  | { type: 'APPLY_RESULT'; results: readonly StampedData[] }
  /** Marks levels stale (all held levels when none are named). */
  | { type: 'INVALIDATE'; levels?: readonly string[] }
  /** The registry's staleness clock says the earliest held level's time is up. */
  | { type: 'STALENESS_ELAPSED' };

/** What the entry decided, for the registry to perform (fetches) and report (lifecycle events). */
export type EntryEmitted =
  | { type: 'fetchStarted'; level: string; qid: number; loud: boolean; trailing: boolean }
  | { type: 'fetchCoalesced'; level: string; qid: number; queued: boolean; mode: RequestMode }
  | { type: 'fetchSkipped'; level: string; reason: 'fresh' | 'error-retry-wait' }
  | { type: 'fetchSuperseded'; level: string; qid: number };

export interface EntryMachineOptions {
  /** How long a fetch of `level` stays fresh. */
  stalenessFor(level: string): number;
  /** Combines held data with newly fetched data (items merge levels; collections replace). */
  merge(previous: unknown, next: unknown): unknown;
  /** How long a plain read leaves a failed level alone. */
  readonly errorRetryMs: number;
  now(): number;
}

const emptyLevel: LevelState = {
  at: null,
  until: 0,
  qid: null,
  loud: false,
  queued: 'none',
  error: null,
  errAt: 0,
};

export const initialEntryContext = (): EntryContext => ({ data: null, levels: {}, error: null, lastQid: 0 });

/**
 * A level's own state, or undefined. Level names are arbitrary strings, so a plain index would find
 * `Object.prototype` members for levels named `constructor` or `toString`.
 */
export function ownLevel(levels: EntryContext['levels'], level: string): LevelState | undefined {
  return Object.hasOwn(levels, level) ? levels[level] : undefined;
}

export function levelOf(context: EntryContext, level: string): LevelState {
  return ownLevel(context.levels, level) ?? emptyLevel;
}

export function anyInFlight(context: EntryContext): boolean {
  for (const level in context.levels) if (context.levels[level]!.qid !== null) return true;
  return false;
}

export function anyLoud(context: EntryContext): boolean {
  for (const level in context.levels) {
    const state = context.levels[level]!;
    if (state.qid !== null && state.loud) return true;
  }
  return false;
}

export function holdsAny(context: EntryContext): boolean {
  for (const level in context.levels) if (context.levels[level]!.at !== null) return true;
  return false;
}

/** The earliest moment a held level goes stale, or Infinity when nothing held is fresh. */
export function freshUntil(context: EntryContext): number {
  let until = Number.POSITIVE_INFINITY;
  for (const level in context.levels) {
    const state = context.levels[level]!;
    if (state.at !== null && state.until < until) until = state.until;
  }
  return until;
}

/** A level whose last fetch failed is not fresh, whatever its stamp (its data may predate the failure). */
function isFresh(state: LevelState, now: number): boolean {
  return state.at !== null && state.error === null && now < state.until;
}

/** Whether a fetch a request starts shows loading: first reads are loud; directives, resyncs and refetches are not. */
function loudness(event: Extract<EntryEvent, { type: 'REQUEST' }>, state: LevelState): boolean {
  if (event.mode === 'directive' || event.mode === 'resync' || event.loud === false) return false;
  if (event.mode === 'force' && event.loud === true) return true;
  return state.at === null;
}

/** A result older than everything it would satisfy is already reflected in what is held: it changes nothing. */
function isOutdated(levels: EntryContext['levels'], result: StampedData): boolean {
  return result.stamps.every(
    (level) => (ownLevel(levels, level)?.at ?? Number.NEGATIVE_INFINITY) > result.at,
  );
}

function withLevel(context: EntryContext, level: string, patch: Partial<LevelState>): EntryContext['levels'] {
  return { ...context.levels, [level]: { ...levelOf(context, level), ...patch } };
}

export function createEntryMachine(options: EntryMachineOptions) {
  const stamp = (levels: Record<string, LevelState>, result: StampedData): Record<string, LevelState> => {
    for (const level of result.stamps) {
      const previous = ownLevel(levels, level) ?? emptyLevel;
      // A result older than what is held must not roll a level's stamp back.
      if (previous.at !== null && previous.at > result.at) continue;
      levels[level] = {
        ...previous,
        at: result.at,
        until: result.at + options.stalenessFor(level),
        error: null,
        errAt: 0,
      };
    }
    return levels;
  };

  return setup({
    types: {
      context: {} as EntryContext,
      events: {} as EntryEvent,
      emitted: {} as EntryEmitted,
      input: {} as EntryContext | undefined,
    },
    guards: {
      isLevelInFlight: ({ context, event }) =>
        event.type === 'REQUEST' && levelOf(context, event.level).qid !== null,
      isPlainRead: ({ event }) => event.type === 'REQUEST' && event.mode === 'read',
      isLevelFresh: ({ context, event }) =>
        event.type === 'REQUEST' && isFresh(levelOf(context, event.level), options.now()),
      inErrorBackoff: ({ context, event }) => {
        if (event.type !== 'REQUEST') return false;
        const state = levelOf(context, event.level);
        return state.error !== null && options.now() - state.errAt < options.errorRetryMs;
      },
      /** Latest-wins: only the answer to the level's active query counts. */
      isActiveQuery: ({ context, event }) => {
        if (event.type === 'RESOLVE') return levelOf(context, event.result.level).qid === event.qid;
        if (event.type === 'REJECT') return levelOf(context, event.level).qid === event.qid;
        return false;
      },
      anyLevelInFlight: ({ context }) => anyInFlight(context),
      lastFetchFailed: ({ context }) => context.error !== null,
      holdsNothing: ({ context }) => !holdsAny(context),
      allHeldLevelsFresh: ({ context }) => options.now() < freshUntil(context),
      isPastStaleness: ({ context }) => options.now() >= freshUntil(context),
    },
    actions: {
      /** Starts a fetch of the requested level under the entry's next query id. */
      startFetch: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'REQUEST') return;
        const qid = context.lastQid + 1;
        const loud = loudness(event, levelOf(context, event.level));
        enqueue.assign({
          lastQid: qid,
          levels: withLevel(context, event.level, { qid, loud, queued: 'none' }),
        });
        enqueue.emit({ type: 'fetchStarted', level: event.level, qid, loud, trailing: false });
      }),
      /** The request shares the fetch in flight. */
      coalesce: emit(({ context, event }) => {
        const e = event as Extract<EntryEvent, { type: 'REQUEST' }>;
        return {
          type: 'fetchCoalesced' as const,
          level: e.level,
          qid: levelOf(context, e.level).qid ?? 0,
          queued: e.mode !== 'read',
          mode: e.mode,
        };
      }),
      /** Serialization: a request that arrives mid-flight owes exactly one trailing fetch (loud wins). */
      queueTrailingFetch: assign(({ context, event }) => {
        if (event.type !== 'REQUEST') return {};
        const current = levelOf(context, event.level);
        const wanted: Queued = event.mode === 'force' && event.loud === true ? 'loud' : 'silent';
        const queued: Queued = current.queued === 'loud' ? 'loud' : wanted;
        return { levels: withLevel(context, event.level, { queued }) };
      }),
      skip: emit(({ event }, params: { reason: 'fresh' | 'error-retry-wait' }) => ({
        type: 'fetchSkipped' as const,
        level: (event as Extract<EntryEvent, { type: 'REQUEST' }>).level,
        reason: params.reason,
      })),
      storeResult: assign(({ context, event }) => {
        if (event.type !== 'RESOLVE') return {};
        const levels = stamp({ ...context.levels }, event.result);
        const fetched = ownLevel(levels, event.result.level) ?? emptyLevel;
        levels[event.result.level] = { ...fetched, qid: null, loud: false };
        return { data: options.merge(context.data, event.result.data), levels, error: null };
      }),
      storeError: assign(({ context, event }) => {
        if (event.type !== 'REJECT') return {};
        const now = options.now();
        return {
          levels: withLevel(context, event.level, { qid: null, loud: false, error: event.error, errAt: now }),
          error: event.error,
        };
      }),
      /** The trailing fetch a settled level owes starts now, under the next query id. */
      startTrailingFetch: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'RESOLVE' && event.type !== 'REJECT') return;
        const level = event.type === 'RESOLVE' ? event.result.level : event.level;
        const queued = levelOf(context, level).queued;
        if (queued === 'none') return;
        const loud = queued === 'loud';
        const qid = context.lastQid + 1;
        enqueue.assign({ lastQid: qid, levels: withLevel(context, level, { qid, loud, queued: 'none' }) });
        enqueue.emit({ type: 'fetchStarted', level, qid, loud, trailing: true });
      }),
      /** A directive's result is server truth: it supersedes fetches in flight for the levels it satisfies. */
      applyResult: assign(({ context, event }) => {
        if (event.type !== 'APPLY_RESULT') return {};
        let levels: Record<string, LevelState> = { ...context.levels };
        let data = context.data;
        for (const result of event.results) {
          if (isOutdated(levels, result)) continue;
          levels = stamp(levels, result);
          data = options.merge(data, result.data);
          for (const level of result.stamps) {
            const state = ownLevel(levels, level);
            if (!state || (state.qid === null && state.queued === 'none')) continue;
            levels[level] = { ...state, qid: null, loud: false, queued: 'none' };
          }
        }
        return { data, levels, error: null };
      }),
      reportSuperseded: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'APPLY_RESULT') return;
        for (const result of event.results) {
          if (isOutdated(context.levels, result)) continue;
          for (const level of result.stamps) {
            const qid = levelOf(context, level).qid;
            if (qid !== null) enqueue.emit({ type: 'fetchSuperseded', level, qid });
          }
        }
      }),
      markStale: assign(({ context, event }) => {
        if (event.type !== 'INVALIDATE') return {};
        const levels: Record<string, LevelState> = { ...context.levels };
        for (const level of event.levels ?? Object.keys(levels)) {
          const state = ownLevel(levels, level);
          if (state) levels[level] = { ...state, until: 0 };
        }
        return { levels };
      }),
    },
  }).createMachine({
    id: 'entry',
    context: ({ input }) => input ?? initialEntryContext(),
    initial: 'idle',
    on: {
      REQUEST: [
        { guard: and(['isLevelInFlight', 'isPlainRead']), actions: 'coalesce' },
        { guard: 'isLevelInFlight', actions: ['queueTrailingFetch', 'coalesce'] },
        {
          guard: and(['isPlainRead', 'isLevelFresh']),
          actions: { type: 'skip', params: { reason: 'fresh' } },
        },
        {
          guard: and(['isPlainRead', 'inErrorBackoff']),
          actions: { type: 'skip', params: { reason: 'error-retry-wait' } },
        },
        { target: '.fetching', actions: 'startFetch' },
      ],
      APPLY_RESULT: { target: '.settling', actions: ['reportSuperseded', 'applyResult'] },
      INVALIDATE: { target: '.settling', actions: 'markStale' },
    },
    states: {
      idle: {},
      // Answers are accepted only here, and only the active query's: anything else is not an event this entry takes.
      fetching: {
        on: {
          RESOLVE: {
            guard: 'isActiveQuery',
            target: 'settling',
            actions: ['storeResult', 'startTrailingFetch'],
          },
          REJECT: {
            guard: 'isActiveQuery',
            target: 'settling',
            actions: ['storeError', 'startTrailingFetch'],
          },
        },
      },
      fresh: {
        on: { STALENESS_ELAPSED: { guard: 'isPastStaleness', target: 'stale' } },
      },
      stale: {},
      error: {},
      /** Transient: the status follows from what the levels hold, decided in the same macrostep. */
      settling: {
        always: [
          { guard: 'anyLevelInFlight', target: 'fetching' },
          { guard: 'lastFetchFailed', target: 'error' },
          { guard: 'holdsNothing', target: 'idle' },
          { guard: 'allHeldLevelsFresh', target: 'fresh' },
          { target: 'stale' },
        ],
      },
    },
  });
}

export type EntryMachine = ReturnType<typeof createEntryMachine>;
