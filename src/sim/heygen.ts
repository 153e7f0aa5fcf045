/**
 * A fake of HeyGen's streaming API, served by the simulator's own HTTP server when it has HeyGen
 * (the `heygen` option): just enough of it for an avatar adapter to be tested end to end.
 *
 * - `POST /v1/streaming.new` (HeyGen's key as `x-api-key` or `Authorization: Bearer`: the
 *   `heygen_token` of a login or refresh) makes a session: `{code: 100, data: {session_id,
 *   access_token, url, realtime_endpoint, …}, message: 'success'}` (docs/protocol.md §6.9). Its `url`
 *   is the simulator itself (`ws://host:port`).
 * - `POST /v1/streaming.start`, `.task`, `.interrupt`, `.stop` with `{session_id, …}` and the
 *   session's access token (or a key) as credential. A task makes the avatar talk: the session's
 *   streaming sockets get `avatar_start_talking`, then after {@link MS_PER_WORD} ms per word (at
 *   least {@link MIN_TALK_MS}) `avatar_stop_talking`; a task while it talks is queued after what
 *   it is saying. An interrupt stops it at once; a stop ends the session (its sockets close with 1000).
 * - `GET /v1/ws/streaming.chat?session_id=…&session_token=<access_token>` upgrades to the
 *   session's streaming socket (the seeds' `wss://<host of url>/v1/ws/streaming.chat`), which gets
 *   `{type: 'stream_ready', detail: {session_id}}` {@link READY_DELAY_MS} ms after it opens; a
 *   wrong session or token is refused with HTTP 401.
 *
 * Errors are HeyGen-shaped `{code, message}` with the HTTP status as `code` (the real API's own
 * error codes are not known here). Sessions are also made by the bridge's `set_avatar` (through
 * {@link FakeHeyGen.createSession}) and spoken to by its `set_avatar_session` (through
 * {@link FakeHeyGen.task}), as the real server does through HeyGen's API (§4.7, §4.8).
 */
import { readBody } from './http.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HeyGenSessionInfo } from './types.js';

/** Path of the streaming socket. */
export const STREAMING_CHAT_PATH = '/v1/ws/streaming.chat';
/** How long the avatar talks per word of a task, in milliseconds. */
export const MS_PER_WORD = 60;
/** The shortest a task's speech lasts, in milliseconds. */
export const MIN_TALK_MS = 100;
/** Delay between a streaming socket opening and its `stream_ready`, in milliseconds. */
export const READY_DELAY_MS = 20;

const MAX_BODY = 1024 * 1024;
const TASK_TYPES = new Set(['repeat', 'talk']);
const TASK_MODES = new Set(['sync', 'async']);

/** A session as the fake holds it. */
interface FakeSession {
  readonly sessionId: string;
  readonly accessToken: string;
  readonly sockets: Set<WebSocket>;
  /** Every text a task asked it to say, in order. */
  readonly said: string[];
  talking: boolean;
  /** When the current speech (queued tasks included) ends. */
  talkEndsAt: number;
  stopTimer: NodeJS.Timeout | undefined;
  /** Replies of `sync` tasks, sent once the avatar stops talking. */
  readonly waiting: (() => void)[];
}

/** A refusal: HTTP status and HeyGen-shaped message. */
export interface HeyGenFailure {
  readonly status: number;
  readonly message: string;
}

type Result<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & HeyGenFailure);

const fail = (status: number, message: string): { ok: false; status: number; message: string } => ({ ok: false, status, message });

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const body = await readBody(req, MAX_BODY);
  if (body === undefined) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The credential of a request: `x-api-key`, or the `Authorization: Bearer` token. */
function credentialOf(req: IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return key;
  const header = req.headers.authorization;
  if (header && /^Bearer\s+\S+/i.test(header)) return header.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

const words = (text: string) => text.split(/\s+/).filter((word) => word !== '').length;

/** The fake HeyGen of one simulator. */
export class FakeHeyGen {
  /** `ws://host:port` of the simulator: the `url` of every session (set once it listens). */
  origin = 'ws://127.0.0.1';
  private readonly keys = new Set<string>();
  private readonly sessions = new Map<string, FakeSession>();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_BODY });
  private taskCount = 0;

  constructor(
    private readonly slug: (words: number) => string,
    private readonly random: () => number,
  ) {}

  /** A new HeyGen key, handed out as a login's or refresh's `heygen_token`. */
  issueKey(): string {
    const key = `sim-heygen-${this.slug(3)}`;
    this.keys.add(key);
    return key;
  }

  /** Makes a session, as `streaming.new` does; returns HeyGen's session data (§6.9). */
  createSession(): Record<string, unknown> {
    const sessionId = `${this.slug(1)}-${Math.floor(this.random() * 1e12).toString(16)}`;
    const accessToken = `sim-heygen-access-${this.slug(2)}`;
    this.sessions.set(sessionId, { sessionId, accessToken, sockets: new Set(), said: [], talking: false, talkEndsAt: 0, stopTimer: undefined, waiting: [] });
    return {
      session_id: sessionId,
      url: this.origin,
      access_token: accessToken,
      session_duration_limit: 600,
      is_paid: true,
      realtime_endpoint: `wss://webrtc-signaling.heygen.example/v2-alpha/interactive-avatar/session/${sessionId}`,
      sdp: null,
      ice_servers: null,
      ice_servers2: null,
    };
  }

  /**
   * A `streaming.task`: makes the avatar say `text`. `credential` is the session's access token
   * or a key. With `onDone`, it is called once the avatar stops talking (a `sync` task).
   */
  task(sessionId: string, credential: string | undefined, text: string, onDone?: () => void): Result<{ taskId: string; durationMs: number }> {
    const found = this.authorize(sessionId, credential);
    if (!found.ok) return found;
    const session = found.value;
    const durationMs = Math.max(MIN_TALK_MS, words(text) * MS_PER_WORD);
    const taskId = `task-${++this.taskCount}`;
    session.said.push(text);
    if (onDone) session.waiting.push(onDone);
    const now = Date.now();
    if (!session.talking) {
      session.talking = true;
      session.talkEndsAt = now + durationMs;
      this.broadcast(session, { type: 'avatar_start_talking', detail: { session_id: sessionId, task_id: taskId } });
    } else {
      session.talkEndsAt += durationMs; // queued after what it is saying
    }
    clearTimeout(session.stopTimer);
    session.stopTimer = setTimeout(() => this.stopTalking(session), session.talkEndsAt - now);
    session.stopTimer.unref();
    return { ok: true, value: { taskId, durationMs } };
  }

  /** A `streaming.interrupt`: the avatar stops talking now. */
  interrupt(sessionId: string, credential: string | undefined): Result<null> {
    const found = this.authorize(sessionId, credential);
    if (!found.ok) return found;
    this.stopTalking(found.value);
    return { ok: true, value: null };
  }

  /** A `streaming.stop`: the session ends and its sockets close with 1000. */
  stop(sessionId: string, credential: string | undefined): Result<null> {
    const found = this.authorize(sessionId, credential);
    if (!found.ok) return found;
    this.end(found.value, 1000, 'Session stopped');
    return { ok: true, value: null };
  }

  /** Ends a session without asking for credentials (the bridge closing the session it made). */
  endSession(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session) this.end(session, 1000, 'Session stopped');
  }

  /** The sessions, for tests. */
  list(): HeyGenSessionInfo[] {
    return [...this.sessions.values()].map((session) => ({
      sessionId: session.sessionId,
      connected: [...session.sockets].some((socket) => socket.readyState === socket.OPEN),
      talking: session.talking,
      said: [...session.said],
    }));
  }

  /** Handles a request under `/v1/`. */
  async handleHttp(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const route = req.method === 'POST' ? pathname : '';
    if (!['/v1/streaming.new', '/v1/streaming.start', '/v1/streaming.task', '/v1/streaming.interrupt', '/v1/streaming.stop'].includes(route)) {
      return send(res, 404, { code: 404, message: 'Not Found' });
    }
    const credential = credentialOf(req);
    const body = await readJson(req);
    if (route === '/v1/streaming.new') {
      if (credential === undefined || !this.keys.has(credential)) return send(res, 401, { code: 401, message: 'Unauthorized' });
      if (!body) return send(res, 400, { code: 400, message: 'Invalid JSON body' });
      return send(res, 200, { code: 100, data: this.createSession(), message: 'success' });
    }
    if (!body) return send(res, 400, { code: 400, message: 'Invalid JSON body' });
    const sessionId = body.session_id;
    if (typeof sessionId !== 'string') return send(res, 400, { code: 400, message: 'session_id is required' });
    let result: Result<unknown>;
    switch (route) {
      case '/v1/streaming.start':
        result = this.authorize(sessionId, credential);
        if (result.ok) result = { ok: true, value: null }; // the stream is "started" already
        break;
      case '/v1/streaming.task': {
        const { text, task_type: taskType = 'repeat', task_mode: taskMode = 'async' } = body;
        if (typeof text !== 'string' || text.trim() === '') return send(res, 400, { code: 400, message: 'text is required' });
        if (typeof taskType !== 'string' || !TASK_TYPES.has(taskType)) return send(res, 400, { code: 400, message: 'task_type must be "repeat" or "talk"' });
        if (typeof taskMode !== 'string' || !TASK_MODES.has(taskMode)) return send(res, 400, { code: 400, message: 'task_mode must be "sync" or "async"' });
        let reply: (() => void) | undefined;
        const done = taskMode === 'sync' ? new Promise<void>((resolve) => (reply = resolve)) : undefined;
        const task = this.task(sessionId, credential, text, reply);
        if (!task.ok) return send(res, task.status, { code: task.status, message: task.message });
        await done;
        return send(res, 200, { code: 100, data: { task_id: task.value.taskId, duration_ms: task.value.durationMs }, message: 'success' });
      }
      case '/v1/streaming.interrupt':
        result = this.interrupt(sessionId, credential);
        break;
      default:
        result = this.stop(sessionId, credential);
    }
    if (!result.ok) return send(res, result.status, { code: result.status, message: result.message });
    send(res, 200, { code: 100, data: null, message: 'success' });
  }

  /** Handles an upgrade on {@link STREAMING_CHAT_PATH}. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const session = this.sessions.get(url.searchParams.get('session_id') ?? '');
    if (!session || url.searchParams.get('session_token') !== session.accessToken) {
      const body = JSON.stringify({ code: 401, message: 'Unauthorized' });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!this.sessions.has(session.sessionId)) return ws.close(1000, 'Session stopped');
      session.sockets.add(ws);
      ws.on('close', () => session.sockets.delete(ws));
      ws.on('error', () => undefined);
      setTimeout(() => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'stream_ready', detail: { session_id: session.sessionId } }));
      }, READY_DELAY_MS).unref();
    });
  }

  /** Ends every session (the simulator closes): sockets close with 1001, then are cut. */
  async close(): Promise<void> {
    const sockets = [...this.sessions.values()].flatMap((session) => [...session.sockets]);
    for (const session of [...this.sessions.values()]) this.end(session, 1001, 'Going Away');
    const deadline = Date.now() + 200;
    while (sockets.some((ws) => ws.readyState !== ws.CLOSED) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const ws of sockets) ws.terminate();
    this.wss.close();
  }

  /** The session `sessionId` if `credential` is its access token, or a key and the session exists. */
  private authorize(sessionId: string, credential: string | undefined): Result<FakeSession> {
    if (credential === undefined) return fail(401, 'Unauthorized');
    const session = this.sessions.get(sessionId);
    if (session && session.accessToken === credential) return { ok: true, value: session };
    if (this.keys.has(credential)) return session ? { ok: true, value: session } : fail(404, 'Session not found');
    return fail(401, 'Unauthorized');
  }

  private stopTalking(session: FakeSession): void {
    clearTimeout(session.stopTimer);
    session.stopTimer = undefined;
    if (session.talking) {
      session.talking = false;
      this.broadcast(session, { type: 'avatar_stop_talking', detail: { session_id: session.sessionId } });
    }
    for (const reply of session.waiting.splice(0)) reply();
  }

  private end(session: FakeSession, code: number, reason: string): void {
    clearTimeout(session.stopTimer);
    session.talking = false;
    for (const reply of session.waiting.splice(0)) reply();
    this.sessions.delete(session.sessionId);
    for (const ws of session.sockets) ws.close(code, reason);
  }

  private broadcast(session: FakeSession, event: Record<string, unknown>): void {
    const text = JSON.stringify(event);
    for (const ws of session.sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  }
}
