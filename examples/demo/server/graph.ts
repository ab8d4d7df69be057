// The demo's directive graph: what each read depends on and what each kind of invoice edit touches, so the
// edit handler derives its directives instead of listing them by hand.
import { defineDirectiveGraph, type InvalidationSets } from 'verity-xstate/server';

export const graph = defineDirectiveGraph({
  // `invoice` id k reads the whole record k.
  types: { invoice: { domain: 'invoice' } },
  collections: {
    // Lists filter and sort by customer and status; the open counter depends on status alone.
    invoices: { reads: [{ domain: 'invoice-listing' }] },
    openInvoices: { reads: [{ domain: 'invoice-status' }] },
  },
  // One write per widest field an edit sets: notes change no list, customer changes the lists, status
  // changes the lists and the open count.
  writes: {
    'invoice/notes': [{ domain: 'invoice', keys: 'arg:id' }],
    'invoice/customer': [
      { domain: 'invoice', keys: 'arg:id' },
      { domain: 'invoice-listing', keys: null },
    ],
    'invoice/status': [
      { domain: 'invoice', keys: 'arg:id' },
      { domain: 'invoice-listing', keys: null },
      { domain: 'invoice-status', keys: null },
    ],
  },
});

export type EditWrite = keyof InvalidationSets<typeof graph>;
export type Sets = InvalidationSets<typeof graph>;
