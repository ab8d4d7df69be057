// A cache entry's state as a badge: the entry machine's status, and whether a fetch is running.
interface EntryMeta {
  readonly status: string;
  readonly isFetching: boolean;
  readonly lastFetched: string | null;
}

export function EntryState({ meta, testId }: { meta: EntryMeta; testId?: string }) {
  return (
    <span
      className={`entry entry-${meta.status}${meta.isFetching ? ' entry-busy' : ''}`}
      title={meta.lastFetched ? `last fetched ${meta.lastFetched}` : 'not fetched yet'}
      data-testid={testId}
      data-status={meta.status}
    >
      {meta.status}
    </span>
  );
}
