// The in-memory backplane forgets idle audiences (SPEC §4 `replay.idleAudienceMs`): bounded memory, and a resume into a forgotten audience gets a new epoch.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { envelopeTemplate } from '../../src/protocol/frame-writer';
import { createDirectiveHub } from '../../src/server/index';
import { MemoryBackplane } from '../../src/server/memory-backplane';
import { heapUsedAfterGc } from '../support/gc';
import { readSseResponse } from '../support/sse-client';

const IDLE_MS = 1000;
const template = envelopeTemplate('a', null, [{ op: 'refresh_collection', name: 'todos' }]);

afterEach(() => {
  vi.useRealTimers();
});

describe('the in-memory backplane forgets idle audiences', () => {
  function backplane(inUse: (audience: string) => boolean = () => false, idleAudienceMs = IDLE_MS) {
    vi.useFakeTimers();
    return new MemoryBackplane({ idleAudienceMs, inUse });
  }

  it('an audience with no emit and no subscriber for idleAudienceMs is forgotten: seq, log and epoch', async () => {
    const memory = backplane();
    await memory.publish('a', template, { retain: 10 });
    const { epoch } = await memory.snapshot('a', null);
    vi.advanceTimersByTime(IDLE_MS - 1);
    // Still there, and the emit restarts its clock.
    await memory.publish('a', template, { retain: 10 });
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect(await memory.snapshot('a', { epoch, seq: 1 })).toMatchObject({ epoch, lastSeq: 2 });
    vi.advanceTimersByTime(IDLE_MS + 1);
    const after = await memory.snapshot('a', { epoch, seq: 2 });
    expect(after).toMatchObject({ lastSeq: 0, missed: null });
    expect(after.epoch).not.toBe(epoch);
  });

  it('the sweeper frees memory when the hub goes quiet, without any further call', async () => {
    const memory = backplane();
    for (const audience of ['a', 'b', 'c']) await memory.publish(audience, template, { retain: 10 });
    expect(memory.size).toBe(3);
    vi.advanceTimersByTime(IDLE_MS * 2 + 1);
    expect(memory.size).toBe(0);
    await memory.close();
  });

  it('an audience with a subscriber is never forgotten; its clock starts when the last subscriber leaves', async () => {
    let subscribed = true;
    const memory = backplane(() => subscribed);
    await memory.publish('a', template, { retain: 10 });
    const { epoch } = await memory.snapshot('a', null);
    vi.advanceTimersByTime(IDLE_MS * 10);
    expect((await memory.snapshot('a', null)).epoch).toBe(epoch);
    subscribed = false;
    memory.release('a');
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect((await memory.snapshot('a', null)).epoch).toBe(epoch);
    vi.advanceTimersByTime(IDLE_MS + 1);
    expect((await memory.snapshot('a', null)).epoch).not.toBe(epoch);
  });

  it('idleAudienceMs 0 keeps every audience', async () => {
    const memory = backplane(() => false, 0);
    await memory.publish('a', template, { retain: 10 });
    vi.advanceTimersByTime(IDLE_MS * 1000);
    expect(memory.size).toBe(1);
  });

  it('through the hub: a client resuming into a forgotten audience gets resumed false and a new epoch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const hub = createDirectiveHub({
      authorize: () => true,
      heartbeatMs: 0,
      replay: { idleAudienceMs: IDLE_MS },
    });
    const open = async (lastEventId?: string) => {
      const headers: Record<string, string> =
        lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
      const stream = readSseResponse(
        await hub.handleRequest(new Request('http://127.0.0.1/events?audience=user-7', { headers })),
      );
      await stream.reader.until((r) => r.hellos.length === 1, 'hello');
      return stream;
    };
    const first = await open();
    const epoch = first.reader.hellos[0]!.body.epoch;
    await hub.emit([{ op: 'refresh_collection', name: 'todos' }], { audience: 'user-7' });
    // Subscribed: kept however long it stays quiet.
    vi.setSystemTime(Date.now() + IDLE_MS * 5);
    await hub.emit([{ op: 'refresh_collection', name: 'x' }], { audience: 'someone-else' });
    await first.reader.until((r) => r.envelopes.length === 1, 'the envelope');
    await first.cancel();
    await vi.waitFor(() => expect(hub.stats().subscribers).toBe(0));

    vi.setSystemTime(Date.now() + IDLE_MS + 1);
    await hub.emit([{ op: 'refresh_collection', name: 'x' }], { audience: 'someone-else' });
    const again = await open(`${epoch}:1`);
    expect(again.reader.hellos[0]!.body).toMatchObject({ last_seq: 0, resumed: false });
    expect(again.reader.hellos[0]!.body.epoch).not.toBe(epoch);
    await again.cancel();
    await hub.close();
  });
});

describe('memory with audiences that come and go', () => {
  /**
   * 20k audiences, each sent an envelope of ~3 kB, one in ten with a subscriber that connects
   * first and then leaves; the clock moves on as they come and go.
   */
  async function churn(idleAudienceMs: number): Promise<number> {
    vi.useFakeTimers({ toFake: ['Date'] });
    const hub = createDirectiveHub({ authorize: () => true, heartbeatMs: 0, replay: { idleAudienceMs } });
    const padding = 'x'.repeat(3000);
    const before = await heapUsedAfterGc();
    for (let i = 0; i < 20_000; i++) {
      const audience = `user-${i}`;
      const response =
        i % 10 === 0
          ? await hub.handleRequest(new Request(`http://127.0.0.1/events?audience=${audience}`))
          : null;
      await hub.emit([{ op: 'refresh_item', name: 'todo', id: i, note: padding }], { audience });
      await response?.body?.cancel();
      // Each audience is idle for a twentieth of the idle time after it leaves, as users come and go.
      vi.setSystemTime(Date.now() + 50);
    }
    const grown = (await heapUsedAfterGc()) - before;
    await hub.close();
    return grown;
  }

  it('with replay.idleAudienceMs the heap stays bounded; without it, it grows with every audience ever seen', async () => {
    const bounded = await churn(IDLE_MS);
    const unbounded = await churn(0);
    // ~20 audiences are alive at a time (1000 ms idle / 50 ms per audience) against 20,000 kept forever.
    expect(bounded).toBeLessThan(8 * 1024 * 1024);
    expect(unbounded).toBeGreaterThan(40 * 1024 * 1024);
    console.info(
      `20k audiences: heap grew ${(bounded / 2 ** 20).toFixed(1)} MiB with idleAudienceMs ${IDLE_MS}, ${(unbounded / 2 ** 20).toFixed(1)} MiB with 0`,
    );
  }, 120_000);
});
