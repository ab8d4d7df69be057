// The coordinator actor: one `bulk.delayMs` window that gathers directives and bulk item fetches.
import { fromCallback, sendTo, setup } from 'xstate';

export type CoordinatorEvent =
  /** Something joined the pending batch; opens the window if it is closed. */
  | { type: 'WORK_QUEUED' }
  /** Flush now, without waiting for the window (dispose, tests, explicit flushes). */
  | { type: 'FLUSH_NOW' };

export interface CoordinatorOptions {
  windowMs(): number;
  /** Runs the batch: applies directives, then sends every grouped fetch. */
  flush(): void;
}

export function createCoordinatorMachine(options: CoordinatorOptions) {
  return setup({
    types: { events: {} as CoordinatorEvent },
    actors: {
      // The batch drives entry actors synchronously. Run inside a custom action, every assign/emit those actors
      // enqueue would make XState warn; a child actor runs it after the coordinator's transition instead.
      batchRunner: fromCallback<{ type: 'RUN_BATCH' }>(({ receive }) => {
        receive(() => options.flush());
      }),
    },
    delays: { batchWindow: () => options.windowMs() },
    actions: { flushBatch: sendTo('batchRunner', { type: 'RUN_BATCH' }) },
  }).createMachine({
    id: 'coordinator',
    invoke: { id: 'batchRunner', src: 'batchRunner' },
    initial: 'idle',
    states: {
      idle: {
        on: {
          WORK_QUEUED: { target: 'collecting' },
          FLUSH_NOW: { actions: 'flushBatch' },
        },
      },
      collecting: {
        after: { batchWindow: { target: 'idle', actions: 'flushBatch' } },
        on: { FLUSH_NOW: { target: 'idle', actions: 'flushBatch' } },
      },
    },
  });
}
