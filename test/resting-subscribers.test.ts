// Contract: a subscriber costs a listener, not a running actor; a resting entry tells its subscribers itself.
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { countingFetcher, flush, makeRegistry } from './support/registry';

withFakeClock({ now: '2030-01-01T00:00:00.000Z' });

function running(registry: ReturnType<typeof makeRegistry>): boolean[] {
  return registry.devtools().entries.map((entry) => entry.running);
}

describe('resting subscribed entries', () => {
  it('neither subscribing nor a fetch in flight starts an actor', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    const listener = vi.fn();
    ref.subscribe(listener);
    expect(ref.meta.status).toBe('fetching');
    expect(running(registry)).toEqual([false]);

    await flush();

    expect(running(registry)).toEqual([false]);
    expect(ref.meta.status).toBe('fresh');
    expect(listener).toHaveBeenCalled();
  });

  it('a directive result applied while resting reaches the subscriber', async () => {
    const registry = makeRegistry({ bulk: { delayMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const listener = vi.fn();
    ref.subscribe(listener);

    const applied = registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1, result: { data: { id: '1', title: 'new' } } },
    ]);
    await flush();
    await applied;

    expect(listener).toHaveBeenCalledTimes(1);
    expect(ref.data).toMatchObject({ title: 'new' });
    expect(running(registry)).toEqual([false]);
  });

  it('a resting subscribed entry tells its subscriber when it goes stale, once', async () => {
    const registry = makeRegistry({ stalenessMs: 1_000 });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const listener = vi.fn();
    ref.subscribe(listener);

    await vi.advanceTimersByTimeAsync(999);
    expect(listener).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);

    expect(listener).toHaveBeenCalledTimes(1);
    expect(ref.meta.status).toBe('stale');
    expect(running(registry)).toEqual([false]);
  });

  it('after the last unsubscribe the clock forgets the entry (no timer left)', async () => {
    const registry = makeRegistry({ stalenessMs: 1_000, memory: { sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const listener = vi.fn();
    const unsubscribe = ref.subscribe(listener);
    unsubscribe();

    await vi.advanceTimersByTimeAsync(5_000);

    expect(listener).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
