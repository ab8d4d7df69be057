// The coordinator's window (SPEC §3 "Directives"): work opens it, it closes once after bulk.delayMs, and work queued
// during a batch is owed the next; driven alone on fake timers.
import { describe, expect, it, vi } from 'vitest';
import { Coordinator, stepWindow, type WindowState } from '../src/registry/coordinator';
import { Lifecycle, Logger } from '../src/registry/lifecycle';
import { resolveOptions } from '../src/registry/options';
import { withFakeClock } from './support/clock';

withFakeClock();

/** A coordinator over an empty cache; `batches` counts closed windows (each ends by sending the bulk groups). */
function coordinator(windowMs: () => number, onBatch: (coordinator: Coordinator) => void = () => {}) {
  const options = resolveOptions({ logging: { level: 'silent' } });
  const logger = new Logger('silent', '');
  const batches = vi.fn();
  const bulk = { ...options.bulk };
  Object.defineProperty(bulk, 'delayMs', { get: windowMs });
  const subject: Coordinator = new Coordinator({
    options: { ...options, bulk },
    clientId: 'client',
    lifecycle: new Lifecycle(logger),
    logger,
    now: () => Date.now(),
    cache: () => ({ types: new Map(), collections: new Map(), isActive: () => false }),
    onForceReload: () => {},
    flushBulk: () => {
      batches();
      onBatch(subject);
    },
    inspect: undefined,
  });
  return { coordinator: subject, batches };
}

describe('the window rules (stepWindow)', () => {
  const idle: WindowState = { phase: 'idle', owed: false };
  const collecting: WindowState = { phase: 'collecting', owed: false };
  const flushing: WindowState = { phase: 'flushing', owed: false };

  it('work opens the window; more work while it is open changes nothing', () => {
    expect(stepWindow(idle, { type: 'WORK_QUEUED' })).toEqual(collecting);
    expect(stepWindow(collecting, { type: 'WORK_QUEUED' })).toBe(collecting);
  });

  it('a closed window runs the batch; work during the batch is owed the next window', () => {
    expect(stepWindow(collecting, { type: 'WINDOW_CLOSED' })).toEqual(flushing);
    const owed = stepWindow(flushing, { type: 'WORK_QUEUED' });
    expect(owed).toEqual({ phase: 'flushing', owed: true });
    expect(stepWindow(owed, { type: 'BATCH_DONE' })).toEqual(collecting);
    expect(stepWindow(flushing, { type: 'BATCH_DONE' })).toEqual(idle);
  });

  it('events that mean nothing in a phase leave it as it is', () => {
    expect(stepWindow(idle, { type: 'WINDOW_CLOSED' })).toBe(idle);
    expect(stepWindow(idle, { type: 'BATCH_DONE' })).toBe(idle);
    expect(stepWindow(collecting, { type: 'BATCH_DONE' })).toBe(collecting);
  });
});

describe('the coordinator window (timer)', () => {
  it('work opens a window that runs the batch once when it closes', () => {
    const { coordinator: subject, batches } = coordinator(() => 50);
    expect(subject.hasPending).toBe(false);
    void subject.enqueue([{ op: 'refresh_item', name: 'ghost', id: 1 }]);
    expect(subject.hasPending).toBe(true);
    vi.advanceTimersByTime(49);
    expect(batches).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(batches).toHaveBeenCalledTimes(1);
    expect(subject.hasPending).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(batches).toHaveBeenCalledTimes(1);
    subject.dispose();
  });

  it('work queued while the window is open joins it without extending it', () => {
    const { coordinator: subject, batches } = coordinator(() => 50);
    subject.bulkQueued();
    vi.advanceTimersByTime(30);
    subject.bulkQueued();
    void subject.enqueueResync();
    vi.advanceTimersByTime(20);
    expect(batches).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(batches).toHaveBeenCalledTimes(1);
    subject.bulkQueued();
    vi.advanceTimersByTime(50);
    expect(batches).toHaveBeenCalledTimes(2);
    subject.dispose();
  });

  it('a directive queued while the batch runs is owed the next window; a bulk fetch goes out with the batch', async () => {
    let round = 0;
    const nested: Promise<unknown>[] = [];
    const { coordinator: subject, batches } = coordinator(
      () => 50,
      (running) => {
        round++;
        // Ignored: the batch's own bulk fetches go out as it ends.
        running.bulkQueued();
        if (round === 1) nested.push(running.enqueue([{ op: 'refresh_item', name: 'ghost', id: 2 }]));
      },
    );
    subject.bulkQueued();
    vi.advanceTimersByTime(50);
    expect(batches).toHaveBeenCalledTimes(1);
    expect(subject.hasPending).toBe(true);
    vi.advanceTimersByTime(49);
    expect(batches).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveBeenCalledTimes(2);
    await expect(nested[0]).resolves.toMatchObject({
      skipped: [{ reason: "unknown type 'ghost'" }],
    });
    vi.advanceTimersByTime(1_000);
    expect(batches).toHaveBeenCalledTimes(2);
    subject.dispose();
  });

  it('each window reads its length when it opens', () => {
    let ms = 50;
    const { coordinator: subject, batches } = coordinator(() => ms);
    subject.bulkQueued();
    vi.advanceTimersByTime(50);
    ms = 200;
    subject.bulkQueued();
    vi.advanceTimersByTime(199);
    expect(batches).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveBeenCalledTimes(2);
    subject.dispose();
  });

  it('dispose answers pending calls with their reports so far and cancels the window', async () => {
    const { coordinator: subject, batches } = coordinator(() => 50);
    const pending = subject.enqueue([{ op: 'refresh_item', name: 'ghost', id: 1 }, { op: 'nonsense' }]);
    const resync = subject.enqueueResync();
    subject.dispose();
    await expect(pending).resolves.toMatchObject({ applied: [], skipped: [], rejected: [{}] });
    await expect(resync).resolves.toBeUndefined();
    vi.advanceTimersByTime(1_000);
    expect(batches).not.toHaveBeenCalled();
  });
});
