// The entry machine alone: it owns the fetch rules of SPEC §3 (freshness, coalescing, the trailing fetch, error
// back-off, latest-wins, loud or silent), checked with snapshot.can() and the emitted events, no registry.
import { describe, expect, it } from 'vitest';
import { type Actor, createActor } from 'xstate';
import {
  createEntryMachine,
  type EntryEmitted,
  type EntryEvent,
  type EntryMachine,
  type StampedData,
} from '../src/machines/entry.machine';

const STALENESS = 1_000;
const ERROR_RETRY = 500;

/** A machine on a clock the test moves, its actor, and every event it emitted. */
function entry() {
  const clock = { now: 10_000 };
  const machine = createEntryMachine({
    stalenessFor: () => STALENESS,
    merge: (previous, next) => ({ ...(previous as object), ...(next as object) }),
    errorRetryMs: ERROR_RETRY,
    now: () => clock.now,
  });
  const actor: Actor<EntryMachine> = createActor(machine, { input: undefined });
  const emitted: EntryEmitted[] = [];
  actor.on('*', (event) => emitted.push(event as EntryEmitted));
  actor.start();
  const send = (event: EntryEvent): EntryEmitted[] => {
    const from = emitted.length;
    actor.send(event);
    return emitted.slice(from);
  };
  return { clock, actor, send, snapshot: () => actor.getSnapshot() };
}

const read = (level = 'default'): EntryEvent => ({ type: 'REQUEST', level, mode: 'read' });
const force = (loud?: boolean, level = 'default'): EntryEvent => ({
  type: 'REQUEST',
  level,
  mode: 'force',
  loud,
});
const result = (data: unknown, at: number, level = 'default', stamps = [level]): StampedData => ({
  level,
  data,
  stamps,
  at,
});
const resolve = (qid: number, data: unknown, at: number, level = 'default'): EntryEvent => ({
  type: 'RESOLVE',
  qid,
  result: result(data, at, level),
});
const reject = (qid: number, level = 'default'): EntryEvent => ({
  type: 'REJECT',
  level,
  qid,
  error: new Error('down'),
});

describe('a request', () => {
  it('starts a loud fetch of a level not held yet, under the next query id', () => {
    const { send, snapshot } = entry();
    expect(send(read())).toEqual([
      { type: 'fetchStarted', level: 'default', qid: 1, loud: true, trailing: false },
    ]);
    expect(snapshot().value).toBe('fetching');
    expect(snapshot().context.lastQid).toBe(1);
    expect(snapshot().context.levels.default).toMatchObject({ qid: 1, loud: true, queued: 'none' });
  });

  it('a plain read of a fetch in flight coalesces without queueing', () => {
    const { send, snapshot } = entry();
    send(read());
    const before = snapshot();
    expect(send(read())).toEqual([
      { type: 'fetchCoalesced', level: 'default', qid: 1, queued: false, mode: 'read' },
    ]);
    expect(snapshot().context).toBe(before.context);
  });

  it('a forced read, a directive or a resync in flight queues one trailing fetch; loud wins', () => {
    const { send, snapshot, clock } = entry();
    send(read());
    send({ type: 'REQUEST', level: 'default', mode: 'directive' });
    expect(snapshot().context.levels.default?.queued).toBe('silent');
    send(force(true));
    send({ type: 'REQUEST', level: 'default', mode: 'resync' });
    expect(snapshot().context.levels.default?.queued).toBe('loud');

    expect(send(resolve(1, { v: 1 }, clock.now))).toEqual([
      { type: 'fetchStarted', level: 'default', qid: 2, loud: true, trailing: true },
    ]);
    expect(snapshot().value).toBe('fetching');
    expect(snapshot().context.levels.default).toMatchObject({ qid: 2, queued: 'none', at: clock.now });
  });

  it('a plain read of a fresh level is skipped; a forced read fetches, silently', () => {
    const { send, snapshot, clock } = entry();
    send(read());
    send(resolve(1, { v: 1 }, clock.now));
    expect(snapshot().value).toBe('fresh');

    expect(send(read())).toEqual([{ type: 'fetchSkipped', level: 'default', reason: 'fresh' }]);
    expect(snapshot().value).toBe('fresh');
    expect(send(force())).toEqual([
      { type: 'fetchStarted', level: 'default', qid: 2, loud: false, trailing: false },
    ]);
  });

  it('a read with loud false never shows loading; directives and resyncs never do', () => {
    const quiet = entry();
    expect(quiet.send({ type: 'REQUEST', level: 'default', mode: 'read', loud: false })[0]).toMatchObject({
      loud: false,
    });
    const directive = entry();
    expect(directive.send({ type: 'REQUEST', level: 'default', mode: 'directive' })[0]).toMatchObject({
      loud: false,
    });
  });
});

describe('answers (latest-wins)', () => {
  it('only the active query of a level in flight is answered', () => {
    const { send, snapshot, clock } = entry();
    expect(snapshot().can(resolve(1, {}, clock.now))).toBe(false);
    send(read());
    expect(snapshot().can(resolve(1, {}, clock.now))).toBe(true);
    expect(snapshot().can(resolve(2, {}, clock.now))).toBe(false);
    expect(snapshot().can(reject(1))).toBe(true);
    expect(snapshot().can(reject(1, 'other'))).toBe(false);
  });

  it('a result applied mid-flight supersedes the fetch: its answer is no longer taken', () => {
    const { send, snapshot, clock } = entry();
    send(read());
    send(force());
    expect(send({ type: 'APPLY_RESULT', results: [result({ v: 2 }, clock.now)] })).toEqual([
      { type: 'fetchSuperseded', level: 'default', qid: 1 },
    ]);
    expect(snapshot().value).toBe('fresh');
    expect(snapshot().context.levels.default).toMatchObject({ qid: null, queued: 'none' });
    expect(snapshot().can(resolve(1, { v: 1 }, clock.now))).toBe(false);
  });

  it('an outdated result changes nothing and supersedes nothing', () => {
    const { send, snapshot, clock } = entry();
    send(read());
    send(resolve(1, { v: 1 }, clock.now));
    send(force());
    expect(send({ type: 'APPLY_RESULT', results: [result({ v: 0 }, clock.now - 1)] })).toEqual([]);
    expect(snapshot().context.data).toEqual({ v: 1 });
    expect(snapshot().value).toBe('fetching');
  });
});

describe('errors', () => {
  it('a failed fetch keeps the data; plain reads wait errorRetryMs, forced reads retry at once', () => {
    const { send, snapshot, clock } = entry();
    send(read());
    send(resolve(1, { v: 1 }, clock.now));
    clock.now += STALENESS;
    send(read());
    send(reject(2));
    expect(snapshot().value).toBe('error');
    expect(snapshot().context.data).toEqual({ v: 1 });

    expect(send(read())).toEqual([{ type: 'fetchSkipped', level: 'default', reason: 'error-retry-wait' }]);
    clock.now += ERROR_RETRY;
    expect(send(read())[0]).toMatchObject({ type: 'fetchStarted', qid: 3 });
    send(reject(3));
    expect(send(force())[0]).toMatchObject({ type: 'fetchStarted', qid: 4 });
    send(resolve(4, { v: 4 }, clock.now));
    expect(snapshot().value).toBe('fresh');
    expect(snapshot().context.error).toBeNull();
  });
});

describe('staleness', () => {
  it('a fresh entry goes stale only once its time is up', () => {
    const { send, snapshot, clock } = entry();
    send(read());
    send(resolve(1, { v: 1 }, clock.now));
    expect(snapshot().can({ type: 'STALENESS_ELAPSED' })).toBe(false);
    clock.now += STALENESS;
    expect(snapshot().can({ type: 'STALENESS_ELAPSED' })).toBe(true);
    send({ type: 'STALENESS_ELAPSED' });
    expect(snapshot().value).toBe('stale');
    expect(send(read())[0]).toMatchObject({ type: 'fetchStarted', loud: false });
  });

  it('INVALIDATE marks the named levels stale; an entry holding nothing stays idle', () => {
    const held = entry();
    held.send(read());
    held.send(resolve(1, { v: 1 }, held.clock.now));
    held.send({ type: 'INVALIDATE', levels: ['default'] });
    expect(held.snapshot().value).toBe('stale');

    const empty = entry();
    empty.send({ type: 'INVALIDATE' });
    expect(empty.snapshot().value).toBe('idle');
  });
});
