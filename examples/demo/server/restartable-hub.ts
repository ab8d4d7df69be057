// The demo's directive hub, replaceable at run time: "simulate a server restart" swaps in a new hub, which
// starts its sequence again (in memory) exactly as a restarted process would.
import { createDirectiveHub, type Directive, type DirectiveHub } from 'verity-xstate/server';
import { redisBackplane } from 'verity-xstate/server/redis';

export interface RestartableHub {
  /** The hub serving now; read it per request, since a restart replaces it. */
  readonly current: DirectiveHub;
  readonly restarts: number;
  emit(directives: readonly Directive[], source: string | null): Promise<{ seq: number }>;
  /** Closes the current hub (every stream ends, clients reconnect) and starts a new one. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function restartableHub(redisUrl: string | undefined): RestartableHub {
  // With Redis the sequence lives in Redis, so a new hub continues it (and clients resume);
  // in memory it starts again, and clients see the reset and resync.
  const create = (): DirectiveHub =>
    createDirectiveHub({ backplane: redisUrl ? redisBackplane({ url: redisUrl }) : undefined });
  let hub = create();
  let restarts = 0;
  return {
    get current() {
      return hub;
    },
    get restarts() {
      return restarts;
    },
    emit: (directives, source) => hub.emit(directives, { source }),
    restart: async () => {
      const old = hub;
      hub = create();
      restarts += 1;
      await old.close();
    },
    close: () => hub.close(),
  };
}
