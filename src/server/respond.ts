// Putting directives into a mutation's JSON response body (SPEC §1.3).
import { assertDirectives, type Directive } from '../protocol/directive-check';
import { VerityError } from '../protocol/errors';

/**
 * Returns a new body with `directives` added (after any it already has); the input is not changed.
 */
export function respondWithDirectives<T extends object>(
  body: T | null | undefined,
  directives: readonly Directive[],
): T & { directives: Directive[] } {
  assertDirectives(directives, 'respondWithDirectives(body, directives)', { allowEmpty: true });
  if (body == null) return { directives: [...directives] } as unknown as T & { directives: Directive[] };
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new VerityError(
      'INVALID_BODY',
      'respondWithDirectives(body, directives) needs a plain JSON object as the body: wrap arrays and scalars, e.g. { items: [...] }.',
    );
  }
  const existing = (body as { directives?: unknown }).directives;
  const before = Array.isArray(existing) ? (existing as Directive[]) : [];
  return { ...body, directives: [...before, ...directives] };
}
