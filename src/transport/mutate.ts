// The mutation helper: tag the request, read directives from the body and the header, apply, then resolve.
import { VerityError } from '../protocol/errors';
import { CLIENT_ID_HEADER, DIRECTIVE_REQUEST_HEADER, DIRECTIVES_HEADER } from '../protocol/names';
import type { ApplyReport } from '../registry/types';

/** The headers that tag a request as this client's, over the caller's own (`extra`). */
export function verityHeaders(clientId: string, extra: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  // Header names are case-insensitive: a caller's own spelling of ours must not be sent twice.
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (lower !== CLIENT_ID_HEADER.toLowerCase() && lower !== DIRECTIVE_REQUEST_HEADER.toLowerCase()) {
      headers[name] = value;
    }
  }
  return { ...headers, [CLIENT_ID_HEADER]: clientId, [DIRECTIVE_REQUEST_HEADER]: 'send me directives' };
}

/**
 * The caller's headers (from `init`, else from a `Request` input, as fetch itself decides) with the Verity headers
 * set over them. Header names are case-insensitive: merging plain objects would send a Verity header the caller
 * also passed twice ("a, a"), and a server echoing that as the envelope's source would defeat the own-echo skip.
 */
function requestHeaders(
  verity: Record<string, string>,
  input: RequestInfo | URL,
  init: RequestInit,
): Headers {
  const own =
    init.headers ?? (typeof Request === 'function' && input instanceof Request ? input.headers : undefined);
  const headers = new Headers(own);
  for (const [name, value] of Object.entries(verity)) headers.set(name, value);
  return headers;
}

/** One element, or each of an array's: a loop, since spreading a huge array into push() overflows the stack. */
function append(found: unknown[], value: unknown): void {
  if (!Array.isArray(value)) {
    found.push(value);
    return;
  }
  for (let index = 0; index < value.length; index++) found.push(value[index]);
}

/** Directives ride in the JSON body (`directives`) and/or the `X-Verity-Directives` header (a JSON array). */
function collectDirectives(body: unknown, header: string | null): unknown[] {
  const found: unknown[] = [];
  if (header) {
    try {
      const parsed: unknown = JSON.parse(header);
      append(found, parsed);
    } catch {
      // A broken header still reaches applyDirectives, which rejects it with a reason.
      found.push(header);
    }
  }
  if (body && typeof body === 'object' && !Array.isArray(body) && Object.hasOwn(body, 'directives')) {
    const directives = (body as { directives: unknown }).directives;
    if (directives !== undefined && directives !== null) append(found, directives);
  }
  return found;
}

/** Sends the request with the Verity headers (`verity`), then hands the directives it carried to `apply`. */
export async function mutate<TBody>(
  fetchImpl: typeof globalThis.fetch | undefined,
  verity: Record<string, string>,
  input: RequestInfo | URL,
  init: RequestInit,
  apply: (directives: unknown[]) => Promise<ApplyReport>,
): Promise<TBody> {
  if (typeof fetchImpl !== 'function') {
    throw new VerityError(
      'INVALID_OPTIONS',
      'No fetch available: pass createRegistry({ fetch }) to use mutate().',
    );
  }
  const response = await fetchImpl(input, { ...init, headers: requestHeaders(verity, input, init) });
  const text = await response.text();
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  } else {
    body = null;
  }
  const directives = collectDirectives(body, response.headers.get(DIRECTIVES_HEADER));
  if (directives.length > 0) await apply(directives);
  if (!response.ok) {
    throw new VerityError('HTTP_ERROR', `Mutation failed with HTTP ${response.status}.`, {
      status: response.status,
      body,
    });
  }
  return body as TBody;
}
