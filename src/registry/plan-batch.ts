// The batching rules, pure: one window's directives and resyncs become results, refetches and stale marks.
import type { StampedData } from '../machines/entry.machine';
import type { NormalizedDirective } from '../protocol/directive';
import { DEFAULT_LEVEL, type LevelGraph, planRefetch } from './level-graph';
import { paramsContain } from './params-key';
import type { CollectionData, Params } from './types';

/** One applyDirectives call (or stream envelope) waiting for the window to close. */
export interface PendingCall {
  readonly directives: readonly NormalizedDirective[];
  /** false when the caller disabled the idempotency guard. */
  readonly guard: boolean;
}

/** Everything one window gathered. */
export interface PendingBatch {
  readonly calls: readonly PendingCall[];
  /** Whether a resync joined the window (several resyncs are one). */
  readonly resync: boolean;
}

/** A registered type, as the plan reads it. */
export interface TypeView<E> {
  readonly graph: LevelGraph;
  entry(id: string): E | undefined;
  /** The type's `check` gate on a directive: a refusal reason, or undefined to let it through. */
  refuse(raw: unknown): string | undefined;
}

/** A registered collection, as the plan reads it. */
export interface CollectionView<E> {
  /** The entry a read with exactly these params finds, if cached. */
  entry(params: Readonly<Record<string, unknown>>): E | undefined;
  entries(): Iterable<E>;
  params(entry: E): Params | null;
  refuse(raw: unknown): string | undefined;
}

/** What planBatch may know about the cache: lookups only, nothing that changes it. */
export interface CacheView<E> {
  type(name: string): TypeView<E> | undefined;
  collection(name: string): CollectionView<E> | undefined;
  /** Every cached entry, for a resync: types first, then collections. */
  everyEntry(): Iterable<E>;
  /** An item entry's level graph; null for a collection entry (its one level is `default`). */
  graphOf(entry: E): LevelGraph | null;
  /** The levels an entry has state for (fetched, in flight, or failed). */
  heldLevels(entry: E): Iterable<string>;
  isInFlight(entry: E, level: string): boolean;
  /** On screen (a subscriber) or read within the resync window. */
  isActive(entry: E): boolean;
  /** Whether an idempotency key was processed within its TTL. */
  seen(key: string): boolean;
}

/** Server truth for one entry, sent before anything is refetched. */
export interface ResultStep<E> {
  readonly entry: E;
  readonly results: readonly StampedData[];
  /** The outcome (index into report.outcomes) whose directive carried it. */
  readonly outcome: number;
}

export interface RefetchStep<E> {
  readonly entry: E;
  /** Sent as one REQUEST each, in this order. */
  readonly levels: readonly string[];
  readonly mode: 'directive' | 'resync';
}

export interface MarkStaleStep<E> {
  readonly entry: E;
  readonly levels: readonly string[];
}

/** One directive's fate, in arrival order. */
export type Outcome =
  | { readonly call: number; readonly raw: unknown; readonly applied: true; readonly reload?: boolean }
  | { readonly call: number; readonly raw: unknown; readonly applied: false; readonly reason: string };

export interface BatchReport<E> {
  readonly outcomes: readonly Outcome[];
  /** Per call, the entries its promise waits for. */
  readonly touched: readonly (readonly E[])[];
  /** The entries a resync waits for. */
  readonly resynced: readonly E[];
  /** Idempotency keys to remember as processed. */
  readonly remember: readonly string[];
}

export interface BatchPlan<E> {
  readonly results: readonly ResultStep<E>[];
  readonly refetch: readonly RefetchStep<E>[];
  readonly markStale: readonly MarkStaleStep<E>[];
  readonly report: BatchReport<E>;
}

/** What one batch will do to one entry. */
interface Target {
  readonly levels: Set<string>;
  /** Levels a directive result already satisfied in this batch: not refetched, not marked stale. */
  readonly satisfied: Set<string>;
  readonly mode: 'directive' | 'resync';
}

type ItemDirective = Extract<NormalizedDirective, { kind: 'item' }>;
type CollectionDirective = Extract<NormalizedDirective, { kind: 'collection' }>;

/**
 * The batching rules. Results come first (server truth supersedes fetches in flight before anything is
 * planned); then each entry gets at most one plan: an active entry refetches, silently, the fewest levels that
 * cover what it holds and what the directives name (minus what results satisfied); an inactive one has its
 * idle levels marked stale and its levels in flight owe one trailing fetch (their answers may predate the
 * change). Directives never create entries. Results only stamp levels they satisfy, so planning from the
 * cache as it was before they are applied gives the same plan as planning after.
 */
export function planBatch<E>(pending: PendingBatch, view: CacheView<E>, now: number): BatchPlan<E> {
  const planner = new Planner(view, now);
  for (let call = 0; call < pending.calls.length; call++) planner.call(call, pending.calls[call]!);
  if (pending.resync) planner.resync();
  return planner.finish();
}

/** One batch being planned: the targets it opened so far, and what it will report. */
class Planner<E> {
  readonly view: CacheView<E>;
  readonly now: number;
  readonly #targets = new Map<E, Target>();
  readonly #results: ResultStep<E>[] = [];
  readonly #outcomes: Outcome[] = [];
  readonly #touched: E[][] = [];
  readonly #remember: string[] = [];
  readonly #resynced: E[] = [];
  /** Keys recorded in this batch: a second directive with one is a repeat even before the memory knows it. */
  #recorded: Set<string> | null = null;
  /** The entries the call being planned reaches. */
  #reached: Set<E> | null = null;

  constructor(view: CacheView<E>, now: number) {
    this.view = view;
    this.now = now;
  }

  call(call: number, { directives, guard }: PendingCall): void {
    const reached = new Set<E>();
    this.#reached = reached;
    for (const directive of directives) {
      const key = guard ? directive.meta.key : null;
      const raw = directive.raw;
      if (key !== null && (this.#recorded?.has(key) === true || this.view.seen(key))) {
        this.#outcomes.push({
          call,
          raw,
          applied: false,
          reason: `idempotency key '${key}' already processed`,
        });
        continue;
      }
      const reason = planDirective(directive, this);
      if (reason !== undefined) {
        this.#outcomes.push({ call, raw, applied: false, reason });
        continue;
      }
      if (key !== null) {
        (this.#recorded ??= new Set()).add(key);
        this.#remember.push(key);
      }
      this.#outcomes.push(
        directive.kind === 'reload'
          ? { call, raw, applied: true, reload: directive.hard }
          : { call, raw, applied: true },
      );
    }
    this.#touched.push([...reached]);
    this.#reached = null;
  }

  /** The target of a directive's entry (the call being planned waits for it). */
  target(entry: E): Target {
    this.#reached?.add(entry);
    return this.#targetOf(entry, 'directive');
  }

  /** Server truth for an entry, carried by the directive being planned. */
  result(entry: E, results: readonly StampedData[]): void {
    this.#results.push({ entry, results, outcome: this.#outcomes.length });
  }

  resync(): void {
    for (const entry of this.view.everyEntry()) {
      const target = this.#targetOf(entry, 'resync');
      if (this.view.graphOf(entry) === null) target.levels.add(DEFAULT_LEVEL);
      this.#resynced.push(entry);
    }
  }

  finish(): BatchPlan<E> {
    const { view } = this;
    const refetch: RefetchStep<E>[] = [];
    const markStale: MarkStaleStep<E>[] = [];
    for (const [entry, target] of this.#targets) {
      for (const level of view.heldLevels(entry)) target.levels.add(level);
      const required: string[] = [];
      for (const level of target.levels) if (!target.satisfied.has(level)) required.push(level);
      if (required.length === 0) continue;
      if (!view.isActive(entry)) {
        let flying: string[] | null = null;
        let idle: string[] | null = null;
        for (const level of required) {
          if (view.isInFlight(entry, level)) (flying ??= []).push(level);
          else (idle ??= []).push(level);
        }
        if (flying) refetch.push({ entry, levels: flying, mode: target.mode });
        if (idle) markStale.push({ entry, levels: idle });
        continue;
      }
      const graph = view.graphOf(entry);
      const levels =
        graph === null
          ? [DEFAULT_LEVEL]
          : planRefetch(graph, required, (level) => view.isInFlight(entry, level));
      refetch.push({ entry, levels, mode: target.mode });
    }
    return {
      results: this.#results,
      refetch,
      markStale,
      report: {
        outcomes: this.#outcomes,
        touched: this.#touched,
        resynced: this.#resynced,
        remember: this.#remember,
      },
    };
  }

  #targetOf(entry: E, mode: Target['mode']): Target {
    let target = this.#targets.get(entry);
    if (!target) this.#targets.set(entry, (target = { levels: new Set(), satisfied: new Set(), mode }));
    return target;
  }
}

/** Plans one directive; returns why it is skipped, or undefined when it applies. */
function planDirective<E>(directive: NormalizedDirective, planner: Planner<E>): string | undefined {
  if (directive.kind === 'reload') return undefined;
  const { view } = planner;
  if (directive.kind === 'item') {
    const type = view.type(directive.name);
    if (!type) return `unknown type '${directive.name}'`;
    return type.refuse(directive.raw) ?? planItem(directive, type, planner);
  }
  const collection = view.collection(directive.name);
  if (!collection) return `unknown collection '${directive.name}'`;
  const refused = collection.refuse(directive.raw);
  if (refused !== undefined) return refused;
  planCollection(directive, collection, planner);
  return undefined;
}

function planItem<E>(directive: ItemDirective, type: TypeView<E>, planner: Planner<E>): string | undefined {
  const { graph } = type;
  const level = directive.level;
  if (level !== null && !graph.has(level)) return `type '${directive.name}' has no level '${level}'`;
  for (const result of directive.result ?? []) {
    if (!graph.has(result.level)) return `result names unknown level '${result.level}'`;
  }
  const entry = type.entry(directive.id);
  // Directives never create state: an item nobody has read is left alone.
  if (entry === undefined) return undefined;
  const target = planner.target(entry);
  if (level !== null) target.levels.add(level);
  // What the entry holds joins the target when its plan is made.
  if (directive.result && directive.result.length > 0) {
    const stamped: StampedData[] = directive.result.map((result) => ({
      level: result.level,
      data: result.data,
      stamps: graph.stampsFor(result.level, result.data),
      at: result.ts !== null && result.ts < planner.now ? result.ts : planner.now,
    }));
    for (const result of stamped) for (const level of result.stamps) target.satisfied.add(level);
    planner.result(entry, stamped);
  }
  return undefined;
}

function planCollection<E>(
  directive: CollectionDirective,
  collection: CollectionView<E>,
  planner: Planner<E>,
): void {
  for (const entry of matchCollection(directive, collection)) {
    planner.target(entry).levels.add(DEFAULT_LEVEL);
  }
  // A result is server truth for the one param set the directive names exactly (no params: the default key);
  // every other matched entry is handled as if there were no result.
  if (!directive.result || directive.mode !== 'exact') return;
  const entry = collection.entry(directive.params ?? {});
  if (entry === undefined) return;
  const data: CollectionData = Object.freeze({
    ids: Object.freeze([...directive.result.ids]) as CollectionData['ids'],
    count: directive.result.count,
    meta: directive.result.meta ?? null,
  });
  planner.target(entry).satisfied.add(DEFAULT_LEVEL);
  planner.result(entry, [{ level: DEFAULT_LEVEL, data, stamps: [DEFAULT_LEVEL], at: planner.now }]);
}

function matchCollection<E>(directive: CollectionDirective, collection: CollectionView<E>): E[] {
  if (directive.params === null) return [...collection.entries()];
  if (directive.mode === 'exact') {
    const entry = collection.entry(directive.params);
    return entry === undefined ? [] : [entry];
  }
  const matched: E[] = [];
  for (const entry of collection.entries()) {
    if (paramsContain(collection.params(entry) ?? {}, directive.params)) matched.push(entry);
  }
  return matched;
}
