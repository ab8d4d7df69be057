// Serves the built React app (Vite's output), with index.html for any other GET so deep links work.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { sendError } from './http-util';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

async function fileAt(file: string): Promise<number | null> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}

function safeDecode(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return '/';
  }
}

export function staticFiles(
  root: string,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const base = path.resolve(root);
  return async (req, res, pathname) => {
    let file = path.resolve(base, `.${safeDecode(pathname)}`);
    // Anything outside the build folder (../ tricks) or missing falls back to the app's page.
    let size = file.startsWith(base + path.sep) ? await fileAt(file) : null;
    if (size === null) {
      file = path.join(base, 'index.html');
      size = await fileAt(file);
    }
    if (size === null) {
      sendError(res, 503, `The app is not built (no ${file}): run \`npm run demo\`, which builds it first.`);
      return;
    }
    const hashed = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      // Vite puts a content hash in every asset name, so those never change; the page itself always may.
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  };
}
