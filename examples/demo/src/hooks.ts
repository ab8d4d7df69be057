// The demo's typed reads over verity-xstate/react: which level each part of the page asks for.
import { useCollection, useItem, useItems } from 'verity-xstate/react';
import type { InvoiceDetail, InvoiceListMeta, InvoiceListParams, InvoiceSummary } from '../shared/invoice';

/** The list: ids, count and meta for one param set (filter, search, sort, page). */
export function useInvoiceList(params: InvoiceListParams) {
  const list = useCollection('invoices', { params });
  return { ...list, listMeta: list.data.meta as InvoiceListMeta | null };
}

/** The rows: one summary per id, first read as one bulk call. */
export function useInvoiceRows(ids: readonly string[]) {
  return useItems('invoice', ids, 'summary') as ReadonlyArray<{
    data: InvoiceSummary | null;
    meta: ReturnType<typeof useItem>['meta'];
  }>;
}

/**
 * The detail panel: the `detail` level of one invoice (nothing while none is selected). An item has one
 * merged `data` for all its levels, so the summary the list already holds shows at once; `detail` is set
 * once the detail level itself has arrived.
 */
export function useInvoiceDetail(id: string | null) {
  const item = useItem('invoice', id, 'detail');
  const hasDetail = (item.meta.levels.detail?.lastFetched ?? null) !== null;
  return {
    ...item,
    summary: item.data as InvoiceSummary | null,
    detail: hasDetail ? (item.data as InvoiceDetail) : null,
  };
}
