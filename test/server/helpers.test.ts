// respondWithDirectives and readClientId (SPEC §1.3, §4).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readClientId, respondWithDirectives } from '../../src/server/index';

const directive = { op: 'refresh_collection', name: 'todos' };

describe('respondWithDirectives', () => {
  it('returns a new body with the directives added, leaving the input alone', () => {
    const body = { id: 7, title: 'Buy milk' };
    const out = respondWithDirectives(body, [directive]);
    expect(out).toEqual({ id: 7, title: 'Buy milk', directives: [directive] });
    expect(out).not.toBe(body);
    expect(body).toEqual({ id: 7, title: 'Buy milk' });
  });

  it('appends to directives the body already carries', () => {
    const first = { op: 'refresh_item', name: 'todo', id: 7 };
    expect(respondWithDirectives({ directives: [first] }, [directive]).directives).toEqual([
      first,
      directive,
    ]);
  });

  it('makes a body from nothing', () => {
    expect(respondWithDirectives(null, [directive])).toEqual({ directives: [directive] });
  });

  it('refuses arrays and non-array directives with a message that says what to do', () => {
    expect(() => respondWithDirectives([1, 2], [directive])).toThrow(/plain JSON object/);
    // @ts-expect-error: directives must be an array
    expect(() => respondWithDirectives({}, directive)).toThrow(/array of directives/);
  });
});

describe('readClientId', () => {
  it('reads a web Request: the X-Verity-Client-ID header or the client_id query parameter', () => {
    expect(readClientId(new Request('http://x.test/m', { headers: { 'X-Verity-Client-ID': 'abc' } }))).toBe(
      'abc',
    );
    expect(readClientId(new Request('http://x.test/events?client_id=q1'))).toBe('q1');
    expect(readClientId(new Request('http://x.test/m'))).toBeNull();
    expect(
      readClientId(new Request('http://x.test/m', { headers: { 'x-verity-client-id': '  ' } })),
    ).toBeNull();
  });

  it('reads a node IncomingMessage the same way', async () => {
    const seen: Array<string | null> = [];
    const server = http.createServer((req, res) => {
      seen.push(readClientId(req));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await fetch(`${base}/m`, { method: 'POST', headers: { 'X-Verity-Client-ID': 'node-1' } });
    await fetch(`${base}/events?client_id=node-2`);
    await fetch(`${base}/m`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(seen).toEqual(['node-1', 'node-2', null]);
  });
});
