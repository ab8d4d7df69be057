// `npm run demo` starts this (after building the app): reads the environment and runs the demo server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from './demo-server';

function readPort(raw: string | undefined): number {
  const port = Number(raw ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer from 0 to 65535, not ${JSON.stringify(raw)}.`);
  }
  return port;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const server = await startDemoServer({
  port: readPort(process.env.PORT),
  host: process.env.HOST ?? '127.0.0.1',
  staticDir: path.resolve(here, '../dist'),
  redisUrl: process.env.REDIS_URL || undefined,
  latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 150) || 0,
});
const backplane = process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'in memory';
console.log(
  `verity-xstate demo listening on ${server.url} (pid ${process.pid}, hub and invoices ${backplane})`,
);

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
