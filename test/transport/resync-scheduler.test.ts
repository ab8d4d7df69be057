// The gap resync timing contract: one jittered pending resync that later gaps join (marble tests).
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type GapInfo, type ResyncContext, scheduleResyncs } from '../../src/transport/resync-scheduler';

const gap = (lastSeq: number, incomingSeq: number, reason: GapInfo['reason'] = 'gap'): GapInfo => ({
  audience: 'global',
  lastSeq,
  incomingSeq,
  reason,
});

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A random() that returns the given values in turn, so each resync's jitter is known. */
function randoms(...values: number[]): () => number {
  let i = 0;
  return () => {
    const value = values[i % values.length];
    i += 1;
    return value ?? 0;
  };
}

describe('scheduleResyncs', () => {
  it('fires one resync after min + random × (max − min)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a', { a: gap(1, 3) });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 100, maxMs: 300, random: randoms(0.25) }));
      expectObservable(resyncs).toBe('150ms r', {
        r: { reason: 'gap', gaps: [gap(1, 3)] } satisfies ResyncContext,
      });
    });
  });

  it('spans exactly [min, max] at the ends of random()', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const at = (r: number) =>
        cold<GapInfo>('a', { a: gap(1, 3) }).pipe(
          scheduleResyncs({ minMs: 1500, maxMs: 3500, random: () => r }),
        );
      expectObservable(at(0)).toBe('1500ms r', { r: { reason: 'gap', gaps: [gap(1, 3)] } });
      expectObservable(at(1)).toBe('3500ms r', { r: { reason: 'gap', gaps: [gap(1, 3)] } });
    });
  });

  it('gaps seen before the pending resync fires join it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a 9ms b 9ms c', { a: gap(1, 3), b: gap(3, 5), c: gap(5, 9) });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 100, maxMs: 100, random: randoms(0.5) }));
      expectObservable(resyncs).toBe('100ms r', {
        r: { reason: 'gap', gaps: [gap(1, 3), gap(3, 5), gap(5, 9)] },
      });
    });
  });

  it('does not restart the timer when a gap joins', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a 98ms b', { a: gap(1, 3), b: gap(3, 5) });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 100, maxMs: 100, random: Math.random }));
      expectObservable(resyncs).toBe('100ms r', { r: { reason: 'gap', gaps: [gap(1, 3), gap(3, 5)] } });
    });
  });

  it('is a reset when any joined gap is a reset', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a-b', { a: gap(1, 3), b: gap(40, 2, 'reset') });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 10, maxMs: 10, random: Math.random }));
      expectObservable(resyncs).toBe('10ms r', {
        r: { reason: 'reset', gaps: [gap(1, 3), gap(40, 2, 'reset')] },
      });
    });
  });

  it('a gap after a resync fired starts a separate one, with its own jitter', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a 199ms b 9ms c', { a: gap(1, 3), b: gap(3, 5), c: gap(5, 8) });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 100, maxMs: 300, random: randoms(0, 1) }));
      expectObservable(resyncs).toBe('100ms r 399ms s', {
        r: { reason: 'gap', gaps: [gap(1, 3)] },
        s: { reason: 'gap', gaps: [gap(3, 5), gap(5, 8)] },
      });
    });
  });

  it('draws random() once per resync, not per gap', () => {
    let draws = 0;
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('abc 200ms d', { a: gap(1, 3), b: gap(3, 5), c: gap(5, 7), d: gap(7, 9) });
      const random = () => {
        draws += 1;
        return 0;
      };
      expectObservable(gaps.pipe(scheduleResyncs({ minMs: 50, maxMs: 60, random }))).toBe('50ms r 202ms s', {
        r: { reason: 'gap', gaps: [gap(1, 3), gap(3, 5), gap(5, 7)] },
        s: { reason: 'gap', gaps: [gap(7, 9)] },
      });
    });
    expect(draws).toBe(2);
  });

  it('unsubscribing cancels the pending resync', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const gaps = cold<GapInfo>('a 9ms b', { a: gap(1, 3), b: gap(3, 5) });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 100, maxMs: 100, random: Math.random }));
      expectObservable(resyncs, '^ 49ms !').toBe('');
      expectSubscriptions(gaps.subscriptions).toBe('^ 49ms !');
    });
  });

  it('still fires a pending resync when the gap stream completes, then completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a|', { a: gap(1, 3) });
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 30, maxMs: 30, random: Math.random }));
      expectObservable(resyncs).toBe('30ms (r|)', { r: { reason: 'gap', gaps: [gap(1, 3)] } });
    });
  });

  it('completes at once when the gap stream completes with nothing pending', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const resyncs = cold<GapInfo>('--|').pipe(
        scheduleResyncs({ minMs: 30, maxMs: 30, random: Math.random }),
      );
      expectObservable(resyncs).toBe('--|');
    });
  });

  it('passes an error through and drops the pending resync', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const gaps = cold<GapInfo>('a-#', { a: gap(1, 3) }, new Error('boom'));
      const resyncs = gaps.pipe(scheduleResyncs({ minMs: 30, maxMs: 30, random: Math.random }));
      expectObservable(resyncs).toBe('--#', undefined, new Error('boom'));
    });
  });

  it('runs on an injected scheduler', () => {
    const scheduler = testScheduler();
    const seen: ResyncContext[] = [];
    const gaps = scheduler.createColdObservable<GapInfo>('a', { a: gap(1, 3) });
    gaps
      .pipe(scheduleResyncs({ minMs: 20, maxMs: 20, random: Math.random, scheduler }))
      .subscribe((context) => {
        seen.push(context);
      });
    scheduler.flush();
    expect(seen).toEqual([{ reason: 'gap', gaps: [gap(1, 3)] }]);
    expect(scheduler.now()).toBe(20);
  });
});
