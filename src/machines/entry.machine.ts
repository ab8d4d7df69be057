// The cache entry actor: one per item (all its levels) or per collection param set.
import { assign, emit, enqueueActions, raise, setup } from 'xstate';

/**
 * One level of an entry. Collections have a single `default` level.
 * `until` is when the level stops being fresh (0 = marked stale); `queued` remembers one
 * trailing fetch (0 none, 1 silent, 2 loud) asked for while this level was in flight.
 */
export interface LevelState {
  readonly at: number | null;
  readonly until: number;
  readonly qid: number | null;
  readonly loud: boolean;
  readonly queued: 0 | 1 | 2;
  readonly error: Error | null;
  readonly errAt: number;
}

export interface EntryContext {
  readonly data: unknown;
  readonly levels: Readonly<Record<string, LevelState>>;
  /** The error of the last settled fetch; null once a fetch succeeds. */
  readonly error: Error | null;
}

export interface StampedData {
  readonly level: string;
  readonly data: unknown;
  /** Levels this data satisfies (the level itself included), already filtered by checkIfExists. */
  readonly stamps: readonly string[];
  /** When the server produced it (a directive result's `ts`), else now. */
  readonly at: number;
}

export type EntryEvent =
  | { type: 'FETCH'; level: string; qid: number; loud: boolean }
  | { type: 'QUEUE'; level: string; loud: boolean }
  | { type: 'RESOLVE'; qid: number; nextQid: number; result: StampedData }
  | { type: 'REJECT'; level: string; qid: number; nextQid: number; error: Error }
  | { type: 'APPLY_RESULT'; results: readonly StampedData[] }
  /** Marks levels stale (all held levels when none are named). */
  | { type: 'INVALIDATE'; levels?: readonly string[] }
  /** The registry's staleness clock says the earliest held level's time is up. */
  | { type: 'STALENESS_ELAPSED' }
  | { type: 'SETTLE' };

/** What the entry asks of the registry: it decides, the registry performs. */
export type EntryEmitted =
  | { type: 'fetchStarted'; level: string; qid: number; loud: boolean; trailing: boolean }
  | { type: 'responseDiscarded'; level: string; qid: number }
  | { type: 'fetchSuperseded'; level: string; qid: number };

export interface EntryMachineOptions {
  /** How long a fetch of `level` stays fresh. */
  stalenessFor(level: string): number;
  /** Combines held data with newly fetched data (items merge levels; collections replace). */
  merge(previous: unknown, next: unknown): unknown;
  now(): number;
}

const emptyLevel: LevelState = {
  at: null,
  until: 0,
  qid: null,
  loud: false,
  queued: 0,
  error: null,
  errAt: 0,
};

export const initialEntryContext = (): EntryContext => ({ data: null, levels: {}, error: null });

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
export function isLevelFresh(state: LevelState, now: number): boolean {
  return state.at !== null && state.error === null && now < state.until;
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
      startLevelFetch: assign(({ context, event }) => {
        if (event.type !== 'FETCH') return {};
        return { levels: withLevel(context, event.level, { qid: event.qid, loud: event.loud, queued: 0 }) };
      }),
      announceFetch: emit(({ event }) => {
        const e = event as Extract<EntryEvent, { type: 'FETCH' }>;
        return { type: 'fetchStarted' as const, level: e.level, qid: e.qid, loud: e.loud, trailing: false };
      }),
      queueTrailingFetch: assign(({ context, event }) => {
        if (event.type !== 'QUEUE') return {};
        const current = levelOf(context, event.level);
        const queued = Math.max(current.queued, event.loud ? 2 : 1) as 0 | 1 | 2;
        return { levels: withLevel(context, event.level, { queued }) };
      }),
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
      /** Serialization: a request that arrived mid-flight becomes exactly one trailing fetch. */
      startTrailingFetch: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'RESOLVE' && event.type !== 'REJECT') return;
        const level = event.type === 'RESOLVE' ? event.result.level : event.level;
        const queued = levelOf(context, level).queued;
        if (queued === 0) return;
        const loud = queued === 2;
        enqueue.assign(({ context: current }) => ({
          levels: withLevel(current, level, { qid: event.nextQid, loud, queued: 0 }),
        }));
        enqueue.emit({ type: 'fetchStarted', level, qid: event.nextQid, loud, trailing: true });
      }),
      reportDiscarded: emit(({ event }) => {
        const e = event as Extract<EntryEvent, { type: 'RESOLVE' | 'REJECT' }>;
        return {
          type: 'responseDiscarded' as const,
          level: e.type === 'RESOLVE' ? e.result.level : e.level,
          qid: e.qid,
        };
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
            if (!state || (state.qid === null && state.queued === 0)) continue;
            levels[level] = { ...state, qid: null, loud: false, queued: 0 };
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
      settle: raise({ type: 'SETTLE' }),
    },
  }).createMachine({
    id: 'entry',
    context: ({ input }) => input ?? initialEntryContext(),
    initial: 'idle',
    on: {
      FETCH: { target: '.fetching', actions: ['startLevelFetch', 'announceFetch'] },
      QUEUE: { actions: 'queueTrailingFetch' },
      RESOLVE: [
        { guard: 'isActiveQuery', actions: ['storeResult', 'startTrailingFetch', 'settle'] },
        { actions: 'reportDiscarded' },
      ],
      REJECT: [
        { guard: 'isActiveQuery', actions: ['storeError', 'startTrailingFetch', 'settle'] },
        { actions: 'reportDiscarded' },
      ],
      APPLY_RESULT: { actions: ['reportSuperseded', 'applyResult', 'settle'] },
      INVALIDATE: { actions: ['markStale', 'settle'] },
      SETTLE: [
        { guard: 'anyLevelInFlight', target: '.fetching' },
        { guard: 'lastFetchFailed', target: '.error' },
        { guard: 'holdsNothing', target: '.idle' },
        { guard: 'allHeldLevelsFresh', target: '.fresh' },
        { target: '.stale' },
      ],
    },
    states: {
      idle: {},
      fetching: {},
      fresh: {
        on: { STALENESS_ELAPSED: { guard: 'isPastStaleness', target: 'stale' } },
      },
      stale: {},
      error: {},
    },
  });
}

export type EntryMachine = ReturnType<typeof createEntryMachine>;
