/**
 * The socket actor: one WebSocket connection attempt (partysocket with reconnection turned off —
 * the connection machine owns retries and every timer). It is the only place frames are decoded.
 *
 * Data plane apart from control plane: every decoded frame goes to the `sink` (events$, errors$,
 * the transcript), while the machine receives only connection events and the few control events it
 * acts on, plus one `activity` event for the first frame after each heartbeat ping (any frame proves
 * the server alive; counting them all would make every delta a machine event).
 */
import ReconnectingWebSocket from 'partysocket/ws';
import { REAL_TIMERS, type Clock } from './clock.js';
import { CONTROL_EVENT_TYPES, type ConnectionProblem, type SocketCommand, type SocketEvent, type SocketInput } from '../machines/socket.contract.js';
import { fromCallback } from 'xstate';
import { classifyClose, classifyHandshakeFailure } from '../machines/connection.logic.js';
import { decodeServerEvent, NotAnEvent, type NonEventFrame } from '../schema/codec.js';
import { redactSecrets } from '../schema/redact.js';
import { socketUrl } from '../schema/urls.js';
import type { ServerEvent, ServerEventOf } from '../schema/server/index.js';

import type { WebSocketConstructor } from '../options.js';
import type { TapSlot } from '../data/tap-port.js';

/** Where every decoded frame goes (the client facade's data plane). */
export interface FrameSink {
  /** Called for every validated event but a delta, before the machine hears about it. `bytes` is the frame's size. */
  event(event: ServerEvent, bytes: number): void;
  /** Called for every `text_delta` and `thought_delta`: nearly every frame of an answer, and never a control event. */
  delta(event: ServerEventOf<'text_delta' | 'thought_delta'>, bytes: number): void;
  /** Called for every other frame (audio, unknown, invalid). */
  other(frame: NonEventFrame, bytes: number): void;
  /**
   * Called for every frame this socket sends; `kind` marks the heartbeat's ping (for the round-trip
   * time) and a cancel (the voice stops playback the moment one goes out).
   */
  sent(bytes: number, kind: SentKind): void;
}

/** What a sent frame was, where it matters to the data plane. */
export type SentKind = 'ping' | 'cancel' | null;

/** Dependencies bound when the client is created (never part of machine context). */
export interface SocketDependencies {
  /** The API base (`http(s)://host:port`); the socket URL is derived from it. */
  readonly apiBase: string;
  /** A currently valid token, fetched right before each attempt (so a token never enters machine context). */
  readonly getToken: () => Promise<string>;
  /**
   * Marks a token the server refused (an upgrade answered with an HTTP error, or a close whose code
   * forbids retrying with it, 1008), so that no later attempt is made with it.
   */
  readonly refuseToken?: (token: string) => void;
  readonly WebSocket?: WebSocketConstructor | undefined;
  readonly sink: FrameSink;
  /** The `ui_session_id` the last login proposed, used when the client has none yet (§2.2). */
  readonly loginUiSessionId?: () => string | null;
  /** The clock of the wait for a previous socket's close (the runtime's). @default the real timers */
  readonly clock?: Clock;
  /** Where a recorder hears of each socket constructed (once per socket, never per frame). */
  readonly tap?: TapSlot;
}


const textEncoder = new TextEncoder();
const PING = JSON.stringify({ type: 'ping' });
/** The one spelling of a cancel (the outbox's and the codec's agree; a test holds them to it). */
export const CANCEL_FRAME = JSON.stringify({ type: 'client_wants_cancel' });

/** Node's native UTF-8 length when there is one (much cheaper than scanning in JS). */
const nativeByteLength = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer?.byteLength;

function byteLength(data: string | ArrayBuffer | ArrayBufferView): number {
  if (typeof data !== 'string') return data.byteLength;
  if (nativeByteLength) return nativeByteLength(data, 'utf8');
  // exact for ASCII (the common case) without encoding; encode otherwise
  for (let i = 0; i < data.length; i++) if (data.charCodeAt(i) > 0x7f) return textEncoder.encode(data).length;
  return data.length;
}

/** Why no token came: `auth_required` (final) unless the getter said the auth machine is still trying. */
function tokenProblem(error: unknown): ConnectionProblem {
  const message = error instanceof Error ? error.message : String(error);
  const reason = (error as { reason?: unknown } | null)?.reason;
  return { reason: reason === 'network' || reason === 'timeout' ? reason : 'auth_required', message };
}

/** Takes one frame's data; `bytes`, when known, is its size on the wire. */
type Receiver = (data: string | ArrayBuffer, bytes?: number) => void;

/** What one attempt listens to on its real socket: the frames, and the cause of an error. */
interface SocketHooks {
  readonly receive: Receiver;
  /** The real socket's `error` event, with its text (empty when the runtime gives none, as browsers do). */
  readonly error: (cause: string) => void;
}

/** The text of an `error` event: `ws` gives `message` (and `error`); a browser gives neither. */
function errorText(event: Event): string {
  const { message, error } = event as { message?: unknown; error?: { message?: unknown } };
  if (typeof message === 'string' && message !== '') return message;
  return typeof error?.message === 'string' ? error.message : '';
}

/** How long a new attempt waits for the previous socket's close to complete. */
const CLOSE_WAIT_MS = 2_000;

/**
 * Tracks the real sockets a WebSocket constructor makes, so that a new attempt can wait until the
 * previous socket is fully closed: the server mutes a socket that attaches to a UI session whose old
 * socket is still open (docs/protocol.md §1.9). partysocket's own `close()` reports closed at once and
 * detaches its listeners, so the wrapper listens on the real socket.
 */
function trackSockets(Base: WebSocketConstructor, clock: Clock, tap?: TapSlot) {
  const live = new Set<{ close(code?: number): void; terminate?: () => void }>();
  let waiters: (() => void)[] = [];
  /** Where the next socket delivers its messages and errors (set right before partysocket constructs it). */
  let nextHooks: SocketHooks | null = null;
  const settle = () => {
    if (live.size > 0) return;
    for (const resolve of waiters.splice(0)) resolve();
  };
  const Tracked = class extends (Base as unknown as new (url: string, protocols?: string | string[]) => EventTarget) {
    /** Messages go straight to the receiver, not through partysocket's per-message event copy. */
    private readonly direct: boolean;
    /** Set while the receiver's own listener is being added (it must not be filtered out). */
    private registering = false;

    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      if (tap) {
        tap.sockets++;
        // first, so that a recorder hears each frame before the client acts on it
        tap.current?.socket({ url, socket: this, listen: (type, listener) => super.addEventListener(type, listener as EventListener) });
      }
      const socket = this as unknown as { close(code?: number): void; terminate?: () => void };
      live.add(socket);
      const hooks = nextHooks;
      nextHooks = null;
      const receiver = hooks?.receive ?? null;
      this.direct = receiver !== null;
      // before partysocket's own listener, which reports any error as a close 1000 and drops the cause
      if (hooks) super.addEventListener('error', (event) => hooks.error(errorText(event)));
      const onMessage = (event: Event) => receiver?.((event as MessageEvent).data as string | ArrayBuffer);
      // ws (Node): its EventEmitter side skips building a MessageEvent per frame; only when nobody
      // patched this instance's addEventListener (a wrapper that customises dispatch keeps it)
      const emitter = this as unknown as { on?: (e: 'message', l: (data: unknown, isBinary: boolean) => void) => void; off?: (e: 'message', l: (data: unknown, isBinary: boolean) => void) => void };
      const useEmitter = typeof emitter.on === 'function' && typeof emitter.off === 'function' && !Object.prototype.hasOwnProperty.call(this, 'addEventListener');
      // a text frame comes as a Buffer: its length is the frame's UTF-8 size, no need to measure the string
      // (`toString()` directly: `String(buffer)` takes the generic ToPrimitive route, ~85 ns more per frame)
      const onData = (data: unknown, isBinary: boolean) =>
        receiver?.(isBinary ? (data as ArrayBuffer) : (data as { toString(): string }).toString(), (data as { byteLength: number }).byteLength);
      super.addEventListener('close', () => {
        live.delete(socket);
        if (receiver && useEmitter) emitter.off!('message', onData);
        else if (receiver) this.removeEventListener('message', onMessage);
        settle();
      });
      if (!receiver) return;
      if (useEmitter) {
        emitter.on!('message', onData);
        return;
      }
      // through the instance, so a WebSocket implementation that customises dispatch still works
      this.registering = true;
      this.addEventListener('message', onMessage);
      this.registering = false;
    }

    override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void {
      // partysocket re-dispatches every message as a fresh event copy; the data plane needs none
      if (type === 'message' && this.direct && !this.registering) return;
      super.addEventListener(type, listener, options);
    }
  } as unknown as WebSocketConstructor;
  /** Resolves once every socket made so far is closed; after `timeoutMs`, cuts the stragglers (where possible) and resolves. */
  const allClosed = (timeoutMs = CLOSE_WAIT_MS): Promise<void> =>
    live.size === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = clock.setTimeout(() => {
            for (const socket of live) socket.terminate?.(); // ws on Node: no close handshake to wait for
            live.clear();
            waiters = waiters.filter((w) => w !== done);
            resolve();
          }, timeoutMs);
          const done = () => {
            clock.clearTimeout(timer);
            resolve();
          };
          waiters.push(done);
        });
  /** The next socket constructed delivers its messages and errors to `hooks`. */
  const expect = (hooks: SocketHooks) => {
    nextHooks = hooks;
  };
  return { Tracked, allClosed, expect, liveCount: () => live.size };
}

/** Creates the socket actor logic with its dependencies bound, and a way to wait for its sockets to close. */
export function createSocketActor(deps: SocketDependencies) {
  const tracker = trackSockets(deps.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor), deps.clock ?? REAL_TIMERS, deps.tap);
  /** Sends a binary frame on the socket that is open now (the voice's data plane); null while none is. */
  let binaryOut: ((data: ArrayBuffer) => boolean) | null = null;
  const logic = fromCallback<SocketCommand, SocketInput, SocketEvent>(({ input, sendBack, receive }) => {
    let stopped = false;
    /** The token this attempt connects with (to mark it if the server refuses it). */
    let usedToken: string | null = null;
    /** The real socket's error text, if it reported one (a handshake failure's cause). */
    let cause: string | null = null;
    let opened = false;
    // partysocket accepts a URL provider: it runs right before the socket opens
    const url = async () => {
      try {
        await tracker.allClosed(); // the previous socket of this client is fully closed first
        if (stopped) throw new Error('stopped');
        const token = await deps.getToken();
        if (stopped) throw new Error('stopped');
        usedToken = token;
        // partysocket constructs the socket right after this URL resolves
        tracker.expect({
          receive: deliver,
          error: (text) => {
            cause = text;
          },
        });
        // the token is fetched first: a login it causes proposes the UI session id to use
        const uiSessionId = input.uiSessionId ?? deps.loginUiSessionId?.() ?? null;
        return socketUrl(deps.apiBase, { token, uiSessionId, chatSessionId: input.chatSessionId, agentKey: input.agentKey });
      } catch (error) {
        if (!stopped) sendBack({ type: 'socket.failed', problem: tokenProblem(error) });
        throw error;
      }
    };
    const socket = new ReconnectingWebSocket(url, undefined, {
      WebSocket: tracker.Tracked,
      maxRetries: 0, // one attempt: the connection machine decides about retries
      connectionTimeout: 2_147_483_647, // the machine's connectionTimeout rules
      maxEnqueuedMessages: 0, // never buffer: the client decides what waits for `ready`
      minUptime: 0,
    });
    socket.binaryType = 'arraybuffer';
    let closed = false;
    /** A ping is out: the next frame of any kind proves the server alive (reported once). */
    let awaitingLife = false;

    const decodeOptions = { maxMessageSize: input.maxMessageSize };
    const sendBinary = (data: ArrayBuffer): boolean => {
      if (socket.readyState !== socket.OPEN) return false;
      socket.send(data);
      deps.sink.sent(data.byteLength, null);
      return true;
    };
    socket.onopen = () => {
      opened = true;
      binaryOut = sendBinary;
      sendBack({ type: 'socket.opened' });
    };
    function deliver(data: string | ArrayBuffer, bytes?: number): void {
      if (closed) return;
      const decoded = decodeServerEvent(data, decodeOptions);
      const size = bytes ?? byteLength(data);
      if (!(decoded instanceof NotAnEvent)) {
        const type = decoded.type;
        // nearly every frame of an answer: a way in of its own, and never a control event
        if (type === 'text_delta' || type === 'thought_delta') {
          deps.sink.delta(decoded, size);
          if (awaitingLife) proveLife();
          return;
        }
      }
      // apart, so that the per-frame function stays small enough for the compiler to inline its callees
      deliverOther(decoded, size);
    }
    function deliverOther(decoded: ServerEvent | NotAnEvent, size: number): void {
      if (decoded instanceof NotAnEvent) {
        deps.sink.other(decoded.frame, size);
      } else {
        deps.sink.event(decoded, size);
        if (CONTROL_EVENT_TYPES.has(decoded.type)) {
          awaitingLife = false;
          sendBack({ type: 'server.event', event: decoded });
          return;
        }
      }
      if (awaitingLife) proveLife();
    }
    function proveLife(): void {
      awaitingLife = false;
      sendBack({ type: 'socket.activity' });
    }
    // messages arrive through `deliver` (bound by tracker.expect before the socket is made), never
    // through partysocket's onmessage: setting both would deliver twice
    // partysocket reports an error as a close with code 1000; the real socket's error says what happened
    socket.onclose = (event: { code: number; reason: string }) => {
      if (binaryOut === sendBinary) binaryOut = null;
      if (closed) return;
      closed = true;
      const refuse = () => {
        if (usedToken !== null) deps.refuseToken?.(usedToken);
      };
      if (!opened) {
        // never opened: a failed handshake (docs/protocol.md §1.8, §13 item 12)
        const failure = classifyHandshakeFailure(cause);
        const message = redactSecrets(failure.message);
        if (failure.kind === 'network') return sendBack({ type: 'socket.failed', problem: { reason: 'network', message } });
        if (failure.kind === 'refused') refuse();
        return sendBack({ type: 'socket.refused', status: failure.kind === 'refused' ? failure.status : null, message });
      }
      if (cause !== null) return sendBack({ type: 'socket.closed', code: 1006, reason: redactSecrets(cause || 'the connection failed') });
      if (!classifyClose(event.code).retry) refuse(); // 1008: the server will not take this token again
      sendBack({ type: 'socket.closed', code: event.code, reason: event.reason });
    };

    receive((command) => {
      if (command.type === 'socket.send') {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(command.data);
        const ping = command.data === PING;
        if (ping) awaitingLife = true;
        deps.sink.sent(byteLength(command.data), ping ? 'ping' : command.data === CANCEL_FRAME ? 'cancel' : null);
      } else {
        closed = true;
        if (binaryOut === sendBinary) binaryOut = null;
        socket.close(command.code ?? 1000, command.reason ?? '');
      }
    });

    return () => {
      stopped = true;
      closed = true;
      if (binaryOut === sendBinary) binaryOut = null;
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.close(1000, 'client closed');
    };
  });
  /** Sends a binary frame now if a socket is open; `false` (nothing sent, nothing kept) otherwise. */
  const sendBinary = (data: ArrayBuffer): boolean => {
    return binaryOut ? binaryOut(data) : false;
  };
  return { logic, allClosed: tracker.allClosed, liveSockets: tracker.liveCount, sendBinary };
}
