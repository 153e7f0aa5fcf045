/**
 * The options of `createClient`: their types and defaults, the valibot schema that checks them, and
 * {@link resolveOptions}, the one place where the defaults are merged in.
 *
 * @remarks Unknown option names are errors, so a typo cannot pass silently. Functions and objects
 * the caller supplies (`WebSocket`, `fetch`, `auth.getToken`, `auth.storage`, `inspect`) are passed
 * through as they are, never copied.
 */
import type { AvatarAdapter } from './avatar/adapter.js';
import * as v from 'valibot';
import type { InspectionEvent } from 'xstate';
import { ClientError } from './errors.js';
import { MAX_TIMER_MS } from './machines/auth.logic.js';
import { DEFAULT_RECONNECTION, type ReconnectionPolicy } from './machines/connection.logic.js';
import { isApiBase } from './schema/urls.js';

/** Where the client keeps its token between page loads or runs (e.g. `localStorage`). */
export interface TokenStorage {
  /** The stored token, or `null` when there is none. */
  get(): string | null | Promise<string | null>;
  /** Stores a new token (after login or refresh). */
  set(token: string): void | Promise<void>;
  /** Forgets the token (after it was refused, or on logout). */
  clear(): void | Promise<void>;
}

/** What the client needs from a WebSocket: the browser's `WebSocket` and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  /** Sends a text or binary frame. */
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  /** Closes the socket. */
  close(code?: number, reason?: string): void;
}

/** A WebSocket implementation: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` on Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** An xstate inspection callback, or an observer with a `next` method (`@statelyai/inspect`'s `inspect`). */
export type InspectOption =
  | ((event: InspectionEvent) => void)
  | {
      /** Receives each inspection event. */
      next: (event: InspectionEvent) => void;
      /** Not called by the client; accepted so that observers fit. */
      error?: (error: unknown) => void;
      /** Not called by the client; accepted so that observers fit. */
      complete?: () => void;
    };

/** Options shared by every form of {@link AuthOptions}. */
export interface AuthCommonOptions {
  /**
   * How long before expiry (ms) a token is refreshed. A token that lives shorter than this is
   * refreshed at half its remaining life.
   * @default 60000
   */
  refreshBufferMs?: number;
  /**
   * Where the token is kept between runs. A stored token that is still valid is used before logging in.
   * @default undefined (the token lives in memory only)
   */
  storage?: TokenStorage;
}

/** Log in with a username and password (`POST /api/rt/login`); the token is refreshed automatically. */
export interface CredentialsAuthOptions extends AuthCommonOptions {
  /** @default none (required in this form) */
  username: string;
  /** @default none (required in this form) */
  password: string;
  token?: never;
  getToken?: never;
}

/** Use a token you already have (refreshed with `GET /api/rt/refresh_token` before it expires). */
export interface TokenAuthOptions extends AuthCommonOptions {
  /** An Agent C JWT. @default none (required in this form) */
  token: string;
  username?: never;
  password?: never;
  getToken?: never;
}

/** Ask your code for a token whenever the client needs one (your code refreshes it). */
export interface GetTokenAuthOptions extends AuthCommonOptions {
  /** Returns an Agent C JWT, or a promise of one. @default none (required in this form) */
  getToken: () => string | Promise<string>;
  username?: never;
  password?: never;
  token?: never;
}

/** How the client authenticates: exactly one of `{ username, password }`, `{ token }` or `{ getToken }`. */
export type AuthOptions = CredentialsAuthOptions | TokenAuthOptions | GetTokenAuthOptions;

/**
 * The options of `createClient`.
 *
 * @example
 * createClient({ url: 'http://localhost:8000', auth: { username: 'admin', password: 'changeme' } });
 */
export interface ClientOptions {
  /**
   * The API base, `http(s)://host[:port][/prefix]`. The socket URL (`ws(s)://…/api/rt/ws`) and the
   * HTTP routes (`…/api/rt/login`, …) are derived from it; a ws(s) URL is accepted too.
   * @default none (required)
   */
  url: string;
  /**
   * How to authenticate: `{ username, password }`, `{ token }` or `{ getToken }`.
   * @default none (required)
   */
  auth: AuthOptions;
  /**
   * The agent of a new chat session (`agent_key` on the socket URL). Not sent when `chatSessionId`
   * is given, because the server would replace that session's agent with it.
   * @default undefined (the server's `"default"` agent)
   */
  agentKey?: string;
  /**
   * The chat session to open (or to create with this id) when a new UI session starts.
   * @default undefined (a new chat session)
   */
  chatSessionId?: string;
  /**
   * The UI session to attach to (or to create with this id).
   * @default undefined (the server names a new UI session; the client keeps that id for reconnects)
   */
  uiSessionId?: string;
  /**
   * Reconnect after the connection drops.
   * @default true
   */
  autoReconnect?: boolean;
  /**
   * Reconnect backoff; the fields given replace the defaults.
   * @default { initialDelay: 1000, maxDelay: 30000, backoffMultiplier: 1.5, maxAttempts: 0, jitterFactor: 0.3 }
   */
  reconnection?: Partial<ReconnectionPolicy>;
  /**
   * How long (ms) opening the socket may take.
   * @default 10000
   */
  connectionTimeout?: number;
  /**
   * How often (ms) a `ping` is sent.
   * @default 30000
   */
  pingInterval?: number;
  /**
   * How long (ms) to wait for any frame after a `ping` before the socket is closed with 4000.
   * @default 10000
   */
  pongTimeout?: number;
  /**
   * The largest frame (bytes) accepted from the server.
   * @default 10485760 (10 MiB)
   */
  maxMessageSize?: number;
  /**
   * The largest file (bytes) `uploadFile` accepts.
   * @default 10485760 (10 MiB)
   */
  maxUploadSize?: number;
  /**
   * The MIME types `uploadFile` accepts, e.g. `['image/png', 'application/pdf']`.
   * @default undefined (any type)
   */
  allowedMimeTypes?: readonly string[];
  /**
   * The most files one message may carry.
   * @default 10
   */
  maxFilesPerMessage?: number;
  /**
   * The WebSocket implementation. Node 20 has none: pass `WebSocket` from the `ws` package.
   * @default undefined (`globalThis.WebSocket`)
   */
  WebSocket?: WebSocketConstructor;
  /**
   * The `fetch` used for login, refresh, upload and cancel.
   * @default undefined (`globalThis.fetch`)
   */
  fetch?: typeof globalThis.fetch;
  /**
   * Receives the xstate inspection events of every actor (e.g. `createBrowserInspector().inspect`).
   * @default undefined
   */
  inspect?: InspectOption;
  /**
   * What renders the avatar (`agentc-realtime/heygen`'s `createHeyGenAdapter()`, or your own): the
   * client connects it to each avatar session and hears when the stream is ready and when the avatar
   * talks (`avatar$`); a cancel or a barge-in interrupts it.
   * @default undefined (the app shows the avatar's stream itself)
   */
  avatarAdapter?: AvatarAdapter;
  /**
   * Log state changes and errors with `console.debug` (never tokens: diagnostics are redacted).
   * @default false
   */
  debug?: boolean;
}

/** {@link AuthOptions} with its defaults filled in and its form named by `kind`. */
export type ResolvedAuth = {
  readonly refreshBufferMs: number;
  readonly storage: TokenStorage | undefined;
} & (
  | { readonly kind: 'credentials'; readonly username: string; readonly password: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'getToken'; readonly getToken: () => string | Promise<string> }
);

/** {@link ClientOptions} after {@link resolveOptions}: every default filled in, frozen. */
export interface ResolvedClientOptions {
  readonly url: string;
  readonly auth: ResolvedAuth;
  readonly agentKey: string | undefined;
  readonly chatSessionId: string | undefined;
  readonly uiSessionId: string | undefined;
  readonly autoReconnect: boolean;
  readonly reconnection: Readonly<ReconnectionPolicy>;
  readonly connectionTimeout: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly maxMessageSize: number;
  readonly maxUploadSize: number;
  readonly allowedMimeTypes: readonly string[] | undefined;
  readonly maxFilesPerMessage: number;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly inspect: InspectOption | undefined;
  readonly avatarAdapter: AvatarAdapter | undefined;
  readonly debug: boolean;
}

/** The defaults of every option that has one. */
export type DefaultOptions = Omit<ResolvedClientOptions, 'url' | 'auth'> & {
  readonly auth: { readonly refreshBufferMs: number; readonly storage: undefined };
};

const MIB = 1024 * 1024;

/** The defaults, deeply frozen; {@link resolveOptions} merges them under the caller's options. */
export const DEFAULT_OPTIONS: DefaultOptions = Object.freeze({
  auth: Object.freeze({ refreshBufferMs: 60_000, storage: undefined }),
  agentKey: undefined,
  chatSessionId: undefined,
  uiSessionId: undefined,
  autoReconnect: true,
  reconnection: DEFAULT_RECONNECTION,
  connectionTimeout: 10_000,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  maxMessageSize: 10 * MIB,
  maxUploadSize: 10 * MIB,
  allowedMimeTypes: undefined,
  maxFilesPerMessage: 10,
  WebSocket: undefined,
  fetch: undefined,
  inspect: undefined,
  avatarAdapter: undefined,
  debug: false,
});

// Field rules. Each is one `custom` check with one message, so every bad field gives one line.

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isWhole = (value: unknown, min: number, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

const rule = <T>(test: (value: unknown) => boolean, message: string) => v.optional(v.custom<T>(test, message));

const nonEmptyString = rule<string>((x) => typeof x === 'string' && x !== '', 'must be a non-empty string');
const flag = rule<boolean>((x) => typeof x === 'boolean', 'must be true or false');
const delayMs = rule<number>(
  (x) => isNumber(x) && x >= 0 && x <= MAX_TIMER_MS,
  `must be a number of milliseconds from 0 to ${MAX_TIMER_MS}`,
);
const timeoutMs = rule<number>(
  (x) => isWhole(x, 1, MAX_TIMER_MS),
  `must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`,
);
const bytes = rule<number>((x) => isWhole(x, 1, Number.MAX_SAFE_INTEGER), 'must be a whole number of bytes ≥ 1');

const STORAGE_METHODS = ['get', 'set', 'clear'] as const;
const storage = v.optional(
  v.custom<TokenStorage>(
    (x) => isPlainObject(x) && STORAGE_METHODS.every((name) => isFunction(x[name])),
    (issue) => {
      const input = issue.input;
      if (!isPlainObject(input)) return 'must be an object with get(), set(token) and clear() methods';
      const missing = STORAGE_METHODS.filter((name) => !isFunction(input[name]));
      return `must be an object with get(), set(token) and clear() methods (not functions: ${missing.join(', ')})`;
    },
  ),
);

// Strict objects that report every unknown key (valibot's strictObject reports only the first).

/** Marks an unknown-key issue; its message holds only the "did you mean" hint. */
const UNKNOWN_KEY = 'known option';

/** The known name closest to a misspelt one (same letters ignoring case, or at most 2 edits). */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    if (name.toLowerCase() === key.toLowerCase()) return name;
    const distance = editDistance(key, name);
    if (distance < bestDistance && distance < name.length / 2) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Keys that valibot's object schemas skip without a word (a guard against prototype pollution), so
 * the unknown-key check after them cannot see them; they are refused up front instead.
 */
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];
const reservedKey = (value: Record<string, unknown>) => RESERVED_KEYS.find((key) => Object.hasOwn(value, key));

/**
 * An object with these entries and no others. `notObject` is the message for a value that is not an
 * object; `required` gives the message for each required key that is missing.
 */
function strictOptions<const E extends v.ObjectEntries>(
  entries: E,
  notObject: string,
  required: Readonly<Record<string, string>> = {},
) {
  const known = Object.keys(entries);
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (x) => isPlainObject(x) && reservedKey(x) === undefined,
      (issue) => {
        const key = isPlainObject(issue.input) ? reservedKey(issue.input) : undefined;
        return key === undefined ? notObject : `unknown option '${key}'`;
      },
    ),
    v.looseObject(entries, (issue) => {
      const key = issue.path?.at(-1)?.key;
      return typeof key === 'string' ? (required[key] ?? 'is required') : notObject;
    }),
    v.rawCheck(({ dataset, addIssue }) => {
      const value = dataset.value as Record<string, unknown>;
      if (!isPlainObject(value)) return;
      for (const key of Object.keys(value)) {
        if (known.includes(key)) continue;
        const suggestion = closest(key, known);
        addIssue({
          expected: UNKNOWN_KEY,
          received: key,
          message: suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`,
          path: [{ type: 'object', origin: 'key', input: value, key, value: value[key] }],
        });
      }
    }),
  );
}

const AUTH_FORMS = '{ username, password }, { token } or { getToken }';

const authSchema = v.pipe(
  strictOptions(
    {
      username: nonEmptyString,
      password: nonEmptyString,
      token: rule<string>((x) => typeof x === 'string' && x !== '', 'must be a non-empty string (an Agent C JWT)'),
      getToken: rule<() => string | Promise<string>>(isFunction, 'must be a function returning a token or a promise of one'),
      refreshBufferMs: rule<number>((x) => isNumber(x) && x >= 0, 'must be a number of milliseconds ≥ 0'),
      storage,
    },
    `must be an object: ${AUTH_FORMS}`,
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    const auth = dataset.value as Record<string, unknown>;
    if (!isPlainObject(auth)) return;
    const has = (key: string) => auth[key] !== undefined;
    const forms: string[] = [];
    if (has('username') || has('password')) forms.push('username/password');
    if (has('token')) forms.push('token');
    if (has('getToken')) forms.push('getToken');
    if (forms.length === 0) {
      addIssue({ message: `give one of ${AUTH_FORMS}` });
    } else if (forms.length > 1) {
      addIssue({ message: `give only one of ${AUTH_FORMS} (got ${forms.join(' and ')})` });
    } else if (has('username') !== has('password')) {
      const [missing, given] = has('username') ? ['password', 'username'] : ['username', 'password'];
      addIssue({
        message: `is required with auth.${given}`,
        path: [{ type: 'object', origin: 'value', input: auth, key: missing, value: undefined }],
      });
    }
  }),
);

const reconnectionSchema = v.pipe(
  strictOptions(
    {
      initialDelay: delayMs,
      maxDelay: delayMs,
      backoffMultiplier: rule<number>((x) => isNumber(x) && x >= 1, 'must be a number ≥ 1'),
      maxAttempts: rule<number>(
        (x) => isWhole(x, 0, Number.MAX_SAFE_INTEGER),
        'must be a whole number ≥ 0 (0 means unlimited)',
      ),
      jitterFactor: rule<number>((x) => isNumber(x) && x >= 0 && x <= 1, 'must be a number from 0 to 1'),
    },
    'must be an object with some of initialDelay, maxDelay, backoffMultiplier, maxAttempts, jitterFactor',
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    const policy = dataset.value as Record<string, unknown>;
    if (!isPlainObject(policy)) return;
    // Checked against the defaults too: `{ initialDelay: 60000 }` alone would otherwise be capped silently.
    const initialDelay = policy.initialDelay ?? DEFAULT_RECONNECTION.initialDelay;
    const maxDelay = policy.maxDelay ?? DEFAULT_RECONNECTION.maxDelay;
    if (isNumber(initialDelay) && isNumber(maxDelay) && initialDelay > maxDelay) {
      addIssue({
        message: `must not exceed reconnection.maxDelay (${maxDelay})`,
        path: [{ type: 'object', origin: 'value', input: policy, key: 'initialDelay', value: initialDelay }],
      });
    }
  }),
);

/**
 * The schema of {@link ClientOptions}: strict (unknown names are errors), no defaults filled in.
 * Use {@link resolveOptions} to validate and merge the defaults.
 */
export const clientOptionsSchema = v.pipe(
  strictOptions(
    {
      url: v.custom<string>(
        (x) => typeof x === 'string' && isApiBase(x),
        'must be an http(s) URL such as http://localhost:8000',
      ),
      auth: authSchema,
      agentKey: nonEmptyString,
      chatSessionId: nonEmptyString,
      uiSessionId: nonEmptyString,
      autoReconnect: flag,
      reconnection: v.optional(reconnectionSchema),
      connectionTimeout: timeoutMs,
      pingInterval: timeoutMs,
      pongTimeout: timeoutMs,
      maxMessageSize: bytes,
      maxUploadSize: bytes,
      allowedMimeTypes: rule<readonly string[]>(
        (x) => Array.isArray(x) && x.every((type) => typeof type === 'string' && /^[^/\s]+\/[^/\s]+$/.test(type)),
        "must be an array of MIME types such as ['image/png', 'application/pdf']",
      ),
      maxFilesPerMessage: rule<number>((x) => isWhole(x, 1, Number.MAX_SAFE_INTEGER), 'must be a whole number ≥ 1'),
      WebSocket: rule<WebSocketConstructor>(isFunction, "must be a WebSocket constructor, such as WebSocket from 'ws'"),
      fetch: rule<typeof globalThis.fetch>(isFunction, 'must be a fetch function'),
      avatarAdapter: rule<AvatarAdapter>(
        (x) => typeof x === 'object' && x !== null && ['connect', 'interrupt', 'close'].every((name) => isFunction((x as Record<string, unknown>)[name])),
        'must be an avatar adapter: an object with connect(session, events), interrupt() and close()',
      ),
      inspect: rule<InspectOption>(
        (x) => isFunction(x) || (isPlainObject(x) && isFunction(x.next)),
        'must be a function or an observer with a next() method',
      ),
      debug: flag,
    },
    "must be an object such as { url: 'http://localhost:8000', auth: { token } }",
    {
      url: 'is required: the API base, an http(s) URL such as http://localhost:8000',
      auth: `is required: ${AUTH_FORMS}`,
    },
  ),
  // The checks above prove the shape (including "exactly one auth form"), which valibot's types cannot say.
  v.transform((options) => options as unknown as ClientOptions),
);

/** One line per issue: `path: message`, or `unknown option 'path'` for a misspelt name. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = (issue.path ?? [])
    .map((item, index) =>
      typeof item.key === 'number' ? `[${item.key}]` : `${index === 0 ? '' : '.'}${String(item.key)}`,
    )
    .join('');
  if (issue.type === 'raw_check' && issue.expected === UNKNOWN_KEY) return `unknown option '${path}'${issue.message}`;
  return `${path === '' ? 'options' : path}: ${issue.message}`;
}

const defined = <T extends object>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };

function resolveAuth(auth: AuthOptions): ResolvedAuth {
  const common = {
    refreshBufferMs: auth.refreshBufferMs ?? DEFAULT_OPTIONS.auth.refreshBufferMs,
    storage: auth.storage ?? DEFAULT_OPTIONS.auth.storage,
  };
  if (auth.getToken !== undefined) return Object.freeze({ kind: 'getToken', getToken: auth.getToken, ...common });
  if (auth.token !== undefined) return Object.freeze({ kind: 'token', token: auth.token, ...common });
  return Object.freeze({ kind: 'credentials', username: auth.username!, password: auth.password!, ...common });
}

/**
 * Validates `createClient` options and fills in every default from {@link DEFAULT_OPTIONS}.
 *
 * @returns a frozen {@link ResolvedClientOptions}; functions and objects the caller supplied are the
 * same objects, not copies.
 * @throws ClientError `invalid_options`, whose message has one line per bad field
 * (`url: must be an http(s) URL such as http://localhost:8000`, `unknown option 'pingIntervall'`, …).
 * @example resolveOptions({ url: 'http://localhost:8000', auth: { token } }).pingInterval // 30000
 */
export function resolveOptions(input: unknown): ResolvedClientOptions {
  const result = v.safeParse(clientOptionsSchema, input);
  if (!result.success) {
    throw new ClientError('invalid_options', result.issues.map(describeIssue).join('\n'));
  }
  const { url, auth, reconnection, allowedMimeTypes, ...rest } = result.output;
  return Object.freeze({
    ...DEFAULT_OPTIONS,
    ...defined(rest),
    url,
    auth: resolveAuth(auth),
    reconnection: Object.freeze({ ...DEFAULT_RECONNECTION, ...defined(reconnection ?? {}) }),
    // A copy, so that the caller changing the array later cannot change the client's rule.
    allowedMimeTypes: allowedMimeTypes === undefined ? undefined : Object.freeze([...allowedMimeTypes]),
  });
}
