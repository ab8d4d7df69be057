// The coordinator machine's window (SPEC §3 "Directives"): when a batch is due, driven alone on fake timers.
import { describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { createCoordinatorMachine } from '../src/machines/coordinator.machine';
import { withFakeClock } from './support/clock';

withFakeClock();

describe('the coordinator window (machine)', () => {
  /** The coordinator and a stand-in for the registry: it runs the batch when told, then says it is done. */
  function coordinator(windowMs: () => number) {
    const flush = vi.fn();
    const actor = createActor(createCoordinatorMachine({ windowMs }));
    actor.on('batchDue', () => {
      flush();
      actor.send({ type: 'BATCH_DONE' });
    });
    actor.start();
    return { actor, flush };
  }

  it('work opens a window that flushes once when it closes', () => {
    const { actor, flush } = coordinator(() => 50);
    expect(actor.getSnapshot().value).toBe('idle');
    actor.send({ type: 'WORK_QUEUED' });
    expect(actor.getSnapshot().value).toBe('collecting');
    vi.advanceTimersByTime(49);
    expect(flush).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(flush).toHaveBeenCalledTimes(1);
    expect(actor.getSnapshot().value).toBe('idle');
    actor.stop();
  });

  it('work queued while the window is open joins it without extending it', () => {
    const { actor, flush } = coordinator(() => 50);
    actor.send({ type: 'WORK_QUEUED' });
    vi.advanceTimersByTime(30);
    actor.send({ type: 'WORK_QUEUED' });
    actor.send({ type: 'WORK_QUEUED' });
    vi.advanceTimersByTime(20);
    expect(flush).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(flush).toHaveBeenCalledTimes(1);
    actor.send({ type: 'WORK_QUEUED' });
    vi.advanceTimersByTime(50);
    expect(flush).toHaveBeenCalledTimes(2);
    actor.stop();
  });

  it('FLUSH_NOW flushes at once and closes the window', () => {
    const { actor, flush } = coordinator(() => 50);
    actor.send({ type: 'FLUSH_NOW' });
    expect(flush).toHaveBeenCalledTimes(1);
    actor.send({ type: 'WORK_QUEUED' });
    actor.send({ type: 'FLUSH_NOW' });
    expect(flush).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(100);
    expect(flush).toHaveBeenCalledTimes(2);
    actor.stop();
  });

  it('work queued while the batch runs is owed the next window; the batch itself closes nothing early', () => {
    const actor = createActor(createCoordinatorMachine({ windowMs: () => 50 }));
    let batches = 0;
    actor.on('batchDue', () => {
      batches++;
      expect(actor.getSnapshot().value).toBe('flushing');
      if (batches === 1) actor.send({ type: 'WORK_QUEUED' });
      actor.send({ type: 'BATCH_DONE' });
    });
    actor.start();
    actor.send({ type: 'WORK_QUEUED' });
    vi.advanceTimersByTime(50);
    expect(batches).toBe(1);
    expect(actor.getSnapshot().value).toBe('collecting');
    vi.advanceTimersByTime(49);
    expect(batches).toBe(1);
    vi.advanceTimersByTime(1);
    expect(batches).toBe(2);
    expect(actor.getSnapshot().value).toBe('idle');
    actor.stop();
  });

  it('each window reads its length when it opens', () => {
    let ms = 50;
    const { actor, flush } = coordinator(() => ms);
    actor.send({ type: 'WORK_QUEUED' });
    vi.advanceTimersByTime(50);
    ms = 200;
    actor.send({ type: 'WORK_QUEUED' });
    vi.advanceTimersByTime(199);
    expect(flush).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(flush).toHaveBeenCalledTimes(2);
    actor.stop();
  });
});
