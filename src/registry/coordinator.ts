// The coordinator: the pending work of one `bulk.delayMs` window, a plain timer, and the plan's executor.
import { type Actor, createActor, fromTransition, type InspectionEvent, type Observer } from 'xstate';
import { levelOf } from '../machines/entry.machine';
import { normalizeDirectives } from '../protocol/directive';
import type { Entry } from './entry';
import type { EntryCache } from './entry-cache';
import { IdempotencyMemory } from './idempotency';
import type { Lifecycle, Logger } from './lifecycle';
import type { ResolvedOptions } from './options';
import type { CollectionOwner, TypeOwner } from './owners';
import { paramsKey } from './params-key';
import {
  type BatchPlan,
  type CacheView,
  type CollectionView,
  type PendingCall,
  planBatch,
  type TypeView,
} from './plan-batch';
import type { ApplyReport, Directive, DirectiveGate } from './types';

/** What the coordinator reads of the entry cache: the owners and their entries, and which entries are active. */
type CoordinatorCache = Pick<EntryCache, 'types' | 'collections' | 'isActive'>;

export interface CoordinatorHost {
  readonly options: ResolvedOptions;
  readonly clientId: string;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  now(): number;
  /** The entry cache (read when a window closes, so it may be built after the coordinator). */
  cache(): CoordinatorCache;
  onForceReload(hard: boolean): void;
  /** Sends the bulk fetches queued for the window, the batch's own refetches included. */
  flushBulk(): void;
  /** The registry's `inspect` option: the window is then also an actor (id `coordinator`) it can watch. */
  readonly inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
}

export interface EnqueueOptions {
  source?: string | undefined;
  audience?: string | undefined;
  disableIdempotencyGuard?: boolean;
}

/**
 * The window's states. `collecting`: the timer runs; `flushing`: the batch runs, and work queued meanwhile
 * (a directive applied from a listener) is `owed` the next window. Bulk fetches the batch queues go out at
 * its end, so they need no window.
 */
export interface WindowState {
  readonly phase: 'idle' | 'collecting' | 'flushing';
  readonly owed: boolean;
}

export type WindowEvent = { type: 'WORK_QUEUED' } | { type: 'WINDOW_CLOSED' } | { type: 'BATCH_DONE' };

const IDLE: WindowState = Object.freeze({ phase: 'idle', owed: false });
const COLLECTING: WindowState = Object.freeze({ phase: 'collecting', owed: false });
const FLUSHING: WindowState = Object.freeze({ phase: 'flushing', owed: false });
const FLUSHING_OWED: WindowState = Object.freeze({ phase: 'flushing', owed: true });

/** The window's rules, one copy: the coordinator follows them, and an inspected coordinator's actor runs them. */
export function stepWindow(state: WindowState, event: WindowEvent): WindowState {
  switch (event.type) {
    case 'WORK_QUEUED':
      if (state.phase === 'idle') return COLLECTING;
      return state.phase === 'flushing' && !state.owed ? FLUSHING_OWED : state;
    case 'WINDOW_CLOSED':
      return state.phase === 'collecting' ? FLUSHING : state;
    case 'BATCH_DONE':
      if (state.phase !== 'flushing') return state;
      return state.owed ? COLLECTING : IDLE;
  }
}

interface Call extends PendingCall {
  readonly report: ApplyReport;
  readonly resolve: (report: ApplyReport) => void;
}

/**
 * A plain timer, not an actor: a directive's whole busy time is budgeted at 50 µs, and an XState actor's
 * queued-work transition, delayed event and hand-off cost several times that (docs/architecture.md has the
 * figures). With `inspect` set, the same window rules also run in an actor the inspector sees.
 */
export class Coordinator {
  readonly #host: CoordinatorHost;
  readonly #idempotency: IdempotencyMemory;
  readonly #actor: Actor<ReturnType<typeof windowLogic>> | null;
  #window: WindowState = IDLE;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #calls: Call[] = [];
  #resyncs: Array<() => void> = [];
  /** The cache as planBatch reads it; built at the first batch (the cache may be built after the coordinator). */
  #view: CacheOverEntries | null = null;

  constructor(host: CoordinatorHost) {
    this.#host = host;
    const { idempotencyTtlMs, idempotencyMaxKeys } = host.options.directives;
    this.#idempotency = new IdempotencyMemory(idempotencyTtlMs, idempotencyMaxKeys);
    this.#actor = host.inspect
      ? createActor(windowLogic(), { inspect: host.inspect, id: 'coordinator', systemId: 'coordinator' })
      : null;
    this.#actor?.start();
  }

  /** With `inspect`: the actor whose system inspected entries join. */
  get inspectionRoot(): Actor<ReturnType<typeof windowLogic>> | undefined {
    return this.#actor ?? undefined;
  }

  get hasPending(): boolean {
    return this.#calls.length > 0 || this.#resyncs.length > 0;
  }

  /** Validates now (rejections are reported at once), applies at the end of the window. Never rejects. */
  enqueue(input: unknown, options: EnqueueOptions = {}): Promise<ApplyReport> {
    const { lifecycle, logger, clientId } = this.#host;
    let outcome: ReturnType<typeof normalizeDirectives>;
    try {
      outcome = normalizeDirectives(input, {
        maxDirectivesPerBatch: this.#host.options.limits.maxDirectivesPerBatch,
      });
    } catch (error) {
      outcome = {
        directives: [],
        rejected: [{ directive: input, reason: `unreadable input: ${String(error)}` }],
      };
    }
    const report: ApplyReport = { applied: [], skipped: [], rejected: [] };
    if (lifecycle.wants('directive:received')) {
      lifecycle.emit('directive:received', {
        count: outcome.directives.length + outcome.rejected.length,
        source: options.source ?? null,
        audience: options.audience ?? null,
      });
    }
    // A rejection costs its report entry (and an event only when someone listens); the log gets one line.
    const rejected = outcome.rejected;
    const announce = lifecycle.wants('directive:rejected');
    for (let index = 0; index < rejected.length; index++) {
      const rejection = rejected[index]!;
      report.rejected.push(rejection);
      if (announce)
        lifecycle.emit('directive:rejected', { directive: rejection.directive, reason: rejection.reason });
    }
    if (rejected.length > 0) {
      logger.log(
        'warn',
        `Rejected ${rejected.length} directive(s) of a batch (${outcome.directives.length} accepted); the first: ${rejected[0]!.reason}`,
        rejected[0]!.directive,
      );
    }
    if (options.source !== undefined && options.source === clientId) {
      for (const directive of outcome.directives)
        this.#skip(report, directive.raw, `own source (${clientId})`);
      return Promise.resolve(report);
    }
    if (outcome.directives.length === 0) return Promise.resolve(report);
    return new Promise((resolve) => {
      this.#calls.push({
        directives: outcome.directives,
        guard: options.disableIdempotencyGuard !== true,
        report,
        resolve,
      });
      this.#send({ type: 'WORK_QUEUED' });
    });
  }

  /** A resync joins the window too, so it batches with directives and bulk fetches. */
  enqueueResync(): Promise<void> {
    return new Promise((resolve) => {
      this.#resyncs.push(resolve);
      this.#send({ type: 'WORK_QUEUED' });
    });
  }

  /** A bulk fetch was queued: it needs a window, unless the batch is running (it goes out at its end). */
  bulkQueued(): void {
    if (this.#window.phase !== 'flushing') this.#send({ type: 'WORK_QUEUED' });
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#window = IDLE;
    this.#actor?.stop();
    for (const call of this.#calls) call.resolve(call.report);
    for (const resolve of this.#resyncs) resolve();
    this.#calls = [];
    this.#resyncs = [];
    this.#idempotency.clear();
  }

  #send(event: WindowEvent): void {
    const before = this.#window;
    const after = stepWindow(before, event);
    if (after === before) return;
    this.#window = after;
    this.#actor?.send(event);
    if (after.phase === 'collecting') {
      this.#timer = setTimeout(() => this.#close(), this.#host.options.bulk.delayMs);
    }
  }

  /** The window closed: directives first (their refetches join the bulk groups), then the bulk fetches. */
  #close(): void {
    this.#timer = null;
    this.#send({ type: 'WINDOW_CLOSED' });
    try {
      this.#runBatch();
      this.#host.flushBulk();
    } finally {
      this.#send({ type: 'BATCH_DONE' });
    }
  }

  #runBatch(): void {
    const calls = this.#calls;
    const resyncs = this.#resyncs;
    if (calls.length === 0 && resyncs.length === 0) return;
    this.#calls = [];
    this.#resyncs = [];
    const now = this.#host.now();
    this.#idempotency.prune(now);
    const view = (this.#view ??= new CacheOverEntries(this.#host.cache(), this.#idempotency));
    view.now = now;
    const plan = planBatch({ calls, resync: resyncs.length > 0 }, view, now);
    this.#apply(plan, calls, now);
    for (let index = 0; index < calls.length; index++) {
      const call = calls[index]!;
      const settled = whenSettled(plan.report.touched[index]!);
      if (settled) void settled.then(() => call.resolve(call.report));
      else call.resolve(call.report);
    }
    if (resyncs.length > 0) {
      const done = () => {
        for (const resolve of resyncs) resolve();
      };
      const settled = whenSettled(plan.report.resynced);
      if (settled) void settled.then(done);
      else done();
    }
  }

  /** The executor: results and each directive's report in arrival order, then refetches, then stale marks. */
  #apply(plan: BatchPlan<Entry>, calls: readonly Call[], now: number): void {
    const { results, refetch, markStale, report } = plan;
    const { lifecycle } = this.#host;
    let next = 0;
    for (let index = 0; index < report.outcomes.length; index++) {
      for (; next < results.length && results[next]!.outcome === index; next++) {
        const step = results[next]!;
        step.entry.send({ type: 'APPLY_RESULT', results: step.results });
      }
      const outcome = report.outcomes[index]!;
      const callReport = calls[outcome.call]!.report;
      if (!outcome.applied) {
        this.#skip(callReport, outcome.raw, outcome.reason);
        continue;
      }
      if (outcome.reload !== undefined) this.#reload(outcome.reload);
      callReport.applied.push(outcome.raw as Directive);
      if (lifecycle.wants('directive:processed')) {
        lifecycle.emit('directive:processed', { directive: outcome.raw });
      }
    }
    for (const key of report.remember) this.#idempotency.record(key, now);
    for (const { entry, levels, mode } of refetch) {
      for (const level of levels) entry.send({ type: 'REQUEST', level, mode });
    }
    for (const { entry, levels } of markStale) entry.send({ type: 'INVALIDATE', levels });
  }

  #reload(hard: boolean): void {
    try {
      this.#host.onForceReload(hard);
    } catch (error) {
      this.#host.logger.log('error', 'onForceReload threw.', error);
    }
  }

  #skip(report: ApplyReport, raw: unknown, reason: string): void {
    report.skipped.push({ directive: raw as Directive, reason });
    const { lifecycle } = this.#host;
    if (lifecycle.wants('directive:skipped')) lifecycle.emit('directive:skipped', { directive: raw, reason });
  }
}

/** The entry cache as planBatch reads it: lookups only. One per coordinator, with one view per owner. */
class CacheOverEntries implements CacheView<Entry> {
  readonly #cache: CoordinatorCache;
  readonly #idempotency: IdempotencyMemory;
  readonly #types = new WeakMap<TypeOwner, TypeView<Entry>>();
  readonly #collections = new WeakMap<CollectionOwner, CollectionView<Entry>>();
  /** The batch's time, for the idempotency memory. */
  now = 0;

  constructor(cache: CoordinatorCache, idempotency: IdempotencyMemory) {
    this.#cache = cache;
    this.#idempotency = idempotency;
  }

  type(name: string): TypeView<Entry> | undefined {
    const owner = this.#cache.types.get(name);
    if (!owner) return undefined;
    let view = this.#types.get(owner);
    if (!view) {
      view = {
        graph: owner.graph,
        entry: (id) => owner.entries.get(id),
        refuse: (raw) => refusal(owner.check, raw),
      };
      this.#types.set(owner, view);
    }
    return view;
  }

  collection(name: string): CollectionView<Entry> | undefined {
    const owner = this.#cache.collections.get(name);
    if (!owner) return undefined;
    let view = this.#collections.get(owner);
    if (!view) {
      view = {
        entry: (params) => {
          const key = keyOf(owner, params);
          return key === null ? undefined : owner.entries.get(key);
        },
        entries: () => owner.entries.values(),
        params: (entry) => entry.params,
        refuse: (raw) => refusal(owner.check, raw),
      };
      this.#collections.set(owner, view);
    }
    return view;
  }

  *everyEntry(): Iterable<Entry> {
    for (const owner of this.#cache.types.values()) yield* owner.entries.values();
    for (const owner of this.#cache.collections.values()) yield* owner.entries.values();
  }

  graphOf(entry: Entry): TypeOwner['graph'] | null {
    return entry.owner.kind === 'item' ? (entry.owner as TypeOwner).graph : null;
  }

  heldLevels(entry: Entry): Iterable<string> {
    return Object.keys(entry.context().levels);
  }

  isInFlight(entry: Entry, level: string): boolean {
    return levelOf(entry.context(), level).qid !== null;
  }

  isActive(entry: Entry): boolean {
    return this.#cache.isActive(entry);
  }

  seen(key: string): boolean {
    return this.#idempotency.seen(key, this.now);
  }
}

/** The window rules as actor logic, for the inspector. */
function windowLogic() {
  return fromTransition((state: WindowState, event: WindowEvent) => stepWindow(state, event), IDLE);
}

/** Resolves once every entry has settled; null when all already have (the caller answers at once). */
function whenSettled(entries: readonly Entry[]): Promise<unknown> | null {
  let waiting: Promise<void>[] | null = null;
  for (const entry of entries) {
    if (isSettled(entry)) continue;
    (waiting ??= []).push(entry.whenSettled());
  }
  return waiting && Promise.all(waiting);
}

/** Nothing in flight or queued (what `Entry.whenSettled` waits for), read without building a promise. */
function isSettled(entry: Entry): boolean {
  if (entry.removed) return true;
  const levels = entry.context().levels;
  for (const name in levels) {
    const state = levels[name]!;
    if (state.qid !== null || state.queued !== 'none') return false;
  }
  return true;
}

/** A type's or collection's `check` gate, as a refusal reason. */
function refusal(check: DirectiveGate | undefined, raw: unknown): string | undefined {
  if (!check) return undefined;
  try {
    return check(raw as Directive) === false ? 'check gate returned false' : undefined;
  } catch (error) {
    return `check gate threw: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The entry key a directive's params name, as reads compute it; null when a custom key() throws. */
function keyOf(owner: CollectionOwner, params: Readonly<Record<string, unknown>>): string | null {
  try {
    return owner.key ? owner.key(params) : paramsKey(params);
  } catch {
    return null;
  }
}
