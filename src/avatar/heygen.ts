/**
 * The HeyGen adapter: an {@link AvatarAdapter} over HeyGen's streaming WebSocket and REST API, as
 * the seeds describe them. It listens on `wss://<host of session.url>/v1/ws/streaming.chat` for
 * `stream_ready`, `avatar_start_talking` and `avatar_stop_talking`, and drives speech through
 * `POST /v1/streaming.task` and `/v1/streaming.interrupt`. It shows no video: an app that renders
 * the avatar uses HeyGen's SDK for that (or writes its own adapter around it).
 */
import type { AvatarAdapter, AvatarAdapterEvents, AvatarSessionInfo } from './adapter.js';
import { redactSecrets } from '../schema/redact.js';

/** What the adapter needs from a WebSocket: the browser's `WebSocket` and the `ws` package's both fit. */
export interface HeyGenSocket {
  readonly readyState: number;
  /** Set by the adapter: the socket opened. */
  onopen: ((event: any) => void) | null;
  /** Set by the adapter: a message from HeyGen (`data` is its JSON text). */
  onmessage: ((event: any) => void) | null;
  /** Set by the adapter: the socket failed. */
  onerror: ((event: any) => void) | null;
  /** Set by the adapter: the socket closed. */
  onclose: ((event: any) => void) | null;
  /** Closes the socket. */
  close(code?: number, reason?: string): void;
}

/** A WebSocket implementation: `globalThis.WebSocket` in browsers and Node 22, `WebSocket` from `ws` on Node 20. */
export type HeyGenSocketConstructor = new (url: string) => HeyGenSocket;

/** Options of {@link createHeyGenAdapter}. */
export interface HeyGenAdapterOptions {
  /**
   * The WebSocket implementation. Node 20 has none: pass `WebSocket` from the `ws` package.
   * @default globalThis.WebSocket
   */
  readonly WebSocket?: HeyGenSocketConstructor;
  /** The `fetch` for the REST calls. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Base URL of HeyGen's REST API (the simulator's `httpUrl` to use its fake). @default 'https://api.heygen.com' */
  readonly apiBase?: string;
  /**
   * Whether `close()` also ends the HeyGen session (`POST /v1/streaming.stop`). Off by default:
   * whoever made the session (the app, or the Agent C server for `set_avatar`) usually owns it.
   * @default false
   */
  readonly stopSessionOnClose?: boolean;
}

const DEFAULT_API_BASE = 'https://api.heygen.com';
const STREAMING_CHAT_PATH = '/v1/ws/streaming.chat';
const OPEN = 1;
const CONNECTING = 0;

/** One connection: the session, its socket, and whether it is over. */
interface Connection {
  readonly session: AvatarSessionInfo;
  readonly events: AvatarAdapterEvents;
  readonly socket: HeyGenSocket;
  /** `close()` was called, or the socket closed: nothing is reported any more. */
  over: boolean;
  closing: Promise<void> | undefined;
}

/** The streaming socket's URL for a session: `ws(s)://<host[:port] of url>/v1/ws/streaming.chat?…`. */
function streamUrl(session: AvatarSessionInfo): string {
  if (session.url === null || session.url === '') throw new Error('HeyGen adapter: the avatar session has no url to connect to');
  let base: URL;
  try {
    base = new URL(session.url);
  } catch {
    throw new Error('HeyGen adapter: the avatar session url is not a URL');
  }
  const scheme = base.protocol === 'https:' || base.protocol === 'wss:' ? 'wss:' : base.protocol === 'http:' || base.protocol === 'ws:' ? 'ws:' : undefined;
  if (!scheme) throw new Error(`HeyGen adapter: the avatar session url has an unsupported scheme "${base.protocol}"`);
  const query = new URLSearchParams({ session_id: session.sessionId, session_token: session.accessToken });
  return `${scheme}//${base.host}${STREAMING_CHAT_PATH}?${query.toString()}`;
}

/** Text safe to show: JWTs, `token=` values and the session's access token replaced. */
function redact(text: string, session: AvatarSessionInfo | undefined): string {
  const plain = session && session.accessToken !== '' ? text.split(session.accessToken).join('[redacted]') : text;
  return redactSecrets(plain);
}

/** Calls an app callback; what it throws is reported asynchronously instead of breaking the socket's handler. */
function report(call: () => void): void {
  try {
    call();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

const noop = (): void => undefined;

/**
 * Makes an avatar adapter for HeyGen's streaming API.
 *
 * - `connect(session, events)` opens the session's streaming socket and resolves once it is open
 *   (rejects if it cannot open, or if `session.url` is null); `stream_ready` → `events.ready()`,
 *   `avatar_start_talking` / `avatar_stop_talking` → `events.speaking(true / false)`, a close it
 *   did not ask for → `events.closed(reason)`. Other frames are ignored.
 * - `speak(text)` posts a `repeat` task (`async` mode); `interrupt()` posts an interrupt (nothing
 *   to do before `connect`); both with the session's access token as Bearer, and reject with the
 *   HTTP status when HeyGen refuses.
 * - `close()` closes the socket (and ends the session with `stopSessionOnClose`); nothing is
 *   reported after it, and calling it again does nothing more.
 *
 * One adapter holds one session at a time; `connect` again after `close()`. Error messages never
 * carry the access token.
 *
 * @example
 * import { createHeyGenAdapter } from 'agentc-realtime/heygen';
 * const avatar = createHeyGenAdapter();
 * await avatar.connect(session, { ready: () => show(), speaking: (on) => mouth(on), closed: (why) => hide(why) });
 * await avatar.speak?.('Hello!');
 */
export function createHeyGenAdapter(options: HeyGenAdapterOptions = {}): AvatarAdapter {
  const apiBase = (options.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, '');
  const fetchImpl: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let current: Connection | undefined;

  async function post(path: string, body: Record<string, unknown>, connection: Connection): Promise<void> {
    const name = path.slice('/v1/'.length);
    let response: Response;
    try {
      response = await fetchImpl(`${apiBase}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${connection.session.accessToken}` },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(`HeyGen ${name} failed: ${redact(error instanceof Error ? error.message : String(error), connection.session)}`);
    }
    if (response.ok) {
      await response.body?.cancel().catch(noop);
      return;
    }
    let detail = '';
    try {
      const parsed = JSON.parse(await response.text()) as { message?: unknown };
      if (typeof parsed?.message === 'string' && parsed.message !== '') detail = `: ${parsed.message.slice(0, 200)}`;
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(redact(`HeyGen ${name} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${detail}`, connection.session));
  }

  function onFrame(connection: Connection, data: unknown): void {
    if (connection.over || typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // malformed: ignored
    }
    const type = frame !== null && typeof frame === 'object' ? (frame as { type?: unknown }).type : undefined;
    switch (type) {
      case 'stream_ready':
        report(() => connection.events.ready());
        break;
      case 'avatar_start_talking':
        report(() => connection.events.speaking(true));
        break;
      case 'avatar_stop_talking':
        report(() => connection.events.speaking(false));
        break;
      default:
        break; // other HeyGen events: not ours
    }
  }

  return {
    connect(session, events) {
      if (current && !current.over) return Promise.reject(new Error('HeyGen adapter: already connected; close() first'));
      const Socket = options.WebSocket ?? (globalThis.WebSocket as unknown as HeyGenSocketConstructor | undefined);
      if (!Socket) return Promise.reject(new Error("HeyGen adapter: no WebSocket implementation; pass WebSocket from 'ws' on Node 20"));
      return new Promise<void>((resolve, reject) => {
        let socket: HeyGenSocket;
        try {
          socket = new Socket(streamUrl(session));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          reject(new Error(message.startsWith('HeyGen adapter:') ? message : `HeyGen adapter: cannot open the stream: ${redact(message, session)}`));
          return;
        }
        const connection: Connection = { session, events, socket, over: false, closing: undefined };
        current = connection;
        let opened = false;
        let failure = '';
        const refuse = (why: string) => reject(new Error(redact(`HeyGen adapter: the stream did not open (${why})`, session)));
        socket.onopen = () => {
          opened = true;
          if (connection.closing) refuse('closed before it opened');
          else resolve();
        };
        socket.onmessage = (event: { data?: unknown }) => onFrame(connection, event?.data);
        socket.onerror = (event: { message?: unknown; error?: unknown }) => {
          // browsers say nothing; ws says why (e.g. "Unexpected server response: 401")
          const message = typeof event?.message === 'string' ? event.message : event?.error instanceof Error ? event.error.message : '';
          if (message) failure = message;
        };
        socket.onclose = (event: { code?: unknown; reason?: unknown }) => {
          const code = typeof event?.code === 'number' ? event.code : 1006;
          const reason = typeof event?.reason === 'string' && event.reason !== '' ? `: ${event.reason}` : '';
          if (!opened) {
            connection.over = true;
            refuse(connection.closing ? 'closed before it opened' : failure || `close code ${code}${reason}`);
            return;
          }
          if (connection.over) return;
          connection.over = true;
          report(() => events.closed(redact(`the HeyGen stream closed (code ${code}${reason})`, session)));
        };
      });
    },

    async interrupt() {
      const connection = current;
      if (!connection || connection.closing) return;
      await post('/v1/streaming.interrupt', { session_id: connection.session.sessionId }, connection);
    },

    async speak(text) {
      const connection = current;
      if (!connection || connection.closing) throw new Error('HeyGen adapter: not connected');
      await post('/v1/streaming.task', { session_id: connection.session.sessionId, text, task_type: 'repeat', task_mode: 'async' }, connection);
    },

    close() {
      const connection = current;
      if (!connection) return Promise.resolve();
      return (connection.closing ??= (async () => {
        connection.over = true;
        const { socket } = connection;
        socket.onmessage = noop;
        socket.onerror = noop; // ws emits an error when a connecting socket is closed: keep a listener
        if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close(1000);
        if (options.stopSessionOnClose) await post('/v1/streaming.stop', { session_id: connection.session.sessionId }, connection);
      })());
    },
  };
}
