// docs/server.md's emit script for other languages, run as written against a real redis-server: Node hubs stream what it emits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDirectiveHub } from '../../src/server/index';
import { redisBackplane } from '../../src/server/redis';
import { withRedis } from '../support/redis-server';
import { startHubServer } from '../support/server-harness';
import { openSse } from '../support/sse-client';

const docs = readFileSync(new URL('../../docs/server.md', import.meta.url), 'utf8');
const script = /A Python or Go process[\s\S]*?```lua\n([\s\S]*?)```/.exec(docs)?.[1];

describe('the documented emit script for servers in other languages', () => {
  const redis = withRedis();

  it('starts an epoch, continues the hub sequence, and reaches subscribers with an `<epoch>:<seq>` id', async () => {
    expect(script).toBeDefined();
    const prefix = 'foreign:';
    const hub = createDirectiveHub({ backplane: redisBackplane({ url: redis.server.url, prefix }) });
    const server = await startHubServer(hub);
    const foreignEmit = (id: number, epoch: string) =>
      redis.admin.eval(
        script!,
        3,
        `${prefix}{global}:seq`,
        `${prefix}{global}:stream`,
        `${prefix}{global}:epoch`,
        100,
        '{"type":"directives","seq":',
        `,"audience":"global","source":null,"directives":[{"op":"refresh_item","name":"todo","id":${id}}]}`,
        `${prefix}envelopes:global`,
        epoch,
      );
    try {
      // The first emit on an empty Redis starts the run with the epoch the caller made up.
      await expect(foreignEmit(1, 'py0001')).resolves.toBe(1);
      const sse = await openSse(server.url);
      await sse.reader.until((r) => r.hellos.length === 1, 'hello');
      expect(sse.reader.hellos[0]!.body).toMatchObject({ epoch: 'py0001', last_seq: 1 });
      await expect(hub.emit([{ op: 'refresh_item', name: 'todo', id: 2 }])).resolves.toEqual({ seq: 2 });
      // Later emits keep the current epoch, whatever candidate they pass.
      await expect(foreignEmit(3, 'ignored')).resolves.toBe(3);
      await sse.reader.until((r) => r.envelopes.length === 2, 'both envelopes');
      expect(sse.reader.envelopes.map((m) => m.id)).toEqual(['py0001:2', 'py0001:3']);
      sse.close();
      const resumed = await openSse(server.url, { 'last-event-id': 'py0001:1' });
      await resumed.reader.until((r) => r.envelopes.length === 2, 'the replay');
      expect(resumed.reader.hellos[0]!.body).toMatchObject({ epoch: 'py0001', last_seq: 3, resumed: true });
      resumed.close();
    } finally {
      await hub.close();
      await server.close();
    }
  });
});
