// The names both ends of the wire agree on: headers, query parameters and the default audience (SPEC §1.2, §1.3).

/** Sent by `mutate` and echoed by the server as the envelope's `source`. */
export const CLIENT_ID_HEADER = 'X-Verity-Client-ID';
/** Tells a server that the client reads directives from the response (a hint; servers may always send them). */
export const DIRECTIVE_REQUEST_HEADER = 'X-Verity-Directive-Request';
/** A mutation response's directives, as a JSON array, next to or instead of the body's `directives`. */
export const DIRECTIVES_HEADER = 'X-Verity-Directives';
/** Set by EventSource on its own reconnects; the server reads it before the query parameter. */
export const LAST_EVENT_ID_HEADER = 'Last-Event-ID';

/** Default query parameter names of the stream url; the client lets an app rename the first two. */
export const CLIENT_ID_PARAM = 'client_id';
export const AUDIENCE_PARAM = 'audience';
/** A new EventSource cannot set headers, so a resume point also travels as this query parameter. */
export const LAST_EVENT_ID_PARAM = 'last_event_id';

export const DEFAULT_AUDIENCE = 'global';
