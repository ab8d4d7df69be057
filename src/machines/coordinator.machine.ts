// The coordinator actor: one `bulk.delayMs` window that gathers directives and bulk item fetches.
import { setup } from 'xstate';

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
    delays: { batchWindow: () => options.windowMs() },
    actions: { flushBatch: () => options.flush() },
  }).createMachine({
    id: 'coordinator',
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
