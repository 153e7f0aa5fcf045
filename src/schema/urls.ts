/**
 * The URLs of the API: the socket endpoint and the HTTP routes, derived from the API base the app
 * gives (docs/protocol.md §1.1, §1.2, §2). Pure: no I/O.
 */
import { ClientError } from '../errors.js';

/** The socket endpoint below the API base (§1.1). */
const SOCKET_PATH = '/api/rt/ws';

export interface ApiBase {
  readonly secure: boolean;
  /** `host[:port]`, without user info. */
  readonly host: string;
  /** The path prefix without a trailing slash (`''` at the root). */
  readonly prefix: string;
}

/**
 * Splits an API base into scheme, host and path prefix, or returns undefined when it is not an
 * http, https, ws or wss URL. A trailing slash, the query, the hash and user info are dropped, and
 * so is a trailing `/api/rt/ws`, so that the socket URL itself also works as a base.
 */
export function parseApiBase(apiBase: string): ApiBase | undefined {
  let url: URL;
  try {
    url = new URL(apiBase.trim());
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ws' && scheme !== 'wss') return undefined;
  if (url.host === '') return undefined;
  let prefix = url.pathname.replace(/\/+$/, '');
  if (prefix.endsWith(SOCKET_PATH)) prefix = prefix.slice(0, -SOCKET_PATH.length).replace(/\/+$/, '');
  return { secure: scheme === 'https' || scheme === 'wss', host: url.host, prefix };
}

function requireApiBase(apiBase: string): ApiBase {
  const base = parseApiBase(apiBase);
  if (base === undefined) {
    throw new ClientError('invalid_options', 'url: must be an http(s) URL such as http://localhost:8000');
  }
  return base;
}

/**
 * True when `value` can serve as the API base: an absolute http, https, ws or wss URL with a host.
 *
 * @example isApiBase('http://localhost:8000') // true
 */
export function isApiBase(value: string): boolean {
  return parseApiBase(value) !== undefined;
}

/**
 * The socket URL for an API base (docs/protocol.md §1.1, §1.2): `ws(s)://host[:port][/prefix]/api/rt/ws`
 * with `token`, then `ui_session_id` when known, then **either** `chat_session_id` **or** `agent_key`.
 *
 * @remarks The chat session wins when both are given: the server ignores `chat_session_id` on a
 * reconnect to a known UI session, and when it loads an existing chat session it *replaces* that
 * session's agent with a fresh copy of `agent_key`, so sending both would reset the agent. `null`,
 * `undefined` and `''` count as absent. An http base becomes ws, https becomes wss; a ws or wss base
 * is kept as is, and may already end in `/api/rt/ws`.
 * @throws ClientError `invalid_options` when the base is not an http, https, ws or wss URL.
 * @example socketUrl('http://localhost:8000', { token: 't' }) // 'ws://localhost:8000/api/rt/ws?token=t'
 */
export function socketUrl(
  apiBase: string,
  params: { token: string; uiSessionId?: string | null; chatSessionId?: string | null; agentKey?: string | null },
): string {
  const base = requireApiBase(apiBase);
  const query: [string, string][] = [['token', params.token]];
  if (params.uiSessionId) query.push(['ui_session_id', params.uiSessionId]);
  if (params.chatSessionId) query.push(['chat_session_id', params.chatSessionId]);
  // with a loaded session too: the server replaces its agent by agent_key, "default" if omitted (§1.2)
  if (params.agentKey) query.push(['agent_key', params.agentKey]);
  // encodeURIComponent rather than URLSearchParams: it writes a space as %20, not '+'.
  const search = query.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
  return `${base.secure ? 'wss' : 'ws'}://${base.host}${base.prefix}${SOCKET_PATH}?${search}`;
}

/** The HTTP routes of the API (docs/protocol.md §2). */
export type ApiRoute = 'login' | 'refresh_token' | 'upload_file' | 'cancel';

/**
 * The URL of an HTTP route: `http(s)://host[:port][/prefix]/api/rt/<route>` (a ws base becomes
 * http, wss becomes https).
 *
 * @throws ClientError `invalid_options` when the base is not an http, https, ws or wss URL.
 * @example apiUrl('https://example.com/agentc/', 'login') // 'https://example.com/agentc/api/rt/login'
 */
export function apiUrl(apiBase: string, route: ApiRoute): string {
  const base = requireApiBase(apiBase);
  return `${base.secure ? 'https' : 'http'}://${base.host}${base.prefix}/api/rt/${route}`;
}
