// The per-audience sequence contract of SPEC §3 Stream, rule by rule, with properties and marbles.
import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { DirectivesEnvelope, HelloMessage, StreamMessage } from '../../src/protocol/frame-reader';
import { type SeqObservation, SequenceTracker, trackSequences } from '../../src/transport/sequence';

const envelope = (seq: number | undefined, extra: Partial<DirectivesEnvelope> = {}): DirectivesEnvelope => ({
  type: 'directives',
  ...(seq === undefined ? {} : { seq }),
  directives: [],
  ...extra,
});
const hello = (last_seq: number, extra: Partial<HelloMessage> = {}): HelloMessage => ({
  type: 'hello',
  last_seq,
  resumed: false,
  ...extra,
});

function trackerAt(seq: number, audience = 'global'): SequenceTracker {
  const tracker = new SequenceTracker('global');
  tracker.observe(hello(seq, { audience }));
  return tracker;
}

describe('SequenceTracker (SPEC §3 Stream)', () => {
  it('the first hello for an audience only sets the baseline', () => {
    const tracker = new SequenceTracker('global');
    expect(tracker.observe(hello(41))).toEqual({ kind: 'baseline', audience: 'global', seq: 41 });
    expect(tracker.last('global')).toBe(41);
  });

  it('the first envelope for an audience only sets the baseline, however far from 1 it is', () => {
    const tracker = new SequenceTracker('global');
    expect(tracker.observe(envelope(900))).toEqual({ kind: 'baseline', audience: 'global', seq: 900 });
    expect(tracker.observe(envelope(901))).toEqual({ kind: 'next', audience: 'global', seq: 901 });
  });

  it('an envelope one above the last seq is next and advances it', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(envelope(6))).toEqual({ kind: 'next', audience: 'global', seq: 6 });
    expect(tracker.last('global')).toBe(6);
  });

  it('an envelope whose seq is not above the last one is a duplicate and changes nothing', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(envelope(5))).toEqual({
      kind: 'duplicate',
      audience: 'global',
      lastSeq: 5,
      incomingSeq: 5,
    });
    expect(tracker.observe(envelope(2))).toEqual({
      kind: 'duplicate',
      audience: 'global',
      lastSeq: 5,
      incomingSeq: 2,
    });
    expect(tracker.last('global')).toBe(5);
  });

  it('an envelope more than one above the last seq is a gap, and the seq moves to it', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(envelope(9))).toEqual({
      kind: 'gap',
      audience: 'global',
      lastSeq: 5,
      incomingSeq: 9,
    });
    expect(tracker.last('global')).toBe(9);
    expect(tracker.observe(envelope(10))).toMatchObject({ kind: 'next', seq: 10 });
  });

  it('a hello with resumed:false whose last_seq is above the stored one is a gap', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(hello(8, { resumed: false }))).toEqual({
      kind: 'gap',
      audience: 'global',
      lastSeq: 5,
      incomingSeq: 8,
    });
    expect(tracker.last('global')).toBe(8);
  });

  it('a hello without resumed counts as resumed:false', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe({ type: 'hello', last_seq: 6 })).toMatchObject({ kind: 'gap' });
  });

  it('a hello with resumed:true above the stored seq is not a gap: the replay that follows advances it', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(hello(8, { resumed: true }))).toEqual({
      kind: 'in-sync',
      audience: 'global',
      seq: 5,
    });
    expect(tracker.last('global')).toBe(5);
    expect([6, 7, 8].map((seq) => tracker.observe(envelope(seq)).kind)).toEqual(['next', 'next', 'next']);
  });

  it('a hello whose last_seq equals the stored one is in sync', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(hello(5))).toEqual({ kind: 'in-sync', audience: 'global', seq: 5 });
  });

  it('a hello whose last_seq is below the stored one is a reset: the stored seq takes the new value', () => {
    const tracker = trackerAt(50);
    expect(tracker.observe(hello(3))).toEqual({
      kind: 'reset',
      audience: 'global',
      lastSeq: 50,
      incomingSeq: 3,
    });
    expect(tracker.last('global')).toBe(3);
    expect(tracker.observe(envelope(4))).toMatchObject({ kind: 'next', seq: 4 });
  });

  it('a reset is a reset even when the hello says resumed:true', () => {
    const tracker = trackerAt(50);
    expect(tracker.observe(hello(0, { resumed: true }))).toMatchObject({ kind: 'reset', incomingSeq: 0 });
  });

  it('own-source envelopes still advance the stored seq', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(envelope(6, { source: 'me' }))).toMatchObject({ kind: 'next' });
    expect(tracker.observe(envelope(7, { source: 'someone-else' }))).toMatchObject({ kind: 'next' });
  });

  it('an envelope without seq is applied but not tracked', () => {
    const tracker = trackerAt(5);
    expect(tracker.observe(envelope(undefined))).toEqual({ kind: 'untracked', audience: 'global' });
    expect(tracker.last('global')).toBe(5);
  });

  it('sequences are tracked per audience', () => {
    const tracker = new SequenceTracker('global');
    tracker.observe(hello(10, { audience: 'global' }));
    expect(tracker.observe(envelope(1, { audience: 'team-7' }))).toMatchObject({
      kind: 'baseline',
      audience: 'team-7',
    });
    expect(tracker.observe(envelope(11))).toMatchObject({ kind: 'next', audience: 'global' });
    expect(tracker.observe(envelope(3, { audience: 'team-7' }))).toMatchObject({
      kind: 'gap',
      audience: 'team-7',
    });
    expect(tracker.last('global')).toBe(11);
    expect(tracker.last('team-7')).toBe(3);
    expect(tracker.last('nobody')).toBeNull();
  });

  it('a message without audience belongs to the default audience, whose seq is the resume point', () => {
    const tracker = new SequenceTracker('tenant-1');
    expect(tracker.resumePoint('tenant-1')).toBeNull();
    tracker.observe(envelope(4));
    tracker.observe(envelope(2, { audience: 'other' }));
    expect(tracker.last('tenant-1')).toBe(4);
    expect(tracker.resumePoint('tenant-1')).toBe('4');
  });

  it('forget clears every audience, so the next message is a baseline again', () => {
    const tracker = trackerAt(5);
    tracker.observe(envelope(1, { audience: 'b' }));
    tracker.forget();
    expect(tracker.resumePoint('global')).toBeNull();
    expect(tracker.last('b')).toBeNull();
    expect(tracker.observe(envelope(2))).toMatchObject({ kind: 'baseline', seq: 2 });
  });
});

/** Records: values above the running max. Everything else is a duplicate. */
function model(delivered: number[]) {
  let max = 0;
  const records: number[] = [];
  const duplicates: number[] = [];
  for (const seq of delivered) {
    if (seq > max) {
      records.push(seq);
      max = seq;
    } else duplicates.push(seq);
  }
  return { records, duplicates };
}

function observeAfterBaseline(delivered: number[]): SeqObservation[] {
  const tracker = new SequenceTracker('global');
  tracker.observe(hello(0));
  return delivered.map((seq) => tracker.observe(envelope(seq)));
}

const isGapFree = (delivered: number[]) => delivered.every((seq, i) => seq === i + 1);

describe('SequenceTracker properties', () => {
  it('any delivery of seqs 1..n with duplicates: gaps iff a hole, duplicates are exactly the non-increasing ones', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 12 })
          .chain((n) => fc.array(fc.integer({ min: 1, max: n }), { maxLength: 40 })),
        (delivered) => {
          const observations = observeAfterBaseline(delivered);
          const { records, duplicates } = model(delivered);
          const gaps = observations.filter((o) => o.kind === 'gap');
          const recordsGapFree = records.every((seq, i) => seq === i + 1);
          expect(gaps.length === 0).toBe(recordsGapFree);
          expect(observations.flatMap((o) => (o.kind === 'duplicate' ? [o.incomingSeq] : []))).toEqual(
            duplicates,
          );
          expect(
            observations.every((o) => o.kind === 'next' || o.kind === 'gap' || o.kind === 'duplicate'),
          ).toBe(true);
        },
      ),
    );
  });

  it('a permutation of 1..n has no gap iff it is delivered in order, and none is a duplicate', () => {
    const permutation = fc.integer({ min: 1, max: 6 }).chain((n) => {
      const seqs = Array.from({ length: n }, (_, i) => i + 1);
      return fc.oneof(fc.constant(seqs), fc.shuffledSubarray(seqs, { minLength: n, maxLength: n }));
    });
    fc.assert(
      fc.property(permutation, (delivered) => {
        const observations = observeAfterBaseline(delivered);
        const gaps = observations.filter((o) => o.kind === 'gap');
        expect(gaps.length === 0).toBe(isGapFree(delivered));
        expect(observations.filter((o) => o.kind === 'duplicate').length).toBe(
          model(delivered).duplicates.length,
        );
      }),
    );
  });

  it('a permutation with every seq delivered twice: in order and once each is the only gap-free case', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) => {
          const seqs = Array.from({ length: n }, (_, i) => i + 1);
          return fc.shuffledSubarray([...seqs, ...seqs], { minLength: 2 * n, maxLength: 2 * n });
        }),
        (delivered) => {
          const observations = observeAfterBaseline(delivered);
          const { records, duplicates } = model(delivered);
          expect(observations.some((o) => o.kind === 'gap')).toBe(!records.every((seq, i) => seq === i + 1));
          expect(observations.flatMap((o) => (o.kind === 'duplicate' ? [o.incomingSeq] : []))).toEqual(
            duplicates,
          );
          expect(duplicates.length).toBeGreaterThanOrEqual(delivered.length / 2);
        },
      ),
    );
  });
});

describe('trackSequences', () => {
  const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('pairs each message with its observation, in order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const messages: Record<string, StreamMessage> = {
        h: hello(3),
        a: envelope(4),
        d: envelope(4),
        g: envelope(7),
        u: envelope(undefined),
        r: hello(1),
      };
      const source = cold('h-a-d-g-u-r|', messages);
      const tracker = new SequenceTracker('global');
      expectObservable(source.pipe(trackSequences(tracker))).toBe('h-a-d-g-u-r|', {
        h: { message: messages.h, observation: { kind: 'baseline', audience: 'global', seq: 3 } },
        a: { message: messages.a, observation: { kind: 'next', audience: 'global', seq: 4 } },
        d: {
          message: messages.d,
          observation: { kind: 'duplicate', audience: 'global', lastSeq: 4, incomingSeq: 4 },
        },
        g: {
          message: messages.g,
          observation: { kind: 'gap', audience: 'global', lastSeq: 4, incomingSeq: 7 },
        },
        u: { message: messages.u, observation: { kind: 'untracked', audience: 'global' } },
        r: {
          message: messages.r,
          observation: { kind: 'reset', audience: 'global', lastSeq: 7, incomingSeq: 1 },
        },
      });
    });
  });

  it('keeps the tracker state across resubscriptions, so a reconnect continues the sequence', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const tracker = new SequenceTracker('global');
      const first = cold<StreamMessage>('a-b|', { a: envelope(1), b: envelope(2) });
      const second = cold<StreamMessage>('---h-c|', { h: hello(2, { resumed: true }), c: envelope(3) });
      expectObservable(first.pipe(trackSequences(tracker))).toBe('a-b|', {
        a: { message: envelope(1), observation: { kind: 'baseline', audience: 'global', seq: 1 } },
        b: { message: envelope(2), observation: { kind: 'next', audience: 'global', seq: 2 } },
      });
      expectObservable(second.pipe(trackSequences(tracker))).toBe('---h-c|', {
        h: {
          message: hello(2, { resumed: true }),
          observation: { kind: 'in-sync', audience: 'global', seq: 2 },
        },
        c: { message: envelope(3), observation: { kind: 'next', audience: 'global', seq: 3 } },
      });
    });
  });
});

describe('epochs (SPEC §1.2, §3 Stream)', () => {
  const at = (seq: number, epoch: string) => {
    const tracker = new SequenceTracker('global');
    tracker.observe(hello(seq, { epoch }));
    return tracker;
  };

  it('a hello of another epoch is a restart whatever the numbers, even a resumed one', () => {
    for (const [incoming, resumed] of [
      [9, false],
      [5, false],
      [2, false],
      [9, true],
      [5, true],
    ] as const) {
      const tracker = at(5, 'e1');
      expect(tracker.observe(hello(incoming, { epoch: 'e2', resumed }))).toEqual({
        kind: 'epoch',
        audience: 'global',
        lastSeq: 5,
        incomingSeq: incoming,
      });
      // The stored seq and epoch take the new values: the next envelope of the new run is next.
      expect(tracker.resumePoint('global')).toBe(`e2:${incoming}`);
      expect(tracker.observe(envelope(incoming + 1))).toMatchObject({ kind: 'next' });
    }
  });

  it('within one epoch the seq rules are unchanged', () => {
    expect(at(5, 'e1').observe(hello(5, { epoch: 'e1' }))).toMatchObject({ kind: 'in-sync' });
    expect(at(5, 'e1').observe(hello(8, { epoch: 'e1', resumed: true }))).toMatchObject({ kind: 'in-sync' });
    expect(at(5, 'e1').observe(hello(8, { epoch: 'e1' }))).toMatchObject({ kind: 'gap' });
    expect(at(5, 'e1').observe(hello(2, { epoch: 'e1' }))).toMatchObject({ kind: 'reset' });
  });

  it('a hello without an epoch keeps the last_seq rules, and the resume point goes back to a bare seq', () => {
    const tracker = at(5, 'e1');
    expect(tracker.observe(hello(5))).toMatchObject({ kind: 'in-sync' });
    expect(tracker.resumePoint('global')).toBe('5');
    // No epoch stored: the next epoch is learnt, not compared.
    expect(tracker.observe(hello(5, { epoch: 'e7' }))).toMatchObject({ kind: 'in-sync' });
    expect(tracker.resumePoint('global')).toBe('e7:5');
  });

  it('the resume point is `<epoch>:<seq>` of the last envelope seen, per audience', () => {
    const tracker = at(0, 'e1');
    tracker.observe(envelope(1));
    tracker.observe(envelope(2));
    tracker.observe(hello(0, { audience: 'team', epoch: 'e9' }));
    expect(tracker.resumePoint('global')).toBe('e1:2');
    expect(tracker.resumePoint('team')).toBe('e9:0');
    expect(tracker.resumePoint('nobody')).toBeNull();
  });

  it('property: whatever came before, a hello of a new epoch ends in that epoch at its last_seq', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 50 }), { maxLength: 20 }),
        fc.nat({ max: 50 }),
        fc.boolean(),
        (seqs, lastSeq, resumed) => {
          const tracker = at(0, 'old');
          for (const seq of seqs) tracker.observe(envelope(seq));
          const observation = tracker.observe(hello(lastSeq, { epoch: 'new', resumed }));
          expect(observation.kind).toBe('epoch');
          expect(tracker.resumePoint('global')).toBe(`new:${lastSeq}`);
        },
      ),
    );
  });
});
