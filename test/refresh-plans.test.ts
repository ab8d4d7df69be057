// Contract: ref.refresh() and results meet levels in flight (SPEC §3 "Serialization", "Latest-wins", "Levels").
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { controlledFetcher, flush, makeRegistry } from './support/registry';

withFakeClock();

function twoLevelType() {
  const registry = makeRegistry();
  const base = controlledFetcher<{ v: string }>();
  const full = controlledFetcher<{ v: string; body: string }>();
  registry.createType('doc', {
    fetch: base.fetch,
    levelConversionMap: { full: ['default'] },
    levels: { full: { fetch: full.fetch } },
  });
  return { registry, base, full };
}

describe('refresh with a level in flight', () => {
  it('a level already fetching gets its own trailing fetch, so its older answer cannot land last', async () => {
    const { registry, base, full } = twoLevelType();
    registry.fetchItem('doc', 1);
    base.call(0).resolve({ v: 'v0' });
    const ref = registry.fetchItem('doc', 1, 'full');
    full.call(0).resolve({ v: 'v0', body: 'b0' });
    await flush();

    registry.fetchItem('doc', 1, null, { force: true }); // default in flight: base call #1
    const done = ref.refresh(); // covers default and full
    expect(full.count).toBe(2);

    full.call(1).resolve({ v: 'v2', body: 'b2' });
    await flush();
    base.call(1).resolve({ v: 'v1-older' }); // answered last, but asked before the refresh
    await flush();
    expect(base.count).toBe(3); // the trailing fetch the refresh queued
    base.call(2).resolve({ v: 'v3' });
    await done;

    expect(ref.data).toEqual({ v: 'v3', body: 'b2' });
    expect(ref.meta.status).toBe('fresh');
  });
});

describe('results older than what is held', () => {
  it('a result whose ts predates the held data changes nothing and aborts nothing', async () => {
    const { registry, base } = twoLevelType();
    const ref = registry.fetchItem('doc', 1);
    base.call(0).resolve({ v: 'held' });
    await flush();
    const heldAt = Date.now();
    await vi.advanceTimersByTimeAsync(1_000);
    registry.fetchItem('doc', 1, null, { force: true });
    const signal = base.call(1).signal;

    const report = registry.applyDirectives([
      {
        op: 'refresh_item',
        name: 'doc',
        id: 1,
        result: { levels: { default: { data: { v: 'old' }, ts: heldAt - 5_000 } } },
      },
    ]);
    await vi.advanceTimersByTimeAsync(60);
    expect(ref.data).toEqual({ v: 'held' });
    expect(signal.aborted).toBe(false);

    base.call(1).resolve({ v: 'newer' });
    await report;
    expect(ref.data).toEqual({ v: 'newer' });
  });
});

describe('directiveHeaders', () => {
  it('never sends our headers twice when the caller spells them differently', () => {
    const registry = makeRegistry({ clientId: 'client-1' });
    const headers = registry.directiveHeaders({
      'x-verity-client-id': 'other',
      'Content-Type': 'application/json',
    });
    expect(headers).toEqual({
      'Content-Type': 'application/json',
      'X-Verity-Client-ID': 'client-1',
      'X-Verity-Directive-Request': 'send me directives',
    });
  });
});
