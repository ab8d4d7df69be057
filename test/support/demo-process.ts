// Runs the demo server (examples/demo) as a child process on a loopback port, and kills it by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, killChild } from './child-process';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface DemoProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGKILL, like a crash; resolves once the process has exited. */
  kill(): Promise<void>;
  /** A new process on the same port (a fresh in-memory store and hub, unless REDIS_URL is set). */
  restart(): Promise<void>;
}

export interface DemoProcessOptions {
  redisUrl?: string;
  /** The server's added API latency; the default keeps tests quick. */
  latencyMs?: number;
}

function launch(port: number, options: DemoProcessOptions): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join('examples', 'demo', 'server', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        TSX_TSCONFIG_PATH: path.join('examples', 'demo', 'tsconfig.json'),
        DEMO_LATENCY_MS: String(options.latencyMs ?? 20),
        REDIS_URL: options.redisUrl ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`The demo server did not start on port ${port} within ${READY_TIMEOUT_MS} ms:\n${output}`),
      );
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        child.off('exit', onEarlyExit);
        resolve(child);
      }
    };
    const onEarlyExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`The demo server exited (${code ?? signal}) before it was ready:\n${output}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onEarlyExit);
  });
}

export async function startDemo(options: DemoProcessOptions = {}): Promise<DemoProcess> {
  const port = await freePort();
  let child = await launch(port, options);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid!;
    },
    kill: () => killChild(child),
    restart: async () => {
      await killChild(child);
      child = await launch(port, options);
    },
  };
}
