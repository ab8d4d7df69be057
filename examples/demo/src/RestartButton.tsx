// "Simulate a server restart": the server swaps in a new hub (its sequence starts again) and changes one
// invoice without announcing it; the clients reconnect, see the reset, and resync.
import { useState } from 'react';
import type { Activity } from './activity';

interface RestartAnswer {
  restarts: number;
  missed: { id: string; number: string; status: string } | null;
}

export function RestartButton({ activity }: { activity: Activity }) {
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const restart = async (): Promise<void> => {
    setBusy(true);
    try {
      const response = await activity.fetch('/api/demo/restart', { method: 'POST' });
      const answer = (await response.json()) as RestartAnswer;
      setMessage(
        answer.missed
          ? `Restarted. While it was down, ${answer.missed.number} became ${answer.missed.status}, with no directive: watch the resync bring it in.`
          : 'Restarted.',
      );
    } catch (error) {
      setMessage(`Restart failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="restart">
      <button type="button" className="button" onClick={restart} disabled={busy} data-testid="restart-button">
        {busy ? 'Restarting…' : 'Simulate a server restart'}
      </button>
      {message && (
        <p className="restart-message" data-testid="restart-message">
          {message}
        </p>
      )}
    </div>
  );
}
