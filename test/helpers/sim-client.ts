/**
 * A small raw client for the simulator tests: HTTP helpers over `fetch` and a recording WebSocket
 * client over the `ws` package. No protocol knowledge beyond PROTOCOL.md §1/§2 lives here; the
 * tests assert on what it records.
 *
 * Waiting: `next` / `waitFor` / `until` resolve on the first matching frame at or after the
 * cursor (frames received earlier count too) and move the cursor past it. Every wait has a small
 * explicit timeout and fails with a message naming what it waited for and what arrived instead.
 * To assert that something does NOT arrive, use `sync()`: it sends a `ping` and waits for its
 * `pong` (the server handles frames in order, PROTOCOL.md §1.5 rule 1) and returns what came
 * before it.
 */
import { WebSocket, type RawData } from 'ws';

/** Where the simulator listens (a structural subset of `Simulator`). */
export interface SimAddress {
  readonly httpUrl: string;
  readonly wsUrl: string;
}

/** A parsed server event. Fields are loosely typed on purpose: tests check them. */
export type Ev = { readonly type: string; readonly [field: string]: any };

/** One frame the client received. */
export type ReceivedFrame =
  | { readonly kind: 'event'; readonly event: Ev; readonly text: string; readonly at: number }
  /** A text frame that is not a JSON object with a string `type`. */
  | { readonly kind: 'raw'; readonly text: string; readonly at: number }
  | { readonly kind: 'binary'; readonly data: Buffer; readonly at: number };

export const DEFAULT_TIMEOUT_MS = 3000;

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpResult {
  readonly status: number;
  readonly body: any;
  readonly text: string;
}

async function toResult(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

/** `fetch` against the simulator, returning status, parsed JSON body (if any) and text. */
export async function http(
  sim: SimAddress,
  method: string,
  path: string,
  init: { token?: string; json?: unknown; form?: FormData | URLSearchParams; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | FormData | URLSearchParams | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    body = init.form;
  }
  const response = await fetch(`${sim.httpUrl}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
  });
  return toResult(response);
}

export interface LoginBody {
  readonly agent_c_token: string;
  readonly heygen_token: string;
  readonly ui_session_id: string;
}

/** `POST /api/rt/login`, raw. */
export function loginRaw(sim: SimAddress, username: string, password: string): Promise<HttpResult> {
  return http(sim, 'POST', '/api/rt/login', { json: { username, password } });
}

/** Logs in (default: the development account) and returns the 200 body; throws otherwise. */
export async function login(sim: SimAddress, username = 'admin', password = 'changeme'): Promise<LoginBody> {
  const result = await loginRaw(sim, username, password);
  if (result.status !== 200) throw new Error(`login ${username} failed: HTTP ${result.status} ${result.text}`);
  return result.body as LoginBody;
}

/** `GET /api/rt/refresh_token` with an optional Bearer token. */
export function refreshToken(sim: SimAddress, token?: string): Promise<HttpResult> {
  return http(sim, 'GET', '/api/rt/refresh_token', token === undefined ? {} : { token });
}

/** `POST /api/rt/upload_file` (multipart: `ui_session_id`, `file`). */
export function uploadFile(
  sim: SimAddress,
  options: { token?: string; uiSessionId?: string; filename?: string; content?: string | Uint8Array; contentType?: string },
): Promise<HttpResult> {
  const form = new FormData();
  if (options.uiSessionId !== undefined) form.append('ui_session_id', options.uiSessionId);
  if (options.filename !== undefined) {
    const content = options.content ?? 'hello';
    const blob = new Blob([typeof content === 'string' ? content : new Uint8Array(content)], {
      type: options.contentType ?? 'application/octet-stream',
    });
    form.append('file', blob, options.filename);
  }
  return http(sim, 'POST', '/api/rt/upload_file', options.token === undefined ? { form } : { form, token: options.token });
}

/** `POST /api/rt/cancel` (form-urlencoded `ui_session_id`). */
export function cancelHttp(sim: SimAddress, options: { token?: string; uiSessionId: string }): Promise<HttpResult> {
  const form = new URLSearchParams({ ui_session_id: options.uiSessionId });
  return http(sim, 'POST', '/api/rt/cancel', options.token === undefined ? { form } : { form, token: options.token });
}

/** Decodes the claims of a JWT without checking it. */
export function jwtParts(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${token}`);
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(parts[0]!), claims: decode(parts[1]!), signature: parts[2]! };
}

// ---------------------------------------------------------------------------------------------
// WebSocket

export interface ConnectOptions {
  readonly token?: string;
  readonly uiSessionId?: string;
  readonly chatSessionId?: string;
  readonly agentKey?: string;
  /** Extra headers on the upgrade request. */
  readonly headers?: Record<string, string>;
}

/** The upgrade was answered with an HTTP status instead of 101. */
export class HandshakeError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket handshake failed with HTTP ${status}: ${body}`);
  }
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

interface Waiter {
  readonly match: (frame: ReceivedFrame, index: number) => boolean;
  readonly resolve: (index: number) => void;
  readonly reject: (error: Error) => void;
}

const openClients = new Set<SimClient>();

function describeEvent(frame: ReceivedFrame): string {
  if (frame.kind === 'binary') return `<binary ${frame.data.length} B>`;
  if (frame.kind === 'raw') return `<raw ${JSON.stringify(frame.text.slice(0, 40))}>`;
  const e = frame.event;
  switch (e.type) {
    case 'interaction':
      return `interaction(${e.started ? 'start' : 'end'})`;
    case 'completion':
      return `completion(${e.running ? 'running' : `end:${String(e.stop_reason)}`})`;
    case 'tool_call':
      return `tool_call(${e.active ? 'active' : 'done'})`;
    case 'system_message':
      return `system_message(${String(e.severity)})`;
    default:
      return e.type;
  }
}

/** A recording client on one simulator socket. */
export class SimClient {
  /** Every frame received, in order. */
  readonly received: ReceivedFrame[] = [];
  /** Index of the next frame `next`/`waitFor`/`until` look at. */
  cursor = 0;
  readonly closed: Promise<CloseInfo>;
  closeInfo: CloseInfo | undefined;
  private waiters: Waiter[] = [];
  private pingsSent = 0;
  private pongsReceived = 0;
  private readonly pongIndexes: number[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    this.closed = new Promise<CloseInfo>((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        openClients.delete(this);
        const waiters = this.waiters;
        this.waiters = [];
        for (const waiter of waiters) waiter.reject(new Error(`socket closed (code ${code})`));
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => {
      /* surfaced through `closed` */
    });
    openClients.add(this);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const at = performance.now();
    let frame: ReceivedFrame;
    if (isBinary) {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      frame = { kind: 'binary', data: buffer, at };
    } else {
      const text = data.toString();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && typeof (parsed as { type?: unknown }).type === 'string') {
        frame = { kind: 'event', event: parsed as Ev, text, at };
      } else {
        frame = { kind: 'raw', text, at };
      }
    }
    const index = this.received.push(frame) - 1;
    if (frame.kind === 'event' && frame.event.type === 'pong') {
      this.pongsReceived++;
      this.pongIndexes.push(index);
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.match(frame, index)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(index);
      }
    }
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Every parsed event received so far. */
  get events(): Ev[] {
    return this.received.flatMap((f) => (f.kind === 'event' ? [f.event] : []));
  }

  /** Every binary frame received so far. */
  get binaries(): Buffer[] {
    return this.received.flatMap((f) => (f.kind === 'binary' ? [f.data] : []));
  }

  /** Every text frame that was not an event (not JSON, not an object, or no `type`). */
  get raws(): string[] {
    return this.received.flatMap((f) => (f.kind === 'raw' ? [f.text] : []));
  }

  /** Parsed events at or after `from` (a received-frame index). */
  eventsSince(from: number): Ev[] {
    return this.received.slice(from).flatMap((f) => (f.kind === 'event' ? [f.event] : []));
  }

  send(event: Record<string, unknown>): void {
    if (event.type === 'ping') this.pingsSent++;
    this.ws.send(JSON.stringify(event));
  }

  sendRaw(data: string | Buffer | Uint8Array): void {
    if (typeof data === 'string') this.ws.send(data, { binary: false });
    else this.ws.send(data, { binary: true });
  }

  /** Waits for the first frame at or after the cursor satisfying `match`; moves the cursor past it. */
  waitForFrame(match: (frame: ReceivedFrame) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'a matching frame'): Promise<ReceivedFrame> {
    const start = this.cursor;
    for (let i = start; i < this.received.length; i++) {
      const frame = this.received[i]!;
      if (match(frame)) {
        this.cursor = i + 1;
        return Promise.resolve(frame);
      }
    }
    if (this.closeInfo !== undefined) {
      return Promise.reject(new Error(`socket closed (code ${this.closeInfo.code}) before ${what}; ${this.summary(start)}`));
    }
    return new Promise<ReceivedFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.summary(start)}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match: (frame, index) => index >= start && match(frame),
        resolve: (index) => {
          clearTimeout(timer);
          this.cursor = Math.max(this.cursor, index + 1);
          resolve(this.received[index]!);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(new Error(`${error.message} while waiting for ${what}; ${this.summary(start)}`));
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for the first event at or after the cursor satisfying `predicate`. */
  async waitFor(predicate: (event: Ev) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'a matching event'): Promise<Ev> {
    const frame = await this.waitForFrame((f) => f.kind === 'event' && predicate(f.event), timeoutMs, what);
    return (frame as Extract<ReceivedFrame, { kind: 'event' }>).event;
  }

  /** Waits for the first event of this type at or after the cursor. */
  next(type: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Ev> {
    return this.waitFor((e) => e.type === type, timeoutMs, `"${type}"`);
  }

  /** The events from the cursor up to and including the first one of this type (or matching the predicate). */
  async until(typeOrPredicate: string | ((event: Ev) => boolean), timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Ev[]> {
    const start = this.cursor;
    if (typeof typeOrPredicate === 'string') await this.next(typeOrPredicate, timeoutMs);
    else await this.waitFor(typeOrPredicate, timeoutMs);
    return this.received.slice(start, this.cursor).flatMap((f) => (f.kind === 'event' ? [f.event] : []));
  }

  /** Events from the cursor to the end of what has arrived; moves the cursor to the end. */
  take(): Ev[] {
    const events = this.eventsSince(this.cursor);
    this.cursor = this.received.length;
    return events;
  }

  /**
   * Ping barrier: sends `ping`, waits for the `pong` answering it and returns the events that
   * arrived between the cursor and that pong (exclusive). The cursor moves past the pong.
   */
  async sync(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Ev[]> {
    const start = this.cursor;
    this.send({ type: 'ping' });
    const wanted = this.pingsSent;
    if (this.pongsReceived < wanted) {
      await this.waitForFrame(() => this.pongsReceived >= wanted, timeoutMs, `the pong answering ping #${wanted}`);
    }
    const pongIndex = this.pongIndexes[wanted - 1]!;
    this.cursor = Math.max(start, pongIndex + 1);
    return this.received.slice(start, pongIndex).flatMap((f) => (f.kind === 'event' ? [f.event] : []));
  }

  /** Type names of the events from `from` on, with a little detail (for failure messages). */
  summary(from = 0): string {
    const names = this.received.slice(from).map(describeEvent);
    const shown = names.length > 40 ? [...names.slice(0, 20), `… ${names.length - 40} more …`, ...names.slice(-20)] : names;
    return `received since: [${shown.join(', ')}]`;
  }

  /** Closes with a close frame and waits for the close to complete. */
  async close(code = 1000): Promise<CloseInfo> {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code);
    return this.closed;
  }

  /** Kills the TCP connection without a close frame. */
  terminate(): Promise<CloseInfo> {
    this.ws.terminate();
    return this.closed;
  }
}

/** The socket URL with the §1.2 query parameters. */
export function socketUrl(sim: SimAddress, options: ConnectOptions): string {
  const url = new URL(sim.wsUrl);
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  if (options.uiSessionId !== undefined) url.searchParams.set('ui_session_id', options.uiSessionId);
  if (options.chatSessionId !== undefined) url.searchParams.set('chat_session_id', options.chatSessionId);
  if (options.agentKey !== undefined) url.searchParams.set('agent_key', options.agentKey);
  return url.toString();
}

/**
 * Opens a socket and resolves once it is open (frames are recorded from the first byte).
 * Rejects with a {@link HandshakeError} when the upgrade is refused with an HTTP status.
 */
export function connect(sim: SimAddress, options: ConnectOptions, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SimClient> {
  return new Promise<SimClient>((resolve, reject) => {
    const ws = new WebSocket(socketUrl(sim, options), { headers: options.headers ?? {}, handshakeTimeout: timeoutMs });
    const client = new SimClient(ws);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(new Error(`timed out after ${timeoutMs} ms opening ${socketUrl(sim, options)}`));
    }, timeoutMs);
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(client);
    });
    ws.once('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new HandshakeError(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      });
      response.on('error', () => undefined);
    });
    ws.once('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Expects the upgrade to be refused with an HTTP status; resolves with it. */
export async function connectRefused(sim: SimAddress, options: ConnectOptions): Promise<HandshakeError> {
  let client: SimClient;
  try {
    client = await connect(sim, options);
  } catch (error) {
    if (error instanceof HandshakeError) return error;
    throw new Error(`expected an HTTP error status on the upgrade, got: ${String(error)}`);
  }
  await client.terminate();
  throw new Error('expected the upgrade to be refused, but the socket opened');
}

/** Terminates every client still open (for `afterEach`). */
export async function closeAllClients(): Promise<void> {
  const clients = [...openClients];
  await Promise.all(
    clients.map((client) => {
      client.ws.terminate();
      return Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 500))]);
    }),
  );
  openClients.clear();
}

/** PCM16 little-endian mono: a sine tone of `amplitude` (0..1 of full scale) for `ms` at `rate`. */
export function pcmTone(ms: number, amplitude: number, rate = 24_000, frequency = 440): Buffer {
  const samples = Math.round((ms / 1000) * rate);
  const buffer = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const value = Math.round(Math.sin((2 * Math.PI * frequency * i) / rate) * amplitude * 32767);
    buffer.writeInt16LE(value, i * 2);
  }
  return buffer;
}

/** PCM16 silence of `ms`. */
export function pcmSilence(ms: number, rate = 24_000): Buffer {
  return Buffer.alloc(Math.round((ms / 1000) * rate) * 2);
}

/** Splits a buffer into chunks of `bytes` (the SDK sends 4096-byte chunks, §8.1). */
export function chunks(buffer: Buffer, bytes = 4096): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += bytes) out.push(buffer.subarray(i, Math.min(buffer.length, i + bytes)));
  return out;
}
