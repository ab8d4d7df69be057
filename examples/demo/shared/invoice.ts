// The invoice tracker's data shapes and list parameters, shared by the demo server and the React app.

export const STATUSES = ['draft', 'sent', 'paid', 'overdue'] as const;
export type InvoiceStatus = (typeof STATUSES)[number];

export const SORT_FIELDS = ['number', 'customer', 'amount', 'dueDate'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** What a list row needs: the `summary` level. */
export interface InvoiceSummary {
  id: string;
  number: string;
  customer: string;
  amountCents: number;
  status: InvoiceStatus;
  dueDate: string;
  updatedAt: string;
}

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitCents: number;
}

/** What the detail panel needs: the `detail` level, a superset of the summary (so it also satisfies it). */
export interface InvoiceDetail extends InvoiceSummary {
  email: string;
  issuedDate: string;
  lines: InvoiceLine[];
  notes: string;
  history: { at: string; text: string }[];
  version: number;
}

/** The list's params: every field optional, so `{}` is "all invoices, by number". A type, not an interface,
 * so it fits the registry's params (a plain record). */
export type InvoiceListParams = {
  status?: InvoiceStatus;
  q?: string;
  sort?: SortField;
  dir?: 'asc' | 'desc';
  page?: number;
};

export interface InvoiceListMeta {
  page: number;
  pages: number;
  pageSize: number;
  /** Sum of every matching invoice's amount, not only this page's. */
  totalCents: number;
}

export interface InvoiceListResult {
  ids: string[];
  count: number;
  meta: InvoiceListMeta;
}

/** The open-invoices counter (`GET /api/invoices/open`): a collection that is only a count. */
export interface OpenInvoicesResult {
  ids: string[];
  count: number;
  meta: null;
}

/** The fields an edit may change. */
export interface InvoicePatch {
  customer?: string;
  status?: InvoiceStatus;
  notes?: string;
}

export const PAGE_SIZE = 25;
