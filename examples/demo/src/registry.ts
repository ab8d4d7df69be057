// The demo's registry: one item type at two levels, the list and the open-invoices counter, the stream at /api/events, and every
// request routed through the activity log.
import { createRegistry, type Registry } from 'verity-xstate';
import type {
  InvoiceDetail,
  InvoiceListMeta,
  InvoiceListParams,
  InvoiceListResult,
  InvoiceSummary,
  OpenInvoicesResult,
} from '../shared/invoice';
import type { Activity } from './activity';

export type DemoSchema = {
  types: { invoice: InvoiceDetail | InvoiceSummary };
  collections: {
    invoices: { params: InvoiceListParams; meta: InvoiceListMeta };
    openInvoices: { meta: null };
  };
};

export type DemoRegistry = Registry<DemoSchema>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createDemoRegistry(activity: Activity): DemoRegistry {
  const getJson = async <T>(path: string, signal: AbortSignal): Promise<T> => {
    const response = await activity.fetch(path, { signal });
    if (!response.ok) throw new HttpError(response.status, `${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const one =
    (level: 'summary' | 'detail') =>
    (id: string, _level: string, { signal }: { signal: AbortSignal }) =>
      getJson<InvoiceDetail | InvoiceSummary>(
        `/api/invoices/${encodeURIComponent(id)}?level=${level}`,
        signal,
      );
  const many =
    (level: 'summary' | 'detail') =>
    (ids: string[], _level: string, { signal }: { signal: AbortSignal }) =>
      getJson<Array<InvoiceDetail | InvoiceSummary>>(
        `/api/invoices/bulk?level=${level}&ids=${ids.map(encodeURIComponent).join(',')}`,
        signal,
      );

  const registry = createRegistry<DemoSchema>({
    sse: {
      url: '/api/events',
      // Short enough to watch in a demo (the defaults, 1.5 to 3.5 s, spread a real fleet's resyncs).
      resyncJitterMinMs: 300,
      resyncJitterMaxMs: 900,
      initialRetryMs: 1000,
    },
    // mutate() goes through the log too.
    fetch: activity.fetch,
    logging: { level: 'warn' },
  });

  registry.createType('invoice', {
    // The default level is the summary; `summary` and `detail` are named so the app says what it reads.
    fetch: one('summary'),
    bulkFetch: many('summary'),
    levels: {
      summary: { fetch: one('summary'), bulkFetch: many('summary') },
      detail: { fetch: one('detail'), bulkFetch: many('detail') },
    },
    // A detail answer holds every summary field, so it also satisfies `summary` (and the default level):
    // after the detail panel loads, the row needs no fetch of its own, and a refresh of an invoice held at
    // both levels is one detail fetch, not two.
    levelConversionMap: { detail: ['summary', true], summary: [true] },
  });

  registry.createCollection('invoices', {
    fetch: (params, { signal }) => {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) {
        if (value !== undefined && value !== '') query.set(key, String(value));
      }
      return getJson<InvoiceListResult>(`/api/invoices?${query}`, signal);
    },
  });

  registry.createCollection('openInvoices', {
    fetch: (_params, { signal }) => getJson<OpenInvoicesResult>('/api/invoices/open', signal),
  });

  return registry;
}
