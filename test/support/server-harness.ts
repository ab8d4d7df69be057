// Test harness for the hub: a loopback node:http server around it, and bounded waits on conditions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DirectiveHub } from '../../src/server/index';

export interface HubServer {
  /** The stream URL; add a query string as needed. */
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function startHubServer(hub: DirectiveHub): Promise<HubServer> {
  const server = http.createServer((req, res) => void hub.nodeHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Resolves as soon as `condition` holds, checking after every turn of the event loop; rejects
 * with `label` after `timeoutMs`. For state with no event to wait on (e.g. `hub.stats()`).
 */
export function until(condition: () => boolean, label: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline)
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for: ${label}`));
      else setImmediate(check);
    };
    check();
  });
}

/** `until` for conditions that need I/O to evaluate (e.g. asking Redis). */
export async function untilAsync(
  condition: () => Promise<boolean>,
  label: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${label}`);
  }
}

export function query(params: Record<string, string | number>): string {
  return `?${new URLSearchParams(Object.entries(params).map(([key, value]) => [key, String(value)]))}`;
}
