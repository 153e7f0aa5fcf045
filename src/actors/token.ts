/**
 * The token getter the socket actor calls right before each connection attempt: a currently valid
 * token; or `auth_required` when the auth machine says a login is needed; or `network`/`timeout`
 * while it is still trying. Never an expired token, and never one the server refused (the socket
 * actor marks those with `refuse`).
 */
import { fromPromise, waitFor, type ActorRefFrom } from 'xstate';
import { ClientError } from '../errors.js';
import { REAL_TIMERS, type Clock } from './clock.js';
import { isTokenValid } from '../machines/auth.logic.js';
import type { authMachine } from '../machines/auth.machine.js';

export interface TokenGetterDependencies {
  /** Where the token lives (written by the auth actors); `refusedToken` is the last one the server refused. */
  readonly vault: { readonly token: string | null; refusedToken?: string | null };
  /** The running auth actor. */
  readonly auth: () => ActorRefFrom<typeof authMachine>;
  /** Tells the auth machine that the vault's token has expired (it re-acquires). */
  readonly reportExpired: () => void;
  /**
   * Tells the auth machine that the server refused the vault's token (it renews it: refresh, login,
   * provider). Without it, a refused token is reported as expired.
   */
  readonly reportRefused?: () => void;
  readonly now: () => number;
  /** A token this close to expiry counts as expired. */
  readonly skewMs: number;
  /** Give up waiting for the auth machine after this long (ms); undefined waits as long as it takes. */
  readonly timeoutMs?: number;
  /** The clock of that wait (the runtime's: xstate's `SimulatedClock` in tests). @default the real timers */
  readonly clock?: Clock;
}

/** A token getter, and how the socket actor marks a token the server refused. */
export interface TokenGetter {
  (): Promise<string>;
  /** Marks `token` as refused by the server: the getter never hands it out again. */
  refuse(token: string): void;
}

/** True when `token` is the one the server refused (it is never used again). */
export const isRefused = (vault: { readonly refusedToken?: string | null }, token: string | null): boolean =>
  token !== null && vault.refusedToken === token;

/** Creates the getter. */
export function createTokenGetter(deps: TokenGetterDependencies): TokenGetter {
  const { vault } = deps;
  const clock = deps.clock ?? REAL_TIMERS;
  const usable = () => vault.token !== null && !isRefused(vault, vault.token) && isTokenValid(vault.token, deps.now(), deps.skewMs);
  /** Auth is checking the token after a handshake that failed without a cause: wait for its verdict. */
  const verifying = () => deps.auth().getSnapshot().matches('verifying');
  const getter = async () => {
    if (usable() && !verifying()) return deps.vault.token!;
    if (isRefused(vault, vault.token)) (deps.reportRefused ?? deps.reportExpired)();
    else if (deps.vault.token !== null && !usable()) deps.reportExpired();
    // the wait is bounded on the injected clock (not a timer of its own): aborted when it runs out
    const abort = new AbortController();
    const timer = deps.timeoutMs === undefined ? undefined : clock.setTimeout(() => abort.abort(), deps.timeoutMs);
    const settled = await waitFor(
      deps.auth(),
      // refreshRetry: the refresh route is unreachable; the token it holds stays in use meanwhile
      (s) => ((s.matches('valid') || s.matches('refreshRetry')) && usable()) || s.matches('authRequired') || s.matches('loggedOut'),
      { signal: abort.signal },
    )
      .catch(() => undefined)
      .finally(() => {
        if (timer !== undefined) clock.clearTimeout(timer);
      });
    if ((settled?.matches('valid') || settled?.matches('refreshRetry')) && usable()) return deps.vault.token!;
    if (settled) throw new ClientError('auth_required', settled.context.lastError?.message ?? 'No valid token: log in again');
    // no verdict in time: the auth machine is still trying (the login server is unreachable or
    // slow). That is a network problem the connection retries, not a reason to ask for a login.
    const problem = deps.auth().getSnapshot().context.lastError;
    if (problem?.reason === 'network') throw new ClientError('network', `No token yet: ${problem.message}`);
    throw new ClientError('timeout', 'No token yet: the login did not finish in time');
  };
  return Object.assign(getter, {
    refuse(token: string) {
      vault.refusedToken = token;
    },
  });
}

/**
 * The connection machine's `awaitToken` actor: resolves once the getter has a token the server has
 * not refused (the token itself is dropped, so it never enters an event), rejects as the getter does.
 */
export const awaitTokenLogic = (getToken: () => Promise<string>) =>
  fromPromise<void>(async () => {
    await getToken();
  });
