/**
 * The auth machine's I/O: log in, refresh, ask the app's provider, load a stored token. The token
 * goes into the client's vault (never into machine context); the actors report only its timing.
 */
import * as v from 'valibot';
import { fromPromise } from 'xstate';
import { apiUrl } from '../schema/urls.js';
import { isTokenValid, tokenExpiry } from '../machines/auth.logic.js';
import type { AuthActorError, TokenInfo } from '../machines/auth.machine.js';
import type { ResolvedAuth } from '../options.js';
import { httpErrorSchema, loginResponseSchema, refreshResponseSchema } from '../schema/http.js';
import { redactSecrets } from '../schema/redact.js';

/** Where the current token lives: the only place, outside any machine's context. */
export interface TokenVault {
  token: string | null;
  /** The HeyGen token that came with it (`"None"` when the server has no HeyGen). */
  heygenToken: string | null;
  /** The UI session id the login suggested, used when the app gave none. */
  loginUiSessionId: string | null;
  /** The access token of the current avatar session (for the avatar adapter). */
  avatarToken?: string | null;
  /** The last token the server refused (at the handshake, or a 401 on refresh): never used again. */
  refusedToken?: string | null;
}

export interface AuthActorDependencies {
  readonly apiBase: string;
  readonly fetch: typeof globalThis.fetch;
  readonly auth: ResolvedAuth;
  readonly vault: TokenVault;
  readonly now: () => number;
  /** A token that expires within this many ms counts as expired. */
  readonly skewMs: number;
}

function fail(rejected: boolean, message: string): AuthActorError {
  return { rejected, message: redactSecrets(message) };
}

/** The `detail` of a FastAPI error body, in one line. */
async function detailOf(response: Response): Promise<string> {
  try {
    const parsed = v.safeParse(httpErrorSchema, await response.json());
    if (parsed.success) {
      const { detail } = parsed.output;
      return typeof detail === 'string' ? detail : detail.map((item) => `${(item.loc ?? []).join('.')}: ${item.msg}`).join('; ');
    }
  } catch {
    // not JSON
  }
  return response.statusText || `HTTP ${response.status}`;
}

export function createAuthActors(deps: AuthActorDependencies) {
  const { vault, auth } = deps;
  const usable = (token: string | null): token is string => token !== null && isTokenValid(token, deps.now(), deps.skewMs);
  /** Writes the token, unless the machine abandoned this call meanwhile (its actor was stopped). */
  const keep = async (signal: AbortSignal, token: string, heygenToken: string | null): Promise<TokenInfo> => {
    if (signal.aborted) throw fail(false, 'abandoned');
    // the login or refresh route handed out the very token the socket refused (same claims within
    // the same second): the server vouches for it, so the refusal was about something else (an
    // unknown agent_key, a ui_session_id of another user); the next refusal shows it (§1.8)
    if (token === vault.refusedToken) vault.refusedToken = null;
    vault.token = token;
    vault.heygenToken = heygenToken;
    await auth.storage?.set(token);
    return { expiresAt: tokenExpiry(token) ?? null, obtainedAt: deps.now() };
  };
  const request = async (route: 'login' | 'refresh_token', init: RequestInit, signal: AbortSignal): Promise<Response> => {
    try {
      return await deps.fetch(apiUrl(deps.apiBase, route), { ...init, signal });
    } catch (error) {
      throw fail(false, `Could not reach ${route === 'login' ? 'the login route' : 'the refresh route'}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  return {
    loadToken: fromPromise<TokenInfo | null>(async ({ signal }) => {
      const stored = (await auth.storage?.get()) ?? null;
      const fresh = (token: string | null): token is string => usable(token) && token !== vault.refusedToken;
      if (fresh(stored)) return keep(signal, stored, vault.heygenToken);
      if (auth.kind === 'token' && fresh(auth.token)) return keep(signal, auth.token, null);
      return null;
    }),

    login: fromPromise<TokenInfo>(async ({ signal }) => {
      if (auth.kind !== 'credentials') throw fail(true, 'No credentials to log in with');
      const response = await request('login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: auth.username, password: auth.password }),
      }, signal);
      if (response.status === 401 || response.status === 422) throw fail(true, `Login refused: ${await detailOf(response)}`);
      if (!response.ok) throw fail(false, `Login failed: HTTP ${response.status} ${await detailOf(response)}`);
      const body = v.safeParse(loginResponseSchema, await response.json().catch(() => null));
      if (!body.success) throw fail(false, 'Login answered with an unexpected body');
      if (!signal.aborted) vault.loginUiSessionId = body.output.ui_session_id ?? null;
      return keep(signal, body.output.agent_c_token, body.output.heygen_token ?? null);
    }),

    refresh: fromPromise<TokenInfo>(async ({ signal }) => {
      if (auth.kind === 'getToken') return provide(signal);
      const sent = vault.token;
      if (!sent) throw fail(true, 'No token to refresh');
      const response = await request('refresh_token', { headers: { authorization: `Bearer ${sent}` } }, signal);
      if (response.status === 401) {
        if (!signal.aborted) {
          vault.refusedToken = sent; // dead: the socket would refuse it too
          await auth.storage?.clear();
        }
        throw fail(true, `Refresh refused: ${await detailOf(response)}`);
      }
      if (!response.ok) throw fail(false, `Refresh failed: HTTP ${response.status} ${await detailOf(response)}`);
      const body = v.safeParse(refreshResponseSchema, await response.json().catch(() => null));
      if (!body.success) throw fail(false, 'Refresh answered with an unexpected body');
      return keep(signal, body.output.agent_c_token, body.output.heygen_token ?? null);
    }),

    provideToken: fromPromise<TokenInfo>(({ signal }) => provide(signal)),
  };

  async function provide(signal: AbortSignal): Promise<TokenInfo> {
    if (auth.kind !== 'getToken') throw fail(true, 'No token provider');
    let token: unknown;
    try {
      token = await auth.getToken();
    } catch (error) {
      throw fail(false, `The token provider failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof token !== 'string' || token === '') throw fail(true, 'The token provider returned no token');
    if (!usable(token)) throw fail(true, 'The token provider returned an expired token');
    if (token === vault.refusedToken) throw fail(true, 'The token provider returned the token the server refused');
    return keep(signal, token, null);
  }
}
