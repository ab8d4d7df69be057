// Contract: one clock tells each watched entry, exactly once and never early, when its latest due time passes.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { StalenessClock } from '../src/registry/staleness-clock';
import { withFakeClock } from './support/clock';

withFakeClock();

function watcher(fired: Array<{ id: number; at: number }>, id: number) {
  return { staled: () => fired.push({ id, at: Date.now() }) };
}

describe('StalenessClock', () => {
  it('a re-watched entry fires at its new time only', async () => {
    const clock = new StalenessClock(() => Date.now());
    const fired: Array<{ id: number; at: number }> = [];
    const start = Date.now();
    const a = watcher(fired, 1);
    clock.watch(a, start + 100);
    clock.watch(a, start + 300);
    await vi.advanceTimersByTimeAsync(299);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([{ id: 1, at: start + 300 }]);
    expect(clock.size).toBe(0);
  });

  it('an unwatched entry never fires, and stop() clears every timer', async () => {
    const clock = new StalenessClock(() => Date.now());
    const fired: Array<{ id: number; at: number }> = [];
    clock.watch(watcher(fired, 1), Date.now() + 10);
    const b = watcher(fired, 2);
    clock.watch(b, Date.now() + 20);
    clock.unwatch(b);
    clock.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test.prop(
    [
      fc.array(
        fc.record({
          id: fc.integer({ min: 0, max: 7 }),
          op: fc.constantFrom('watch', 'unwatch'),
          dueIn: fc.integer({ min: 0, max: 500 }),
          advance: fc.integer({ min: 0, max: 120 }),
        }),
        { maxLength: 40 },
      ),
    ],
    { numRuns: 150 },
  )(
    'each watcher fires exactly once, at its latest due time, whatever the order of watches',
    async (steps) => {
      const clock = new StalenessClock(() => Date.now());
      const fired: Array<{ id: number; at: number }> = [];
      const watchers = new Map<number, ReturnType<typeof watcher>>();
      const expected = new Map<number, number>();
      const get = (id: number) => {
        let w = watchers.get(id);
        if (!w) watchers.set(id, (w = watcher(fired, id)));
        return w;
      };
      for (const step of steps) {
        if (step.op === 'watch') {
          clock.watch(get(step.id), Date.now() + step.dueIn);
          expected.set(step.id, Date.now() + step.dueIn);
        } else {
          clock.unwatch(get(step.id));
          expected.delete(step.id);
        }
        const before = fired.length;
        await vi.advanceTimersByTimeAsync(step.advance);
        // Whatever fired has left the expectation: it fired at (never before) its latest due time.
        for (const event of fired.slice(before)) {
          expect(event.at).toBeGreaterThanOrEqual(expected.get(event.id) ?? Number.POSITIVE_INFINITY);
          expect(event.at - expected.get(event.id)!).toBeLessThanOrEqual(step.advance);
          expected.delete(event.id);
        }
      }
      const before = fired.length;
      await vi.advanceTimersByTimeAsync(1_000);
      for (const event of fired.slice(before)) {
        expect(event.at).toBe(expected.get(event.id));
        expected.delete(event.id);
      }
      expect(expected.size).toBe(0);
      expect(clock.size).toBe(0);
      expect(new Set(fired.map((e) => `${e.id}@${e.at}`)).size).toBe(fired.length);
      clock.stop();
    },
  );
});
