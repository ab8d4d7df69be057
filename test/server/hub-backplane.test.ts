// The hub over any Backplane: gap filling, envelopes during the handshake, reset, failures.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backplane,
  type BackplaneEnvelope,
  type BackplaneListener,
  type BackplaneResumePoint,
  type BackplaneSnapshot,
  createDirectiveHub,
  type DirectiveHub,
  type EnvelopeTemplate,
} from '../../src/server/index';
import { deferred } from '../support/deferred';
import { type HubServer, startHubServer, until } from '../support/server-harness';
import { openSse } from '../support/sse-client';

/**
 * A backplane a test steers: it stores envelopes like the real ones, but delivery to the hub
 * happens only when the test says so — in any order, or not at all.
 */
class SteeredBackplane implements Backplane {
  readonly log: BackplaneEnvelope[] = [];
  readonly listeners = new Set<BackplaneListener>();
  /** The run the steered store is in; a test that wipes the store starts another. */
  epoch = 'run-1';
  autoDeliver = true;
  failSnapshots = false;
  failPublish = false;
  /** Resolves snapshot reads only when released, to open a window during the handshake. */
  snapshotGate: Promise<void> | null = null;

  async publish(audience: string, template: EnvelopeTemplate): Promise<number> {
    if (this.failPublish) throw new Error('store unreachable');
    const seq = this.log.filter((e) => e.audience === audience).length + 1;
    const envelope = { audience, epoch: this.epoch, seq, data: template.head + seq + template.tail };
    this.log.push(envelope);
    if (this.autoDeliver) this.deliver(envelope);
    return seq;
  }

  async snapshot(audience: string, after: BackplaneResumePoint | null): Promise<BackplaneSnapshot> {
    if (this.snapshotGate) await this.snapshotGate;
    if (this.failSnapshots) throw new Error('store unreachable');
    const own = this.log.filter((e) => e.audience === audience);
    const lastSeq = own.length;
    if (after !== null && after.epoch !== this.epoch) return { epoch: this.epoch, lastSeq, missed: null };
    return { epoch: this.epoch, lastSeq, missed: after === null ? [] : own.filter((e) => e.seq > after.seq) };
  }

  deliver(envelope: BackplaneEnvelope): void {
    for (const listener of this.listeners) listener.envelope(envelope);
  }

  reset(): void {
    for (const listener of this.listeners) listener.reset();
  }

  subscribe(listener: BackplaneListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

const refresh = (i: number) => [{ op: 'refresh_item', name: 'todo', id: i }];

describe('the hub over any backplane', () => {
  let hub: DirectiveHub;
  let server: HubServer;
  let backplane: SteeredBackplane;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  async function start(): Promise<void> {
    backplane = new SteeredBackplane();
    hub = createDirectiveHub({ backplane });
    server = await startHubServer(hub);
  }

  it('a live envelope that skips seqs makes the hub fill the gap: a resumed hello and the missing envelopes', async () => {
    await start();
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit(refresh(1));
    backplane.autoDeliver = false;
    await hub.emit(refresh(2));
    await hub.emit(refresh(3));
    backplane.deliver(backplane.log[2]!);
    await sse.reader.until((r) => r.envelopes.length === 3, 'the gap filled');
    expect(sse.reader.seqs).toEqual([1, 2, 3]);
    expect(sse.reader.hellos.map((m) => m.body)).toEqual([
      { type: 'hello', audience: 'global', epoch: 'run-1', last_seq: 0, resumed: false },
      { type: 'hello', audience: 'global', epoch: 'run-1', last_seq: 3, resumed: true },
    ]);
    // A late delivery of what was already replayed is not sent twice.
    backplane.deliver(backplane.log[1]!);
    backplane.autoDeliver = true;
    await hub.emit(refresh(4));
    await sse.reader.until((r) => r.envelopes.length === 4, 'the next envelope');
    expect(sse.reader.seqs).toEqual([1, 2, 3, 4]);
    sse.close();
  });

  it('envelopes fanned out while the handshake reads the snapshot follow the hello, none twice, none lost', async () => {
    await start();
    await hub.emit(refresh(1));
    const gate = deferred<void>();
    backplane.snapshotGate = gate.promise;
    const opening = openSse(server.url, { 'last-event-id': 'run-1:0' });
    // Emitted after the subscriber registered but before its snapshot is read: in the snapshot *and* live.
    await until(() => hub.stats().subscribers === 1, 'the subscriber is registered');
    await hub.emit(refresh(2));
    gate.resolve();
    const sse = await opening;
    await hub.emit(refresh(3));
    await sse.reader.until((r) => r.envelopes.length === 3, 'three envelopes');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 2, resumed: true });
    expect(sse.reader.seqs).toEqual([1, 2, 3]);
    sse.close();
  });

  it('reset() sends every subscriber a fresh hello with the current state', async () => {
    await start();
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit(refresh(1));
    await sse.reader.until((r) => r.envelopes.length === 1, 'one envelope');
    // The store lost everything, as a Redis without persistence does on restart: a new run.
    backplane.log.length = 0;
    backplane.epoch = 'run-2';
    backplane.reset();
    await sse.reader.until((r) => r.hellos.length === 2, 'a second hello');
    expect(sse.reader.hellos[1]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch: 'run-2',
      last_seq: 0,
      resumed: false,
    });
    await hub.emit(refresh(2));
    await sse.reader.until((r) => r.envelopes.length === 2, 'the first envelope after the reset');
    expect(sse.reader.seqs).toEqual([1, 1]);
    sse.close();
  });

  it('a stream whose fresh handshake cannot read the backplane is ended, so the client reconnects', async () => {
    await start();
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    backplane.failSnapshots = true;
    backplane.reset();
    await sse.reader.untilEnded();
    expect(hub.stats().subscribers).toBe(0);
  });

  it('a backplane that cannot snapshot answers new subscribers with 503; one that cannot store rejects emit', async () => {
    await start();
    backplane.failSnapshots = true;
    const sse = await openSse(server.url);
    expect(sse.status).toBe(503);
    expect(sse.text).toContain('store unreachable');
    expect(hub.stats().subscribers).toBe(0);
    backplane.failPublish = true;
    await expect(hub.emit(refresh(1))).rejects.toMatchObject({
      code: 'BACKPLANE_FAILED',
      message: expect.stringContaining('store unreachable'),
    });
  });

  it('close() releases the backplane', async () => {
    await start();
    await hub.close();
    expect(backplane.closed).toBe(true);
    expect(backplane.listeners.size).toBe(0);
  });
});
