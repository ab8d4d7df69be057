// One cache entry: its machine snapshot (a live actor only when someone asks for one), subscribers and cached view.
import { type Actor, type AnyActorRef, createActor, type SnapshotFrom } from 'xstate';
import {
  anyInFlight,
  type EntryContext,
  type EntryEmitted,
  type EntryEvent,
  type EntryMachine,
  freshUntil,
} from '../machines/entry.machine';
import type { Stepper } from '../machines/stepper';
import { collectionView, type EntryView, itemView } from './entry-view';
import { addListener, type Listeners, notifyListeners, removeListener } from './listeners';
import type { StalenessClock, StalenessWatcher } from './staleness-clock';
import type { EntryStatus, Params } from './types';

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
  #listeners: Listeners = null;
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
    return this.#listeners?.length ?? 0;
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
    this.#listeners = addListener(this.#listeners, listener);
    this.#catchUp();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners = removeListener(this.#listeners, listener);
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
    notifyListeners(this.#listeners);
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
    notifyListeners(listeners);
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
      this.owner.kind === 'item'
        ? itemView(this, context, status)
        : collectionView(this, context, status, this.params, this.key),
    );
    return this.#view;
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
    notifyListeners(this.#listeners);
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
