// Reading a subscription (audience, client id, Last-Event-ID) from a web Request or a node IncomingMessage.
import type { IncomingMessage } from 'node:http';
import { parseEventId, type ResumePoint } from '../protocol/epoch';
import {
  AUDIENCE_PARAM,
  CLIENT_ID_HEADER,
  CLIENT_ID_PARAM,
  DEFAULT_AUDIENCE,
  LAST_EVENT_ID_HEADER,
  LAST_EVENT_ID_PARAM,
} from '../protocol/names';

const MAX_AUDIENCE_LENGTH = 256;
const MAX_CLIENT_ID_LENGTH = 256;

export interface Subscription {
  audience: string;
  clientId: string | null;
  /** The point to resume after (its epoch null for a bare seq, which is never resumed), or null for a fresh start. */
  resumeFrom: ResumePoint | null;
}

/** The header wins over the query parameter: EventSource updates the header on every reconnect. */
export function parseSubscription(url: URL, headers: Headers): Subscription | { error: string } {
  const audience = url.searchParams.get(AUDIENCE_PARAM) || DEFAULT_AUDIENCE;
  if (audience.length > MAX_AUDIENCE_LENGTH) {
    return { error: `The audience is longer than ${MAX_AUDIENCE_LENGTH} characters.` };
  }
  return {
    audience,
    clientId: clientIdFrom(url, headers),
    resumeFrom: parseEventId(headers.get(LAST_EVENT_ID_HEADER) ?? url.searchParams.get(LAST_EVENT_ID_PARAM)),
  };
}

function clientIdFrom(url: URL, headers: Headers): string | null {
  const raw = url.searchParams.get(CLIENT_ID_PARAM) || headers.get(CLIENT_ID_HEADER);
  const id = raw?.trim();
  if (!id || id.length > MAX_CLIENT_ID_LENGTH) return null;
  return id;
}

function isNodeRequest(request: Request | IncomingMessage): request is IncomingMessage {
  return !(typeof Headers !== 'undefined' && request.headers instanceof Headers);
}

/** Node gives a path; a full URL is rebuilt so both transports hand `authorize` the same shape. */
export function nodeRequestUrl(req: IncomingMessage): URL {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const base = `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  try {
    return new URL(req.url ?? '/', base);
  } catch {
    return new URL(req.url ?? '/', 'http://localhost');
  }
}

export function nodeRequestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    try {
      if (Array.isArray(value)) {
        for (const item of value) headers.append(name, item);
      } else {
        headers.set(name, value);
      }
    } catch {
      // Node lets through a few values the Fetch spec refuses; authorize just does not see them.
    }
  }
  return headers;
}

/**
 * The client id a request carries: the `client_id` query parameter or the `X-Verity-Client-ID`
 * header (what `mutate` sends), for a web `Request` or a node `IncomingMessage` (Express too).
 */
export function readClientId(request: Request | IncomingMessage): string | null {
  if (isNodeRequest(request)) {
    const header = request.headers[CLIENT_ID_HEADER.toLowerCase()];
    const headers = new Headers();
    if (typeof header === 'string') headers.set(CLIENT_ID_HEADER, header);
    return clientIdFrom(nodeRequestUrl(request), headers);
  }
  return clientIdFrom(new URL(request.url), request.headers);
}
