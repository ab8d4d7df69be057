// The detail panel: one invoice at the `detail` level, and an edit form whose save is a mutation
// answered with directives.
import { type FormEvent, useState } from 'react';
import { type InvoiceDetail, type InvoiceStatus, STATUSES } from '../shared/invoice';
import { EntryState } from './EntryState';
import { formatDay, formatMoment, formatMoney } from './format';
import { useInvoiceDetail } from './hooks';
import { changeStatus } from './predictions';
import type { DemoRegistry } from './registry';

export function DetailPanel({ id, registry }: { id: string | null; registry: DemoRegistry }) {
  const { summary, detail: invoice, meta } = useInvoiceDetail(id);
  if (id === null) {
    return (
      <section className="card detail empty" aria-label="Invoice detail">
        <p>Select an invoice to see its detail level and edit it.</p>
      </section>
    );
  }
  return (
    <section className="card detail" aria-label="Invoice detail">
      <div className="detail-head">
        <div>
          <p className="mono muted">{summary?.number ?? `#${id}`}</p>
          <h2 data-testid="detail-customer">{summary?.customer ?? (meta.isLoading ? 'Loading…' : '')}</h2>
        </div>
        <EntryState meta={meta} testId="detail-state" />
      </div>
      {meta.error && <p className="error">Could not load: {meta.error.message}</p>}
      {!invoice && !meta.error && <p className="muted">Loading the detail level…</p>}
      {invoice && (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <span className={`status status-${invoice.status}`} data-testid="detail-status">
                {invoice.status}
              </span>
            </dd>
            <dt>Amount</dt>
            <dd>{formatMoney(invoice.amountCents)}</dd>
            <dt>Issued · due</dt>
            <dd>
              {formatDay(invoice.issuedDate)} · {formatDay(invoice.dueDate)}
            </dd>
            <dt>Billing</dt>
            <dd>{invoice.email}</dd>
            <dt>Version</dt>
            <dd data-testid="detail-version">
              v{invoice.version}, updated {formatMoment(invoice.updatedAt)}
            </dd>
          </dl>
          <table className="lines">
            <tbody>
              {invoice.lines.map((line, index) => (
                // Lines have no id of their own; their order is fixed per invoice.
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <tr key={index}>
                  <td>{line.description}</td>
                  <td className="num">× {line.quantity}</td>
                  <td className="num">{formatMoney(line.quantity * line.unitCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {/* A new version from anywhere (this tab or another) resets the form to the server's values. */}
          <EditForm key={`${invoice.id}:${invoice.version}`} invoice={invoice} registry={registry} />
          <ol className="history">
            {[...invoice.history].reverse().map((entry) => (
              <li key={`${entry.at}:${entry.text}`}>
                <span className="mono muted">{formatMoment(entry.at)}</span> {entry.text}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function EditForm({ invoice, registry }: { invoice: InvoiceDetail; registry: DemoRegistry }) {
  const [customer, setCustomer] = useState(invoice.customer);
  const [status, setStatus] = useState<InvoiceStatus>(invoice.status);
  const [notes, setNotes] = useState(invoice.notes);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      // mutate() sends X-Verity-Client-ID and applies the directives in the answer before it resolves.
      // A status change also predicts the open count, which shows as pending until those directives settle.
      const path = `/api/invoices/${encodeURIComponent(invoice.id)}`;
      const init = {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer, status, notes }),
      };
      if (status === invoice.status) await registry.mutate(path, init);
      else
        await registry.mutate(path, init, {
          predict: changeStatus,
          input: { from: invoice.status, to: status },
        });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="edit" onSubmit={save}>
      <label>
        Customer
        <input
          value={customer}
          onChange={(event) => setCustomer(event.target.value)}
          data-testid="edit-customer"
        />
      </label>
      <label>
        Status
        <select
          value={status}
          onChange={(event) => setStatus(event.target.value as InvoiceStatus)}
          data-testid="edit-status"
        >
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <label className="wide">
        Notes
        <textarea
          value={notes}
          rows={2}
          onChange={(event) => setNotes(event.target.value)}
          data-testid="edit-notes"
        />
      </label>
      <div className="wide edit-actions">
        <button type="submit" className="button" disabled={saving} data-testid="edit-save">
          {saving ? 'Saving…' : 'Save'}
        </button>
        {error && <span className="error">{error}</span>}
      </div>
    </form>
  );
}
