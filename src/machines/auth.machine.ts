/**
 * Authentication: get a token (log in, a static token, or the app's provider), refresh it before it
 * expires, and say clearly when a person must log in again.
 *
 * The token itself never enters this machine's context (snapshots feed `state$` and the inspector):
 * the actors keep it in the client's token vault and report only when it was obtained and when it
 * expires. A refresh never touches the socket: the new token is used from the next connection on,
 * so an answer that is streaming is not dropped.
 *
 * A token the server refused at the handshake (`token.refused`, from the connection machine through
 * the root) is renewed in order: refresh (a 401 means it is dead) → log in again with the credentials
 * → a fresh token from the app's provider → `authRequired` when nothing can help (a static token).
 */
import { assign, setup, type PromiseActorLogic } from 'xstate';
import { MAX_TIMER_MS, refreshDelay } from './auth.logic.js';

/** What an actor that obtained a token reports (the token is in the vault). */
export interface TokenInfo {
  /** Expiry in ms since the epoch, or null for a token without `exp`. */
  readonly expiresAt: number | null;
  /** When it was obtained (ms since the epoch, on the client's clock). */
  readonly obtainedAt: number;
}

/** How tokens are obtained. */
export type AuthMode = 'credentials' | 'token' | 'provider';

export interface AuthInput {
  readonly mode: AuthMode;
  readonly refreshBufferMs: number;
  /** Wait before trying again after a network failure. */
  readonly retryDelayMs: number;
}

export interface AuthProblem {
  readonly reason: 'auth_required' | 'auth_failed' | 'network';
  readonly message: string;
}

export interface AuthContext {
  readonly mode: AuthMode;
  readonly refreshBufferMs: number;
  readonly retryDelayMs: number;
  readonly expiresAt: number | null;
  readonly obtainedAt: number | null;
  readonly lastError: AuthProblem | null;
}

export type AuthEvent =
  /** The vault's token is expired (the client noticed before a connection attempt). */
  | { type: 'token.expired' }
  /**
   * The server refused the vault's token at the handshake (or a handshake failed without a cause,
   * in a browser): verify it with a refresh, and renew it.
   */
  | { type: 'token.refused' }
  /** Credentials were supplied (client.login): log in with them. */
  | { type: 'login' }
  /** Forget the token. */
  | { type: 'logout' };

/** A failure the actors throw: `rejected` when the server refused (401/422), otherwise a network problem. */
export interface AuthActorError {
  readonly rejected: boolean;
  readonly message: string;
}

function messageOf(error: unknown): string {
  const failure = error as Partial<AuthActorError> | undefined;
  return typeof failure?.message === 'string' ? failure.message : String(error);
}

/** The server's refusal as `rejectedReason`; anything else (no answer, 5xx) as `network`. */
function problemOf(error: unknown, rejectedReason: AuthProblem['reason']): AuthProblem {
  const rejected = (error as Partial<AuthActorError> | undefined)?.rejected;
  return { reason: rejected ? rejectedReason : 'network', message: messageOf(error) };
}

const errorOf = (event: object): unknown => (event as { error?: unknown }).error;

/** A refresh (before expiry, or to check a token the server refused): an expired or revoked token cannot be refreshed, so log in again or ask for a login. */
const REFRESH = {
  src: 'refresh',
  onDone: { target: 'valid', actions: 'assignToken' },
  onError: [
    { guard: 'isRejected', target: 'acquiring', actions: 'assignRejected' },
    { target: 'refreshRetry', actions: 'assignNetworkProblem' },
  ],
} as const;

export const authMachine = setup({
  types: {
    input: {} as AuthInput,
    context: {} as AuthContext,
    events: {} as AuthEvent,
  },
  actors: {
    /** Loads a stored (or static) token into the vault; null when there is none that is still valid. */
    loadToken: {} as PromiseActorLogic<TokenInfo | null>,
    /** POST /api/rt/login with the known credentials. */
    login: {} as PromiseActorLogic<TokenInfo>,
    /** The app's token provider. */
    provideToken: {} as PromiseActorLogic<TokenInfo>,
    /** GET /api/rt/refresh_token (or the provider again, in provider mode). */
    refresh: {} as PromiseActorLogic<TokenInfo>,
  },
  delays: {
    refreshDue: ({ context }) =>
      context.expiresAt === null || context.obtainedAt === null
        ? MAX_TIMER_MS
        : refreshDelay({ expiresAt: context.expiresAt, issuedAt: context.obtainedAt, now: context.obtainedAt, bufferMs: context.refreshBufferMs }),
    retryDelay: ({ context }) => context.retryDelayMs,
  },
  guards: {
    hasToken: ({ event }) => (event as { output?: TokenInfo | null }).output != null,
    usesCredentials: ({ context }) => context.mode === 'credentials',
    usesProvider: ({ context }) => context.mode === 'provider',
    isRejected: ({ event }) => (errorOf(event) as Partial<AuthActorError> | undefined)?.rejected === true,
    /** The refresh timer was capped (setTimeout cannot wait past ~24.8 days): wait again instead of refreshing. */
    wasCapped: ({ context }) =>
      context.expiresAt === null ||
      (context.obtainedAt !== null && context.expiresAt - context.refreshBufferMs - context.obtainedAt > MAX_TIMER_MS),
  },
  actions: {
    assignToken: assign(({ event }) => {
      const info = (event as { output?: TokenInfo }).output;
      return info ? { expiresAt: info.expiresAt, obtainedAt: info.obtainedAt, lastError: null } : {};
    }),
    advanceCappedTimer: assign(({ context }) => ({ obtainedAt: (context.obtainedAt ?? 0) + MAX_TIMER_MS })),
    assignRejected: assign(({ event }) => ({ lastError: problemOf(errorOf(event), 'auth_failed') })),
    assignNetworkProblem: assign(({ event }) => ({ lastError: { reason: 'network' as const, message: messageOf(errorOf(event)) } })),
    assignNoToken: assign(({ context }) => ({
      lastError: {
        reason: 'auth_required' as const,
        // after a refused refresh, say why (e.g. "Refresh refused: Invalid token")
        message: context.lastError
          ? `No valid token (${context.lastError.message}): log in again or supply a new token`
          : 'No valid token: the token expired and cannot be refreshed; log in again',
      },
      expiresAt: null,
      obtainedAt: null,
    })),
    forgetToken: assign({ expiresAt: null, obtainedAt: null, lastError: null }),
  },
}).createMachine({
  id: 'auth',
  context: ({ input }) => ({
    mode: input.mode,
    refreshBufferMs: input.refreshBufferMs,
    retryDelayMs: input.retryDelayMs,
    expiresAt: null,
    obtainedAt: null,
    lastError: null,
  }),
  initial: 'loading',
  on: { logout: { target: '.loggedOut', actions: 'forgetToken' } },
  states: {
    loading: {
      description: 'A stored or static token, if it is still valid.',
      invoke: {
        src: 'loadToken',
        onDone: [{ guard: 'hasToken', target: 'valid', actions: 'assignToken' }, { target: 'acquiring' }],
        onError: 'acquiring',
      },
    },
    acquiring: {
      always: [
        { guard: 'usesCredentials', target: 'loggingIn' },
        { guard: 'usesProvider', target: 'fetching' },
        { target: 'authRequired', actions: 'assignNoToken' },
      ],
    },
    loggingIn: {
      invoke: {
        src: 'login',
        onDone: { target: 'valid', actions: 'assignToken' },
        onError: [
          { guard: 'isRejected', target: 'authRequired', actions: 'assignRejected' },
          { target: 'waitingToRetry', actions: 'assignNetworkProblem' },
        ],
      },
    },
    fetching: {
      invoke: {
        src: 'provideToken',
        onDone: { target: 'valid', actions: 'assignToken' },
        onError: [
          { guard: 'isRejected', target: 'authRequired', actions: 'assignRejected' },
          { target: 'waitingToRetry', actions: 'assignNetworkProblem' },
        ],
      },
    },
    valid: {
      description: 'A token that is good until `expiresAt`; refreshed `refreshBufferMs` before it.',
      after: {
        refreshDue: [{ guard: 'wasCapped', target: 'valid', reenter: true, actions: 'advanceCappedTimer' }, { target: 'refreshing' }],
      },
      on: { 'token.expired': 'acquiring', 'token.refused': 'verifying', login: 'loggingIn' },
    },
    verifying: {
      description: 'The server refused the token at the handshake: refresh it (a 401 means it is dead: log in again, ask the provider, or ask for a login).',
      invoke: REFRESH,
      on: { login: 'loggingIn' },
    },
    refreshing: {
      invoke: REFRESH,
      on: { 'token.expired': 'acquiring' },
    },
    refreshRetry: {
      description: 'The refresh failed on the network; the current token stays in use meanwhile.',
      after: { retryDelay: 'refreshing' },
      on: { 'token.expired': 'acquiring', 'token.refused': 'verifying', login: 'loggingIn' },
    },
    waitingToRetry: {
      after: { retryDelay: 'acquiring' },
      on: { login: 'loggingIn' },
    },
    authRequired: {
      description: 'No valid token and no way to get one: log in (client.login) or supply a token.',
      on: { login: 'loggingIn' },
    },
    loggedOut: {
      on: { login: 'loggingIn' },
    },
  },
});
