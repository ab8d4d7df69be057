// What a status edit predicts: the open-invoices count moves at once; the list and the invoice wait for the server.
import { type CollectionData, definePredictions } from 'verity-xstate';
import type { Sets } from '../server/graph';
import type { InvoiceStatus } from '../shared/invoice';

export interface StatusChange {
  from: InvoiceStatus;
  to: InvoiceStatus;
}

const isOpen = (status: InvoiceStatus): boolean => status !== 'paid';

export const changeStatus = definePredictions<
  Sets['invoice/status'],
  StatusChange,
  { openInvoices: CollectionData<null> }
>({
  openInvoices: (current, { from, to }) => ({
    ids: current?.ids ?? [],
    meta: current?.meta ?? null,
    count: (current?.count ?? 0) + Number(isOpen(to)) - Number(isOpen(from)),
  }),
  // Membership and order of the filtered lists, and the invoice's history and version, are the server's.
  invoices: 'await-truth',
  invoice: 'await-truth',
});
