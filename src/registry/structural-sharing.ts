// Structural sharing: a refetch's data keeps the held objects wherever they are deep-equal (SPEC §6).
import { isPlainObject as isPlainRecord } from './params-key';

/**
 * Returns `next`, except that every subtree deep-equal to the one at the same place in `previous` is
 * `previous`'s object, and `previous` itself when the whole is deep-equal. Plain objects and arrays are walked;
 * anything else (dates, maps, class instances) is compared by identity, so it is taken from `next`.
 * A component that reads unchanged data then sees the same object, and does not re-render.
 */
export function shareStructure<T>(previous: unknown, next: T): T {
  if (Object.is(previous, next)) return next;
  if (Array.isArray(previous) && Array.isArray(next)) return shareArray(previous, next) as T;
  if (isPlainRecord(previous) && isPlainRecord(next)) return shareRecord(previous, next) as T;
  return next;
}

function shareArray(previous: readonly unknown[], next: readonly unknown[]): readonly unknown[] {
  const sameLength = previous.length === next.length;
  // The unchanged prefix is walked without copying: a long list that did not change costs no new array.
  let index = 0;
  let first: unknown;
  if (sameLength) {
    for (; index < next.length; index++) {
      first = shareStructure(previous[index], next[index]);
      if (!Object.is(first, previous[index])) break;
    }
    if (index === next.length) return previous;
  }
  const out = previous.slice(0, index);
  for (let i = index; i < next.length; i++) {
    if (sameLength && i === index) out.push(first);
    else out.push(i < previous.length ? shareStructure(previous[i], next[i]) : next[i]);
  }
  return Object.isFrozen(next) ? Object.freeze(out) : out;
}

function shareRecord(
  previous: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const keys = Object.keys(next);
  let same = keys.length === Object.keys(previous).length;
  const out: Record<string, unknown> = Object.getPrototypeOf(next) === null ? Object.create(null) : {};
  for (const key of keys) {
    const held = Object.hasOwn(previous, key);
    const value = held ? shareStructure(previous[key], next[key]) : next[key];
    if (!held || !Object.is(value, previous[key])) same = false;
    // Defined, not assigned: an own "__proto__" key stays data (defining is slower, so only for that key).
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    } else out[key] = value;
  }
  if (same) return previous;
  return Object.isFrozen(next) ? Object.freeze(out) : out;
}
