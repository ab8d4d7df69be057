// The invoices in one Redis hash, so every demo process started with the same REDIS_URL serves the same data.
import { Redis } from 'ioredis';
import type { InvoiceDetail } from '../shared/invoice';
import { seedInvoices } from './seed';
import type { InvoiceStore } from './store';

const KEY = 'verity-demo:invoices';
// An edit that loses a race with another process's edit of the hash is retried this many times.
const MAX_ATTEMPTS = 5;

export async function redisStore(url: string): Promise<InvoiceStore> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  // HSETNX per invoice: the first process seeds, later ones (and restarts) keep what is there.
  const seeding = redis.pipeline();
  for (const invoice of seedInvoices()) seeding.hsetnx(KEY, invoice.id, JSON.stringify(invoice));
  await seeding.exec();

  const parse = (raw: string | null): InvoiceDetail | undefined =>
    raw === null ? undefined : (JSON.parse(raw) as InvoiceDetail);

  let turns: Promise<unknown> = Promise.resolve();
  const updateOnce = async (
    id: string,
    change: (current: InvoiceDetail) => InvoiceDetail,
  ): Promise<InvoiceDetail | undefined> => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      await redis.watch(KEY);
      const current = parse(await redis.hget(KEY, id));
      if (!current) {
        await redis.unwatch();
        return undefined;
      }
      const next = change(current);
      // exec() answers null when another process changed the hash after WATCH: read again and retry.
      if ((await redis.multi().hset(KEY, id, JSON.stringify(next)).exec()) !== null) return next;
    }
    throw new Error(`Invoice ${id} kept changing under this edit; try again.`);
  };

  return {
    kind: 'redis',
    all: async () => Object.values(await redis.hgetall(KEY)).map((raw) => JSON.parse(raw) as InvoiceDetail),
    getMany: async (ids) =>
      ids.length === 0 ? [] : (await redis.hmget(KEY, ...ids)).flatMap((raw) => parse(raw) ?? []),
    // WATCH guards against other processes; within this one, edits take turns, because a WATCH on a
    // shared connection would also watch (and be broken by) this process's own concurrent edits.
    update: (id, change) => {
      const run = turns.then(() => updateOnce(id, change));
      turns = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
