// Contract: the `inspect` option receives XState inspection events from the registry's actors (SPEC §2 options).
import { describe, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { withFakeClock } from './support/clock';
import { countingFetcher, flush, makeRegistry } from './support/registry';

withFakeClock();

function actorId(event: InspectionEvent): string | undefined {
  return (event.actorRef as { id?: string }).id;
}

/** The state values inspection reported for the actor with `id`, in order. */
function valuesOf(events: readonly InspectionEvent[], id: string): unknown[] {
  return events
    .filter((event) => event.type === '@xstate.snapshot' && actorId(event) === id)
    .map((event) => (event as { snapshot: { value?: unknown } }).snapshot.value);
}

describe('inspect', () => {
  it('an inspection function sees an entry actor whose snapshot reaches fresh', async () => {
    const events: InspectionEvent[] = [];
    const registry = makeRegistry({ inspect: (event) => events.push(event) });
    registry.createType('todo', { fetch: countingFetcher().fetch });

    registry.fetchItem('todo', 1);
    await flush();

    expect(events.some((event) => event.type === '@xstate.actor' && actorId(event) === 'item:todo:1')).toBe(
      true,
    );
    const values = valuesOf(events, 'item:todo:1');
    expect(values).toContain('fetching');
    expect(values.at(-1)).toBe('fresh');
  });

  it('an inspection observer sees collection actors and the events they receive', async () => {
    const events: InspectionEvent[] = [];
    const registry = makeRegistry({ inspect: { next: (event) => events.push(event) } });
    registry.createCollection('todos', { fetch: async () => ({ ids: [1] }) });

    registry.fetchCollection('todos', { params: { page: 1 } });
    await flush();

    const id = 'collection:todos:{"page":1}';
    expect(valuesOf(events, id).at(-1)).toBe('fresh');
    const received = events
      .filter((event) => event.type === '@xstate.event' && actorId(event) === id)
      .map((event) => (event as { event: { type: string } }).event.type);
    expect(received).toEqual(expect.arrayContaining(['REQUEST', 'RESOLVE']));
  });

  it('sees an item idle → fetching → fresh → fetching → fresh under item:<type>:<id>, beside the coordinator, in one system', async () => {
    const events: InspectionEvent[] = [];
    const registry = makeRegistry({
      inspect: { next: (event) => events.push(event) },
      bulk: { delayMs: 10 },
    });
    registry.createType('todo', { fetch: countingFetcher().fetch });

    const ref = registry.fetchItem('todo', 1);
    await flush();
    const refreshed = ref.refresh();
    await flush();
    await refreshed;

    const values = valuesOf(events, 'item:todo:1').filter((value, i, all) => value !== all[i - 1]);
    expect(values).toEqual(['idle', 'fetching', 'fresh', 'fetching', 'fresh']);
    expect(events.some((event) => actorId(event) === 'coordinator')).toBe(true);
    // One actor system: every event has the coordinator's system as root, and no id is a bare session id.
    const coordinator = events.find((event) => actorId(event) === 'coordinator')!;
    expect(new Set(events.map((event) => event.rootId))).toEqual(new Set([coordinator.rootId]));
    expect(events.filter((event) => /^x:\d+$/.test(actorId(event) ?? ''))).toEqual([]);
    // The entry woke once: one actor for it, however many transitions.
    const created = events.filter(
      (event) => event.type === '@xstate.actor' && actorId(event) === 'item:todo:1',
    );
    expect(created).toHaveLength(1);
  });

  it('a directive result applied between fetches is an inspected transition of the same actor', async () => {
    const events: InspectionEvent[] = [];
    const registry = makeRegistry({ inspect: (event) => events.push(event), bulk: { delayMs: 10 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);
    await flush();

    const applied = registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1, result: { data: { title: 'from the server' } } },
    ]);
    await vi.advanceTimersByTimeAsync(10);
    await applied;

    const received = events
      .filter((event) => event.type === '@xstate.event' && actorId(event) === 'item:todo:1')
      .map((event) => (event as { event: { type: string } }).event.type);
    expect(received).toContain('APPLY_RESULT');
    expect(
      events.filter((event) => event.type === '@xstate.actor' && actorId(event) === 'item:todo:1'),
    ).toHaveLength(1);
  });
});
