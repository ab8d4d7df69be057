// The frame writer and the frame reader agree (SPEC §1.2): whatever the server writes, the client reads back unchanged.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { formatEventId, isEpoch, newEpoch, parseEventId } from '../../src/protocol/epoch';
import { parseFrame } from '../../src/protocol/frame-reader';
import { envelopeFrame, envelopeTemplate, helloFrame, renderEnvelope } from '../../src/protocol/frame-writer';
import { createSseParser, type SseFrame } from '../support/sse-client';

const text = fc.string({ unit: 'binary' });
const epoch = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter(isEpoch);
const seq = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const directive = fc
  .dictionary(text, fc.jsonValue())
  .map((fields) => ({ ...fields, op: 'refresh_collection' }));

/**
 * Reads bytes the way a client receives them: in chunks cut anywhere, even inside a multi-byte
 * character, decoded as a stream, then split into SSE events.
 */
function receive(bytes: Uint8Array, cuts: number[]): SseFrame[] {
  const decoder = new TextDecoder();
  const parse = createSseParser();
  const frames: SseFrame[] = [];
  let start = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    frames.push(...parse(decoder.decode(bytes.subarray(start, cut), { stream: true })));
    start = cut;
  }
  frames.push(...parse(decoder.decode()));
  return frames;
}

describe('frame round trip', () => {
  test.prop([text, fc.option(text, { nil: null }), fc.array(directive), epoch, seq, fc.array(fc.nat())])(
    'an envelope comes back with its id `<epoch>:<seq>` and every field as sent',
    (audience, source, directives, runEpoch, n, cuts) => {
      const data = renderEnvelope(envelopeTemplate(audience, source, directives), n);
      const frames = receive(envelopeFrame({ epoch: runEpoch, seq: n }, data), cuts);
      expect(frames).toHaveLength(1);
      const [frame] = frames;
      if (frame?.kind !== 'event') throw new Error('expected an event');
      expect(parseEventId(frame.id)).toEqual({ epoch: runEpoch, seq: n });
      const parsed = parseFrame(frame.data, 0);
      expect(parsed).toEqual({
        ok: true,
        message: {
          type: 'directives',
          seq: n,
          audience,
          ...(source === null ? {} : { source }),
          directives: JSON.parse(JSON.stringify(directives)),
        },
      });
    },
  );

  test.prop([text, fc.option(epoch, { nil: null }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.boolean()])(
    'a hello comes back with no id and its epoch, last_seq and resumed as sent',
    (audience, runEpoch, lastSeq, resumed) => {
      const frames = receive(helloFrame({ audience, epoch: runEpoch, lastSeq, resumed }), []);
      expect(frames).toEqual([{ kind: 'event', id: null, data: expect.any(String) }]);
      const frame = frames[0] as Extract<SseFrame, { kind: 'event' }>;
      expect(parseFrame(frame.data, 0)).toEqual({
        ok: true,
        message: {
          type: 'hello',
          audience,
          ...(runEpoch === null ? {} : { epoch: runEpoch }),
          last_seq: lastSeq,
          resumed,
        },
      });
    },
  );

  test.prop([fc.option(epoch, { nil: null }), fc.nat({ max: Number.MAX_SAFE_INTEGER })])(
    'an event id parses back to the point it was made from',
    (runEpoch, n) => {
      expect(parseEventId(formatEventId({ epoch: runEpoch, seq: n }))).toEqual({ epoch: runEpoch, seq: n });
    },
  );

  test.prop([fc.constant(null)], { numRuns: 200 })('a minted epoch is always a valid token', () => {
    expect(isEpoch(newEpoch())).toBe(true);
  });
});
