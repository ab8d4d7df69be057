// The lean path (Stepper: the machine's own transition in one shared scope) against a real actor: random event
// sequences give equal snapshots and equal emitted events. This is the guard on the scope mirroring xstate's internals.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import {
  type AnyStateMachine,
  assign,
  createActor,
  createMachine,
  type EventObject,
  emit,
  enqueueActions,
  not,
  or,
  setup,
  stateIn,
} from 'xstate';
import {
  createEntryMachine,
  type EntryEmitted,
  type EntryEvent,
  type RequestMode,
} from '../src/machines/entry.machine';
import { Stepper } from '../src/machines/stepper';

const LEVELS = ['default', 'detail'] as const;

/** A machine whose clock is the step counter a sequence moves, so both paths see the same time. */
function machineOn(clock: { now: number }) {
  return createEntryMachine({
    stalenessFor: (level) => (level === 'default' ? 30 : 60),
    merge: (previous, next) => ({ ...(previous as object), ...(next as object) }),
    errorRetryMs: 20,
    now: () => clock.now,
  });
}

const level = fc.constantFrom(...LEVELS);
const qid = fc.integer({ min: 1, max: 6 });
const mode = fc.constantFrom<RequestMode>('read', 'force', 'directive', 'resync');

/** One step: time passes, then one event. Query ids are guessed, so stale and active answers both occur. */
const step = fc.tuple(
  fc.integer({ min: 0, max: 25 }),
  fc.oneof(
    fc.record({
      type: fc.constant('REQUEST' as const),
      level,
      mode,
      loud: fc.constantFrom(true, false, undefined),
    }),
    fc.record({ type: fc.constant('RESOLVE' as const), qid, level, value: fc.integer() }),
    fc.record({ type: fc.constant('REJECT' as const), qid, level }),
    fc.record({
      type: fc.constant('APPLY_RESULT' as const),
      level,
      value: fc.integer(),
      age: fc.integer({ min: 0, max: 40 }),
    }),
    fc.record({ type: fc.constant('INVALIDATE' as const), levels: fc.option(fc.subarray([...LEVELS])) }),
    fc.constant({ type: 'STALENESS_ELAPSED' as const }),
  ),
);

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function toEvent([, drawn]: Step, now: number): EntryEvent {
  switch (drawn.type) {
    case 'REQUEST':
      return drawn;
    case 'RESOLVE':
      return {
        type: 'RESOLVE',
        qid: drawn.qid,
        result: { level: drawn.level, data: { [drawn.level]: drawn.value }, stamps: [drawn.level], at: now },
      };
    case 'REJECT':
      return { type: 'REJECT', qid: drawn.qid, level: drawn.level, error: new Error(`e${drawn.qid}`) };
    case 'APPLY_RESULT':
      return {
        type: 'APPLY_RESULT',
        results: [
          { level: drawn.level, data: { r: drawn.value }, stamps: [drawn.level], at: now - drawn.age },
        ],
      };
    case 'INVALIDATE':
      return drawn.levels === null ? { type: 'INVALIDATE' } : { type: 'INVALIDATE', levels: drawn.levels };
    case 'STALENESS_ELAPSED':
      return drawn;
  }
}

describe('Stepper and a live actor run the entry machine identically', () => {
  test.prop([fc.array(step, { maxLength: 40 })], { numRuns: 300 })(
    'equal snapshots (value and context), can() and emitted events after every event',
    (steps) => {
      const clock = { now: 1_000 };
      const machine = machineOn(clock);
      const stepper = new Stepper<typeof machine, EntryEmitted>(machine);
      const actor = createActor(machine, { input: undefined });
      const fromActor: EntryEmitted[] = [];
      actor.on('*', (event) => fromActor.push(event as EntryEmitted));
      actor.start();

      // The entry machine is flat: every step must take the lean macrostep (this test is its guard), not xstate's.
      const viaXstate = vi.spyOn(machine, 'transition');
      let snapshot = stepper.initial;
      expect(snapshot.value).toEqual(actor.getSnapshot().value);
      for (const drawn of steps) {
        clock.now += drawn[0];
        const event = toEvent(drawn, clock.now);
        const from = fromActor.length;
        expect(snapshot.can(event)).toBe(actor.getSnapshot().can(event));
        expect(stepper.can(snapshot.value as string, snapshot.context, event)).toBe(
          actor.getSnapshot().can(event),
        );
        const xstateCalls = viaXstate.mock.calls.length;
        const [next, emitted] = stepper.step(snapshot, event);
        expect(viaXstate.mock.calls.length).toBe(xstateCalls);
        const before = actor.getSnapshot();
        actor.send(event);
        // "Nothing changed" (the same snapshot back) is what entries go by to skip notifying: it must agree too.
        expect(next === snapshot).toBe(actor.getSnapshot() === before);
        // Entries keep value and context and rebuild the snapshot from them: the rebuilt one must behave the same.
        snapshot = stepper.restore(next.value as string, next.context);
        expect(emitted).toEqual(fromActor.slice(from));
        expect(snapshot.value).toEqual(actor.getSnapshot().value);
        expect(snapshot.context).toEqual(actor.getSnapshot().context);
      }
      actor.stop();
    },
  );

  it('a step the lean macrostep does not cover (a custom action, entry actions) goes through xstate, unchanged', () => {
    const seen: string[] = [];
    const custom = setup({ types: { events: {} as { type: 'GO' } | { type: 'BACK' } } }).createMachine({
      initial: 'a',
      context: { n: 0 },
      states: {
        a: {
          on: {
            GO: {
              target: 'b',
              actions: [assign({ n: ({ context }) => context.n + 1 }), () => seen.push('go')],
            },
          },
        },
        b: { on: { BACK: { target: 'a', actions: emit({ type: 'back' }) } } },
      },
    });
    const withEntry = createMachine({
      initial: 'a',
      states: { a: { entry: () => seen.push('entered'), on: { GO: 'a' } } },
    });
    for (const machine of [custom, withEntry] as AnyStateMachine[]) {
      const stepper = new Stepper<AnyStateMachine, EventObject>(machine);
      const viaXstate = vi.spyOn(machine, 'transition');
      const [moved] = stepper.step(stepper.initial, { type: 'GO' });
      const [back, emitted] = stepper.step(moved, { type: 'BACK' });
      const actor = createActor(machine).start();
      actor.send({ type: 'GO' });
      expect(moved.value).toEqual(actor.getSnapshot().value);
      expect(moved.context).toEqual(actor.getSnapshot().context);
      actor.send({ type: 'BACK' });
      expect(back.value).toEqual(actor.getSnapshot().value);
      expect(emitted).toEqual(machine === custom ? [{ type: 'back' }] : []);
      expect(viaXstate.mock.calls.length).toBeGreaterThan(0);
      actor.stop();
    }
    // The custom action ran once per path (stepper, actor), never a second time after the lean path gave up.
    expect(seen.filter((entry) => entry === 'go')).toEqual(['go', 'go']);
  });

  test.prop([fc.array(fc.constantFrom('TICK', 'TOCK', 'RESET'), { maxLength: 30 })], { numRuns: 100 })(
    'guards beyond named ones (or, not, stateIn, enqueue check) and eventless chains agree with a live actor',
    (types) => {
      type E = { type: 'TICK' } | { type: 'TOCK' } | { type: 'RESET' };
      const machine = setup({
        types: {
          context: {} as { n: number; log: number[] },
          events: {} as E,
          emitted: {} as { type: 'odd'; n: number },
        },
        guards: {
          isEven: ({ context }) => context.n % 2 === 0,
          isBig: ({ context }) => context.n > 4,
          isAbove: ({ context }, params: { min: number }) => context.n > params.min,
        },
      }).createMachine({
        initial: 'low',
        context: { n: 0, log: [] },
        on: { RESET: { target: '.low', actions: assign({ n: 0 }) } },
        states: {
          low: {
            on: {
              TICK: [
                {
                  guard: or([not('isEven'), 'isBig']),
                  target: 'settle',
                  actions: assign({ n: ({ context }) => context.n + 1 }),
                },
                { actions: assign({ n: ({ context }) => context.n + 2 }) },
              ],
              TOCK: { guard: stateIn('low'), target: 'high' },
            },
          },
          high: {
            on: {
              TICK: {
                actions: enqueueActions(({ context, enqueue, check }) => {
                  enqueue.assign({ log: [...context.log, context.n] });
                  if (check('isEven')) enqueue.emit({ type: 'odd', n: context.n });
                  if (check({ type: 'isAbove', params: { min: 3 } })) enqueue.assign({ n: 0 });
                }),
              },
              TOCK: { target: 'low', actions: assign({ n: ({ context }) => context.n + 1 }) },
            },
          },
          settle: { always: [{ guard: 'isBig', target: 'high' }, { target: 'low' }] },
        },
      });
      const stepper = new Stepper<typeof machine, EventObject>(machine);
      const viaXstate = vi.spyOn(machine, 'transition');
      const actor = createActor(machine);
      const fromActor: EventObject[] = [];
      actor.on('*', (event) => fromActor.push(event));
      actor.start();
      let snapshot = stepper.initial;
      for (const type of types) {
        const before = actor.getSnapshot();
        const from = fromActor.length;
        const calls = viaXstate.mock.calls.length;
        const [next, emitted] = stepper.step(snapshot, { type });
        expect(viaXstate.mock.calls.length).toBe(calls);
        actor.send({ type });
        expect(next === snapshot).toBe(actor.getSnapshot() === before);
        expect(emitted).toEqual(fromActor.slice(from));
        expect(next.value).toEqual(actor.getSnapshot().value);
        expect(next.context).toEqual(actor.getSnapshot().context);
        snapshot = next;
      }
      actor.stop();
    },
  );

  it('an event the machine does not take returns the very same snapshot (no change, nothing to report)', () => {
    const machine = machineOn({ now: 0 });
    const stepper = new Stepper<typeof machine, EntryEmitted>(machine);
    const [next, emitted] = stepper.step(stepper.initial, { type: 'STALENESS_ELAPSED' });
    expect(next).toBe(stepper.initial);
    expect(emitted).toEqual([]);
  });

  it('an actor started from a stepped snapshot continues where the snapshot left off', () => {
    const clock = { now: 1_000 };
    const machine = machineOn(clock);
    const stepper = new Stepper<typeof machine, EntryEmitted>(machine);
    const [fetching] = stepper.step(stepper.initial, { type: 'REQUEST', level: 'default', mode: 'read' });
    const actor = createActor(machine, { input: undefined, snapshot: fetching });
    const emitted: EntryEmitted[] = [];
    actor.on('*', (event) => emitted.push(event as EntryEmitted));
    actor.start();
    actor.send({ type: 'REQUEST', level: 'default', mode: 'force' });
    actor.send({
      type: 'RESOLVE',
      qid: 1,
      result: { level: 'default', data: { v: 1 }, stamps: ['default'], at: clock.now },
    });
    expect(emitted).toEqual([
      { type: 'fetchCoalesced', level: 'default', qid: 1, queued: true, mode: 'force' },
      { type: 'fetchStarted', level: 'default', qid: 2, loud: false, trailing: true },
    ]);
    expect(actor.getSnapshot().value).toBe('fetching');
    actor.stop();
  });
});
