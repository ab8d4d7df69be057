// The sending side's gate: a list of directives every client accepts (SPEC §1.1), or a VerityError saying which one is wrong and why.
import { normalizeDirectives } from './directive';
import { VerityError } from './errors';

/** A directive as it goes on the wire: a JSON object with an `op` and the fields its op takes (see `docs/protocol.md`). */
export interface Directive {
  readonly op: string;
  readonly [field: string]: unknown;
}

// The sender puts no cap on a batch: the cap is each client's own `limits.maxDirectivesPerBatch`.
const UNBOUNDED = { maxDirectivesPerBatch: Number.POSITIVE_INFINITY };

/**
 * Runs each directive through the clients' own normalisation: whatever it rejects would be a
 * `directive:rejected` at every client, so it is refused here, where the sender can still fix it.
 * `caller` names the call in the message, e.g. `emit(directives)`.
 */
export function assertDirectives(
  directives: unknown,
  caller: string,
  { allowEmpty }: { allowEmpty: boolean },
): asserts directives is readonly Directive[] {
  if (!Array.isArray(directives) || (!allowEmpty && directives.length === 0)) {
    throw new VerityError(
      'INVALID_DIRECTIVES',
      `${caller}: directives must be a${allowEmpty ? 'n' : ' non-empty'} array of directives, e.g. [{ op: "refresh_collection", name: "todos" }].`,
    );
  }
  for (let index = 0; index < directives.length; index++) {
    const { rejected } = normalizeDirectives(directives[index], UNBOUNDED);
    const first = rejected[0];
    if (first !== undefined) {
      throw new VerityError(
        'INVALID_DIRECTIVES',
        `${caller}: directive #${index} would be rejected by every client: ${first.reason}.`,
      );
    }
  }
}
