// The header's "Open invoices: N": the predicted count while a status edit is in flight, styled as pending.
import { useCollection } from 'verity-xstate/react';

export function OpenCounter() {
  const { data, meta, predicted } = useCollection('openInvoices');
  // A guess never lands in `data`: show it beside the truth, marked, until the server's answer settles it.
  const count = predicted?.count ?? data?.count;
  return (
    <p
      className={`open-counter${meta.isPredicted ? ' pending' : ''}`}
      data-testid="open-counter"
      data-predicted={meta.isPredicted ? 'true' : 'false'}
    >
      Open invoices: <strong data-testid="open-count">{count ?? '…'}</strong>
      {meta.isPredicted && <span className="pending-tag">pending</span>}
    </p>
  );
}
