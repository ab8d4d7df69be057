// hub.emit and respondWithDirectives refuse what every client would reject, with the clients' own rules (SPEC §4).
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeDirectives } from '../../src/protocol/directive';
import { assertDirectives } from '../../src/protocol/directive-check';
import { createDirectiveHub, type Directive, respondWithDirectives } from '../../src/server/index';

const rejectedByEveryClient: readonly [string, Directive, RegExp][] = [
  ['a misspelt op', { op: 'refresh_itme', name: 'todo', id: 1 }, /unknown op "refresh_itme"/],
  ['refresh_item without an id', { op: 'refresh_item', name: 'todo' }, /id must be/],
  [
    'array params',
    { op: 'refresh_collection', name: 'todos', params: [1, 2] },
    /params must be a plain object/,
  ],
  ['a missing name', { op: 'refresh_collection' }, /name must be a non-empty string/],
  [
    'a bad target inside a group',
    { op: 'invalidate', targets: [{ op: 'refresh_item', name: 't' }] },
    /id must be/,
  ],
  ['a bad params_mode', { op: 'refresh_collection', name: 't', params_mode: 'fuzzy' }, /params_mode/],
];

const acceptedByClients: readonly Directive[] = [
  { op: 'refresh_collection', name: 'todos', params: { done: false }, params_mode: 'contains' },
  { op: 'refresh_item', name: 'todo', id: 7, level: 'detail', result: { data: { title: 'x' } } },
  { op: 'refresh', kind: 'item', name: 'todo', id: '7' },
  { op: 'invalidate', targets: [{ op: 'refresh_collection', name: 'todos' }] },
  { op: 'force_reload_page', hard: true },
  // Names are the client's business: an unregistered one is skipped there, not malformed.
  { op: 'refresh_collection', name: 'not-registered-anywhere' },
];

describe('hub.emit validates directives with the client code', () => {
  const hub = createDirectiveHub();
  afterAll(() => hub.close());

  it.each(rejectedByEveryClient)(
    'refuses %s with INVALID_DIRECTIVES and the reason',
    async (_, bad, reason) => {
      const emitted = hub.emit([{ op: 'refresh_collection', name: 'fine' }, bad]);
      await expect(emitted).rejects.toMatchObject({ name: 'VerityError', code: 'INVALID_DIRECTIVES' });
      await expect(emitted).rejects.toThrow(/directive #1 would be rejected by every client/);
      await expect(emitted).rejects.toThrow(reason);
    },
  );

  it('sends nothing when one directive is refused: the seq is not spent', async () => {
    const fresh = createDirectiveHub();
    await expect(fresh.emit([{ op: 'refresh_itme', name: 'todo', id: 1 }])).rejects.toThrow();
    await expect(fresh.emit([{ op: 'refresh_collection', name: 'todos' }])).resolves.toEqual({ seq: 1 });
    await fresh.close();
  });

  it('accepts every shape a client accepts', async () => {
    await expect(hub.emit([...acceptedByClients])).resolves.toMatchObject({ seq: expect.any(Number) });
  });
});

describe('respondWithDirectives validates directives with the client code', () => {
  it.each(rejectedByEveryClient)('refuses %s', (_, bad, reason) => {
    expect(() => respondWithDirectives({ ok: true }, [bad])).toThrow(reason);
    expect(() => respondWithDirectives({ ok: true }, [bad])).toThrow(
      expect.objectContaining({ code: 'INVALID_DIRECTIVES' }),
    );
  });

  it('accepts every shape a client accepts, and an empty list', () => {
    expect(respondWithDirectives({}, [...acceptedByClients]).directives).toEqual(acceptedByClients);
    expect(respondWithDirectives({ id: 1 }, [])).toEqual({ id: 1, directives: [] });
  });
});

describe('assertDirectives agrees with normalizeDirectives', () => {
  it('throws exactly when the client would reject something', () => {
    for (const directive of [...rejectedByEveryClient.map(([, d]) => d), ...acceptedByClients]) {
      const clientRejects =
        normalizeDirectives(directive, { maxDirectivesPerBatch: 1000 }).rejected.length > 0;
      const check = () => assertDirectives([directive], 'test', { allowEmpty: true });
      if (clientRejects) expect(check).toThrow();
      else expect(check).not.toThrow();
    }
  });
});
