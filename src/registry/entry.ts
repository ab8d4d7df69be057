// One cache entry: its machine snapshot (a live actor only when someone asks for one), subscribers and cached view.
import { type Actor, type AnyActorRef, createActor, type SnapshotFrom } from 'xstate';
import {
  anyInFlight,
  anyLoud,
  type EntryContext,
  type EntryEmitted,
  type EntryEvent,
  type EntryMachine,
  freshUntil,
  type LevelState,
} from '../machines/entry.machine';
import type { Stepper } from '../machines/stepper';
import type { StalenessClock, StalenessWatcher } from './staleness-clock';
import type { CollectionData, EntryStatus, LevelMeta, Params } from './types';

/** What an entry needs from the registry that owns it. */
export interface EntryHost {
  now(): number;
  /**
   * With the `inspect` option: the actor whose system inspected entries join (the coordinator). Every entry is
   * then a live actor from its first read, so the inspector sees each transition under one id.
   */
  inspectionRoot(): AnyActorRef | undefined;
  /** The entry decided something: a fetch to start, a request coalesced or skipped, a fetch superseded. */
  onEmitted(entry: Entry, event: EntryEmitted): void;
  /** The entry's state changed (for onChange). */
  onChanged(entry: Entry): void;
  /** Adds what is shown beside the truth (predictions) to a freshly built view. */
  overlay(entry: Entry, view: EntryView): EntryView;
  /** The one clock that tells watched fresh entries when they go stale. */
  readonly clock: StalenessClock<Entry>;
}

/** A registered type or collection, as its entries see it. */
export interface EntryOwner {
  readonly kind: 'item' | 'collection';
  readonly name: string;
  /** The entry machine, and the shared scope its entries advance in. */
  readonly stepper: EntryStepper;
  readonly host: EntryHost;
  /** Entries by id / params key, oldest consumer read first (the LRU order). */
  readonly entries: Map<string, Entry>;
}

export type EntryStepper = Stepper<EntryMachine, EntryEmitted>;
export type EntrySnapshot = SnapshotFrom<EntryMachine>;

/** A fetch in flight that can be told its result is no longer wanted. */
export interface Cancellable {
  cancel(): void;
}

type EntryActor = Actor<EntryMachine>;

export interface EntryView {
  readonly data: unknown;
  readonly meta: Record<string, unknown>;
  readonly predicted?: unknown;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * One entry. Its truth is a machine snapshot, advanced by the entry machine's own transition logic
 * (`owner.stepper`). A live actor exists only while someone holds one (`ref.actor`) or an inspector watches
 * (`inspect`): it starts from the snapshot, and while it lives events go to it and the snapshot follows it.
 */
export class Entry implements StalenessWatcher {
  readonly owner: EntryOwner;
  /** The item id, or the collection's params key. */
  readonly key: string;
  /** Collections only: the frozen params this entry was read with. */
  readonly params: Params | null;
  lastUsedAt: number;
  removed = false;

  /** The machine state, kept as value and context: the snapshot object is rebuilt when a step needs it. */
  #value: EntryStatus;
  #context: EntryContext;
  #actor: EntryActor | null = null;
  /** Events sent while this entry is reporting a step: handled after it, in order, as an actor's mailbox does. */
  #mailbox: EntryEvent[] | null = null;
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
    this.#value = owner.stepper.initial.value as EntryStatus;
    this.#context = owner.stepper.initial.context;
    if (owner.host.inspectionRoot()) this.#startActor();
  }

  /** Whether a live actor backs this entry (devtools). */
  get running(): boolean {
    return this.#actor !== null;
  }

  get subscriberCount(): number {
    return this.#listeners?.size ?? 0;
  }

  /** The machine snapshot (the live actor's while one runs: it is current even while the actor reports). */
  get snapshot(): EntrySnapshot {
    return this.#actor ? this.#actor.getSnapshot() : this.owner.stepper.restore(this.#value, this.#context);
  }

  context(): EntryContext {
    return this.#actor ? this.#actor.getSnapshot().context : this.#context;
  }

  status(): EntryStatus {
    const value = this.#actor ? (this.#actor.getSnapshot().value as EntryStatus) : this.#value;
    // Reads are exact even between the clock's tick and the transition it causes (and for unwatched entries).
    if (value === 'fresh' && this.owner.host.now() >= freshUntil(this.context())) return 'stale';
    return value;
  }

  inFlight(): boolean {
    return anyInFlight(this.context());
  }

  /** Whether the machine takes `event` now (an answer to a query that is no longer active is not taken). */
  accepts(event: EntryEvent): boolean {
    if (this.#actor) return this.#actor.getSnapshot().can(event);
    return this.owner.stepper.can(this.#value, this.#context, event);
  }

  send(event: EntryEvent): void {
    if (this.removed) return;
    if (this.#actor) {
      this.#actor.send(event);
    } else if (this.#mailbox) {
      this.#mailbox.push(event);
      return;
    } else {
      this.#mailbox = [];
      try {
        for (let next: EntryEvent | undefined = event; next; next = this.#mailbox.shift()) this.#step(next);
      } finally {
        this.#mailbox = null;
      }
    }
    if (this.#waiters && !this.#busy()) this.#releaseWaiters();
  }

  /** StalenessWatcher: the clock says a held level's time is up. */
  staled(): void {
    this.send({ type: 'STALENESS_ELAPSED' });
  }

  /** A live actor for someone who holds it directly (`ref.actor`); it lives as long as the entry. */
  pin(): EntryActor {
    this.#pins++;
    return this.#actor ?? this.#startActor();
  }

  subscribe(listener: () => void): () => void {
    if (this.removed) return () => {};
    const wrapped = () => listener();
    (this.#listeners ??= new Set()).add(wrapped);
    this.#catchUp();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners?.delete(wrapped);
      if (this.#listeners?.size === 0) this.#listeners = null;
      this.#watchStaleness();
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

  /** Stops the actor (if any) and drops everything; fetches in flight are aborted. */
  destroy(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.#cancels) for (const level of [...this.#cancels.keys()]) this.cancel(level);
    this.owner.host.clock.unwatch(this);
    const actor = this.#actor;
    this.#actor = null;
    if (actor) stopActor(actor);
    this.#releaseWaiters();
    const listeners = this.#listeners;
    this.#listeners = null;
    this.#view = null;
    if (listeners) for (const listener of listeners) safeCall(listener);
  }

  /** Registry teardown: stop the actor (if any) and abort its fetches; no snapshots, no notifications. */
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
      if (state.qid !== null || state.queued !== 'none') return true;
    }
    return false;
  }

  /** Someone watches this entry (a subscriber, an actor): the clock must tell it when it goes stale. */
  #watched(): boolean {
    return this.#actor !== null || this.#listeners !== null || this.#pins > 0;
  }

  #watchStaleness(): void {
    const clock = this.owner.host.clock;
    if (this.#value === 'fresh' && this.#watched() && !this.removed) {
      clock.watch(this, freshUntil(this.#context));
    } else clock.unwatch(this);
  }

  /** An entry nobody watched may have gone stale unnoticed: bring its state up to date, then watch it. */
  #catchUp(): void {
    if (this.#value === 'fresh' && this.owner.host.now() >= freshUntil(this.#context)) {
      this.send({ type: 'STALENESS_ELAPSED' });
    } else this.#watchStaleness();
  }

  #step(event: EntryEvent): void {
    const [next, emitted] = this.owner.stepper.advance(this.#value, this.#context, event);
    if (next) {
      this.#value = next[0] as EntryStatus;
      this.#context = next[1];
    }
    for (const decided of emitted) this.owner.host.onEmitted(this, decided);
    if (next) this.#changed();
  }

  #startActor(): EntryActor {
    const { stepper, host, kind, name } = this.owner;
    const actor = createActor(stepper.machine, {
      id: `${kind}:${name}:${this.key}`,
      parent: host.inspectionRoot(),
      input: undefined,
      snapshot: this.owner.stepper.restore(this.#value, this.#context),
    });
    actor.on('*', (event) => host.onEmitted(this, event as EntryEmitted));
    // The actor restores its own copy of the snapshot; starting it is not a change.
    actor.subscribe((snapshot) => {
      if (snapshot.value === this.#value && snapshot.context === this.#context) return;
      this.#value = snapshot.value as EntryStatus;
      this.#context = snapshot.context;
      this.#changed();
    });
    this.#actor = actor;
    actor.start();
    this.#catchUp();
    return actor;
  }

  #changed(): void {
    this.#view = null;
    this.#watchStaleness();
    const listeners = this.#listeners;
    if (listeners) for (const listener of [...listeners]) safeCall(listener);
    this.owner.host.onChanged(this);
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

const EMPTY_COLLECTION: CollectionData = Object.freeze({ ids: Object.freeze([]), count: 0, meta: null });

function safeCall(listener: () => void): void {
  try {
    listener();
  } catch {
    // A subscriber's error is its own; the cache and other subscribers carry on.
  }
}
