/**
 * The connection machine's pure rules (backoff with jitter, close-code classification) and the
 * socket and HTTP URLs of the schema layer, derived from the API base (PROTOCOL.md §1.1, §1.2, §1.8, §2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../../src/errors.js';
import { baseDelay, classifyClose, DEFAULT_RECONNECTION, reconnectDelay, type ReconnectionPolicy } from '../../../src/machines/connection.logic.js';
import { apiUrl, isApiBase, socketUrl } from '../../../src/schema/urls.js';

const RUNS = { numRuns: 500 };

const policyArb: fc.Arbitrary<ReconnectionPolicy> = fc.record({
  initialDelay: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 100_000, noNaN: true })),
  maxDelay: fc.double({ min: 0, max: 1_000_000, noNaN: true }),
  backoffMultiplier: fc.double({ min: 1, max: 10, noNaN: true }),
  maxAttempts: fc.nat({ max: 50 }),
  jitterFactor: fc.double({ min: 0, max: 1, noNaN: true }),
});
/** `Math.random`'s range: [0, 1). */
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('DEFAULT_RECONNECTION', () => {
  it('is the seeds’ default policy, frozen', () => {
    expect(DEFAULT_RECONNECTION).toEqual({
      initialDelay: 1000,
      maxDelay: 30_000,
      backoffMultiplier: 1.5,
      maxAttempts: 0,
      jitterFactor: 0.3,
    });
    expect(Object.isFrozen(DEFAULT_RECONNECTION)).toBe(true);
  });
});

describe('baseDelay', () => {
  it('grows by the multiplier from the initial delay, 1-based', () => {
    expect([1, 2, 3, 4].map((attempt) => baseDelay(attempt, DEFAULT_RECONNECTION))).toEqual([1000, 1500, 2250, 3375]);
  });

  it('stops at maxDelay, even for attempts whose power overflows', () => {
    expect(baseDelay(9, DEFAULT_RECONNECTION)).toBe(25_628.90625);
    expect(baseDelay(10, DEFAULT_RECONNECTION)).toBe(30_000);
    expect(baseDelay(100_000, DEFAULT_RECONNECTION)).toBe(30_000);
  });

  it('stays 0 from an initial delay of 0, even when the power overflows', () => {
    expect(baseDelay(1000, { ...DEFAULT_RECONNECTION, initialDelay: 0, backoffMultiplier: 10 })).toBe(0);
    expect(reconnectDelay(1000, { ...DEFAULT_RECONNECTION, initialDelay: 0, backoffMultiplier: 10 }, () => 0.9)).toBe(0);
  });

  it('treats attempts below 1 as the first', () => {
    expect(baseDelay(0, DEFAULT_RECONNECTION)).toBe(1000);
    expect(baseDelay(-3, DEFAULT_RECONNECTION)).toBe(1000);
  });

  it('never decreases from one attempt to the next, and never passes maxDelay', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 500 }), (policy, attempt) => {
        const now = baseDelay(attempt, policy);
        expect(baseDelay(attempt + 1, policy)).toBeGreaterThanOrEqual(now);
        expect(now).toBeLessThanOrEqual(policy.maxDelay);
        expect(now).toBeGreaterThanOrEqual(0);
      }),
      RUNS,
    );
  });
});

describe('reconnectDelay', () => {
  it('is the base delay when the random number is in the middle', () => {
    expect(reconnectDelay(1, DEFAULT_RECONNECTION, () => 0.5)).toBe(1000);
    expect(reconnectDelay(3, DEFAULT_RECONNECTION, () => 0.5)).toBe(2250);
  });

  it('spreads the delay by ±jitterFactor', () => {
    expect(reconnectDelay(1, DEFAULT_RECONNECTION, () => 0)).toBe(700);
    expect(reconnectDelay(1, DEFAULT_RECONNECTION, () => 0.999_999_999)).toBe(1300);
    expect(reconnectDelay(2, DEFAULT_RECONNECTION, () => 0.25)).toBe(1275);
  });

  it('caps the jittered delay at maxDelay', () => {
    expect(reconnectDelay(50, DEFAULT_RECONNECTION, () => 0.999)).toBe(30_000);
    expect(reconnectDelay(50, DEFAULT_RECONNECTION, () => 0)).toBe(21_000);
  });

  it('rounds to whole milliseconds', () => {
    expect(reconnectDelay(9, { ...DEFAULT_RECONNECTION, jitterFactor: 0 }, Math.random)).toBe(25_629);
  });

  it('gives up (null) after maxAttempts, and never when maxAttempts is 0', () => {
    const three = { ...DEFAULT_RECONNECTION, maxAttempts: 3 };
    expect(reconnectDelay(3, three, () => 0.5)).toBe(2250);
    expect(reconnectDelay(4, three, () => 0.5)).toBeNull();
    expect(reconnectDelay(1_000_000, DEFAULT_RECONNECTION, () => 0.5)).toBe(30_000);
  });

  it('lies within [d·(1−j), d·(1+j)] (±1 ms), at most maxDelay, whole and never negative', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 200 }), randomArb, (policy, attempt, r) => {
        const delay = reconnectDelay(attempt, policy, () => r);
        if (policy.maxAttempts > 0 && attempt > policy.maxAttempts) {
          expect(delay).toBeNull();
          return;
        }
        expect(delay).not.toBeNull();
        const d = baseDelay(attempt, policy);
        const j = policy.jitterFactor;
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay!).toBeGreaterThanOrEqual(0);
        expect(delay!).toBeLessThanOrEqual(policy.maxDelay);
        expect(delay!).toBeGreaterThanOrEqual(d * (1 - j) - 1);
        expect(delay!).toBeLessThanOrEqual(d * (1 + j) + 1);
      }),
      RUNS,
    );
  });

  it('without jitter, never shrinks from one attempt to the next', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 200 }), (policy, attempt) => {
        const still = { ...policy, jitterFactor: 0, maxAttempts: 0 };
        expect(reconnectDelay(attempt + 1, still, Math.random)!).toBeGreaterThanOrEqual(
          reconnectDelay(attempt, still, Math.random)!,
        );
      }),
      RUNS,
    );
  });
});

describe('classifyClose', () => {
  it.each([
    [1000, 'normal', true],
    [1001, 'going_away', true],
    [1006, 'abnormal', true],
    [1008, 'policy', false],
    [1011, 'server_error', true],
    [1012, 'restart', true],
    [1013, 'restart', true],
    [4000, 'heartbeat', true],
    [1002, 'other', true],
    [1005, 'other', true],
    [4999, 'other', true],
  ] as const)('%i is %s (retry %s)', (code, kind, retry) => {
    expect(classifyClose(code)).toEqual({ kind, retry });
  });

  it('refuses to retry only the handshake’s policy close', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), (code) => {
        expect(classifyClose(code).retry).toBe(code !== 1008);
      }),
    );
  });
});

describe('socketUrl', () => {
  it('derives ws:// from http:// and wss:// from https://, keeping the port', () => {
    expect(socketUrl('http://localhost:8000', { token: 'T' })).toBe('ws://localhost:8000/api/rt/ws?token=T');
    expect(socketUrl('https://example.com', { token: 'T' })).toBe('wss://example.com/api/rt/ws?token=T');
    expect(socketUrl('https://example.com:8443', { token: 'T' })).toBe('wss://example.com:8443/api/rt/ws?token=T');
  });

  it('keeps a path prefix, ignores a trailing slash and drops the query and hash', () => {
    expect(socketUrl('https://example.com/agentc/', { token: 'T' })).toBe(
      'wss://example.com/agentc/api/rt/ws?token=T',
    );
    expect(socketUrl('http://h:1/a/b?x=1#frag', { token: 'T' })).toBe('ws://h:1/a/b/api/rt/ws?token=T');
    expect(socketUrl('http://localhost:8000/', { token: 'T' })).toBe('ws://localhost:8000/api/rt/ws?token=T');
  });

  it('accepts ws and wss bases as they are, including the socket URL itself', () => {
    expect(socketUrl('ws://localhost:8000', { token: 'T' })).toBe('ws://localhost:8000/api/rt/ws?token=T');
    expect(socketUrl('wss://example.com/agentc', { token: 'T' })).toBe('wss://example.com/agentc/api/rt/ws?token=T');
    expect(socketUrl('wss://example.com/api/rt/ws?token=old', { token: 'T' })).toBe(
      'wss://example.com/api/rt/ws?token=T',
    );
  });

  it('adds ui_session_id, then chat_session_id and agent_key', () => {
    expect(socketUrl('http://h', { token: 'T', uiSessionId: 'UI-1', agentKey: 'helper' })).toBe(
      'ws://h/api/rt/ws?token=T&ui_session_id=UI-1&agent_key=helper',
    );
    expect(socketUrl('http://h', { token: 'T', uiSessionId: 'UI-1', chatSessionId: 'c-1' })).toBe(
      'ws://h/api/rt/ws?token=T&ui_session_id=UI-1&chat_session_id=c-1',
    );
  });

  it('sends the agent with the chat session (§1.2: the server replaces a loaded session’s agent by agent_key, "default" when omitted)', () => {
    const url = new URL(socketUrl('http://h', { token: 'T', chatSessionId: 'c-1', agentKey: 'helper' }));
    expect(url.searchParams.get('chat_session_id')).toBe('c-1');
    expect(url.searchParams.get('agent_key')).toBe('helper');
  });

  it('leaves out null, undefined and empty ids', () => {
    expect(socketUrl('http://h', { token: 'T', uiSessionId: null, chatSessionId: '', agentKey: undefined })).toBe(
      'ws://h/api/rt/ws?token=T',
    );
    expect(socketUrl('http://h', { token: 'T', chatSessionId: null, agentKey: 'a' })).toBe(
      'ws://h/api/rt/ws?token=T&agent_key=a',
    );
  });

  it('URL-encodes every value', () => {
    expect(socketUrl('http://h', { token: 'a+b/c=d', uiSessionId: 'x y&z', agentKey: 'é?#' })).toBe(
      'ws://h/api/rt/ws?token=a%2Bb%2Fc%3Dd&ui_session_id=x%20y%26z&agent_key=%C3%A9%3F%23',
    );
  });

  it('round-trips arbitrary values through the query', () => {
    const id = fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), id, id, id, (token, uiSessionId, chatSessionId, agentKey) => {
        const url = new URL(socketUrl('https://example.com:9000/p', { token, uiSessionId, chatSessionId, agentKey }));
        expect(url.protocol).toBe('wss:');
        expect(url.host).toBe('example.com:9000');
        expect(url.pathname).toBe('/p/api/rt/ws');
        const expected: [string, string][] = [['token', token]];
        if (uiSessionId) expected.push(['ui_session_id', uiSessionId]);
        if (chatSessionId) expected.push(['chat_session_id', chatSessionId]);
        if (agentKey) expected.push(['agent_key', agentKey]);
        expect([...url.searchParams]).toEqual(expected);
      }),
      RUNS,
    );
  });

  it.each(['ftp://example.com', 'localhost:8000', 'example.com', '', 'http://', 'not a url'])(
    'refuses the base %j with invalid_options',
    (base) => {
      let error: unknown;
      try {
        socketUrl(base, { token: 'T' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).reason).toBe('invalid_options');
      expect((error as ClientError).message).toMatch(/^url: /);
      expect(isApiBase(base)).toBe(false);
    },
  );
});

describe('apiUrl', () => {
  it.each(['login', 'refresh_token', 'upload_file', 'cancel'] as const)('builds the %s route', (route) => {
    expect(apiUrl('http://localhost:8000', route)).toBe(`http://localhost:8000/api/rt/${route}`);
  });

  it('keeps https, the port and the prefix, and drops a trailing slash, query and hash', () => {
    expect(apiUrl('https://example.com:8443/agentc/?q=1#h', 'login')).toBe(
      'https://example.com:8443/agentc/api/rt/login',
    );
  });

  it('maps ws to http and wss to https, dropping a socket path', () => {
    expect(apiUrl('ws://localhost:8000', 'cancel')).toBe('http://localhost:8000/api/rt/cancel');
    expect(apiUrl('wss://example.com/x/api/rt/ws', 'upload_file')).toBe('https://example.com/x/api/rt/upload_file');
  });

  it('refuses a base that is not http(s) or ws(s)', () => {
    expect(() => apiUrl('file:///tmp', 'login')).toThrow(ClientError);
  });
});
