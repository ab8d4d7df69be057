// The list: filter, search, sort and pages (one collection entry per param set), rows read at `summary`.
import { useEffect, useState } from 'react';
import {
  type InvoiceListParams,
  type InvoiceStatus,
  SORT_FIELDS,
  type SortField,
  STATUSES,
} from '../shared/invoice';
import { EntryState } from './EntryState';
import { formatDay, formatMoney } from './format';
import { useInvoiceList, useInvoiceRows } from './hooks';

const SORT_LABELS: Record<SortField, string> = {
  number: 'Number',
  customer: 'Customer',
  amount: 'Amount',
  dueDate: 'Due date',
};

interface Props {
  params: InvoiceListParams;
  onParams: (params: InvoiceListParams) => void;
  selected: string | null;
  onSelect: (id: string) => void;
}

export function InvoiceList({ params, onParams, selected, onSelect }: Props) {
  const list = useInvoiceList(params);
  const { ids } = list;
  const rows = useInvoiceRows(ids);
  const meta = list.listMeta;
  const page = meta?.page ?? 1;

  // Typing waits for a pause before it becomes a new param set (one collection entry per search).
  const [search, setSearch] = useState(params.q ?? '');
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((params.q ?? '') !== search) onParams({ ...params, q: search || undefined, page: undefined });
    }, 250);
    return () => clearTimeout(timer);
  }, [search, params, onParams]);

  const sortBy = (sort: SortField): void => {
    const dir = params.sort === sort && params.dir !== 'desc' ? 'desc' : undefined;
    onParams({ ...params, sort: sort === 'number' && !dir ? undefined : sort, dir, page: undefined });
  };

  return (
    <section className="card list" aria-label="Invoices">
      <div className="toolbar">
        <input
          type="search"
          placeholder="Search invoices"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          data-testid="search-input"
        />
        <select
          value={params.status ?? ''}
          onChange={(event) =>
            onParams({
              ...params,
              status: (event.target.value || undefined) as InvoiceStatus | undefined,
              page: undefined,
            })
          }
          data-testid="status-filter"
        >
          <option value="">All statuses</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
        <span className="list-summary" data-testid="list-summary">
          {list.meta.isLoading
            ? 'Loading…'
            : `${list.count} invoices · ${formatMoney(meta?.totalCents ?? 0)}`}
        </span>
        <EntryState meta={list.meta} testId="list-state" />
      </div>
      <table>
        <thead>
          <tr>
            {SORT_FIELDS.map((field) => (
              <th key={field} className={field === 'amount' ? 'num' : undefined}>
                <button type="button" className="sort" onClick={() => sortBy(field)}>
                  {SORT_LABELS[field]}
                  {(params.sort ?? 'number') === field ? (params.dir === 'desc' ? ' ↓' : ' ↑') : ''}
                </button>
              </th>
            ))}
            <th>Status</th>
            <th title="The row's cache entry, as the entry machine sees it">Entry</th>
          </tr>
        </thead>
        <tbody>
          {ids.map((id, index) => {
            const row = rows[index];
            const invoice = row?.data ?? null;
            return (
              <tr
                key={id}
                className={id === selected ? 'selected' : undefined}
                onClick={() => onSelect(id)}
                data-testid={`row-${id}`}
              >
                <td className="mono">{invoice?.number ?? '…'}</td>
                <td data-testid={`row-${id}-customer`}>{invoice?.customer ?? ''}</td>
                <td className="num">{invoice ? formatMoney(invoice.amountCents) : ''}</td>
                <td>{invoice ? formatDay(invoice.dueDate) : ''}</td>
                <td>
                  {invoice && <span className={`status status-${invoice.status}`}>{invoice.status}</span>}
                </td>
                <td>{row && <EntryState meta={row.meta} testId={`row-${id}-state`} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="pager">
        <button
          type="button"
          className="button secondary"
          disabled={page <= 1}
          onClick={() => onParams({ ...params, page: page - 1 })}
        >
          ← Previous
        </button>
        <span>
          Page {page} of {meta?.pages ?? 1}
        </span>
        <button
          type="button"
          className="button secondary"
          disabled={page >= (meta?.pages ?? 1)}
          onClick={() => onParams({ ...params, page: page + 1 })}
        >
          Next →
        </button>
      </div>
    </section>
  );
}
