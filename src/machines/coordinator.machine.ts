// The coordinator actor: one `bulk.delayMs` window that gathers directives and bulk item fetches.
import { assign, emit, setup } from 'xstate';

export type CoordinatorEvent =
  /** Something joined the pending batch; opens the window if it is closed. */
  | { type: 'WORK_QUEUED' }
  /** Flush now, without waiting for the window (dispose, tests, explicit flushes). */
  | { type: 'FLUSH_NOW' }
  /** Whoever ran the batch is done with it. */
  | { type: 'BATCH_DONE' };

/** The window closed: run the batch (apply directives, then send every grouped fetch), then send BATCH_DONE. */
export type CoordinatorEmitted = { type: 'batchDue' };

export interface CoordinatorOptions {
  windowMs(): number;
}

export function createCoordinatorMachine(options: CoordinatorOptions) {
  return setup({
    types: {
      context: {} as { owed: boolean },
      events: {} as CoordinatorEvent,
      emitted: {} as CoordinatorEmitted,
    },
    delays: { batchWindow: () => options.windowMs() },
    actions: {
      // Emitted events reach listeners after the transition, outside any action: the batch may drive entries.
      runBatch: emit({ type: 'batchDue' }),
      oweWindow: assign({ owed: true }),
      clearOwed: assign({ owed: false }),
    },
    guards: { windowOwed: ({ context }) => context.owed },
  }).createMachine({
    id: 'coordinator',
    context: { owed: false },
    initial: 'idle',
    states: {
      idle: {
        on: { WORK_QUEUED: 'collecting', FLUSH_NOW: 'flushing' },
      },
      collecting: {
        after: { batchWindow: 'flushing' },
        on: { FLUSH_NOW: 'flushing' },
      },
      /**
       * The batch is running. Bulk fetches it queues go out at its end, so they need no window; other work
       * queued meanwhile (a directive applied from a listener) is owed the next window.
       */
      flushing: {
        entry: 'runBatch',
        on: {
          WORK_QUEUED: { actions: 'oweWindow' },
          BATCH_DONE: [
            { guard: 'windowOwed', target: 'collecting', actions: 'clearOwed' },
            { target: 'idle' },
          ],
        },
      },
    },
  });
}
