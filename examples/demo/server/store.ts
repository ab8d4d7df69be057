// Where the demo keeps its invoices: in this process's memory (the default), or in Redis when several
// demo processes must share them (REDIS_URL).
import type { InvoiceDetail } from '../shared/invoice';
import { seedInvoices } from './seed';

export interface InvoiceStore {
  readonly kind: 'memory' | 'redis';
  all(): Promise<InvoiceDetail[]>;
  /** The invoices with these ids, in that order; unknown ids are left out. */
  getMany(ids: readonly string[]): Promise<InvoiceDetail[]>;
  /** Replaces one invoice with `change(current)`; resolves with the new value, or undefined if unknown. */
  update(id: string, change: (current: InvoiceDetail) => InvoiceDetail): Promise<InvoiceDetail | undefined>;
  close(): Promise<void>;
}

export function memoryStore(invoices: InvoiceDetail[] = seedInvoices()): InvoiceStore {
  const byId = new Map(invoices.map((invoice) => [invoice.id, invoice]));
  return {
    kind: 'memory',
    all: async () => [...byId.values()],
    getMany: async (ids) => ids.flatMap((id) => byId.get(id) ?? []),
    update: async (id, change) => {
      const current = byId.get(id);
      if (!current) return undefined;
      const next = change(current);
      byId.set(id, next);
      return next;
    },
    close: async () => {},
  };
}
