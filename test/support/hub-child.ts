// Starts and kills test/support/hub-process.ts as a real child process, and talks to it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./hub-process.ts', import.meta.url));

export interface HubChild {
  readonly port: number;
  emit(directives: readonly object[]): Promise<{ seq: number }>;
  /** SIGKILL: no close(), no goodbye to clients, as a crash or an OOM kill. */
  kill(): Promise<void>;
}

export async function startHubChild(port = 0, emitsBeforeListening = 0): Promise<HubChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', script, String(port), String(emitsBeforeListening)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the hub process exited');
    return JSON.parse(value) as Record<string, number>;
  };
  const { listening } = await next();
  return {
    port: listening!,
    emit: async (directives) => {
      child.stdin!.write(`${JSON.stringify({ emit: directives })}\n`);
      return { seq: (await next()).seq! };
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
