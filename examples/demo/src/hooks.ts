// The demo's reads through verity-xstate/react: which level each part of the page asks for.
import { useCollection, useItem, useItems } from 'verity-xstate/react';
import type { InvoiceDetail, InvoiceListMeta, InvoiceListParams, InvoiceSummary } from '../shared/invoice';
import type { DemoRegistry } from './registry';

// Registering the registry's type once gives every hook its names, params and data types.
declare module 'verity-xstate/react' {
  interface Register {
    registry: DemoRegistry;
  }
}

const NO_IDS: readonly string[] = [];

/** The list: ids, count and meta for one param set (filter, search, sort, page). */
export function useInvoiceList(params: InvoiceListParams) {
  const { data, meta } = useCollection('invoices', { params });
  return {
    ids: data ? data.ids.map(String) : NO_IDS,
    count: data?.count ?? 0,
    listMeta: (data?.meta ?? null) as InvoiceListMeta | null,
    meta,
  };
}

/** The rows: one summary per id, first read as one bulk call. */
export function useInvoiceRows(ids: readonly string[]) {
  return useItems('invoice', ids, 'summary');
}

/**
 * The detail panel: the `detail` level of one invoice (nothing while none is selected). An item has one
 * merged `data` for all its levels, so the summary the list already holds shows at once; `detail` is set
 * once the detail level itself has arrived.
 */
export function useInvoiceDetail(id: string | null) {
  const { data, meta } = useItem('invoice', id, 'detail');
  const hasDetail = (meta.levels.detail?.lastFetched ?? null) !== null;
  return {
    summary: data as InvoiceSummary | null,
    detail: hasDetail ? (data as InvoiceDetail) : null,
    meta,
  };
}
