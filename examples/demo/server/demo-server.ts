// The demo's one Node server: the built React app, the invoice API, the directive stream and /healthz.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApi } from './api';
import { sendError, sendJson } from './http-util';
import { redisStore } from './redis-store';
import { restartableHub } from './restartable-hub';
import { staticFiles } from './static-files';
import { type InvoiceStore, memoryStore } from './store';

export interface DemoServerOptions {
  port: number;
  host: string;
  /** The built app (Vite's outDir). */
  staticDir: string;
  /** Share the directive sequence and the invoices with every demo process using this Redis. */
  redisUrl?: string;
  /** Added to every API read, so loading and fetching states stay on screen long enough to see. */
  latencyMs: number;
}

export interface DemoServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const store: InvoiceStore = options.redisUrl ? await redisStore(options.redisUrl) : memoryStore();
  const hub = restartableHub(options.redisUrl);
  const serveStatic = staticFiles(options.staticDir);
  const context = { store, hub };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    if (url.pathname === '/healthz') {
      sendJson(res, 200, {
        ok: true,
        pid: process.pid,
        store: store.kind,
        restarts: hub.restarts,
        subscribers: hub.current.stats().subscribers,
      });
      return;
    }
    if (url.pathname === '/api/events') {
      await hub.current.nodeHandler(req, res);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method === 'GET' && options.latencyMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      }
      if (!(await handleApi(context, req, res, url))) sendError(res, 404, `No API route ${url.pathname}.`);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      await serveStatic(req, res, url.pathname);
      return;
    }
    sendError(res, 405, `${req.method} is not supported on ${url.pathname}.`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    close: async () => {
      // Streams first: an open SSE response would keep server.close() waiting forever.
      await hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}
