// Pure invoice logic: the summary projection, list queries (filter, search, sort, page) and edits.
import {
  type InvoiceDetail,
  type InvoiceListParams,
  type InvoiceListResult,
  type InvoicePatch,
  type InvoiceStatus,
  type InvoiceSummary,
  type OpenInvoicesResult,
  PAGE_SIZE,
  SORT_FIELDS,
  type SortField,
  STATUSES,
} from '../shared/invoice';

export function toSummary(invoice: InvoiceDetail): InvoiceSummary {
  const { id, number, customer, amountCents, status, dueDate, updatedAt } = invoice;
  return { id, number, customer, amountCents, status, dueDate, updatedAt };
}

function isOneOf<T extends string>(list: readonly T[], value: string | null): value is T {
  return value !== null && (list as readonly string[]).includes(value);
}

/** A list query with every default filled in (`status: null` = every status). */
export interface ListQuery extends Required<Omit<InvoiceListParams, 'status'>> {
  status: InvoiceStatus | null;
}

/** Reads list params from a query string; unknown values fall back to the defaults rather than failing. */
export function parseListParams(search: URLSearchParams): ListQuery {
  const status = search.get('status');
  const sort = search.get('sort');
  const page = Number(search.get('page'));
  return {
    status: isOneOf(STATUSES, status) ? status : null,
    q: (search.get('q') ?? '').trim().slice(0, 100),
    sort: isOneOf(SORT_FIELDS, sort) ? sort : 'number',
    dir: search.get('dir') === 'desc' ? 'desc' : 'asc',
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

const COMPARE: Record<SortField, (a: InvoiceDetail, b: InvoiceDetail) => number> = {
  number: (a, b) => a.number.localeCompare(b.number),
  customer: (a, b) => a.customer.localeCompare(b.customer) || a.number.localeCompare(b.number),
  amount: (a, b) => a.amountCents - b.amountCents || a.number.localeCompare(b.number),
  dueDate: (a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number),
};

export function queryInvoices(invoices: Iterable<InvoiceDetail>, params: ListQuery): InvoiceListResult {
  const needle = params.q.toLowerCase();
  const matching = [...invoices].filter(
    (invoice) =>
      (params.status === null || invoice.status === params.status) &&
      (needle === '' ||
        invoice.number.toLowerCase().includes(needle) ||
        invoice.customer.toLowerCase().includes(needle)),
  );
  matching.sort(COMPARE[params.sort]);
  if (params.dir === 'desc') matching.reverse();
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const page = Math.min(params.page, pages);
  return {
    ids: matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((invoice) => invoice.id),
    count: matching.length,
    meta: {
      page,
      pages,
      pageSize: PAGE_SIZE,
      totalCents: matching.reduce((sum, invoice) => sum + invoice.amountCents, 0),
    },
  };
}

/** The open-invoices counter: no ids, only how many invoices are not paid yet. */
export function countOpenInvoices(invoices: Iterable<InvoiceDetail>): OpenInvoicesResult {
  let count = 0;
  for (const invoice of invoices) if (invoice.status !== 'paid') count += 1;
  return { ids: [], count, meta: null };
}

/** Validates an edit body; returns the patch or a message saying what is wrong. */
export function parsePatch(body: unknown): InvoicePatch | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'The body must be a JSON object.';
  const input = body as Record<string, unknown>;
  const patch: InvoicePatch = {};
  if (input.customer !== undefined) {
    if (typeof input.customer !== 'string' || input.customer.trim() === '' || input.customer.length > 80) {
      return 'customer must be a non-empty string of at most 80 characters.';
    }
    patch.customer = input.customer.trim();
  }
  if (input.status !== undefined) {
    if (typeof input.status !== 'string' || !isOneOf(STATUSES, input.status)) {
      return `status must be one of ${STATUSES.join(', ')}.`;
    }
    patch.status = input.status;
  }
  if (input.notes !== undefined) {
    if (typeof input.notes !== 'string' || input.notes.length > 2000) {
      return 'notes must be a string of at most 2000 characters.';
    }
    patch.notes = input.notes;
  }
  if (Object.keys(patch).length === 0) return 'Nothing to change: send customer, status or notes.';
  return patch;
}

export function applyPatch(invoice: InvoiceDetail, patch: InvoicePatch, now: Date): InvoiceDetail {
  const changes = (Object.keys(patch) as (keyof InvoicePatch)[])
    .filter((field) => patch[field] !== invoice[field])
    .map((field) => (field === 'notes' ? 'notes edited' : `${field} → ${patch[field]}`));
  if (changes.length === 0) return invoice;
  const at = now.toISOString();
  return {
    ...invoice,
    ...patch,
    updatedAt: at,
    version: invoice.version + 1,
    history: [...invoice.history, { at, text: changes.join(', ') }],
  };
}
