// The mutation helper: tag the request, read directives from the body and the header, apply, then resolve.
import { VerityError } from '../registry/errors';
import type { ApplyReport } from '../registry/types';

export interface MutateHost {
  fetch: typeof globalThis.fetch | undefined;
  headers(extra: Record<string, string>): Record<string, string>;
  apply(directives: unknown[]): Promise<ApplyReport>;
}

function headersOf(init: RequestInit): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** Directives ride in the JSON body (`directives`) and/or the `X-Verity-Directives` header (a JSON array). */
function collectDirectives(body: unknown, header: string | null): unknown[] {
  const found: unknown[] = [];
  if (header) {
    try {
      const parsed: unknown = JSON.parse(header);
      if (Array.isArray(parsed)) found.push(...parsed);
      else found.push(parsed);
    } catch {
      // A broken header still reaches applyDirectives, which rejects it with a reason.
      found.push(header);
    }
  }
  if (body && typeof body === 'object' && !Array.isArray(body) && Object.hasOwn(body, 'directives')) {
    const directives = (body as { directives: unknown }).directives;
    if (Array.isArray(directives)) found.push(...directives);
    else if (directives !== undefined && directives !== null) found.push(directives);
  }
  return found;
}

export async function mutate<TBody>(
  host: MutateHost,
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<TBody> {
  const fetchImpl = host.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new VerityError(
      'INVALID_OPTIONS',
      'No fetch available: pass createRegistry({ fetch }) to use mutate().',
    );
  }
  const response = await fetchImpl(input, { ...init, headers: host.headers(headersOf(init)) });
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
  const directives = collectDirectives(body, response.headers.get('X-Verity-Directives'));
  if (directives.length > 0) await host.apply(directives);
  if (!response.ok) {
    throw new VerityError('HTTP_ERROR', `Mutation failed with HTTP ${response.status}.`, {
      status: response.status,
      body,
    });
  }
  return body as TBody;
}
