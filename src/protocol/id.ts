// The one rule for item ids on the wire and in the cache: a non-empty string or a finite number, compared as a string.

export function isItemId(value: unknown): value is string | number {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value));
}

/** The cache key of an id (`42` and `"42"` are one entry), or null when the value is not an id. */
export function itemIdKey(value: unknown): string | null {
  return isItemId(value) ? String(value) : null;
}
