// Contract: the client and the server SDK throw one VerityError class, so `instanceof` holds across entry points.
import { describe, expect, it } from 'vitest';
import { VerityError as ClientVerityError } from '../../src/index';
import { createDirectiveHub, VerityError } from '../../src/server/index';

describe('VerityError across entry points', () => {
  it('an emit on a closed hub rejects with the same VerityError the client exports', async () => {
    const hub = createDirectiveHub();
    await hub.close();
    const error = await hub
      .emit([{ op: 'refresh_collection', name: 'todos' }])
      .catch((thrown: unknown) => thrown);
    expect(VerityError).toBe(ClientVerityError);
    expect(error).toBeInstanceOf(ClientVerityError);
    expect((error as ClientVerityError).code).toBe('HUB_CLOSED');
  });
});
