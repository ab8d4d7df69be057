// The frame contract: which stream frames are messages, which are junk, and which are ignored.
import { describe, expect, it, vi } from 'vitest';
import { parseEnvelopeObject, parseFrame, utf8ByteLength } from '../../src/protocol/frame-reader';

const MAX = 1024;

function junkReason(data: string, max = MAX): string {
  const parsed = parseFrame(data, max);
  if (parsed.ok) throw new Error(`expected junk, parsed ${JSON.stringify(parsed.message)}`);
  expect(parsed.ignored).toBeUndefined();
  return parsed.reason;
}

describe('parseFrame: well-formed frames', () => {
  it('reads a directives envelope with every optional field', () => {
    const frame =
      '{"type":"directives","seq":42,"audience":"global","source":"client-abc","directives":[{"op":"x"}]}';
    expect(parseFrame(frame, MAX)).toEqual({
      ok: true,
      message: {
        type: 'directives',
        seq: 42,
        audience: 'global',
        source: 'client-abc',
        directives: [{ op: 'x' }],
      },
    });
  });

  it('reads a directives envelope without seq, audience or source', () => {
    expect(parseFrame('{"type":"directives","directives":[]}', MAX)).toEqual({
      ok: true,
      message: { type: 'directives', directives: [] },
    });
  });

  it('treats null optional fields as absent, as JSON has no undefined', () => {
    expect(
      parseFrame('{"type":"directives","seq":null,"audience":null,"source":null,"directives":[]}', MAX),
    ).toEqual({ ok: true, message: { type: 'directives', directives: [] } });
  });

  it('leaves the directives payload for the directive normaliser to judge', () => {
    const parsed = parseFrame('{"type":"directives","seq":1,"directives":{"op":"refresh_item"}}', MAX);
    expect(parsed).toMatchObject({ ok: true, message: { directives: { op: 'refresh_item' } } });
  });

  it('reads a hello, including last_seq 0 before any emit', () => {
    expect(parseFrame('{"type":"hello","audience":"global","last_seq":0,"resumed":false}', MAX)).toEqual({
      ok: true,
      message: { type: 'hello', audience: 'global', last_seq: 0, resumed: false },
    });
    expect(parseFrame('{"type":"hello","last_seq":7}', MAX)).toEqual({
      ok: true,
      message: { type: 'hello', last_seq: 7 },
    });
  });

  it('keeps only the fields of the contract', () => {
    expect(parseFrame('{"type":"hello","last_seq":3,"extra":"x"}', MAX)).toEqual({
      ok: true,
      message: { type: 'hello', last_seq: 3 },
    });
  });
});

describe('parseFrame: junk', () => {
  it.each([
    ['invalid JSON', '{"type":"directives",'],
    ['an empty frame', ''],
    ['a keep-alive text', 'keep-alive'],
    ['a JSON string', '"hello"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['a JSON array', '[{"type":"hello","last_seq":1}]'],
    ['an object without type', '{"seq":1,"directives":[]}'],
    ['a non-string type', '{"type":7,"directives":[]}'],
  ])('rejects %s', (_label, frame) => {
    expect(junkReason(frame)).not.toBe('');
  });

  it.each([
    ['a string seq', '"42"'],
    ['a zero seq', '0'],
    ['a negative seq', '-3'],
    ['a fractional seq', '1.5'],
    ['an unsafe seq', '9007199254740993'],
    ['a boolean seq', 'true'],
  ])('rejects a directives envelope with %s', (_label, seq) => {
    expect(junkReason(`{"type":"directives","seq":${seq},"directives":[]}`)).toMatch(/seq/);
  });

  it('rejects a directives envelope whose audience or source is not a string', () => {
    expect(junkReason('{"type":"directives","audience":5,"directives":[]}')).toMatch(/audience/);
    expect(junkReason('{"type":"directives","source":{"id":1},"directives":[]}')).toMatch(/source/);
  });

  it('rejects a directives envelope without directives', () => {
    expect(junkReason('{"type":"directives","seq":1}')).toMatch(/directives/);
  });

  it.each([
    ['a missing last_seq', '{"type":"hello"}'],
    ['a string last_seq', '{"type":"hello","last_seq":"3"}'],
    ['a negative last_seq', '{"type":"hello","last_seq":-1}'],
    ['a fractional last_seq', '{"type":"hello","last_seq":2.5}'],
    ['a null last_seq', '{"type":"hello","last_seq":null}'],
  ])('rejects a hello with %s', (_label, frame) => {
    expect(junkReason(frame)).toMatch(/last_seq/);
  });

  it('rejects a hello whose audience is not a string or whose resumed is not a boolean', () => {
    expect(junkReason('{"type":"hello","last_seq":1,"audience":["a"]}')).toMatch(/audience/);
    expect(junkReason('{"type":"hello","last_seq":1,"resumed":"yes"}')).toMatch(/resumed/);
  });

  it('reads a hello epoch, and rejects one that could not be part of an `<epoch>:<seq>` id', () => {
    expect(parseFrame('{"type":"hello","epoch":"9f0c1a","last_seq":3,"resumed":true}', MAX)).toEqual({
      ok: true,
      message: { type: 'hello', epoch: '9f0c1a', last_seq: 3, resumed: true },
    });
    // JSON has no undefined: a null epoch is a server without epochs.
    expect(parseFrame('{"type":"hello","epoch":null,"last_seq":3}', MAX)).toEqual({
      ok: true,
      message: { type: 'hello', last_seq: 3 },
    });
    for (const epoch of ['"a:b"', '"a b"', '""', '7', '["e"]']) {
      expect(junkReason(`{"type":"hello","epoch":${epoch},"last_seq":1}`)).toMatch(/epoch/);
    }
  });

  it('ignores other message types silently rather than calling them junk', () => {
    expect(parseFrame('{"type":"presence","users":3}', MAX)).toMatchObject({ ok: false, ignored: true });
  });
});

describe('parseFrame: size', () => {
  const envelopeOf = (payload: string) => `{"type":"directives","seq":1,"directives":["${payload}"]}`;

  it('accepts a frame of exactly maxFrameBytes and rejects one byte more', () => {
    const frame = envelopeOf('x'.repeat(100));
    const bytes = utf8ByteLength(frame);
    expect(parseFrame(frame, bytes).ok).toBe(true);
    expect(junkReason(frame, bytes - 1)).toMatch(/exceeds maxFrameBytes/);
  });

  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is 2 bytes, '€' 3, '😀' 4 (a surrogate pair, 2 code units).
    const frame = envelopeOf('é€😀');
    const ascii = envelopeOf('').length;
    expect(utf8ByteLength(frame)).toBe(ascii + 2 + 3 + 4);
    expect(frame.length).toBe(ascii + 4);
    expect(parseFrame(frame, ascii + 9).ok).toBe(true);
    expect(junkReason(frame, ascii + 8)).toMatch(/exceeds/);
  });

  it('agrees with TextEncoder, lone surrogates included', () => {
    for (const text of ['', 'abc', 'é', '€uro', '😀😀', '\ud800', 'a\udc00b', '\ud83d']) {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('rejects a huge frame without parsing it', () => {
    const frame = envelopeOf('x'.repeat(5_000_000));
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(junkReason(frame, MAX)).toMatch(/exceeds maxFrameBytes \(1024\)/);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('treats maxFrameBytes 0 as no bound', () => {
    expect(parseFrame(envelopeOf('x'.repeat(10_000)), 0).ok).toBe(true);
  });
});

describe('parseEnvelopeObject', () => {
  it('validates an already-parsed object the same way', () => {
    expect(parseEnvelopeObject({ type: 'directives', seq: 2, directives: [] })).toEqual({
      ok: true,
      message: { type: 'directives', seq: 2, directives: [] },
    });
    expect(parseEnvelopeObject({ type: 'directives', seq: '2', directives: [] })).toMatchObject({
      ok: false,
    });
    expect(parseEnvelopeObject(undefined)).toMatchObject({ ok: false });
    expect(parseEnvelopeObject(new Date())).toMatchObject({ ok: false });
    expect(parseEnvelopeObject({ type: 'ping' })).toMatchObject({ ok: false, ignored: true });
  });

  it('never throws, whatever it is given', () => {
    const hostile = {
      get type(): string {
        return 'directives';
      },
      seq: Number.NaN,
      directives: [],
    };
    for (const value of [hostile, Symbol('x'), () => 1, 10n, Object.create(null)]) {
      expect(() => parseEnvelopeObject(value)).not.toThrow();
      expect(parseEnvelopeObject(value).ok).toBe(false);
    }
  });
});
