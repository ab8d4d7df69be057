// The demo server's HTTP contract (examples/demo, run as `npm run demo` runs it, in a child process): health,
// list queries, reads at two levels, edits answered with directives and emitted with the editor as source,
// bad input refused with a reason, and the restart button's new hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceDetail, InvoiceListResult, InvoiceSummary } from '../examples/demo/shared/invoice';
import { type DemoProcess, startDemo } from './support/demo-process';
import { openSse } from './support/sse-client';

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ latencyMs: 0 });
});

afterAll(async () => {
  await demo?.kill();
});

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${demo.url}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

function patch(id: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${demo.url}/api/invoices/${id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('demo server: reads', () => {
  it('answers /healthz with its pid and the in-memory store', async () => {
    const { status, body } = await get<{ ok: boolean; pid: number; store: string }>('/healthz');
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, pid: demo.pid, store: 'memory' });
  });

  it('lists 300 seeded invoices 25 to a page, sorted by number, with the total of every match', async () => {
    const { body } = await get<InvoiceListResult>('/api/invoices');
    expect(body.count).toBe(300);
    expect(body.ids).toEqual(Array.from({ length: 25 }, (_, index) => String(index + 1)));
    expect(body.meta).toMatchObject({ page: 1, pages: 12, pageSize: 25 });
    const last = await get<InvoiceListResult>('/api/invoices?page=12');
    expect(last.body.ids).toEqual(Array.from({ length: 25 }, (_, index) => String(index + 276)));
  });

  it('filters by status, searches number and customer, and sorts either way', async () => {
    const ids = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => i + from).join(',');
    const all = [
      ...(await get<InvoiceSummary[]>(`/api/invoices/bulk?level=summary&ids=${ids(1, 150)}`)).body,
      ...(await get<InvoiceSummary[]>(`/api/invoices/bulk?level=summary&ids=${ids(151, 300)}`)).body,
    ];
    expect(all).toHaveLength(300);
    const overdue = all.filter((invoice) => invoice.status === 'overdue').map((invoice) => invoice.id);
    const filtered = await get<InvoiceListResult>('/api/invoices?status=overdue');
    expect(filtered.body.count).toBe(overdue.length);
    expect(filtered.body.ids).toEqual(overdue.slice(0, 25));

    const search = await get<InvoiceListResult>('/api/invoices?q=INV-0042');
    expect(search.body).toMatchObject({ ids: ['42'], count: 1 });

    const byAmount = await get<InvoiceListResult>('/api/invoices?sort=amount&dir=desc');
    const amounts = (
      await get<InvoiceSummary[]>(`/api/invoices/bulk?level=summary&ids=${byAmount.body.ids.join(',')}`)
    ).body.map((invoice) => invoice.amountCents);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
  });

  it('reads one invoice at summary or detail, and a bulk read leaves unknown ids out', async () => {
    const summary = await get<Record<string, unknown>>('/api/invoices/7?level=summary');
    expect(Object.keys(summary.body).sort()).toEqual(
      ['amountCents', 'customer', 'dueDate', 'id', 'number', 'status', 'updatedAt'].sort(),
    );
    const detail = await get<InvoiceDetail>('/api/invoices/7?level=detail');
    // The detail level holds every summary field (which is why it also satisfies `summary`).
    expect(detail.body).toMatchObject(summary.body);
    expect(detail.body.lines.length).toBeGreaterThan(0);
    const bulk = await get<InvoiceSummary[]>('/api/invoices/bulk?level=summary&ids=3,9999,4');
    expect(bulk.body.map((invoice) => invoice.id)).toEqual(['3', '4']);
    expect((await get('/api/invoices/9999')).status).toBe(404);
    expect((await get('/api/invoices/7?level=everything')).status).toBe(400);
  });
});

describe('demo server: edits', () => {
  it('answers an edit with directives carrying the invoice as result, and emits them with the editor as source', async () => {
    const stream = await openSse(`${demo.url}/api/events?client_id=watcher`);
    try {
      await stream.reader.until((reader) => reader.hellos.length === 1, 'hello');
      const response = await patch('5', { customer: 'Renamed Ltd' }, { 'X-Verity-Client-ID': 'editor-1' });
      const body = (await response.json()) as { invoice: InvoiceDetail; directives: unknown[] };
      expect(response.status).toBe(200);
      expect(body.invoice).toMatchObject({ id: '5', customer: 'Renamed Ltd', version: 2 });
      // Derived from the directive graph: collections first, then items.
      expect(body.directives).toEqual([
        { op: 'refresh_collection', name: 'invoices' },
        { op: 'refresh_item', name: 'invoice', id: '5', result: { levels: { detail: body.invoice } } },
      ]);
      await stream.reader.until((reader) => reader.envelopes.length === 1, 'the envelope');
      expect(stream.reader.envelopes[0]!.body).toMatchObject({
        type: 'directives',
        source: 'editor-1',
        directives: [
          { op: 'refresh_collection', name: 'invoices' },
          { op: 'refresh_item', name: 'invoice', id: '5' },
        ],
      });
      // Everyone else refetches what they hold: the emitted directive carries no data.
      expect(stream.reader.envelopes[0]!.body.directives[1].result).toBeUndefined();

      // Notes decide no list's membership or order: no refresh_collection.
      const notes = (await (await patch('5', { notes: 'Called them' })).json()) as {
        directives: { op: string }[];
      };
      expect(notes.directives.map((directive) => directive.op)).toEqual(['refresh_item']);
      // An edit that changes nothing emits nothing.
      const same = (await (await patch('5', { notes: 'Called them' })).json()) as { directives: unknown[] };
      expect(same.directives).toEqual([]);
      await stream.reader.until((reader) => reader.envelopes.length === 2, 'the notes envelope');
      expect(stream.reader.seqs).toEqual([1, 2]);
    } finally {
      stream.close();
    }
  });

  it('counts open invoices, and a status edit derives refresh_collection openInvoices from the graph', async () => {
    const open = async () =>
      (await get<{ ids: string[]; count: number; meta: null }>('/api/invoices/open')).body;
    const before = await open();
    const all = (await get<InvoiceListResult>('/api/invoices')).body.count;
    const paid = (await get<InvoiceListResult>('/api/invoices?status=paid')).body.count;
    expect(before).toEqual({ ids: [], count: all - paid, meta: null });

    const target = (await get<InvoiceListResult>('/api/invoices?status=paid')).body.ids[0]!;
    const response = await patch(target, { status: 'sent' });
    const body = (await response.json()) as { invoice: InvoiceDetail; directives: unknown[] };
    expect(body.directives).toEqual([
      { op: 'refresh_collection', name: 'invoices' },
      { op: 'refresh_collection', name: 'openInvoices' },
      { op: 'refresh_item', name: 'invoice', id: target, result: { levels: { detail: body.invoice } } },
    ]);
    expect((await open()).count).toBe(before.count + 1);

    // The form resends every field: a status that did not change leaves the count's refresh out.
    const resent = (await (await patch(target, { status: 'sent', customer: 'Resent Ltd' })).json()) as {
      directives: { op: string; name: string }[];
    };
    expect(resent.directives.map(({ op, name }) => `${op} ${name}`)).toEqual([
      'refresh_collection invoices',
      'refresh_item invoice',
    ]);
  });

  it('refuses bad edits with a reason and changes nothing', async () => {
    const before = await get<InvoiceDetail>('/api/invoices/6?level=detail');
    const cases: Array<[unknown, Record<string, string>, number, RegExp]> = [
      ['{not json', {}, 400, /not valid JSON/],
      [{ status: 'lost' }, {}, 400, /status must be one of/],
      [{ customer: '' }, {}, 400, /customer must be/],
      [{}, {}, 400, /Nothing to change/],
      [[1, 2], {}, 400, /JSON object/],
      [{ notes: 'x' }, { 'Content-Type': 'text/plain' }, 400, /Content-Type: application\/json/],
    ];
    for (const [body, headers, status, message] of cases) {
      const response = await patch('6', body, headers);
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
    expect((await patch('9999', { notes: 'x' })).status).toBe(404);
    expect((await get<InvoiceDetail>('/api/invoices/6?level=detail')).body).toEqual(before.body);
  });

  it('restart: streams end, the new hub starts its sequence again, and one invoice changed unannounced', async () => {
    const stream = await openSse(`${demo.url}/api/events`);
    await stream.reader.until((reader) => reader.hellos.length === 1, 'hello');
    expect(stream.reader.hellos[0]!.body.last_seq).toBeGreaterThan(0);
    const response = await fetch(`${demo.url}/api/demo/restart`, { method: 'POST' });
    const body = (await response.json()) as { restarts: number; missed: { id: string; status: string } };
    expect(body.restarts).toBe(1);
    await stream.reader.untilEnded('the old hub to end the stream');

    const again = await openSse(`${demo.url}/api/events`);
    try {
      await again.reader.until((reader) => reader.hellos.length === 1, 'hello from the new hub');
      expect(again.reader.hellos[0]!.body.last_seq).toBe(0);
      // A new run of the sequence has a new epoch, which is how clients know to resync.
      expect(again.reader.hellos[0]!.body.epoch).toEqual(expect.any(String));
      expect(again.reader.hellos[0]!.body.epoch).not.toBe(stream.reader.hellos[0]!.body.epoch);
      expect(again.reader.envelopes).toEqual([]);
      expect((await get<InvoiceDetail>(`/api/invoices/${body.missed.id}?level=detail`)).body.status).toBe(
        'paid',
      );
    } finally {
      again.close();
    }
  });
});
