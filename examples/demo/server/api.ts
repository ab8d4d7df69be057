// The invoice API: list and item reads at two levels, edits that answer with directives and emit them,
// and the "simulate a server restart" button's endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readClientId, respondWithDirectives } from 'verity-xstate/server';
import type { InvoiceDetail } from '../shared/invoice';
import { type EditWrite, graph } from './graph';
import { BadRequest, readJson, sendError, sendJson } from './http-util';
import {
  applyPatch,
  countOpenInvoices,
  parseListParams,
  parsePatch,
  queryInvoices,
  toSummary,
} from './invoice-query';
import type { RestartableHub } from './restartable-hub';
import type { InvoiceStore } from './store';

const MAX_BULK_IDS = 200;

/**
 * The graph's write for an edit: the widest field it really changed decides what it invalidates (the form
 * sends every field, so a customer fix that resends the same status must not refresh the open count).
 */
function editWrite(before: InvoiceDetail, after: InvoiceDetail): EditWrite {
  if (after.status !== before.status) return 'invoice/status';
  if (after.customer !== before.customer) return 'invoice/customer';
  return 'invoice/notes';
}

type Level = 'summary' | 'detail';

function readLevel(url: URL): Level | null {
  const level = url.searchParams.get('level') ?? 'summary';
  return level === 'summary' || level === 'detail' ? level : null;
}

function atLevel(invoice: InvoiceDetail, level: Level): InvoiceDetail | ReturnType<typeof toSummary> {
  return level === 'detail' ? invoice : toSummary(invoice);
}

export interface ApiContext {
  store: InvoiceStore;
  hub: RestartableHub;
}

/** Handles `/api/invoices...` and `/api/demo/...`; answers false for paths it does not own. */
export async function handleApi(
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const { pathname } = url;
  const method = req.method ?? 'GET';
  try {
    if (pathname === '/api/invoices' && method === 'GET') {
      sendJson(res, 200, queryInvoices(await context.store.all(), parseListParams(url.searchParams)));
      return true;
    }
    if (pathname === '/api/invoices/open' && method === 'GET') {
      sendJson(res, 200, countOpenInvoices(await context.store.all()));
      return true;
    }
    if (pathname === '/api/invoices/bulk' && method === 'GET') {
      await bulkRead(context, url, res);
      return true;
    }
    const item = /^\/api\/invoices\/([A-Za-z0-9_-]{1,40})$/.exec(pathname);
    if (item && method === 'GET') {
      await readOne(context, item[1]!, url, res);
      return true;
    }
    if (item && method === 'PATCH') {
      await edit(context, item[1]!, req, res);
      return true;
    }
    if (pathname === '/api/demo/restart' && method === 'POST') {
      await simulateRestart(context, res);
      return true;
    }
    if (pathname.startsWith('/api/invoices') || pathname.startsWith('/api/demo/')) {
      sendError(res, 405, `${method} is not supported on ${pathname}.`);
      return true;
    }
    return false;
  } catch (error) {
    if (error instanceof BadRequest) sendError(res, 400, error.message);
    else sendError(res, 500, error instanceof Error ? error.message : String(error));
    return true;
  }
}

async function bulkRead(context: ApiContext, url: URL, res: ServerResponse): Promise<void> {
  const level = readLevel(url);
  const ids = (url.searchParams.get('ids') ?? '').split(',').filter((id) => id !== '');
  if (level === null) return sendError(res, 400, 'level must be summary or detail.');
  if (ids.length === 0 || ids.length > MAX_BULK_IDS) {
    return sendError(res, 400, `ids must list between 1 and ${MAX_BULK_IDS} ids, comma-separated.`);
  }
  // Unknown ids are left out; the client falls back to single reads for them (which answer 404).
  const invoices = await context.store.getMany(ids);
  sendJson(
    res,
    200,
    invoices.map((invoice) => atLevel(invoice, level)),
  );
}

async function readOne(context: ApiContext, id: string, url: URL, res: ServerResponse): Promise<void> {
  const level = readLevel(url);
  if (level === null) return sendError(res, 400, 'level must be summary or detail.');
  const [invoice] = await context.store.getMany([id]);
  if (!invoice) return sendError(res, 404, `No invoice ${id}.`);
  sendJson(res, 200, atLevel(invoice, level));
}

async function edit(
  context: ApiContext,
  id: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const patch = parsePatch(await readJson(req));
  if (typeof patch === 'string') return sendError(res, 400, patch);
  let before: InvoiceDetail | undefined;
  const invoice = await context.store.update(id, (current) => {
    before = current;
    return applyPatch(current, patch, new Date());
  });
  if (!invoice || !before) return sendError(res, 404, `No invoice ${id}.`);
  if (invoice === before) return sendJson(res, 200, { invoice, directives: [] });

  const directives = graph.directivesFor(editWrite(before, invoice), { id });
  // Everyone else learns what changed and refetches what they hold of it; the source (the editing
  // tab's client id) lets that tab skip this echo, since the response below already told it.
  await context.hub.emit(directives, readClientId(req));
  // The editing tab gets the new invoice inside the directive (`result`), so it fetches nothing for it;
  // the detail level also satisfies the summary level through the conversion map.
  sendJson(
    res,
    200,
    respondWithDirectives(
      { invoice },
      directives.map((directive) =>
        directive.op === 'refresh_item' && directive.name === 'invoice' && directive.id === id
          ? { ...directive, result: { levels: { detail: invoice } } }
          : directive,
      ),
    ),
  );
}

/**
 * A new hub, as if the process had restarted, and one change made "while it was down" that no
 * directive announces: the clients' resync after the restart is what brings it to the screen.
 */
async function simulateRestart(context: ApiContext, res: ServerResponse): Promise<void> {
  await context.hub.restart();
  const unpaid = (await context.store.all()).filter((invoice) => invoice.status !== 'paid');
  const target = unpaid.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))[0];
  const missed = target
    ? await context.store.update(target.id, (current) =>
        applyPatch(
          current,
          { status: 'paid', notes: `${current.notes}\nPaid while the server was down.`.trim() },
          new Date(),
        ),
      )
    : undefined;
  sendJson(res, 200, {
    restarts: context.hub.restarts,
    missed: missed ? { id: missed.id, number: missed.number, status: missed.status } : null,
  });
}
