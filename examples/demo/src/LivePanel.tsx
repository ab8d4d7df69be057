// The live panel: the directive stream's state, then what this page asked the server for and what the
// server told it, newest first.
import { useSyncExternalStore } from 'react';
import { useIsFetching } from 'verity-xstate/react';
import type { Activity, StreamState } from './activity';

export function LivePanel({ activity, clientId }: { activity: Activity; clientId: string }) {
  const { requests, directives, stream } = useSyncExternalStore(activity.subscribe, activity.getSnapshot);
  return (
    <aside className="card live" aria-label="What the library is doing">
      <StreamStatus stream={stream} clientId={clientId} />
      <p className="legend">
        Entry states: <span className="entry entry-fresh">fresh</span>{' '}
        <span className="entry entry-stale">stale</span>{' '}
        <span className="entry entry-fetching">fetching</span> <span className="entry entry-idle">idle</span>{' '}
        <span className="entry entry-error">error</span>. Rows are read at the <code>summary</code> level, the
        panel at <code>detail</code>.
      </p>
      <h3>Requests</h3>
      <ol className="log requests" data-testid="request-log">
        {requests.map((row) => (
          <li
            key={row.n}
            className={row.status !== null && (row.status === 0 || row.status >= 400) ? 'bad' : undefined}
          >
            <span className="mono muted">{row.at}</span>
            <span className="mono method">{row.method}</span>
            <span className="mono muted status-code">
              {row.status === null ? '…' : `${row.status} · ${row.ms} ms`}
            </span>
            <span className="mono path">{row.path}</span>
          </li>
        ))}
      </ol>
      <h3>Directives and stream</h3>
      <ol className="log" data-testid="directive-log">
        {directives.map((row) => (
          <li key={row.n} data-outcome={row.outcome}>
            <span className="mono muted">{row.at}</span>
            <span className={`tag tag-${row.outcome}`}>{row.outcome}</span>
            <span className="mono">{row.text}</span>
          </li>
        ))}
      </ol>
    </aside>
  );
}

function StreamStatus({ stream, clientId }: { stream: StreamState; clientId: string }) {
  const inFlight = useIsFetching();
  return (
    <div className="stream" data-testid="stream-status" data-phase={stream.phase}>
      <div className="stream-head">
        <span className={`dot dot-${stream.phase}`} />
        <strong data-testid="stream-phase">{stream.phase}</strong>
        <span className="muted">{stream.note}</span>
      </div>
      <dl className="facts compact">
        <dt>Epoch</dt>
        <dd className="mono" data-testid="stream-epoch">
          {stream.epoch ?? '—'}
        </dd>
        <dt>Last seq</dt>
        <dd className="mono" data-testid="stream-seq">
          {stream.lastSeq ?? '—'}
        </dd>
        <dt>Hellos · resyncs</dt>
        <dd className="mono" data-testid="stream-counts">
          {stream.hellos} · {stream.resyncs}
        </dd>
        <dt>Fetches in flight</dt>
        <dd className="mono" data-testid="in-flight">
          {inFlight}
        </dd>
        <dt>Client id</dt>
        <dd
          className="mono"
          data-testid="client-id"
          title="Sent as X-Verity-Client-ID; the server echoes it as the envelope's source"
        >
          {clientId.slice(0, 8)}
        </dd>
      </dl>
    </div>
  );
}
