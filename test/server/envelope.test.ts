// Pure parts: envelope encoding, Last-Event-ID parsing, the handshake plan, the in-memory backplane.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  envelopeFrame,
  envelopeTemplate,
  HEARTBEAT_FRAME,
  helloFrame,
  parseLastEventId,
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
      const frames = createSseParser()(decode(envelopeFrame(seq, data)));
      expect(frames).toEqual([{ kind: 'event', id: String(seq), data }]);
    },
  );

  it('a hello has no id line; a heartbeat is a comment', () => {
    expect(decode(helloFrame('global', 4, true))).toBe(
      'data: {"type":"hello","audience":"global","last_seq":4,"resumed":true}\n\n',
    );
    expect(decode(HEARTBEAT_FRAME)).toBe(': keep-alive\n\n');
  });

  it.each([
    ['12', 12],
    [' 7 ', 7],
    ['0', 0],
    ['', null],
    ['-1', null],
    ['1.5', null],
    ['abc', null],
    ['1e3', null],
    [null, null],
  ])('Last-Event-ID %j reads as %j', (input, expected) => {
    expect(parseLastEventId(input)).toBe(expected);
  });
});

describe('planHandshake', () => {
  const held = (seqs: number[]): BackplaneEnvelope[] =>
    seqs.map((seq) => ({ audience: 'g', seq, data: '{}' }));

  it('no resume point: resumed false, nothing replayed', () => {
    expect(planHandshake(null, { lastSeq: 5, missed: [] })).toEqual({
      lastSeq: 5,
      resumed: false,
      replay: [],
    });
  });
  it('every missed envelope held: resumed true, all replayed', () => {
    expect(planHandshake(3, { lastSeq: 5, missed: held([4, 5]) })).toEqual({
      lastSeq: 5,
      resumed: true,
      replay: held([4, 5]),
    });
  });
  it('some missed envelope no longer held: resumed false, nothing replayed', () => {
    expect(planHandshake(1, { lastSeq: 5, missed: null })).toEqual({
      lastSeq: 5,
      resumed: false,
      replay: [],
    });
  });
  it('a resume point above the current seq (a reset): resumed false', () => {
    expect(planHandshake(9, { lastSeq: 5, missed: [] })).toEqual({ lastSeq: 5, resumed: false, replay: [] });
  });
});

describe('the in-memory backplane', () => {
  const template = envelopeTemplate('g', null, [{ op: 'refresh_collection', name: 'x' }]);

  test.prop([
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 10 }),
    fc.integer({ min: 0, max: 45 }),
  ])(
    'a snapshot replays all of (after, last] or nothing, and holds exactly `retain` envelopes',
    async (emits, retain, after) => {
      const backplane = new MemoryBackplane();
      for (let i = 0; i < emits; i++) await backplane.publish('g', template, { retain });
      const { lastSeq, missed } = await backplane.snapshot('g', after);
      expect(lastSeq).toBe(emits);
      if (after >= emits) expect(missed).toEqual([]);
      else if (emits - after <= retain) {
        expect(missed?.map((e) => e.seq)).toEqual(
          Array.from({ length: emits - after }, (_, i) => after + 1 + i),
        );
      } else expect(missed).toBeNull();
    },
  );
});
