// Pure parts: envelope encoding, Last-Event-ID parsing, the handshake plan, the in-memory backplane.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseEventId } from '../../src/protocol/epoch';
import {
  envelopeFrame,
  envelopeTemplate,
  HEARTBEAT_FRAME,
  helloFrame,
  renderEnvelope,
} from '../../src/protocol/frame-writer';
import type { BackplaneEnvelope } from '../../src/server/backplane';
import { planHandshake } from '../../src/server/handshake';
import { MemoryBackplane } from '../../src/server/memory-backplane';
import { createSseParser } from '../support/sse-client';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());
const directive = jsonObject.map((fields) => ({ ...fields, op: 'refresh_collection' }));

describe('envelope encoding', () => {
  test.prop([fc.string(), fc.option(fc.string(), { nil: null }), fc.array(directive), fc.nat()])(
    'head + seq + tail is the JSON of the envelope, fields in protocol order',
    (audience, source, directives, seq) => {
      const text = renderEnvelope(envelopeTemplate(audience, source, directives), seq);
      expect(text).toBe(JSON.stringify({ type: 'directives', seq, audience, source, directives }));
    },
  );

  test.prop([fc.string(), fc.array(directive), fc.nat()])(
    'an envelope frame parses back to one event with its id, whatever the directives contain',
    (audience, directives, seq) => {
      const data = renderEnvelope(envelopeTemplate(audience, null, directives), seq);
      const frames = createSseParser()(decode(envelopeFrame({ epoch: 'e1', seq }, data)));
      expect(frames).toEqual([{ kind: 'event', id: `e1:${seq}`, data }]);
    },
  );

  it('a hello has no id line; a heartbeat is a comment', () => {
    expect(decode(helloFrame({ audience: 'global', epoch: 'e1', lastSeq: 4, resumed: true }))).toBe(
      'data: {"type":"hello","audience":"global","epoch":"e1","last_seq":4,"resumed":true}\n\n',
    );
    expect(decode(HEARTBEAT_FRAME)).toBe(': keep-alive\n\n');
  });

  it.each([
    ['e1:12', { epoch: 'e1', seq: 12 }],
    [' 9f0c:7 ', { epoch: '9f0c', seq: 7 }],
    ['e1:0', { epoch: 'e1', seq: 0 }],
    // A bare seq is read, without an epoch: the hub then answers resumed false.
    ['12', { epoch: null, seq: 12 }],
    ['', null],
    [':5', null],
    ['e1:', null],
    ['e1:-1', null],
    ['e1:1.5', null],
    ['abc', null],
    ['e1:1e3', null],
    ['a b:3', null],
    [null, null],
  ])('Last-Event-ID %j reads as %j', (input, expected) => {
    expect(parseEventId(input)).toEqual(expected);
  });
});

describe('planHandshake', () => {
  const held = (seqs: number[]): BackplaneEnvelope[] =>
    seqs.map((seq) => ({ audience: 'g', epoch: 'e1', seq, data: '{}' }));
  const at = (seq: number, epoch: string | null = 'e1') => ({ epoch, seq });

  it('no resume point: resumed false, nothing replayed', () => {
    expect(planHandshake(null, { epoch: 'e1', lastSeq: 5, missed: [] })).toEqual({
      epoch: 'e1',
      lastSeq: 5,
      resumed: false,
      replay: [],
    });
  });
  it('every missed envelope held, same epoch: resumed true, all replayed', () => {
    expect(planHandshake(at(3), { epoch: 'e1', lastSeq: 5, missed: held([4, 5]) })).toEqual({
      epoch: 'e1',
      lastSeq: 5,
      resumed: true,
      replay: held([4, 5]),
    });
  });
  it('another epoch: resumed false whatever the numbers, nothing replayed', () => {
    expect(planHandshake(at(3, 'e0'), { epoch: 'e1', lastSeq: 5, missed: held([4, 5]) })).toEqual({
      epoch: 'e1',
      lastSeq: 5,
      resumed: false,
      replay: [],
    });
  });
  it('a bare seq (no epoch): resumed false', () => {
    expect(planHandshake(at(5, null), { epoch: 'e1', lastSeq: 5, missed: [] })).toMatchObject({
      resumed: false,
      replay: [],
    });
  });
  it('some missed envelope no longer held: resumed false, nothing replayed', () => {
    expect(planHandshake(at(1), { epoch: 'e1', lastSeq: 5, missed: null })).toEqual({
      epoch: 'e1',
      lastSeq: 5,
      resumed: false,
      replay: [],
    });
  });
  it('a resume point above the current seq: resumed false', () => {
    expect(planHandshake(at(9), { epoch: 'e1', lastSeq: 5, missed: [] })).toMatchObject({
      resumed: false,
      replay: [],
    });
  });
});

describe('the in-memory backplane', () => {
  const template = envelopeTemplate('g', null, [{ op: 'refresh_collection', name: 'x' }]);
  const memory = () => new MemoryBackplane({ idleAudienceMs: 0, inUse: () => false });

  test.prop([
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 10 }),
    fc.integer({ min: 0, max: 45 }),
  ])(
    'a snapshot replays all of (after, last] or nothing, and holds exactly `retain` envelopes',
    async (emits, retain, after) => {
      const backplane = memory();
      for (let i = 0; i < emits; i++) await backplane.publish('g', template, { retain });
      const { epoch } = await backplane.snapshot('g', null);
      const { lastSeq, missed } = await backplane.snapshot('g', { epoch, seq: after });
      expect(lastSeq).toBe(emits);
      if (after >= emits) expect(missed).toEqual([]);
      else if (emits - after <= retain) {
        expect(missed?.map((e) => e.seq)).toEqual(
          Array.from({ length: emits - after }, (_, i) => after + 1 + i),
        );
        expect(missed?.every((e) => e.epoch === epoch)).toBe(true);
      } else expect(missed).toBeNull();
    },
  );

  it('each backplane (each run of a hub) starts its own epoch, kept for the audience; another epoch replays nothing', async () => {
    const first = memory();
    const second = memory();
    await first.publish('g', template, { retain: 10 });
    const a = await first.snapshot('g', null);
    const b = await second.snapshot('g', null);
    expect(a.epoch).not.toBe(b.epoch);
    expect((await first.snapshot('g', null)).epoch).toBe(a.epoch);
    expect(await first.snapshot('g', { epoch: b.epoch, seq: 0 })).toEqual({
      epoch: a.epoch,
      lastSeq: 1,
      missed: null,
    });
  });
});
