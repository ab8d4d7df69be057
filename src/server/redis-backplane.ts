// The Redis backplane: an epoch, a counter and a stream per audience, fanned out over pub/sub to every hub instance.
import { Redis } from 'ioredis';
import { newEpoch, parseEventId } from '../protocol/epoch';
import { VerityError } from '../protocol/errors';
import type { EnvelopeTemplate } from '../protocol/frame-writer';
import type {
  Backplane,
  BackplaneEnvelope,
  BackplaneListener,
  BackplaneResumePoint,
  BackplaneSnapshot,
} from './backplane';
import { ConnectionGate } from './connection-gate';
import { EMIT_SCRIPT, runScript, SNAPSHOT_SCRIPT } from './redis-scripts';

interface CommonOptions {
  /** Prefix of every key and channel, so several apps can share one Redis. Default `"verity:"`. */
  prefix?: string;
}

export type RedisBackplaneOptions =
  | (CommonOptions & { url: string; client?: undefined })
  | (CommonOptions & { client: Redis; url?: undefined });

export function redisBackplane(options: RedisBackplaneOptions): Backplane {
  return new RedisBackplane(options);
}

class RedisBackplane implements Backplane {
  readonly #commands: Redis;
  readonly #ownsCommands: boolean;
  /** Pub/sub needs a connection of its own; it is always ours, so always closed by us. */
  readonly #pubsub: Redis;
  readonly #prefix: string;
  readonly #channelPrefix: string;
  readonly #commandGate = new ConnectionGate('Redis backplane');
  readonly #pubsubGate = new ConnectionGate('Redis backplane (pub/sub)');
  readonly #listeners = new Set<BackplaneListener>();
  #everHealthy = false;
  #deliveryInterrupted = false;
  #closed = false;

  constructor(options: RedisBackplaneOptions) {
    this.#prefix = options.prefix ?? 'verity:';
    this.#channelPrefix = `${this.#prefix}envelopes:`;
    if (options.client) {
      this.#commands = options.client;
      this.#ownsCommands = false;
    } else if (typeof options.url === 'string') {
      // With no retries per request, a command caught by a dropped connection rejects instead of
      // being resent after reconnecting: an emit must fail loudly, never run twice.
      this.#commands = new Redis(options.url, { maxRetriesPerRequest: 0 });
      this.#ownsCommands = true;
    } else {
      throw new VerityError(
        'INVALID_OPTIONS',
        'redisBackplane needs { url: "redis://…" } or { client } (an ioredis instance).',
      );
    }
    this.#pubsub = this.#commands.duplicate({ lazyConnect: false, keyPrefix: '' });
    this.#watchCommands();
    this.#watchPubsub();
  }

  async publish(audience: string, template: EnvelopeTemplate, options: { retain: number }): Promise<number> {
    this.#assertOpen();
    await this.#commandGate.whenUp();
    let reply: unknown;
    try {
      reply = await runScript(this.#commands, EMIT_SCRIPT, this.#keys(audience), [
        options.retain,
        template.head,
        template.tail,
        this.#channelPrefix + audience,
        newEpoch(),
      ]);
    } catch (cause) {
      if (!this.#commandGate.isUp) {
        throw new VerityError(
          'BACKPLANE_UNAVAILABLE',
          `The connection to ${describe(this.#commands)} was lost before Redis confirmed the emit (${messageOf(cause)}): it may not have been stored. Emit again once Redis is back.`,
          { cause },
        );
      }
      throw new VerityError('BACKPLANE_FAILED', `Redis refused the emit: ${messageOf(cause)}`, { cause });
    }
    return Number(reply);
  }

  /**
   * Every answer comes from Redis in one script: an instance cut off from Redis has no snapshot to
   * give, so it can never confirm an epoch (and answer `resumed: true`) that Redis no longer has.
   */
  async snapshot(audience: string, after: BackplaneResumePoint | null): Promise<BackplaneSnapshot> {
    this.#assertOpen();
    // Subscribers may only start once pub/sub is live, or envelopes after the snapshot could be missed.
    await this.#commandGate.whenUp();
    await this.#pubsubGate.whenUp();
    let reply: unknown;
    try {
      reply = await runScript(this.#commands, SNAPSHOT_SCRIPT, this.#keys(audience), [
        after?.epoch ?? '',
        after?.seq ?? '',
        newEpoch(),
      ]);
    } catch (cause) {
      throw new VerityError('BACKPLANE_FAILED', `Redis did not answer the snapshot (${messageOf(cause)}).`, {
        cause,
      });
    }
    const [epoch, lastSeq, held, ...data] = reply as [string, number, number | undefined, ...string[]];
    if (after === null) return { epoch, lastSeq, missed: [] };
    if (held !== 1) return { epoch, lastSeq, missed: null };
    const missed: BackplaneEnvelope[] = data.map((text, index) => ({
      audience,
      epoch,
      seq: after.seq + 1 + index,
      data: text,
    }));
    return { epoch, lastSeq, missed };
  }

  subscribe(listener: BackplaneListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all([
      shutDown(this.#pubsub),
      this.#ownsCommands ? shutDown(this.#commands) : Promise.resolve(),
    ]);
  }

  #watchCommands(): void {
    const commands = this.#commands;
    if (commands.status === 'ready') this.#commandGate.markUp();
    else if (commands.status === 'wait') commands.connect().catch(() => {});
    commands.on('ready', () => {
      this.#commandGate.markUp();
      this.#checkHealth();
    });
    commands.on('close', () => this.#commandGate.markDown(`connection to ${describe(commands)} closed`));
    // Without a listener ioredis prints every failed reconnect; the gate reports the outage instead.
    commands.on('error', () => {});
  }

  #watchPubsub(): void {
    const pubsub = this.#pubsub;
    pubsub.on('ready', () => {
      // Only a confirmed PSUBSCRIBE makes delivery live again (ioredis reports ready before it resubscribes).
      pubsub.psubscribe(`${escapeGlob(this.#channelPrefix)}*`).then(
        () => {
          this.#pubsubGate.markUp();
          this.#checkHealth();
        },
        (error: unknown) => this.#pubsubGate.markDown(`PSUBSCRIBE failed: ${messageOf(error)}`),
      );
    });
    pubsub.on('close', () => {
      if (this.#pubsubGate.isUp) this.#deliveryInterrupted = true;
      this.#pubsubGate.markDown(`pub/sub connection to ${describe(pubsub)} closed`);
    });
    pubsub.on('error', () => {});
    pubsub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      this.#receive(channel, message);
    });
  }

  /** Once both connections are back after pub/sub was cut, tell the hub that envelopes may have been missed. */
  #checkHealth(): void {
    if (!this.#commandGate.isUp || !this.#pubsubGate.isUp) return;
    const interrupted = this.#everHealthy && this.#deliveryInterrupted;
    this.#everHealthy = true;
    this.#deliveryInterrupted = false;
    if (interrupted && !this.#closed) {
      for (const listener of this.#listeners) listener.reset();
    }
  }

  #receive(channel: string, message: string): void {
    if (!channel.startsWith(this.#channelPrefix)) return;
    const newline = message.indexOf('\n');
    const point = newline < 0 ? null : parseEventId(message.slice(0, newline));
    if (point === null || point.epoch === null) return;
    const envelope: BackplaneEnvelope = {
      audience: channel.slice(this.#channelPrefix.length),
      epoch: point.epoch,
      seq: point.seq,
      data: message.slice(newline + 1),
    };
    for (const listener of this.#listeners) listener.envelope(envelope);
  }

  /** Counter, stream, epoch: the hash tag keeps an audience's keys in one cluster slot, as a script needs. */
  #keys(audience: string): string[] {
    const base = `${this.#prefix}{${audience}}`;
    return [`${base}:seq`, `${base}:stream`, `${base}:epoch`];
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new VerityError('BACKPLANE_UNAVAILABLE', 'The Redis backplane is closed: create a new one.');
    }
  }
}

async function shutDown(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Fall through: the connection is going away either way.
    }
  }
  redis.disconnect();
}

function describe(redis: Redis): string {
  const { host, port } = redis.options;
  return `Redis at ${host ?? 'localhost'}:${port ?? 6379}`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
