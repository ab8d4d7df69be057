// The macrostep of a flat machine without xstate's structural bookkeeping: its own transitions, guards and actions.
import {
  type ActorScope,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  and,
  assign,
  type EventObject,
  emit,
  not,
  or,
} from 'xstate';

/*
 * What this relies on in xstate's internals, as they are in 5.33 (hence the `~5.33` pin in package.json): state
 * nodes' formatted `transitions` (by event descriptor) and `always` lists, guard evaluation (evaluateGuard), and
 * how built-in actions resolve (assign: a new context object; emit: an event, emitted when the macrostep is over;
 * enqueueActions: more actions).
 */
interface TransitionDef {
  readonly target: readonly StateNodeLike[] | undefined;
  readonly actions: readonly unknown[];
  readonly guard?: unknown;
}

interface StateNodeLike {
  readonly key: string;
  readonly type: string;
  readonly parent: StateNodeLike | undefined;
  readonly states: Readonly<Record<string, StateNodeLike>>;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly always: readonly TransitionDef[] | undefined;
  readonly transitions: ReadonlyMap<string, readonly TransitionDef[]>;
  readonly config: { readonly invoke?: unknown };
}

interface GuardArgs {
  readonly context: unknown;
  readonly event: EventObject;
}

type GuardCheck = (snapshot: AnyMachineSnapshot, args: GuardArgs, guard: unknown) => boolean;
type GuardFn = ((args: GuardArgs, params: unknown) => boolean) & {
  check?: GuardCheck;
  readonly guards?: readonly unknown[];
};

// xstate's and/or/not share one check function each: these are evaluated here, child by child, with no snapshot.
const AND = (and([]) as unknown as GuardFn).check;
const OR = (or([]) as unknown as GuardFn).check;
const NOT = (not(() => true) as unknown as GuardFn).check;

type Scope = ActorScope<AnyMachineSnapshot, EventObject>;
type SnapshotFor = (value: string, context: unknown) => AnyMachineSnapshot;

/** What enqueueActions' `enqueue` offers; what it can enqueue beyond assign and emit is not covered. */
type Enqueue = ((action: unknown) => void) & Record<string, (...args: never[]) => void>;

type BuiltinAction = ((...args: unknown[]) => void) & {
  readonly type: string;
  readonly assignment?: unknown;
  readonly event?: unknown;
  readonly collect?: (args: unknown, params: unknown) => void;
  resolve(
    scope: Scope,
    snapshot: AnyMachineSnapshot,
    args: unknown,
    params: unknown,
    action: unknown,
    extra: unknown,
  ): [AnyMachineSnapshot, unknown, readonly unknown[] | undefined];
  execute?(scope: Scope, params: unknown): void;
};

/** More eventless microsteps than this in one macrostep are left to xstate (which loops or throws as it does). */
const MAX_EVENTLESS = 100;

/** Thrown inside a run when it meets something this path does not cover; nothing has been performed yet. */
const NOT_COVERED = Symbol('not covered');

const noSpawn = (): never => {
  throw NOT_COVERED;
};

/**
 * Computes `machine.transition(snapshot, event, scope)` for a flat machine (a root whose children are atomic
 * states; no entry/exit actions, invocations, delays, history, final states or wildcard events) as xstate's
 * macrostep does, without what costs most there and means nothing for such a machine: state node sets,
 * transition domains, and a snapshot object per microstep and per assign. It works on a state value and a
 * context; a snapshot is built only when a guard needs one (stateIn and the like).
 *
 * The rules stay the machine's: its transitions in the order xstate selects them (the atomic state's, then the
 * root's; eventless ones after each microstep until none is enabled), its guards, and its actions, resolved as
 * xstate resolves assign, emit and enqueueActions (with assign and emit enqueued). A step that meets anything
 * else (a custom or side-effecting action, spawn, an xstate.* event, a throwing guard or action) is left to
 * xstate: `run` returns undefined before anything was performed, and xstate computes the step (and throws its
 * own errors). test/entry-stepper.test.ts compares the result with a live actor on random event sequences.
 */
export class FlatMacrostep {
  readonly #machine: AnyStateMachine;
  readonly #scope: Scope;
  readonly #snapshotFor: SnapshotFor;
  /** Per state and event type: the state's transitions, then the root's. */
  readonly #on = new Map<string, Map<string, readonly TransitionDef[]>>();
  /** Per state: its eventless transitions, then the root's. */
  readonly #always = new Map<string, readonly TransitionDef[]>();
  /** Emit actions resolved in this run, with their events: executed once the run is complete. */
  readonly #executes: Array<BuiltinAction | unknown> = [];
  /** One `enqueue` for every enqueueActions call; it fills `#enqueued`. */
  readonly #enqueue: Enqueue;
  #enqueued: unknown[] = [];
  // The run in progress: its state value and context (cleared after it: a shared macrostep must keep no entry's data).
  #value = '';
  #context: unknown = null;
  /** The run's snapshot, once a guard asked for one (cleared when the state or the context changes). */
  #snapshot: AnyMachineSnapshot | null = null;

  private constructor(machine: AnyStateMachine, scope: Scope, snapshotFor: SnapshotFor) {
    this.#machine = machine;
    this.#scope = scope;
    this.#snapshotFor = snapshotFor;
    const root = machine.root as unknown as StateNodeLike;
    for (const [key, node] of Object.entries(root.states)) {
      const on = new Map<string, TransitionDef[]>();
      for (const owner of [node, root]) {
        for (const [type, list] of owner.transitions) on.set(type, [...(on.get(type) ?? []), ...list]);
      }
      this.#on.set(key, on);
      const always = [...(node.always ?? []), ...(root.always ?? [])];
      if (always.length > 0) this.#always.set(key, always);
    }
    const notCovered = (): never => {
      throw NOT_COVERED;
    };
    const enqueue = ((action: unknown) => {
      this.#enqueued.push(action);
    }) as Enqueue;
    enqueue.assign = (...args: Parameters<typeof assign>) => {
      this.#enqueued.push(assign(...args));
    };
    enqueue.emit = (...args: Parameters<typeof emit>) => {
      this.#enqueued.push(emit(...args));
    };
    for (const name of ['cancel', 'raise', 'sendTo', 'sendParent', 'spawnChild', 'stopChild']) {
      enqueue[name] = notCovered;
    }
    this.#enqueue = enqueue;
  }

  /** The fast path for `machine`, or null when its shape is not flat (every step then goes through xstate). */
  static for(machine: AnyStateMachine, scope: Scope, snapshotFor: SnapshotFor): FlatMacrostep | null {
    const root = machine.root as unknown as StateNodeLike;
    if (root.type !== 'compound' || !isPlain(root)) return null;
    const children = Object.values(root.states);
    if (!children.every((child) => child.type === 'atomic' && isPlain(child))) return null;
    for (const node of [root, ...children]) {
      for (const [type, list] of node.transitions) {
        if (type.includes('*')) return null;
        if (!list.every((transition) => isFlatTarget(transition, root))) return null;
      }
      if (!(node.always ?? []).every((transition) => isFlatTarget(transition, root))) return null;
    }
    return new FlatMacrostep(machine, scope, snapshotFor);
  }

  /**
   * The state value and context after `event`, or null when neither changed (xstate returns the very same
   * snapshot exactly then), with the emitted events deferred to the scope; undefined when xstate must compute
   * this step.
   */
  run(value: string, context: unknown, event: EventObject): readonly [string, unknown] | null | undefined {
    if (event.type.startsWith('xstate.')) return undefined;
    this.#value = value;
    this.#context = context;
    this.#snapshot = null;
    try {
      let changed = false;
      const selected = this.#select(this.#on.get(value)?.get(event.type), event);
      if (selected) changed = this.#microstep(selected, event);
      for (let steps = 0; ; steps++) {
        if (steps > MAX_EVENTLESS) return undefined;
        const eventless = this.#select(this.#always.get(this.#value), event);
        // As xstate's: an eventless microstep that changes nothing ends the selection of eventless transitions.
        if (!eventless || !this.#microstep(eventless, event)) break;
        changed = true;
      }
      const executes = this.#executes;
      for (let i = 0; i < executes.length; i += 2) {
        (executes[i] as BuiltinAction).execute!(this.#scope, executes[i + 1]);
      }
      return changed ? [this.#value, this.#context] : null;
    } catch {
      // NOT_COVERED, or a guard or action that threw: xstate computes the step, and reports errors its own way.
      return undefined;
    } finally {
      this.#executes.length = 0;
      this.#context = null;
      this.#snapshot = null;
    }
  }

  /** `snapshot.can(event)`: whether a transition is enabled that goes somewhere or does something. */
  can(value: string, context: unknown, event: EventObject): boolean | undefined {
    if (event.type.startsWith('xstate.')) return undefined;
    this.#value = value;
    this.#context = context;
    this.#snapshot = null;
    try {
      const selected = this.#select(this.#on.get(value)?.get(event.type), event);
      return selected !== undefined && (selected.target !== undefined || selected.actions.length > 0);
    } catch {
      return undefined;
    } finally {
      this.#context = null;
      this.#snapshot = null;
    }
  }

  /** The first candidate whose guard passes (against the context as it is now). */
  #select(candidates: readonly TransitionDef[] | undefined, event: EventObject): TransitionDef | undefined {
    if (!candidates) return undefined;
    for (const transition of candidates) {
      if (transition.guard === undefined || this.#passes(transition.guard, event)) return transition;
    }
    return undefined;
  }

  /**
   * One microstep: the transition's actions, then its target is entered (the actions see the source state, as
   * in xstate, where the state nodes change after the actions). Whether anything changed: a context assigned or
   * a state left, which is when xstate's microstep returns a new snapshot.
   */
  #microstep(transition: TransitionDef, event: EventObject): boolean {
    const context = this.#context;
    this.#actions(transition.actions, event);
    let changed = this.#context !== context;
    const target = transition.target?.[0]?.key;
    if (target !== undefined && target !== this.#value) {
      this.#value = target;
      this.#snapshot = null;
      changed = true;
    }
    return changed;
  }

  /** xstate's evaluateGuard: a named guard from the machine's implementations, an inline one, or and/or/not. */
  #passes(guard: unknown, event: EventObject): boolean {
    const inline = typeof guard === 'function';
    const name = typeof guard === 'string' ? guard : (guard as { type: string }).type;
    const resolved = (inline ? guard : this.#machine.implementations.guards[name]) as GuardFn | undefined;
    if (!resolved) throw NOT_COVERED;
    if (typeof resolved !== 'function') return this.#passes(resolved, event);
    const check = resolved.check;
    if (check === AND) return resolved.guards!.every((child) => this.#passes(child, event));
    if (check === OR) return resolved.guards!.some((child) => this.#passes(child, event));
    if (check === NOT) return !this.#passes(resolved.guards![0], event);
    const args: GuardArgs = { context: this.#context, event };
    if (check) {
      this.#snapshot ??= this.#snapshotFor(this.#value, this.#context);
      return check(this.#snapshot, args, resolved);
    }
    return resolved(args, inline || typeof guard === 'string' ? undefined : paramsOf(guard, args));
  }

  /** Resolves actions in order, as xstate does for assign, emit and enqueueActions; anything else is not covered. */
  #actions(actions: readonly unknown[], event: EventObject): void {
    for (const action of actions) {
      const inline = typeof action === 'function';
      const name = typeof action === 'string' ? action : (action as { type: string }).type;
      const resolved = (inline ? action : this.#machine.implementations.actions[name]) as
        | BuiltinAction
        | undefined;
      if (!resolved || typeof resolved.resolve !== 'function') throw NOT_COVERED;
      const context = this.#context;
      const params = inline || typeof action === 'string' ? undefined : paramsOf(action, { context, event });
      switch (resolved.type) {
        case 'xstate.assign':
          this.#assign(resolved.assignment, event, params);
          break;
        case 'xstate.emit': {
          const args = { context, event, self: this.#scope.self, system: this.#scope.system };
          const emitted =
            typeof resolved.event === 'function' ? resolved.event(args, params) : resolved.event;
          this.#executes.push(resolved, { event: emitted });
          break;
        }
        case 'xstate.enqueueActions': {
          // As xstate's resolveEnqueueActions, with one reused `enqueue`; `check` evaluates against this context.
          const outer = this.#enqueued;
          const enqueued: unknown[] = [];
          this.#enqueued = enqueued;
          try {
            resolved.collect!(
              {
                context,
                event,
                enqueue: this.#enqueue,
                check: (guard: unknown) => this.#passes(guard, event),
                self: this.#scope.self,
                system: this.#scope.system,
              },
              params,
            );
          } finally {
            this.#enqueued = outer;
          }
          this.#actions(enqueued, event);
          break;
        }
        default:
          throw NOT_COVERED;
      }
    }
  }

  /** xstate's resolveAssign without the snapshot it clones: a new context object with the assigned fields. */
  #assign(assignment: unknown, event: EventObject, params: unknown): void {
    if (!this.#context) throw NOT_COVERED;
    const args = {
      context: this.#context,
      event,
      spawn: noSpawn,
      self: this.#scope.self,
      system: this.#scope.system,
    };
    let partial: Record<string, unknown> = {};
    if (typeof assignment === 'function') {
      partial = assignment(args, params);
    } else {
      const fields = assignment as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        const field = fields[key];
        partial[key] = typeof field === 'function' ? field(args, params) : field;
      }
    }
    this.#context = Object.assign({}, this.#context, partial);
    this.#snapshot = null;
  }
}

/** A state node with nothing but transitions: what the flat path covers. */
function isPlain(node: StateNodeLike): boolean {
  return node.entry.length === 0 && node.exit.length === 0 && node.config.invoke === undefined;
}

/** Targetless, or one child of the root. */
function isFlatTarget(transition: TransitionDef, root: StateNodeLike): boolean {
  const target = transition.target;
  return !target || (target.length === 1 && target[0]!.parent === root);
}

function paramsOf(described: unknown, args: GuardArgs): unknown {
  if (typeof described !== 'object' || described === null || !('params' in described)) return undefined;
  const params = (described as { params: unknown }).params;
  return typeof params === 'function' ? params(args) : params;
}
