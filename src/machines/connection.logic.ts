/**
 * Pure rules of the connection machine: reconnect backoff and close-code classification (the URLs
 * of the socket and the HTTP routes live in the schema layer, `src/schema/urls.ts`). No xstate, no
 * timers, no I/O: the machine's delays, guards and actions are one-line calls to these functions.
 */

/**
 * How reconnection backs off (the seeds' `ReconnectionConfig`, minus `enabled`, which is the
 * `autoReconnect` option). All durations are milliseconds.
 */
export interface ReconnectionPolicy {
  /** Delay before the first attempt. */
  initialDelay: number;
  /** Largest delay between attempts, jitter included. */
  maxDelay: number;
  /** Growth factor of the delay per attempt (≥ 1). */
  backoffMultiplier: number;
  /** Attempts before giving up; `0` means never give up. */
  maxAttempts: number;
  /** Randomisation in [0, 1]: a delay `d` becomes a value in `[d·(1−j), d·(1+j)]`, capped at `maxDelay`. */
  jitterFactor: number;
}

/** The default {@link ReconnectionPolicy}: 1 s growing by 1.5× to 30 s, ±30 % jitter, unlimited attempts. */
export const DEFAULT_RECONNECTION: Readonly<ReconnectionPolicy> = Object.freeze({
  initialDelay: 1000,
  maxDelay: 30_000,
  backoffMultiplier: 1.5,
  maxAttempts: 0,
  jitterFactor: 0.3,
});

/**
 * The delay before reconnect attempt `attempt` (1-based) without jitter:
 * `min(maxDelay, initialDelay · backoffMultiplier^(attempt − 1))`.
 *
 * @remarks Attempts below 1 count as the first. Non-decreasing in `attempt` for a multiplier ≥ 1.
 * @example baseDelay(3, DEFAULT_RECONNECTION) // 2250
 */
export function baseDelay(attempt: number, policy: Readonly<ReconnectionPolicy>): number {
  // An initial delay of 0 stays 0; without this, 0 · Infinity (a huge power) would be NaN.
  if (policy.initialDelay === 0) return 0;
  const exponent = Math.max(0, attempt - 1);
  // A huge exponent gives Infinity, which min() turns into maxDelay.
  return Math.min(policy.maxDelay, policy.initialDelay * policy.backoffMultiplier ** exponent);
}

/**
 * The jittered delay in whole milliseconds before reconnect attempt `attempt` (1-based), or `null`
 * to give up (`maxAttempts > 0` and `attempt > maxAttempts`).
 *
 * @remarks `random` returns a number in [0, 1) (`Math.random`, or a seeded generator in tests).
 * With `d = baseDelay(attempt)`, the result lies in `[d·(1−j), d·(1+j)]` (±1 ms of rounding), is
 * at most `maxDelay` and never negative.
 * @example reconnectDelay(1, DEFAULT_RECONNECTION, () => 0.5) // 1000
 */
export function reconnectDelay(
  attempt: number,
  policy: Readonly<ReconnectionPolicy>,
  random: () => number,
): number | null {
  if (policy.maxAttempts > 0 && attempt > policy.maxAttempts) return null;
  const delay = baseDelay(attempt, policy);
  const jittered = delay * (1 + (2 * random() - 1) * policy.jitterFactor);
  // Cap after rounding so that rounding up cannot pass maxDelay.
  return Math.max(0, Math.min(Math.floor(policy.maxDelay), Math.round(jittered)));
}

/** What a WebSocket close code means to the client. */
export type CloseKind =
  | 'normal'
  | 'going_away'
  | 'abnormal'
  | 'policy'
  | 'server_error'
  | 'restart'
  | 'heartbeat'
  | 'other';

/**
 * Classifies a close code (docs/protocol.md §1.8) and says whether the code by itself allows a reconnect.
 *
 * @remarks `retry` is about the code only. The client decides with its own state whether it wanted
 * the close: the server closes the old socket of a UI session with 1000 when another socket attaches
 * to it (a second tab, or our own reconnect), so 1000 is retryable here, and a close the client
 * asked for (`disconnect()`) is never retried whatever its code. 1008 means the handshake refused the
 * token: reconnecting with the same token cannot help. 4000 is our own heartbeat failure (§1.7).
 * @example classifyClose(1006) // { kind: 'abnormal', retry: true }
 */
export function classifyClose(code: number): { kind: CloseKind; retry: boolean } {
  switch (code) {
    case 1000:
      return { kind: 'normal', retry: true };
    case 1001:
      return { kind: 'going_away', retry: true };
    case 1006:
      return { kind: 'abnormal', retry: true };
    case 1008:
      return { kind: 'policy', retry: false };
    case 1011:
      return { kind: 'server_error', retry: true };
    case 1012:
    case 1013:
      return { kind: 'restart', retry: true };
    case 4000:
      return { kind: 'heartbeat', retry: true };
    default:
      return { kind: 'other', retry: true };
  }
}

/**
 * What a socket that ended before it ever opened says about its handshake (docs/protocol.md §1.8,
 * §13 item 12): `refused` when the server answered the upgrade with an HTTP error (a bad, expired or
 * revoked token, an unknown `agent_key`, a `ui_session_id` of another user: 500; no token: 403),
 * `network` when no server answered (connection refused, DNS, TLS, a reset), `unknown` when the
 * runtime gives no cause (browsers report only close 1006 before open).
 */
export type HandshakeFailure =
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }
  | { readonly kind: 'network'; readonly message: string }
  | { readonly kind: 'unknown'; readonly message: string };

/** `ws` (Node) reports an upgrade answered with an HTTP error as `Unexpected server response: 500`. */
const UNEXPECTED_RESPONSE = /Unexpected server response: (\d{3})/;

/**
 * Classifies a handshake failure from the error text the WebSocket gave before it closed (null or
 * empty when it gave none). The message is for people; the caller redacts it.
 *
 * @example classifyHandshakeFailure('Unexpected server response: 500').kind // 'refused'
 * @example classifyHandshakeFailure('connect ECONNREFUSED 127.0.0.1:9').kind // 'network'
 */
export function classifyHandshakeFailure(cause: string | null | undefined): HandshakeFailure {
  const text = (cause ?? '').trim();
  const status = UNEXPECTED_RESPONSE.exec(text);
  if (status) {
    const code = Number(status[1]);
    return {
      kind: 'refused',
      status: code,
      message: `The server refused the connection: the upgrade was answered with HTTP ${code} (${
        code === 403 ? 'no token' : 'a bad, expired or revoked token, an unknown agent_key or a ui_session_id of another user'
      })`,
    };
  }
  if (text !== '') return { kind: 'network', message: `Could not connect: ${text}` };
  return { kind: 'unknown', message: 'The handshake failed (refused or unreachable; the runtime gives no cause)' };
}
