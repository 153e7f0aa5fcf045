/**
 * `createClient` options: strict validation with one readable line per bad field, defaults merged
 * once, caller-supplied functions and objects passed through by identity.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocket as WS } from 'ws';
import { ClientError } from '../../../src/errors.js';
import { DEFAULT_RECONNECTION } from '../../../src/machines/connection.logic.js';
import {
  clientOptionsSchema,
  DEFAULT_OPTIONS,
  resolveOptions,
  type ClientOptions,
  type TokenStorage,
  type WebSocketConstructor,
} from '../../../src/options.js';
import * as v from 'valibot';

const URL_BASE = 'http://localhost:8000';
const minimal = { url: URL_BASE, auth: { token: 'jwt' } } satisfies ClientOptions;

/** The ClientError resolveOptions throws for this input. */
function failure(input: unknown): ClientError {
  try {
    resolveOptions(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).reason).toBe('invalid_options');
    return error as ClientError;
  }
  throw new Error('resolveOptions accepted the input');
}
const lines = (input: unknown) => failure(input).message.split('\n');

const memoryStorage = (): TokenStorage => {
  let token: string | null = null;
  return {
    get: () => token,
    set: (next) => {
      token = next;
    },
    clear: () => {
      token = null;
    },
  };
};

// Type-level: both WebSocket implementations fit the option.
const nodeWebSocket: WebSocketConstructor = WS;
const browserWebSocket: WebSocketConstructor = globalThis.WebSocket;
// @ts-expect-error: two auth forms at once do not compile.
const _twoForms: ClientOptions = { url: URL_BASE, auth: { token: 't', getToken: () => 't' } };

describe('DEFAULT_OPTIONS', () => {
  it('holds the documented defaults', () => {
    expect(DEFAULT_OPTIONS).toEqual({
      auth: { refreshBufferMs: 60_000, storage: undefined },
      agentKey: undefined,
      chatSessionId: undefined,
      uiSessionId: undefined,
      autoReconnect: true,
      reconnection: { initialDelay: 1000, maxDelay: 30_000, backoffMultiplier: 1.5, maxAttempts: 0, jitterFactor: 0.3 },
      connectionTimeout: 10_000,
      pingInterval: 30_000,
      pongTimeout: 10_000,
      maxMessageSize: 10 * 1024 * 1024,
      maxUploadSize: 10 * 1024 * 1024,
      allowedMimeTypes: undefined,
      maxFilesPerMessage: 10,
      WebSocket: undefined,
      fetch: undefined,
      inspect: undefined,
      debug: false,
    });
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(DEFAULT_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_OPTIONS.auth)).toBe(true);
    expect(Object.isFrozen(DEFAULT_OPTIONS.reconnection)).toBe(true);
    expect(() => {
      (DEFAULT_OPTIONS.reconnection as { maxDelay: number }).maxDelay = 1;
    }).toThrow(TypeError);
  });
});

describe('resolveOptions: valid input', () => {
  it('fills every default for the minimal options', () => {
    expect(resolveOptions(minimal)).toEqual({
      ...DEFAULT_OPTIONS,
      url: URL_BASE,
      auth: { kind: 'token', token: 'jwt', refreshBufferMs: 60_000, storage: undefined },
    });
  });

  it('names the auth form with kind', () => {
    const getToken = () => 'jwt';
    expect(resolveOptions({ url: URL_BASE, auth: { username: 'admin', password: 'changeme' } }).auth).toEqual({
      kind: 'credentials',
      username: 'admin',
      password: 'changeme',
      refreshBufferMs: 60_000,
      storage: undefined,
    });
    expect(resolveOptions({ url: URL_BASE, auth: { getToken, refreshBufferMs: 0 } }).auth).toEqual({
      kind: 'getToken',
      getToken,
      refreshBufferMs: 0,
      storage: undefined,
    });
  });

  it('keeps every given value over its default', () => {
    const options = {
      url: 'wss://example.com/agentc',
      auth: { token: 'jwt', refreshBufferMs: 5000 },
      agentKey: 'helper',
      chatSessionId: 'chat-1',
      uiSessionId: 'UI-1',
      autoReconnect: false,
      connectionTimeout: 1,
      pingInterval: 2,
      pongTimeout: 3,
      maxMessageSize: 4,
      maxUploadSize: 5,
      allowedMimeTypes: ['image/png', 'application/pdf'],
      maxFilesPerMessage: 6,
      debug: true,
    } satisfies ClientOptions;
    const resolved = resolveOptions(options);
    const { auth: _auth, ...rest } = options;
    expect(resolved).toMatchObject(rest);
    expect(resolved.auth.refreshBufferMs).toBe(5000);
  });

  it('merges a partial reconnection policy over the default one', () => {
    const resolved = resolveOptions({ ...minimal, reconnection: { maxAttempts: 5, jitterFactor: 0 } });
    expect(resolved.reconnection).toEqual({ ...DEFAULT_RECONNECTION, maxAttempts: 5, jitterFactor: 0 });
    expect(Object.isFrozen(resolved.reconnection)).toBe(true);
    expect(DEFAULT_RECONNECTION.maxAttempts).toBe(0);
  });

  it('treats options set to undefined as not given', () => {
    const resolved = resolveOptions({ ...minimal, pingInterval: undefined, reconnection: { maxDelay: undefined } });
    expect(resolved.pingInterval).toBe(30_000);
    expect(resolved.reconnection.maxDelay).toBe(30_000);
  });

  it('passes functions and objects through by identity', () => {
    const fetchFn: typeof fetch = async () => new Response('{}');
    const storage = memoryStorage();
    const getToken = async () => 'jwt';
    const observer = { next: () => {} };
    const inspectFn = () => {};
    const resolved = resolveOptions({
      url: URL_BASE,
      auth: { getToken, storage },
      WebSocket: WS,
      fetch: fetchFn,
      inspect: observer,
    });
    expect(resolved.WebSocket).toBe(WS);
    expect(resolved.fetch).toBe(fetchFn);
    expect(resolved.inspect).toBe(observer);
    expect(resolved.auth.storage).toBe(storage);
    expect(resolved.auth.kind === 'getToken' && resolved.auth.getToken).toBe(getToken);
    expect(resolveOptions({ ...minimal, inspect: inspectFn }).inspect).toBe(inspectFn);
    expect(nodeWebSocket).toBe(WS);
    expect(browserWebSocket).toBe(globalThis.WebSocket);
  });

  it('accepts a storage that is a class instance', () => {
    class Storage implements TokenStorage {
      get() {
        return null;
      }
      set() {}
      clear() {}
    }
    const storage = new Storage();
    expect(resolveOptions({ ...minimal, auth: { token: 't', storage } }).auth.storage).toBe(storage);
  });

  it('returns a frozen object and copies allowedMimeTypes', () => {
    const types = ['image/png'];
    const resolved = resolveOptions({ ...minimal, allowedMimeTypes: types });
    types.push('text/plain');
    expect(resolved.allowedMimeTypes).toEqual(['image/png']);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.auth)).toBe(true);
    expect(Object.isFrozen(resolved.allowedMimeTypes)).toBe(true);
    expect(resolveOptions({ ...minimal, allowedMimeTypes: [] }).allowedMimeTypes).toEqual([]);
  });

  it('accepts http, https, ws and wss bases', () => {
    for (const url of ['http://h', 'https://h:8443/x/', 'ws://127.0.0.1:8000', 'wss://h/api/rt/ws']) {
      expect(resolveOptions({ ...minimal, url }).url).toBe(url);
    }
  });

  it('resolves any valid combination to the given values or the defaults', () => {
    const positive = fc.integer({ min: 1, max: 2_147_483_647 });
    const shapes = {
      autoReconnect: fc.boolean(),
      debug: fc.boolean(),
      connectionTimeout: positive,
      pingInterval: positive,
      pongTimeout: positive,
      maxMessageSize: positive,
      maxUploadSize: positive,
      maxFilesPerMessage: positive,
      agentKey: fc.string({ minLength: 1 }),
    };
    const optionsArb = fc.record(shapes, { requiredKeys: [] });
    const keys = Object.keys(shapes) as (keyof typeof shapes)[];
    expect(keys).toHaveLength(9);
    const reconnectionArb = fc.record(
      {
        initialDelay: fc.integer({ min: 0, max: 1000 }),
        maxDelay: fc.integer({ min: 1000, max: 100_000 }),
        backoffMultiplier: fc.double({ min: 1, max: 5, noNaN: true }),
        maxAttempts: fc.nat(100),
        jitterFactor: fc.double({ min: 0, max: 1, noNaN: true }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(optionsArb, reconnectionArb, (given, reconnection) => {
        const resolved = resolveOptions({ ...minimal, ...given, reconnection });
        for (const key of keys) {
          expect(resolved[key], key).toBe(given[key] ?? DEFAULT_OPTIONS[key]);
        }
        expect(resolved.reconnection).toEqual({ ...DEFAULT_RECONNECTION, ...reconnection });
      }),
      { numRuns: 200 },
    );
  });

  it('exposes the schema for parsing without defaults', () => {
    const output = v.parse(clientOptionsSchema, minimal);
    expect(output).toEqual(minimal);
    expect(v.safeParse(clientOptionsSchema, { ...minimal, debug: 'yes' }).success).toBe(false);
  });
});

describe('resolveOptions: invalid input', () => {
  it.each([null, undefined, 'http://localhost:8000', 42, [minimal]])('refuses %j as a whole', (input) => {
    expect(lines(input)).toEqual(["options: must be an object such as { url: 'http://localhost:8000', auth: { token } }"]);
  });

  it('requires url and auth', () => {
    expect(lines({})).toEqual([
      'url: is required: the API base, an http(s) URL such as http://localhost:8000',
      'auth: is required: { username, password }, { token } or { getToken }',
    ]);
  });

  it.each(['localhost:8000', 'ftp://example.com', '', 'http://', 42, undefined])('refuses the url %j', (url) => {
    expect(lines({ ...minimal, url })).toEqual(['url: must be an http(s) URL such as http://localhost:8000']);
  });

  it('names an unknown option, and suggests the closest known one', () => {
    expect(lines({ ...minimal, pingIntervall: 1000 })).toEqual([
      "unknown option 'pingIntervall' (did you mean 'pingInterval'?)",
    ]);
    expect(lines({ ...minimal, websocket: WS })).toEqual(["unknown option 'websocket' (did you mean 'WebSocket'?)"]);
    expect(lines({ ...minimal, somethingElse: true })).toEqual(["unknown option 'somethingElse'"]);
  });

  it('refuses the keys valibot would skip silently', () => {
    expect(lines(JSON.parse('{"url":"http://h","auth":{"token":"t"},"__proto__":{"debug":true}}'))).toEqual([
      "options: unknown option '__proto__'",
    ]);
    expect(lines({ url: URL_BASE, auth: { token: 't', constructor: 1 } })).toEqual(["auth: unknown option 'constructor'"]);
  });

  it('names unknown options inside auth and reconnection with their path', () => {
    expect(lines({ url: URL_BASE, auth: { token: 't', tokn: 'x' }, reconnection: { maxDelays: 1, foo: 2 } })).toEqual([
      "unknown option 'auth.tokn' (did you mean 'token'?)",
      "unknown option 'reconnection.maxDelays' (did you mean 'maxDelay'?)",
      "unknown option 'reconnection.foo'",
    ]);
  });

  it('refuses any option name it does not know', () => {
    const known = new Set(Object.keys({ ...DEFAULT_OPTIONS, url: 1 }));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('__proto__', 'constructor', 'prototype')).filter(
          (key) => !known.has(key),
        ),
        (key) => {
          const message = failure({ ...minimal, [key]: 1 }).message;
          expect(message).toContain(`unknown option '${key}'`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names every bad field, one line each', () => {
    expect(
      lines({
        url: 'localhost',
        auth: { token: '' },
        agentKey: '',
        autoReconnect: 'yes',
        reconnection: { initialDelay: -1, maxDelay: 1e12, backoffMultiplier: 0.5, maxAttempts: 1.5, jitterFactor: 2 },
        connectionTimeout: 0,
        pingInterval: 1.5,
        pongTimeout: '10s',
        maxMessageSize: -1,
        maxUploadSize: Number.POSITIVE_INFINITY,
        allowedMimeTypes: ['png'],
        maxFilesPerMessage: 0,
        WebSocket: {},
        fetch: 'fetch',
        inspect: { complete() {} },
        debug: 1,
      }),
    ).toEqual([
      'url: must be an http(s) URL such as http://localhost:8000',
      'auth.token: must be a non-empty string (an Agent C JWT)',
      'agentKey: must be a non-empty string',
      'autoReconnect: must be true or false',
      'reconnection.initialDelay: must be a number of milliseconds from 0 to 2147483647',
      'reconnection.maxDelay: must be a number of milliseconds from 0 to 2147483647',
      'reconnection.backoffMultiplier: must be a number ≥ 1',
      'reconnection.maxAttempts: must be a whole number ≥ 0 (0 means unlimited)',
      'reconnection.jitterFactor: must be a number from 0 to 1',
      'connectionTimeout: must be a whole number of milliseconds from 1 to 2147483647',
      'pingInterval: must be a whole number of milliseconds from 1 to 2147483647',
      'pongTimeout: must be a whole number of milliseconds from 1 to 2147483647',
      'maxMessageSize: must be a whole number of bytes ≥ 1',
      'maxUploadSize: must be a whole number of bytes ≥ 1',
      "allowedMimeTypes: must be an array of MIME types such as ['image/png', 'application/pdf']",
      'maxFilesPerMessage: must be a whole number ≥ 1',
      "WebSocket: must be a WebSocket constructor, such as WebSocket from 'ws'",
      'fetch: must be a fetch function',
      'inspect: must be a function or an observer with a next() method',
      'debug: must be true or false',
    ]);
  });

  it('refuses an initial delay above the maximum delay, the default one included', () => {
    expect(lines({ ...minimal, reconnection: { initialDelay: 5000, maxDelay: 1000 } })).toEqual([
      'reconnection.initialDelay: must not exceed reconnection.maxDelay (1000)',
    ]);
    expect(lines({ ...minimal, reconnection: { initialDelay: 60_000 } })).toEqual([
      'reconnection.initialDelay: must not exceed reconnection.maxDelay (30000)',
    ]);
    expect(lines({ ...minimal, reconnection: [] })).toEqual([
      'reconnection: must be an object with some of initialDelay, maxDelay, backoffMultiplier, maxAttempts, jitterFactor',
    ]);
  });

  describe('auth', () => {
    it('must be an object', () => {
      expect(lines({ url: URL_BASE, auth: 'jwt' })).toEqual([
        'auth: must be an object: { username, password }, { token } or { getToken }',
      ]);
    });

    it('needs one form', () => {
      expect(lines({ url: URL_BASE, auth: {} })).toEqual([
        'auth: give one of { username, password }, { token } or { getToken }',
      ]);
      expect(lines({ url: URL_BASE, auth: { refreshBufferMs: 1, token: undefined } })).toEqual([
        'auth: give one of { username, password }, { token } or { getToken }',
      ]);
    });

    it('takes only one form', () => {
      expect(lines({ url: URL_BASE, auth: { token: 't', getToken: () => 't' } })).toEqual([
        'auth: give only one of { username, password }, { token } or { getToken } (got token and getToken)',
      ]);
      expect(lines({ url: URL_BASE, auth: { username: 'u', password: 'p', token: 't' } })).toEqual([
        'auth: give only one of { username, password }, { token } or { getToken } (got username/password and token)',
      ]);
    });

    it('needs both username and password', () => {
      expect(lines({ url: URL_BASE, auth: { username: 'admin' } })).toEqual([
        'auth.password: is required with auth.username',
      ]);
      expect(lines({ url: URL_BASE, auth: { password: 'changeme' } })).toEqual([
        'auth.username: is required with auth.password',
      ]);
    });

    it('checks each field', () => {
      expect(
        lines({ url: URL_BASE, auth: { getToken: 'jwt', refreshBufferMs: -1, storage: { get() {}, set: 1 } } }),
      ).toEqual([
        'auth.getToken: must be a function returning a token or a promise of one',
        'auth.refreshBufferMs: must be a number of milliseconds ≥ 0',
        'auth.storage: must be an object with get(), set(token) and clear() methods (not functions: set, clear)',
      ]);
      expect(lines({ url: URL_BASE, auth: { token: 't', storage: null } })).toEqual([
        'auth.storage: must be an object with get(), set(token) and clear() methods',
      ]);
    });

    it('never echoes a password or token in the message', () => {
      const message = failure({ url: 'nope', auth: { username: 'admin', password: 's3cr3t-pw', token: 'jwt-123' } }).message;
      expect(message).not.toContain('s3cr3t-pw');
      expect(message).not.toContain('jwt-123');
    });
  });
});
