// Starts a real redis-server on a free loopback port for one test file, and stops it by PID.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort, killChild } from './child-process';

export interface RedisServer {
  port: number;
  url: string;
  readonly pid: number;
  /** Kills the process (SIGKILL, like a crash) and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts a fresh, empty redis-server on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function assertInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not installed, and the Redis backplane tests need a real one: ' +
        'run `apt-get install -y redis-server` (CI does this in .ci/run).',
    );
  }
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not get ready on port ${port} within 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`redis-server exited (${code ?? signal}) before it was ready on port ${port}:\n${output}`),
      );
    });
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  assertInstalled();
  const port = await freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    kill: () => killChild(child),
    restart: async () => {
      await killChild(child);
      child = await launch(port);
    },
    stop: () => killChild(child),
  };
}

/** A describe block's redis-server and an admin client on it, started before its tests and stopped after them. */
export function withRedis(): { server: RedisServer; admin: Redis } {
  const redis = {} as { server: RedisServer; admin: Redis };
  beforeAll(async () => {
    redis.server = await startRedisServer();
    redis.admin = new Redis(redis.server.url);
  });
  afterAll(async () => {
    redis.admin.disconnect();
    await redis.server.stop();
  });
  return redis;
}
