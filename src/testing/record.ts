/**
 * `record(client)`: captures a live session at the boundaries the client really has — each WebSocket
 * it constructs (through the client's tap port), each HTTP request, and the user's commands — into a
 * {@link Recording}. Secrets never land in it: passwords are redacted, every JWT becomes an unsigned
 * stand-in that keeps the claims the client reads (`exp`, `iat`, `nbf`), every other secret (the
 * HeyGen token, avatar access tokens, a static token) becomes a plain stand-in. The same secret
 * always gets the same stand-in, so a replay sees the same sameness the client saw.
 */
import { ClientError } from '../errors.js';
import type { RealtimeClient } from '../client.js';
import type { SimulatorControl } from '../sim/types.js';
import { JWT_PATTERN, REDACTED, SECRET_FIELD } from '../schema/redact.js';
import { TAP_PORT, type Tap, type TapPort, type WithTapPort } from '../data/tap-port.js';
import { parseRecording, RECORDED_COMMANDS, RECORDING_FORMAT, type RecordedOptions, type Recording, type RecordingEvent } from './recording.js';

/** Options of {@link record}. */
export interface RecordOptions {
  /** A simulator whose fault controls (`dropSocket`, `revokeTokens`, …) are noted as `fault` labels while recording. */
  readonly simulator?: { readonly control: SimulatorControl };
}

/** A recording in progress. */
export interface Recorder {
  /** Adds a label to the recording (a `fault` event), e.g. what the test is about to do. */
  label(text: string): void;
  /** Stops recording (the client goes on untouched) and resolves with the recording, secrets replaced. */
  stop(): Promise<Recording>;
}

/** The simulator controls noted as faults. */
const FAULT_CONTROLS = ['expireTokens', 'revokeTokens', 'setTokenTtl', 'failRefresh', 'dropSocket', 'dropAfterFrames', 'dropAtEvent', 'halfOpen', 'setLatency', 'sendMalformed', 'stall', 'restart', 'clearFaults'] as const;


type Raw = RecordingEvent;

/**
 * Starts recording a client: call it right after `createClient`, before `connect()` (or anything
 * that makes the client log in), so the recording holds the whole session.
 * @throws {ClientError} `invalid_options` when the client already made a request or opened a socket, or is being recorded.
 * @example
 * const client = createClient({ url: sim.httpUrl, auth, WebSocket });
 * const recorder = record(client, { simulator: sim });
 * await client.connect();
 * await client.sendText('hello');
 * const recording = await recorder.stop();
 * await writeFile('session.json', JSON.stringify(recording));
 */
export function record(client: RealtimeClient, options: RecordOptions = {}): Recorder {
  const port = (client as Partial<WithTapPort>)[TAP_PORT] as TapPort | undefined;
  if (!port) throw new ClientError('invalid_options', 'record(client): not a client made by createClient');
  const { slot } = port;
  if (slot.current) throw new ClientError('invalid_options', 'record(client): this client is already being recorded');
  let view: { connection: string; auth: string } | undefined;
  client.state$.subscribe((current) => (view = current)).unsubscribe();
  // a static token or a provider makes the auth valid without any request: the state says it
  if (slot.sockets > 0 || slot.requests > 0 || (view && (view.connection !== 'idle' || view.auth !== 'loading'))) {
    throw new ClientError('invalid_options', 'record(client): the client already made a request, opened a socket or loaded its token; call record right after createClient');
  }
  const startedAt = port.now();
  const t0 = performance.now();
  const time = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const events: Raw[] = [];
  let stopped = false;
  /** True until the first promise job after the last event (or the start): a command now is in the same job. */
  let sameJob = true;
  let clearing = false;
  const clearSameJob = () => {
    if (clearing) return;
    clearing = true;
    queueMicrotask(() => {
      sameJob = false;
      clearing = false;
    });
  };
  clearSameJob();
  const push = (event: Raw) => {
    if (stopped) return;
    events.push(event);
    sameJob = true;
    clearSameJob();
  };
  let attempts = 0;
  let requests = 0;
  let commands = 0;

  const tap: Tap = {
    socket({ url, socket, listen }) {
      if (stopped) return;
      const attempt = attempts++;
      push({ type: 'socket', at: time(), attempt, url });
      listen('open', () => push({ type: 'open', at: time(), attempt }));
      listen('message', (event) => push({ type: 'in', at: time(), attempt, ...framePayload((event as { data: unknown }).data) }));
      listen('error', (event) => push({ type: 'error', at: time(), attempt, message: errorText(event) }));
      listen('close', (event) => {
        const { code, reason, wasClean } = event as { code?: number; reason?: string; wasClean?: boolean };
        push({ type: 'close', at: time(), attempt, code: code ?? 1006, reason: reason ?? '', wasClean: wasClean ?? false });
      });
      const target = socket as { send(data: unknown): void; close(code?: number, reason?: string): void };
      const send = target.send;
      const close = target.close;
      target.send = function (this: unknown, data: unknown) {
        push({ type: 'out', at: time(), attempt, ...framePayload(data) });
        return send.call(this, data);
      };
      target.close = function (this: unknown, code?: number, reason?: string) {
        push({ type: 'closing', at: time(), attempt, ...(code === undefined ? {} : { code }), ...(reason === undefined ? {} : { reason }) });
        return close.call(this, code, reason);
      };
    },
    async fetch(base, input, init) {
      if (stopped) return base(input, init);
      const id = requests++;
      const request = input instanceof Request ? input : null;
      const url = request ? request.url : String(input);
      const method = init?.method ?? request?.method ?? 'GET';
      const authorization = new Headers(init?.headers ?? request?.headers).get('authorization');
      const body = init?.body;
      push({
        type: 'request',
        at: time(),
        id,
        method,
        url,
        ...(authorization === null ? {} : { authorization }),
        ...(body === undefined || body === null ? {} : { body: typeof body === 'string' ? body : '[binary body]' }),
      });
      let response: Response;
      try {
        response = await base(input, init);
      } catch (error) {
        push({ type: 'request_failed', at: time(), id, message: error instanceof Error ? error.message : String(error) });
        throw error;
      }
      const text = await response.clone().text().catch(() => '');
      const contentType = response.headers.get('content-type');
      push({ type: 'response', at: time(), id, status: response.status, statusText: response.statusText, ...(contentType === null ? {} : { contentType }), body: text });
      return response;
    },
  };
  slot.current = tap;

  // the user's commands: each public method wrapped until stop (calls a command makes of another are not the user's)
  const target = client as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  let depth = 0;
  for (const name of RECORDED_COMMANDS) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    originals.set(name, original);
    target[name] = (...args: unknown[]) => {
      if (stopped || depth > 0) return (original as (...a: unknown[]) => unknown).apply(client, args);
      const id = commands++;
      const given = [...args];
      while (given.length > 0 && given.at(-1) === undefined) given.pop(); // an omitted argument stays omitted
      push({ type: 'command', at: time(), id, name, args: given.map(toJson), ...(sameJob ? { sync: true as const } : {}) });
      depth++;
      let result: unknown;
      try {
        result = (original as (...a: unknown[]) => unknown).apply(client, args);
      } catch (error) {
        push({ type: 'result', at: time(), id, ok: false, error: errorOf(error) });
        throw error;
      } finally {
        depth--;
      }
      if (result instanceof Promise) {
        result.then(
          (value: unknown) => push({ type: 'result', at: time(), id, ok: true, ...(value === undefined ? {} : { value: toJson(value) }) }),
          (error: unknown) => push({ type: 'result', at: time(), id, ok: false, error: errorOf(error) }),
        );
      } else push({ type: 'result', at: time(), id, ok: true, ...(result === undefined ? {} : { value: toJson(result) }) });
      return result;
    };
  }

  // the simulator's faults, as labels
  const control = options.simulator?.control as unknown as Record<string, unknown> | undefined;
  const controls = new Map<string, unknown>();
  if (control) {
    for (const name of FAULT_CONTROLS) {
      const original = control[name];
      if (typeof original !== 'function') continue;
      controls.set(name, original);
      control[name] = (...args: unknown[]) => {
        push({ type: 'fault', at: time(), label: `${name}(${args.map((arg) => JSON.stringify(arg) ?? 'undefined').join(', ')})` });
        return (original as (...a: unknown[]) => unknown).apply(control, args);
      };
    }
  }

  let result: Promise<Recording> | undefined;
  return {
    label(text: string) {
      push({ type: 'fault', at: time(), label: String(text) });
    },
    stop() {
      if (result) return result;
      const duration = time();
      stopped = true;
      if (slot.current === tap) slot.current = null;
      for (const [name, original] of originals) target[name] = original;
      if (control) for (const [name, original] of controls) control[name] = original;
      result = Promise.resolve().then(() => scrub({ startedAt, duration, seed: port.seed, options: optionsOf(port), events }));
      return result;
    },
  };
}

/** The plain fields of the client's options; secrets are replaced later, with the rest. */
function optionsOf(port: TapPort): RecordedOptions & { password?: string } {
  const o = port.options();
  const auth = o.auth;
  return {
    url: o.url,
    auth:
      auth.kind === 'credentials'
        ? { kind: 'credentials', username: auth.username, refreshBufferMs: auth.refreshBufferMs }
        : auth.kind === 'token'
          ? { kind: 'token', token: auth.token, refreshBufferMs: auth.refreshBufferMs }
          : { kind: 'getToken', refreshBufferMs: auth.refreshBufferMs },
    ...(o.agentKey === undefined ? {} : { agentKey: o.agentKey }),
    ...(o.chatSessionId === undefined ? {} : { chatSessionId: o.chatSessionId }),
    ...(o.uiSessionId === undefined ? {} : { uiSessionId: o.uiSessionId }),
    autoReconnect: o.autoReconnect,
    reconnection: { ...o.reconnection },
    connectionTimeout: o.connectionTimeout,
    pingInterval: o.pingInterval,
    pongTimeout: o.pongTimeout,
    maxMessageSize: o.maxMessageSize,
    maxUploadSize: o.maxUploadSize,
    maxFilesPerMessage: o.maxFilesPerMessage,
    ...(o.allowedMimeTypes === undefined ? {} : { allowedMimeTypes: [...o.allowedMimeTypes] }),
    ...(auth.kind === 'credentials' ? { password: auth.password } : {}),
  };
}

/** A frame's data as a recording keeps it. */
function framePayload(data: unknown): { text: string } | { base64: string } {
  if (typeof data === 'string') return { text: data };
  if (data instanceof ArrayBuffer) return { base64: Buffer.from(data).toString('base64') };
  if (ArrayBuffer.isView(data)) return { base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  if (Array.isArray(data)) return { base64: Buffer.concat(data as Buffer[]).toString('base64') };
  return { text: String(data) };
}

/** The text of a socket `error` event (`ws` gives `message`; a browser gives none). */
function errorText(event: unknown): string {
  const { message, error } = (event ?? {}) as { message?: unknown; error?: { message?: unknown } };
  if (typeof message === 'string') return message;
  return typeof error?.message === 'string' ? error.message : '';
}

function errorOf(error: unknown): { reason: string; message: string } {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return { reason: typeof reason === 'string' ? reason : 'error', message: error instanceof Error ? error.message : String(error) };
}

/** A JSON copy of a command's argument or result (`undefined` inside arrays becomes null, as JSON does). */
function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return '[not serialisable]';
  }
}

// ------------------------------------------------------------------------------------------------ secrets

/** Replaces every secret of a finished recording by its stand-in, and checks the result against the schema. */
function scrub(raw: Omit<Recording, 'format' | 'version' | 'options'> & { options: RecordedOptions & { password?: string } }): Recording {
  const { password, ...options } = raw.options;
  const standIns = new Map<string, string>();
  let count = 0;
  const standInOf = (secret: string): string => {
    let standIn = standIns.get(secret);
    if (standIn === undefined) {
      count++;
      standIn = isJwt(secret) ? jwtStandIn(secret, count) : `stand-in-secret-${count}`;
      standIns.set(secret, standIn);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) standIns.set(encoded, standIn);
    }
    return standIn;
  };
  const learn = (secret: unknown) => {
    if (typeof secret !== 'string' || secret.length < 8 || secret === 'None') return;
    standInOf(secret);
  };
  /** Learns the values of secret-named fields in a JSON text. */
  const learnJson = (text: string | undefined) => {
    if (text === undefined || !/token|secret|password|key|authorization/i.test(text)) return;
    try {
      walk(JSON.parse(text) as unknown, learn);
    } catch {
      // not JSON
    }
  };

  // first, in the order they appear: every secret the session carried
  if (options.auth.kind === 'token') learn(options.auth.token);
  for (const event of raw.events) {
    if (event.type === 'socket') {
      const token = new URL(event.url).searchParams.get('token');
      if (token !== null) learn(token);
    } else if (event.type === 'request') {
      const bearer = event.authorization?.replace(/^Bearer\s+/i, '');
      learn(bearer);
      learnJson(event.body);
    } else if (event.type === 'response') learnJson(event.body);
    else if ((event.type === 'in' || event.type === 'out') && event.text !== undefined) learnJson(event.text);
    else if (event.type === 'command' && event.name === 'setAvatarSession') learn(event.args[0]);
    for (const match of JSON.stringify(event).matchAll(JWT_PATTERN)) learn(match[0]);
  }
  const secrets = [...standIns.keys()].sort((a, b) => b.length - a.length);
  const replaceText = (text: string): string => {
    let out = text;
    if (password !== undefined && password.length >= 6) out = out.split(password).join(REDACTED);
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(standIns.get(secret)!);
    // a JWT none of the above named (e.g. inside an error text)
    return out.replace(JWT_PATTERN, (jwt) => (jwt.startsWith(JWT_STAND_IN_HEADER) ? jwt : standInOf(jwt)));
  };
  const deep = (value: unknown): unknown => {
    if (typeof value === 'string') return replaceText(value);
    if (Array.isArray(value)) return value.map(deep);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, deep(item)]));
    return value;
  };
  const events = raw.events.map((event) => {
    if (event.type === 'request' && event.body !== undefined && password !== undefined) {
      // the login's password, whatever its length
      try {
        const body = JSON.parse(event.body) as Record<string, unknown>;
        if (body && typeof body === 'object' && 'password' in body) return deep({ ...event, body: JSON.stringify({ ...body, password: REDACTED }) });
      } catch {
        // not JSON
      }
    }
    return deep(event);
  });
  return parseRecording({ format: RECORDING_FORMAT, version: 1, startedAt: raw.startedAt, duration: raw.duration, seed: raw.seed, options: deep(options), events });
}

/** Calls `found` with every string under a secret-named key. */
function walk(value: unknown, found: (secret: unknown) => void, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 32) return;
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_FIELD.test(key) && typeof item === 'string') found(item);
    else walk(item, found, depth + 1);
  }
}

const isJwt = (text: string) => /^ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT_STAND_IN_HEADER = base64url({ alg: 'none', typ: 'JWT' });

/** An unsigned JWT with the claims the client reads (`exp`, `iat`, `nbf`) and a number that keeps it distinct. */
function jwtStandIn(jwt: string, n: number): string {
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    // unreadable: no claims kept
  }
  const kept: Record<string, unknown> = {};
  for (const key of ['exp', 'iat', 'nbf']) if (typeof claims[key] === 'number') kept[key] = claims[key];
  return `${JWT_STAND_IN_HEADER}.${base64url({ ...kept, standIn: n })}.`;
}
