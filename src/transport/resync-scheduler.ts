// Owns the timing of gap resyncs: one pending resync at a time, jittered, that later gaps join (SPEC §3 Stream).
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

export interface GapInfo {
  audience: string;
  lastSeq: number;
  incomingSeq: number;
  reason: 'gap' | 'reset' | 'epoch';
}

export interface ResyncContext {
  reason: 'gap' | 'reset' | 'epoch' | 'manual';
  gaps: GapInfo[];
}

/**
 * The jitter spreads the refetch storm of every client that saw the same dropped envelope; joining
 * keeps a burst of gaps down to one resync. When the gap stream completes, a pending resync still
 * fires (the data it covers is still missing) and the output completes after it.
 */
export function scheduleResyncs(o: {
  minMs: number;
  maxMs: number;
  random: () => number;
  scheduler?: SchedulerLike;
}): OperatorFunction<GapInfo, ResyncContext> {
  const scheduler = o.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<ResyncContext>((subscriber) => {
      let pending: GapInfo[] | null = null;
      let timer: Subscription | null = null;
      let sourceDone = false;
      const fire = () => {
        const gaps = pending ?? [];
        pending = null;
        timer = null;
        subscriber.next({ reason: strongestReason(gaps), gaps });
        if (sourceDone) subscriber.complete();
      };
      const upstream = source.subscribe({
        next(gap) {
          if (pending !== null) {
            pending.push(gap);
            return;
          }
          pending = [gap];
          timer = scheduler.schedule(fire, jitteredDelay(o.minMs, o.maxMs, o.random));
        },
        error(err: unknown) {
          subscriber.error(err);
        },
        complete() {
          sourceDone = true;
          if (pending === null) subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

function jitteredDelay(minMs: number, maxMs: number, random: () => number): number {
  const min = Math.max(minMs, 0);
  const max = Math.max(maxMs, min);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  return min + unit * (max - min);
}

/** A restart (new epoch) says more than a reset seq, which says more than lost envelopes. */
function strongestReason(gaps: readonly GapInfo[]): GapInfo['reason'] {
  if (gaps.some((gap) => gap.reason === 'epoch')) return 'epoch';
  return gaps.some((gap) => gap.reason === 'reset') ? 'reset' : 'gap';
}
