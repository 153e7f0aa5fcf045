/**
 * Pure rules of the auth machine: reading a JWT's claims and deciding when to refresh it.
 * No xstate, no timers, no I/O, and no Node APIs (it runs in browsers too).
 */

/** The claims a client reads from an Agent C JWT (docs/protocol.md §2.4); times are seconds since the epoch. */
export interface JwtClaims {
  exp?: number;
  iat?: number;
  sub?: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes one base64url segment to text, or undefined when it is not base64url or not UTF-8. */
function decodeSegment(segment: string): string | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  const bare = segment.replace(/=+$/, '');
  // A base64 string never leaves a single character in its last group.
  if (bare.length % 4 === 1) return undefined;
  const base64 = bare.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(bare.length / 4) * 4, '=');
  try {
    const binary = atob(base64);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The `exp`, `iat` and `sub` claims of a JWT, read without checking the signature (the client
 * cannot: the secret is the server's). Claims of the wrong type are left out.
 *
 * @returns undefined when the token is not three dot-separated segments with a base64url JSON
 * object in the middle; never throws.
 * @example decodeJwt(token)?.exp // 1767225600
 */
export function decodeJwt(token: string): JwtClaims | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const text = decodeSegment(parts[1]!);
  if (text === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const { exp, iat, sub } = payload as Record<string, unknown>;
  const claims: JwtClaims = {};
  if (typeof exp === 'number' && Number.isFinite(exp)) claims.exp = exp;
  if (typeof iat === 'number' && Number.isFinite(iat)) claims.iat = iat;
  if (typeof sub === 'string') claims.sub = sub;
  return claims;
}

/**
 * When the token expires, in milliseconds since the epoch, or undefined when it has no readable `exp`.
 *
 * @example tokenExpiry(token) // 1767225600000
 */
export function tokenExpiry(token: string): number | undefined {
  const exp = decodeJwt(token)?.exp;
  return exp === undefined ? undefined : exp * 1000;
}

/**
 * True when the token can still be used at `now` (ms since the epoch): its `exp` lies more than
 * `skewMs` in the future.
 *
 * @remarks A token without a readable `exp` (not a JWT, or a JWT without the claim) counts as valid:
 * it is a static token the client cannot judge, and the server will say if it is refused. An empty
 * string is never valid.
 * @example isTokenValid(token, Date.now())
 */
export function isTokenValid(token: string, now: number, skewMs = 5000): boolean {
  if (typeof token !== 'string' || token === '') return false;
  const expiresAt = tokenExpiry(token);
  return expiresAt === undefined || expiresAt - now > skewMs;
}

/**
 * The largest delay `setTimeout` honours (2³¹ − 1 ms, about 24.8 days); a longer one overflows and
 * fires at once.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * How long to wait (ms) before refreshing a token proactively.
 *
 * @remarks The refresh happens `lead = min(bufferMs, remaining / 2)` before expiry, so a token that
 * lives shorter than the buffer is refreshed at half its remaining life instead of at once (and
 * then again and again). The result is never negative and is capped at {@link MAX_TIMER_MS}: the old
 * SDK passed any delay to `setTimeout`, and one past ~24.8 days overflowed and refreshed at once. When a
 * capped timer fires, the caller calls this again. `issuedAt` (ms), when given, corrects a client
 * clock that runs behind the server's: the server's time is at least `issuedAt`, so the refresh is
 * scheduled as if `now` were `max(now, issuedAt)` (earlier, never later). With `bufferMs` 0 the
 * refresh is due at expiry; with `bufferMs` > 0 it is always strictly before expiry.
 * @example refreshDelay({ expiresAt: now + 3_600_000, now, bufferMs: 60_000 }) // 3_540_000
 */
export function refreshDelay(args: { expiresAt: number; issuedAt?: number; now: number; bufferMs: number }): number {
  const { expiresAt, issuedAt, bufferMs } = args;
  const now = issuedAt !== undefined && issuedAt > args.now ? issuedAt : args.now;
  const remaining = expiresAt - now;
  const lead = Math.min(bufferMs, remaining / 2);
  const delay = Math.max(0, remaining - lead);
  return Math.min(MAX_TIMER_MS, delay);
}
