// Display formatting for amounts, dates and times.
const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

export function formatMoney(cents: number): string {
  return money.format(cents / 100);
}

export function formatDay(iso: string): string {
  return new Date(`${iso.slice(0, 10)}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: '2-digit',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toISOString().slice(11, 19) : '—';
}

/** "04 May 2026, 13:05:10" (UTC, like the rest of the page). */
export function formatMoment(iso: string): string {
  return `${formatDay(iso)}, ${formatTime(iso)}`;
}
