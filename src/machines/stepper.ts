// Advances machine snapshots without an actor: the machine's own transition logic, run in one reused scope.
import {
  type ActorScope,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type EventFromLogic,
  type EventObject,
  type SnapshotFrom,
} from 'xstate';
import { FlatMacrostep } from './flat-macrostep';

/**
 * Steps one machine's snapshots. A running actor calls `machine.transition(snapshot, event, scope)` with its own
 * scope; this calls the same function with one scope built once per machine, so an entry nobody watches costs a
 * snapshot, not an actor (xstate's public `transition()` builds a throwaway actor and two systems per call).
 *
 * The scope's shape mirrors xstate's internal `createInertActorScope` (5.33): `self` and `system` come from an
 * actor that is never started, actions execute at once, and deferred work (emitted events) runs after the
 * macrostep, as an actor runs it. That is why package.json pins xstate to `~5.33`, and why
 * test/entry-stepper.test.ts checks this path against a real actor on random event sequences.
 */
export class Stepper<TMachine extends AnyStateMachine, TEmitted extends EventObject> {
  readonly machine: TMachine;
  /** The machine's initial snapshot, shared: snapshots are immutable. */
  readonly initial: SnapshotFrom<TMachine>;
  readonly #scope: ActorScope<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>;
  readonly #deferred: Array<() => void> = [];
  /** One snapshot per state value, without context: what `restore` copies. */
  readonly #templates = new Map<string, AnyMachineSnapshot>();
  #emitted: TEmitted[] = [];
  /** The same transition without xstate's structural bookkeeping, for flat machines (null: always xstate's). */
  readonly #flat: FlatMacrostep | null;

  constructor(machine: TMachine) {
    this.machine = machine;
    const self = createActor(machine);
    this.#scope = {
      self,
      id: '',
      sessionId: '',
      system: self.system,
      logger: () => {},
      defer: (fn) => {
        this.#deferred.push(fn);
      },
      stopChild: () => {},
      emit: (event) => {
        this.#emitted.push(event as unknown as TEmitted);
      },
      actionExecutor: (action) => {
        action.exec?.(action.info, action.params);
      },
    } as ActorScope<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>;
    this.initial = machine.getInitialSnapshot(this.#scope, undefined) as SnapshotFrom<TMachine>;
    this.#flush();
    this.#remember(this.initial);
    this.#flat = FlatMacrostep.for(
      machine,
      this.#scope as unknown as ActorScope<AnyMachineSnapshot, EventObject>,
      (value, context) => this.restore(value, context as SnapshotFrom<TMachine>['context']),
    );
  }

  /**
   * The snapshot for a state value and a context, as `step` would have returned it. Keeping value and context
   * instead of the snapshot saves its per-snapshot objects (a tag Set, the node list) on every resting entry.
   */
  restore(value: string, context: SnapshotFrom<TMachine>['context']): SnapshotFrom<TMachine> {
    const template = this.#templates.get(value);
    if (template) return { ...template, context } as SnapshotFrom<TMachine>;
    const resolved = this.machine.resolveState({ value, context }) as SnapshotFrom<TMachine>;
    this.#remember(resolved);
    return resolved;
  }

  /**
   * The snapshot after `event` (the same object when the machine takes no transition) and the events the
   * macrostep emitted, in order. Not re-entrant by design: nothing in it calls out of the machine.
   */
  step(
    snapshot: SnapshotFrom<TMachine>,
    event: EventFromLogic<TMachine>,
  ): [SnapshotFrom<TMachine>, TEmitted[]] {
    const value = (snapshot as AnyMachineSnapshot).value as string;
    const [next, emitted] = this.advance(value, (snapshot as AnyMachineSnapshot).context, event);
    return [next ? this.restore(next[0], next[1]) : snapshot, emitted];
  }

  /**
   * `step` for a holder of value and context (an entry): the new value and context, or null when neither
   * changed, and the events emitted. No snapshot object is built on the lean path.
   */
  advance(
    value: string,
    context: SnapshotFrom<TMachine>['context'],
    event: EventFromLogic<TMachine>,
  ): [readonly [string, SnapshotFrom<TMachine>['context']] | null, TEmitted[]] {
    const flat = this.#flat?.run(value, context, event as EventObject);
    if (flat !== undefined) {
      return [flat as readonly [string, SnapshotFrom<TMachine>['context']] | null, this.#flush()];
    }
    const snapshot = this.restore(value, context);
    const next = this.machine.transition(snapshot, event, this.#scope) as AnyMachineSnapshot;
    if (next === snapshot) return [null, this.#flush()];
    this.#remember(next as SnapshotFrom<TMachine>);
    return [[next.value as string, next.context], this.#flush()];
  }

  /** `snapshot.can(event)` for a holder of value and context, without building the snapshot on the lean path. */
  can(value: string, context: SnapshotFrom<TMachine>['context'], event: EventFromLogic<TMachine>): boolean {
    return (
      this.#flat?.can(value, context, event as EventObject) ??
      (this.restore(value, context) as AnyMachineSnapshot).can(event)
    );
  }

  #remember(next: SnapshotFrom<TMachine>): void {
    const snapshot = next as AnyMachineSnapshot;
    const value = snapshot.value as string;
    // Without the context: a template must not keep any entry's data alive.
    if (!this.#templates.has(value)) {
      this.#templates.set(value, { ...snapshot, context: (this.initial as AnyMachineSnapshot).context });
    }
  }

  #flush(): TEmitted[] {
    const deferred = this.#deferred;
    for (let i = 0; i < deferred.length; i++) deferred[i]!();
    deferred.length = 0;
    const emitted = this.#emitted;
    if (emitted.length === 0) return NONE as unknown as TEmitted[];
    this.#emitted = [];
    return emitted;
  }
}

const NONE: readonly never[] = Object.freeze([]);
