// The invoice API: list and item reads at two levels, edits that answer with directives and emit them,
// and the "simulate a server restart" button's endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Directive, readClientId, respondWithDirectives } from 'verity-xstate/server';
import type { InvoiceDetail, InvoicePatch } from '../shared/invoice';
import { BadRequest, readJson, sendError, sendJson } from './http-util';
import { applyPatch, parseListParams, parsePatch, queryInvoices, toSummary } from './invoice-query';
import type { RestartableHub } from './restartable-hub';
import type { InvoiceStore } from './store';

const MAX_BULK_IDS = 200;
// Fields that decide which lists an invoice is in and where it sorts; an edit of anything else (notes)
// changes no list, so it sends no refresh_collection.
const LIST_FIELDS: ReadonlyArray<keyof InvoicePatch> = ['customer', 'status'];

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
  let changed = false;
  const invoice = await context.store.update(id, (current) => {
    const next = applyPatch(current, patch, new Date());
    changed = next !== current;
    return next;
  });
  if (!invoice) return sendError(res, 404, `No invoice ${id}.`);
  if (!changed) return sendJson(res, 200, { invoice, directives: [] });

  const touchesLists = LIST_FIELDS.some((field) => patch[field] !== undefined);
  const lists: Directive[] = touchesLists ? [{ op: 'refresh_collection', name: 'invoices' }] : [];
  // Everyone else learns what changed and refetches what they hold of it; the source (the editing
  // tab's client id) lets that tab skip this echo, since the response below already told it.
  await context.hub.emit([{ op: 'refresh_item', name: 'invoice', id }, ...lists], readClientId(req));
  // The editing tab gets the new invoice inside the directive (`result`), so it fetches nothing for it;
  // the detail level also satisfies the summary level through the conversion map.
  sendJson(
    res,
    200,
    respondWithDirectives({ invoice }, [
      { op: 'refresh_item', name: 'invoice', id, result: { levels: { detail: invoice } } },
      ...lists,
    ]),
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
