// Subscriber lists: plain arrays (null when empty), called in order, each listener's error kept to itself.

/** A subscriber list; null when nobody listens, so an entry nobody reads carries nothing. */
export type Listeners = Array<() => void> | null;

/**
 * Adds `listener` (again, if it is there already: each subscription is counted and released on its own). An
 * array and the caller's listener as it is, not a Set of wrappers: most entries have exactly one subscriber.
 */
export function addListener(listeners: Listeners, listener: () => void): Array<() => void> {
  if (!listeners) return [listener];
  listeners.push(listener);
  return listeners;
}

/** Removes one subscription of `listener`; the list, or null when it is left empty. */
export function removeListener(listeners: Listeners, listener: () => void): Listeners {
  if (!listeners) return null;
  const index = listeners.lastIndexOf(listener);
  if (index >= 0) listeners.splice(index, 1);
  return listeners.length > 0 ? listeners : null;
}

/** Calls every listener subscribed now (one that subscribes or leaves meanwhile does not change this round). */
export function notifyListeners(listeners: Listeners): void {
  if (!listeners) return;
  if (listeners.length === 1) {
    safeCall(listeners[0]!);
    return;
  }
  for (const listener of listeners.slice()) safeCall(listener);
}

function safeCall(listener: () => void): void {
  try {
    listener();
  } catch {
    // A subscriber's error is its own; the cache and other subscribers carry on.
  }
}
