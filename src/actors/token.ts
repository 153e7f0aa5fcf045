/**
 * The token getter the socket actor calls right before each connection attempt: a currently valid
 * token; or `auth_required` when the auth machine says a login is needed; or `network`/`timeout`
 * while it is still trying. Never an expired token.
 */
import { waitFor, type ActorRefFrom } from 'xstate';
import { ClientError } from '../errors.js';
import { isTokenValid } from '../machines/auth.logic.js';
import type { authMachine } from '../machines/auth.machine.js';

export interface TokenGetterDependencies {
  /** Where the token lives (written by the auth actors). */
  readonly vault: { readonly token: string | null };
  /** The running auth actor. */
  readonly auth: () => ActorRefFrom<typeof authMachine>;
  /** Tells the auth machine that the vault's token has expired (it re-acquires). */
  readonly reportExpired: () => void;
  readonly now: () => number;
  /** A token this close to expiry counts as expired. */
  readonly skewMs: number;
  /** Give up waiting for the auth machine after this long (ms); undefined waits as long as it takes. */
  readonly timeoutMs?: number;
}

/** Creates the getter. */
export function createTokenGetter(deps: TokenGetterDependencies): () => Promise<string> {
  const usable = () => deps.vault.token !== null && isTokenValid(deps.vault.token, deps.now(), deps.skewMs);
  return async () => {
    if (usable()) return deps.vault.token!;
    if (deps.vault.token !== null) deps.reportExpired();
    const settled = await waitFor(
      deps.auth(),
      (s) => (s.matches('valid') && usable()) || s.matches('authRequired') || s.matches('loggedOut'),
      deps.timeoutMs === undefined ? {} : { timeout: deps.timeoutMs },
    ).catch(() => undefined);
    if (settled?.matches('valid') && usable()) return deps.vault.token!;
    if (settled) throw new ClientError('auth_required', settled.context.lastError?.message ?? 'No valid token: log in again');
    // no verdict in time: the auth machine is still trying (the login server is unreachable or
    // slow). That is a network problem the connection retries, not a reason to ask for a login.
    const problem = deps.auth().getSnapshot().context.lastError;
    if (problem?.reason === 'network') throw new ClientError('network', `No token yet: ${problem.message}`);
    throw new ClientError('timeout', 'No token yet: the login did not finish in time');
  };
}
