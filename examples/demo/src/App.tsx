// The demo page: the invoice list and detail panel on the left, what the library is doing on the right.
import { useCallback, useEffect, useState } from 'react';
import type { InvoiceListParams } from '../shared/invoice';
import type { Activity } from './activity';
import { DetailPanel } from './DetailPanel';
import { InvoiceList } from './InvoiceList';
import { LivePanel } from './LivePanel';
import { OpenCounter } from './OpenCounter';
import { RestartButton } from './RestartButton';
import type { DemoRegistry } from './registry';

function selectedFromHash(): string | null {
  const match = /^#\/invoice\/([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  return match ? match[1]! : null;
}

export function App({ activity, registry }: { activity: Activity; registry: DemoRegistry }) {
  const [params, setParams] = useState<InvoiceListParams>({});
  // The selection lives in the URL, so "open in a new window" shows the same invoice side by side.
  const [selected, setSelected] = useState<string | null>(selectedFromHash);
  useEffect(() => {
    const onHash = (): void => setSelected(selectedFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const select = useCallback((id: string) => {
    window.location.hash = `#/invoice/${id}`;
  }, []);

  return (
    <div className="page">
      <header className="topbar">
        <div>
          <h1>Invoices</h1>
          <p className="tagline">
            A <code>verity-xstate</code> demo: the server says what changed, the client refetches the least it
            can. Open this page in a second window, edit an invoice in one, and watch the other update. The
            panel on the right shows every request this page makes, every directive it gets, and the stream.
          </p>
          <OpenCounter />
        </div>
        <div className="topbar-actions">
          <a
            className="button secondary"
            href={window.location.href}
            target="_blank"
            rel="noopener"
            data-testid="open-window"
          >
            Open a second window
          </a>
          <RestartButton activity={activity} />
        </div>
      </header>
      <main className="workspace">
        <InvoiceList params={params} onParams={setParams} selected={selected} onSelect={select} />
        <DetailPanel id={selected} registry={registry} />
        <LivePanel activity={activity} clientId={registry.clientId} />
      </main>
    </div>
  );
}
