/**
 * The auth machine's pure rules: reading JWT claims (PROTOCOL.md §2.4) and the proactive refresh
 * schedule (§2.3).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJwt,
  isTokenValid,
  MAX_TIMER_MS,
  refreshDelay,
  tokenExpiry,
} from '../../../src/machines/auth.logic.js';

const RUNS = { numRuns: 500 };
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT with this payload: base64url JSON header and payload and a fake signature. */
const jwt = (payload: unknown, signature = 'c2lnbmF0dXJl') =>
  `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.${signature}`;

const NOW = Date.UTC(2025, 0, 1);
const seconds = (ms: number) => Math.floor(ms / 1000);

describe('decodeJwt', () => {
  it('reads exp, iat and sub from the payload', () => {
    const token = jwt({ sub: 'admin', exp: 1_767_225_600, iat: 1_766_534_400, user: { user_id: 'admin' } });
    expect(decodeJwt(token)).toEqual({ sub: 'admin', exp: 1_767_225_600, iat: 1_766_534_400 });
  });

  it('decodes base64url (- and _) and UTF-8 payloads', () => {
    // '?>' and '?~' encode to '_' and '-' in base64url.
    const token = jwt({ sub: 'ü?>?~ 日本', exp: 1 });
    expect(token.split('.')[1]).toMatch(/[-_]/);
    expect(decodeJwt(token)).toEqual({ sub: 'ü?>?~ 日本', exp: 1 });
  });

  it('accepts a payload with or without base64 padding and an empty signature', () => {
    for (const sub of ['a', 'ab', 'abc', 'abcd']) {
      const payload = Buffer.from(JSON.stringify({ sub })).toString('base64');
      expect(decodeJwt(`h.${payload}.s`)).toEqual({ sub });
      expect(decodeJwt(`h.${payload.replace(/=+$/, '')}.`)).toEqual({ sub });
    }
  });

  it('leaves out claims of the wrong type', () => {
    expect(decodeJwt(jwt({ sub: 42, exp: '1767225600', iat: null }))).toEqual({});
    expect(decodeJwt(jwt({}))).toEqual({});
  });

  it.each([
    ['empty', ''],
    ['one segment', 'abc'],
    ['two segments', `${b64url({})}.${b64url({ exp: 1 })}`],
    ['four segments', `${jwt({ exp: 1 })}.x`],
    ['standard base64 characters', 'h.eyJzdWIiOiI/Pz4ifQ.s'],
    ['a character outside base64', `h.${b64url({ exp: 1 })}!.s`],
    ['an impossible length', 'h.abcde.s'],
    ['not JSON', `h.${Buffer.from('not json').toString('base64url')}.s`],
    ['a JSON array', jwt([1, 2])],
    ['JSON null', jwt(null)],
    ['a JSON number', jwt(12)],
    ['invalid UTF-8', `h.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.s`],
  ])('returns undefined for %s', (_, token) => {
    expect(decodeJwt(token)).toBeUndefined();
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (value) => {
        expect(() => decodeJwt(value as string)).not.toThrow();
      }),
      RUNS,
    );
  });

  it('round-trips the claims of any token', () => {
    fc.assert(
      fc.property(
        fc.record(
          { exp: fc.integer(), iat: fc.integer(), sub: fc.string({ unit: 'grapheme' }), extra: fc.jsonValue() },
          { requiredKeys: [] },
        ),
        (payload) => {
          const { extra: _extra, ...claims } = payload;
          expect(decodeJwt(jwt(payload))).toEqual(claims);
        },
      ),
      RUNS,
    );
  });
});

describe('tokenExpiry', () => {
  it('is exp in milliseconds', () => {
    expect(tokenExpiry(jwt({ exp: 1_767_225_600 }))).toBe(1_767_225_600_000);
  });

  it('is undefined without a readable exp', () => {
    expect(tokenExpiry(jwt({ sub: 'x' }))).toBeUndefined();
    expect(tokenExpiry('static-token')).toBeUndefined();
  });
});

describe('isTokenValid', () => {
  it('is true while exp is more than the skew away', () => {
    expect(isTokenValid(jwt({ exp: seconds(NOW) + 3600 }), NOW)).toBe(true);
    expect(isTokenValid(jwt({ exp: seconds(NOW) + 6 }), NOW)).toBe(true);
  });

  it('is false within the skew of expiry and after it', () => {
    expect(isTokenValid(jwt({ exp: seconds(NOW) + 5 }), NOW)).toBe(false);
    expect(isTokenValid(jwt({ exp: seconds(NOW) + 4 }), NOW)).toBe(false);
    expect(isTokenValid(jwt({ exp: seconds(NOW) - 1 }), NOW)).toBe(false);
  });

  it('uses the skew it is given', () => {
    const token = jwt({ exp: seconds(NOW) + 60 });
    expect(isTokenValid(token, NOW, 59_999)).toBe(true);
    expect(isTokenValid(token, NOW, 60_000)).toBe(false);
    expect(isTokenValid(jwt({ exp: seconds(NOW) }), NOW - 1, 0)).toBe(true);
  });

  it('counts a token without exp as valid (a static token it cannot judge), but not an empty one', () => {
    expect(isTokenValid(jwt({ sub: 'admin' }), NOW)).toBe(true);
    expect(isTokenValid('opaque-static-token', NOW)).toBe(true);
    expect(isTokenValid('', NOW)).toBe(false);
  });

  it('agrees with tokenExpiry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e9 }), fc.integer({ min: 0, max: 4e12 }), fc.nat(100_000), (exp, now, skew) => {
        expect(isTokenValid(jwt({ exp }), now, skew)).toBe(exp * 1000 - now > skew);
      }),
      RUNS,
    );
  });
});

describe('refreshDelay', () => {
  const HOUR = 3_600_000;

  it('refreshes bufferMs before expiry', () => {
    expect(refreshDelay({ expiresAt: NOW + HOUR, now: NOW, bufferMs: 60_000 })).toBe(HOUR - 60_000);
  });

  it('refreshes a token shorter-lived than the buffer at half its remaining life', () => {
    expect(refreshDelay({ expiresAt: NOW + 30_000, now: NOW, bufferMs: 60_000 })).toBe(15_000);
    expect(refreshDelay({ expiresAt: NOW + 2, now: NOW, bufferMs: 60_000 })).toBe(1);
  });

  it('is 0 for a token that has expired', () => {
    expect(refreshDelay({ expiresAt: NOW - 1000, now: NOW, bufferMs: 60_000 })).toBe(0);
    expect(refreshDelay({ expiresAt: NOW, now: NOW, bufferMs: 60_000 })).toBe(0);
  });

  it('caps a delay past ~24.8 days at the largest timer (the old SDK’s setTimeout overflowed and fired at once)', () => {
    expect(refreshDelay({ expiresAt: NOW + 8 * 24 * HOUR, now: NOW, bufferMs: 60_000 })).toBe(8 * 24 * HOUR - 60_000);
    expect(refreshDelay({ expiresAt: NOW + 30 * 24 * HOUR, now: NOW, bufferMs: 60_000 })).toBe(MAX_TIMER_MS);
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });

  it('refreshes earlier when issuedAt says the server’s clock is ahead of ours', () => {
    expect(refreshDelay({ expiresAt: NOW + HOUR, issuedAt: NOW + 10_000, now: NOW, bufferMs: 60_000 })).toBe(
      HOUR - 70_000,
    );
    expect(refreshDelay({ expiresAt: NOW + HOUR, issuedAt: NOW - HOUR, now: NOW, bufferMs: 60_000 })).toBe(
      HOUR - 60_000,
    );
  });

  const argsArb = fc.record({
    now: fc.integer({ min: 0, max: 4e12 }),
    offset: fc.integer({ min: -1e10, max: 1e10 }),
    issuedOffset: fc.option(fc.integer({ min: -1e10, max: 1e10 }), { nil: undefined }),
    bufferMs: fc.integer({ min: 0, max: 1e9 }),
  });
  type RawArgs = { now: number; offset: number; issuedOffset: number | undefined; bufferMs: number };
  const toArgs = ({ now, offset, issuedOffset, bufferMs }: RawArgs) => ({
    now,
    expiresAt: now + offset,
    ...(issuedOffset === undefined ? {} : { issuedAt: now + issuedOffset }),
    bufferMs,
  });

  it('is never negative and never more than MAX_TIMER_MS', () => {
    fc.assert(
      fc.property(argsArb, (raw) => {
        const delay = refreshDelay(toArgs(raw));
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(MAX_TIMER_MS);
      }),
      RUNS,
    );
  });

  it('refreshes strictly before expiry when the token has not expired', () => {
    fc.assert(
      fc.property(argsArb, fc.integer({ min: 1, max: 1e9 }), (raw, bufferMs) => {
        fc.pre(raw.offset > 0);
        const args = { ...toArgs(raw), bufferMs };
        expect(args.now + refreshDelay(args)).toBeLessThan(args.expiresAt);
      }),
      RUNS,
    );
  });

  it('is expiresAt − bufferMs − now when the token lives long (more than twice the buffer, under the cap)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: MAX_TIMER_MS }),
        (now, bufferMs, spare) => {
          const expiresAt = now + 2 * bufferMs + spare;
          fc.pre(expiresAt - bufferMs - now <= MAX_TIMER_MS);
          expect(refreshDelay({ expiresAt, now, bufferMs })).toBe(expiresAt - bufferMs - now);
          expect(refreshDelay({ expiresAt, issuedAt: now - 1000, now, bufferMs })).toBe(expiresAt - bufferMs - now);
        },
      ),
      RUNS,
    );
  });

  it('never refreshes later when issuedAt is given', () => {
    fc.assert(
      fc.property(argsArb, (raw) => {
        const args = toArgs(raw);
        const { issuedAt: _issuedAt, ...withoutIssuedAt } = args;
        expect(refreshDelay(args)).toBeLessThanOrEqual(refreshDelay(withoutIssuedAt));
      }),
      RUNS,
    );
  });
});
