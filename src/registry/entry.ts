// One cache entry: its actor (running, or resting as a persisted snapshot), subscribers and cached view.
import { type Actor, type AnyActorRef, createActor, transition } from 'xstate';
import {
  anyInFlight,
  anyLoud,
  type EntryContext,
  type EntryEmitted,
  type EntryEvent,
  type EntryMachine,
  freshUntil,
  initialEntryContext,
  type LevelState,
} from '../machines/entry.machine';
import type { StalenessClock, StalenessWatcher } from './staleness-clock';
import type { CollectionData, EntryStatus, LevelMeta, Params } from './types';

/** What an entry needs from the registry that owns it. */
export interface EntryHost {
  now(): number;
  /**
   * With the `inspect` option: the actor whose system inspected entries join (the coordinator). Inspected
   * entries never rest, so every transition of theirs is an actor's, seen by the inspector under one id.
   */
  inspectionRoot(): AnyActorRef | undefined;
  /** The entry asked for work (a fetch) or reported a discarded/superseded response. */
  onEmitted(entry: Entry, event: EntryEmitted): void;
  /** The entry's state changed (for onChange). */
  onChanged(entry: Entry): void;
  /** Adds what is shown beside the truth (predictions) to a freshly built view. */
  overlay(entry: Entry, view: EntryView): EntryView;
  /** The one clock that tells running fresh entries when they go stale. */
  readonly clock: StalenessClock<Entry>;
}

/** A registered type or collection, as its entries see it. */
export interface EntryOwner {
  readonly kind: 'item' | 'collection';
  readonly name: string;
  readonly machine: EntryMachine;
  readonly host: EntryHost;
  /** Entries by id / params key, oldest consumer read first (the LRU order). */
  readonly entries: Map<string, Entry>;
}

/** A fetch in flight that can be told its result is no longer wanted. */
export interface Cancellable {
  cancel(): void;
}

type EntryActor = Actor<EntryMachine>;

/**
 * A resting entry: its state value and (immutable) context, nothing else. Cheaper to take than
 * `getPersistedSnapshot()` (no deep walk of the data) and smaller; restored with `machine.resolveState`.
 */
interface Rest {
  readonly value: EntryStatus;
  readonly context: EntryContext;
}

export interface EntryView {
  readonly data: unknown;
  readonly meta: Record<string, unknown>;
  readonly predicted?: unknown;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class Entry implements StalenessWatcher {
  readonly owner: EntryOwner;
  /** The item id, or the collection's params key. */
  readonly key: string;
  /** Collections only: the frozen params this entry was read with. */
  readonly params: Params | null;
  lastUsedAt: number;
  removed = false;

  #actor: EntryActor | null = null;
  #rest: Rest | null = null;
  #listeners: Set<() => void> | null = null;
  #pins = 0;
  #view: EntryView | null = null;
  #viewExpires = Number.POSITIVE_INFINITY;
  #cancels: Map<string, Cancellable> | null = null;
  #waiters: Array<() => void> | null = null;

  constructor(owner: EntryOwner, key: string, params: Params | null, now: number) {
    this.owner = owner;
    this.key = key;
    this.params = params;
    this.lastUsedAt = now;
  }

  get running(): boolean {
    return this.#actor !== null;
  }

  get subscriberCount(): number {
    return this.#listeners?.size ?? 0;
  }

  context(): EntryContext {
    if (this.#actor) return this.#actor.getSnapshot().context;
    return this.#rest?.context ?? initialEntryContext();
  }

  status(): EntryStatus {
    const value = this.#actor
      ? (this.#actor.getSnapshot().value as EntryStatus)
      : (this.#rest?.value ?? 'idle');
    // Reads are exact even between the clock's tick and the transition it causes (and for resting entries).
    if (value === 'fresh' && this.owner.host.now() >= freshUntil(this.context())) return 'stale';
    return value;
  }

  inFlight(): boolean {
    return anyInFlight(this.context());
  }

  /** The running actor, started from the resting snapshot when needed. */
  wake(): EntryActor {
    if (this.#actor) return this.#actor;
    const { machine, host, kind, name } = this.owner;
    const rest = this.#rest;
    const actor = createActor(machine, {
      id: `${kind}:${name}:${this.key}`,
      parent: host.inspectionRoot(),
      input: undefined,
      ...(rest ? { snapshot: machine.resolveState(rest) } : {}),
    });
    actor.on('*', (event) => host.onEmitted(this, event as EntryEmitted));
    actor.subscribe(() => this.#changed());
    this.#actor = actor;
    this.#rest = null;
    actor.start();
    if (rest?.value === 'fresh') actor.send({ type: 'STALENESS_ELAPSED' });
    this.#watchStaleness();
    return actor;
  }

  send(event: EntryEvent): void {
    const rest = this.#rest;
    if (
      !this.#actor &&
      rest &&
      (event.type === 'INVALIDATE' ||
        event.type === 'STALENESS_ELAPSED' ||
        (event.type === 'APPLY_RESULT' && !anyInFlight(rest.context)))
    ) {
      // Nothing runs for a resting entry: the machine's pure transition gives its next state without an actor.
      const [next] = transition(this.owner.machine, this.owner.machine.resolveState(rest), event);
      this.#rest = { value: next.value as EntryStatus, context: next.context };
      this.#changed();
      this.#afterWork();
      return;
    }
    this.wake().send(event);
    this.#afterWork();
  }

  /** StalenessWatcher: the clock says a held level's time is up (watched while running or subscribed). */
  staled(): void {
    if (this.removed) return;
    this.send({ type: 'STALENESS_ELAPSED' });
  }

  /**
   * Puts the actor to rest when nothing needs it running: no fetch, nobody holding `actor`. Subscribers do not
   * keep it running (a rendered row costs a listener, not an actor): a resting entry notifies them itself.
   */
  maybeRest(): void {
    const actor = this.#actor;
    if (!actor || this.#pins > 0 || this.owner.host.inspectionRoot()) return;
    const context = actor.getSnapshot().context;
    if (anyInFlight(context)) return;
    this.#rest = restOf(actor);
    this.#actor = null;
    stopActor(actor);
    this.#watchStaleness();
  }

  /** Keeps the actor running for someone who holds it directly (e.g. `ref.actor` in a selector). */
  pin(): EntryActor {
    this.#pins++;
    return this.wake();
  }

  subscribe(listener: () => void): () => void {
    if (this.removed) return () => {};
    const wrapped = () => listener();
    (this.#listeners ??= new Set()).add(wrapped);
    this.#watchStaleness();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners?.delete(wrapped);
      if (this.#listeners?.size === 0) {
        this.#listeners = null;
        this.#watchStaleness();
      }
    };
  }

  setCancel(level: string, cancel: Cancellable): void {
    (this.#cancels ??= new Map()).set(level, cancel);
  }

  /** Forgets a finished fetch's handle, unless a newer fetch of the level has replaced it. */
  clearCancel(level: string, cancel: Cancellable): void {
    if (this.#cancels?.get(level) !== cancel) return;
    this.#cancels.delete(level);
    if (this.#cancels.size === 0) this.#cancels = null;
  }

  cancel(level: string): void {
    const cancel = this.#cancels?.get(level);
    if (!cancel) return;
    this.clearCancel(level, cancel);
    cancel.cancel();
  }

  /** What is shown beside the truth changed (a prediction started or ended): rebuild the view, tell subscribers. */
  repaint(): void {
    if (this.removed) return;
    this.#view = null;
    const listeners = this.#listeners;
    if (listeners) for (const listener of [...listeners]) safeCall(listener);
  }

  /** Resolves when nothing is in flight or queued for this entry (or it is removed). */
  whenSettled(): Promise<void> {
    if (this.removed || !this.#busy()) return Promise.resolve();
    return new Promise((resolve) => {
      (this.#waiters ??= []).push(resolve);
    });
  }

  /** Stops the actor and drops everything; fetches in flight are aborted. */
  destroy(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.#cancels) for (const level of [...this.#cancels.keys()]) this.cancel(level);
    const actor = this.#actor;
    if (actor) {
      this.#rest = restOf(actor);
      this.#actor = null;
      stopActor(actor);
    }
    // A resting entry with subscribers is watched too: the clock must not keep a removed entry alive.
    this.owner.host.clock.unwatch(this);
    this.#releaseWaiters();
    const listeners = this.#listeners;
    this.#listeners = null;
    this.#view = null;
    if (listeners) for (const listener of listeners) safeCall(listener);
  }

  /** Registry teardown: stop the actor and abort its fetches; no snapshots, no notifications. */
  dispose(): void {
    this.removed = true;
    // Fetches in flight are told to stop too: nobody will read their answers.
    const cancels = this.#cancels;
    this.#cancels = null;
    if (cancels) for (const cancel of cancels.values()) cancel.cancel();
    if (this.#actor) stopActor(this.#actor);
    this.#actor = null;
    this.#listeners = null;
    this.#releaseWaiters();
  }

  view(): EntryView {
    const now = this.owner.host.now();
    if (this.#view && now < this.#viewExpires) return this.#view;
    const context = this.context();
    const status = this.status();
    this.#viewExpires = status === 'fresh' ? freshUntil(context) : Number.POSITIVE_INFINITY;
    this.#view = this.owner.host.overlay(
      this,
      this.owner.kind === 'item' ? this.#itemView(context, status) : this.#collectionView(context, status),
    );
    return this.#view;
  }

  #itemView(context: EntryContext, status: EntryStatus): EntryView {
    const levels: Record<string, LevelMeta> = {};
    let lastFetched: number | null = null;
    for (const name in context.levels) {
      const state = context.levels[name]!;
      levels[name] = Object.freeze({
        lastFetched: iso(state.at),
        isFetching: state.qid !== null,
        error: state.error,
      });
      if (state.at !== null && (lastFetched === null || state.at > lastFetched)) lastFetched = state.at;
    }
    const meta = this.#baseMeta(context, status, lastFetched);
    meta.levels = Object.freeze(levels);
    return Object.freeze({ data: context.data, meta: Object.freeze(meta) });
  }

  #collectionView(context: EntryContext, status: EntryStatus): EntryView {
    const state: LevelState | undefined = context.levels.default;
    const data = (context.data as CollectionData | null) ?? EMPTY_COLLECTION;
    const meta = this.#baseMeta(context, status, state?.at ?? null);
    meta.paramsSnapshot = this.params;
    meta.paramsKey = this.key;
    return Object.freeze({ data, meta: Object.freeze(meta) });
  }

  #baseMeta(context: EntryContext, status: EntryStatus, lastFetched: number | null): Record<string, unknown> {
    let activeQueryId: number | null = null;
    for (const name in context.levels) {
      const qid = context.levels[name]!.qid;
      if (qid !== null && (activeQueryId === null || qid > activeQueryId)) activeQueryId = qid;
    }
    const meta: Record<string, unknown> = {
      status,
      isLoading: anyLoud(context),
      isFetching: activeQueryId !== null,
      error: context.error,
      lastFetched: iso(lastFetched),
      activeQueryId: activeQueryId === null ? null : String(activeQueryId),
      isPredicted: false,
    };
    // Consumer reads do not change the snapshot (that would re-render on every read), so this one is live.
    Object.defineProperty(meta, 'lastUsedAt', { enumerable: true, get: () => iso(this.lastUsedAt) });
    return meta;
  }

  #busy(): boolean {
    const context = this.context();
    for (const name in context.levels) {
      const state = context.levels[name]!;
      if (state.qid !== null || state.queued !== 0) return true;
    }
    return false;
  }

  /** A running actor, or a resting entry someone listens to, hears from the clock when it goes stale. */
  #watchStaleness(): void {
    if (this.removed) return;
    const value = this.#actor ? this.#actor.getSnapshot().value : this.#rest?.value;
    const watched = this.#actor !== null || this.#listeners !== null;
    if (watched && value === 'fresh') this.owner.host.clock.watch(this, freshUntil(this.context()));
    else this.owner.host.clock.unwatch(this);
  }

  #changed(): void {
    this.#view = null;
    this.#watchStaleness();
    const listeners = this.#listeners;
    if (listeners) for (const listener of [...listeners]) safeCall(listener);
    this.owner.host.onChanged(this);
  }

  #afterWork(): void {
    if (this.#waiters && !this.#busy()) this.#releaseWaiters();
    this.maybeRest();
  }

  #releaseWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters) for (const resolve of waiters) resolve();
  }
}

/**
 * An inspected entry's actor has the coordinator as parent (to share its system) but is not its child: XState
 * lets only a parent stop such an actor (`stop()` throws), so it is stopped the way a parent would.
 */
function stopActor(actor: EntryActor): void {
  if (actor._parent) (actor as unknown as { _stop(): void })._stop();
  else actor.stop();
}

function restOf(actor: EntryActor): Rest {
  const snapshot = actor.getSnapshot();
  return { value: snapshot.value as EntryStatus, context: snapshot.context };
}

const EMPTY_COLLECTION: CollectionData = Object.freeze({ ids: Object.freeze([]), count: 0, meta: null });

function safeCall(listener: () => void): void {
  try {
    listener();
  } catch {
    // A subscriber's error is its own; the cache and other subscribers carry on.
  }
}
