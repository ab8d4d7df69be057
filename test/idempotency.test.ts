// Idempotency keys (SPEC §3 "Directives"): the bounded memory on its own, then as applyDirectives sees it.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import type { Directive, RegistryOptions } from '../src/index';
import { IdempotencyMemory } from '../src/registry/idempotency';
import { withFakeClock } from './support/clock';
import { apply, Backend, flushWindow, testRegistry } from './support/directive-fixtures';

describe('IdempotencyMemory', () => {
  it('remembers a recorded key until its TTL has passed', () => {
    const memory = new IdempotencyMemory(1_000, 10);
    expect(memory.seen('a', 0)).toBe(false);
    memory.record('a', 0);
    expect(memory.seen('a', 0)).toBe(true);
    expect(memory.seen('a', 999)).toBe(true);
    expect(memory.seen('a', 1_000)).toBe(false);
  });

  it('prune forgets expired keys and keeps live ones', () => {
    const memory = new IdempotencyMemory(1_000, 10);
    memory.record('a', 0);
    memory.record('b', 500);
    memory.prune(1_000);
    expect(memory.size).toBe(1);
    expect(memory.seen('b', 1_000)).toBe(true);
    memory.prune(1_500);
    expect(memory.size).toBe(0);
  });

  it('holds at most maxKeys keys, forgetting the oldest first', () => {
    const memory = new IdempotencyMemory(60_000, 3);
    for (const [index, key] of ['a', 'b', 'c', 'd', 'e'].entries()) memory.record(key, index);
    expect(memory.size).toBe(3);
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => memory.seen(key, 10))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('recording a key again renews it: it is no longer the oldest', () => {
    const memory = new IdempotencyMemory(1_000, 2);
    memory.record('a', 0);
    memory.record('b', 10);
    memory.record('a', 20);
    memory.record('c', 30);
    expect(memory.seen('a', 30)).toBe(true);
    expect(memory.seen('b', 30)).toBe(false);
    expect(memory.seen('a', 1_019)).toBe(true);
    expect(memory.seen('a', 1_020)).toBe(false);
  });

  it('a TTL of 0 or a cap of 0 remembers nothing', () => {
    const noTtl = new IdempotencyMemory(0, 10);
    noTtl.record('a', 0);
    expect(noTtl.seen('a', 0)).toBe(false);
    expect(noTtl.size).toBe(0);
    const noKeys = new IdempotencyMemory(1_000, 0);
    noKeys.record('a', 0);
    expect(noKeys.seen('a', 0)).toBe(false);
    expect(noKeys.size).toBe(0);
  });

  it('clear forgets everything', () => {
    const memory = new IdempotencyMemory(1_000, 10);
    memory.record('a', 0);
    memory.clear();
    expect(memory.size).toBe(0);
    expect(memory.seen('a', 0)).toBe(false);
  });

  type Op = { kind: 'record'; key: string; dt: number } | { kind: 'prune'; dt: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('record' as const),
      key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      dt: fc.nat(400),
    }),
    fc.record({ kind: fc.constant('prune' as const), dt: fc.nat(400) }),
  );

  test.prop([
    fc.integer({ min: 1, max: 1_000 }),
    fc.integer({ min: 1, max: 4 }),
    fc.array(op, { maxLength: 60 }),
  ])(
    'behaves like a reference model: live keys within TTL, the oldest dropped beyond the cap',
    (ttl, cap, ops) => {
      const memory = new IdempotencyMemory(ttl, cap);
      // The model: key → expiry, in record order (re-recording moves a key to the end).
      let model: Array<[string, number]> = [];
      let now = 0;
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (const step of ops) {
        now += step.dt;
        model = model.filter(([, expiry]) => expiry > now);
        if (step.kind === 'record') {
          model = model.filter(([key]) => key !== step.key);
          model.push([step.key, now + ttl]);
          model = model.slice(Math.max(0, model.length - cap));
          memory.record(step.key, now);
        } else {
          memory.prune(now);
          expect(memory.size).toBe(model.length);
        }
        for (const key of keys) {
          expect(memory.seen(key, now)).toBe(model.some(([held]) => held === key));
        }
        expect(memory.size).toBeLessThanOrEqual(cap);
      }
    },
  );
});

describe('idempotency keys in applyDirectives', () => {
  const TTL_MS = 60_000;
  withFakeClock();

  async function start(options: RegistryOptions = {}, check?: (directive: Directive) => boolean) {
    const backend = new Backend();
    const registry = testRegistry({
      stalenessMs: 10 * TTL_MS,
      directives: { idempotencyTtlMs: TTL_MS, ...options.directives },
      ...options,
    });
    registry.createType('todo', { fetch: backend.itemFetcher('todo'), ...(check ? { check } : {}) });
    for (const id of [1, 2, 3, 4]) registry.fetchItem('todo', id);
    await flushWindow();
    backend.reset();
    return { backend, registry };
  }

  const keyed = (id: number, key: unknown, field = 'idempotency_key'): Directive => ({
    op: 'refresh_item',
    name: 'todo',
    id,
    [field]: key,
  });

  it('a key seen within idempotencyTtlMs is skipped with a reason', async () => {
    const { backend, registry } = await start();
    const first = await apply(registry, [keyed(1, 'k1')]);
    await vi.advanceTimersByTimeAsync(TTL_MS - 1_000);
    const second = await apply(registry, [keyed(2, 'k1')]);
    expect(first.applied).toHaveLength(1);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual([{ directive: keyed(2, 'k1'), reason: expect.stringMatching(/k1/) }]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
  });

  it('a key applies again once idempotencyTtlMs has passed', async () => {
    const { backend, registry } = await start();
    await apply(registry, [keyed(1, 'k1')]);
    await vi.advanceTimersByTimeAsync(TTL_MS);
    const again = await apply(registry, [keyed(1, 'k1')]);
    expect(again.applied).toHaveLength(1);
    expect(backend.count()).toBe(2);
  });

  it('`key` is an alias of idempotency_key, and numeric keys equal their string form', async () => {
    const { registry } = await start();
    await apply(registry, [keyed(1, 'k1', 'key')]);
    await apply(registry, [keyed(1, 7)]);
    const report = await apply(registry, [keyed(2, 'k1'), keyed(3, '7', 'key')]);
    expect(report.applied).toEqual([]);
    expect(report.skipped).toHaveLength(2);
  });

  it('the same key twice in one batch applies once', async () => {
    const { backend, registry } = await start();
    const a = registry.applyDirectives([keyed(1, 'dup'), keyed(2, 'dup')]);
    const b = registry.applyDirectives([keyed(3, 'dup')]);
    await flushWindow();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.applied).toEqual([keyed(1, 'dup')]);
    expect(ra.skipped.map((s) => s.directive)).toEqual([keyed(2, 'dup')]);
    expect(rb.skipped).toHaveLength(1);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
  });

  it('disableIdempotencyGuard applies a directive whatever its key', async () => {
    const { backend, registry } = await start();
    await apply(registry, [keyed(1, 'k1')]);
    const report = await apply(registry, [keyed(1, 'k1')], { disableIdempotencyGuard: true });
    expect(report.applied).toHaveLength(1);
    expect(backend.count()).toBe(2);
  });

  it('the memory is bounded by idempotencyMaxKeys: the oldest key is forgotten first', async () => {
    const { registry } = await start({ directives: { idempotencyMaxKeys: 2 } });
    await apply(registry, [keyed(1, 'a'), keyed(2, 'b'), keyed(3, 'c')]);
    const report = await apply(registry, [keyed(3, 'c'), keyed(2, 'b'), keyed(1, 'a')]);
    expect(report.skipped.map((s) => s.directive)).toEqual([keyed(3, 'c'), keyed(2, 'b')]);
    expect(report.applied).toEqual([keyed(1, 'a')]);
  });

  it('a key is recorded only when its directive is processed: a skipped directive can apply later', async () => {
    let open = false;
    const { backend, registry } = await start({}, () => open);
    const gated = await apply(registry, [keyed(1, 'k1')]);
    expect(gated.skipped[0]?.reason).toMatch(/check/);
    open = true;
    const later = await apply(registry, [keyed(1, 'k1')]);
    expect(later.applied).toHaveLength(1);
    expect(backend.count()).toBe(1);
  });

  it('a key on a directive for an unknown name is not recorded', async () => {
    const { registry } = await start();
    await apply(registry, [{ op: 'refresh_item', name: 'ghost', id: 1, idempotency_key: 'k1' }]);
    const report = await apply(registry, [keyed(1, 'k1')]);
    expect(report.applied).toHaveLength(1);
  });

  it("a group's key covers its targets: replaying the group skips every target", async () => {
    const { backend, registry } = await start();
    const group = {
      op: 'invalidate',
      idempotency_key: 'g1',
      targets: [keyed(1, undefined), keyed(2, undefined)],
    };
    const first = await apply(registry, [group]);
    const replay = await apply(registry, [group]);
    expect(first.applied).toHaveLength(2);
    expect(replay.applied).toEqual([]);
    expect(replay.skipped).toHaveLength(2);
    expect(backend.count()).toBe(2);
  });

  it('a TTL of 0 disables the guard', async () => {
    const { backend, registry } = await start({ directives: { idempotencyTtlMs: 0 } });
    await apply(registry, [keyed(1, 'k1')]);
    const report = await apply(registry, [keyed(1, 'k1')]);
    expect(report.applied).toHaveLength(1);
    expect(backend.count()).toBe(2);
  });
});
