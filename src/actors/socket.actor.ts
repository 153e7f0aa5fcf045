/**
 * The socket actor: one WebSocket connection attempt (partysocket with reconnection turned off —
 * the connection machine owns retries and every timer). It is the only place frames are decoded.
 *
 * Data plane apart from control plane: every decoded frame goes to the `sink` (events$, errors$,
 * the transcript), while the machine receives only connection events and the few control events it
 * acts on, plus an `activity` heartbeat at most once per `activityIntervalMs`.
 */
import ReconnectingWebSocket from 'partysocket/ws';
import { fromCallback } from 'xstate';
import { socketUrl } from '../machines/connection.logic.js';
import { decodeServerFrame, type DecodedFrame } from '../schema/codec.js';
import type { ServerEvent } from '../schema/server/index.js';

import type { WebSocketConstructor } from '../options.js';

/** Where every decoded frame goes (the client facade's data plane). */
export interface FrameSink {
  /** Called for every frame, before the machine hears about it. `bytes` is the frame's size. */
  frame(frame: DecodedFrame, bytes: number): void;
  /** Called for every frame this socket sends; `ping` marks the heartbeat's ping (for the round-trip time). */
  sent(bytes: number, ping: boolean): void;
}

/** The server events the connection machine acts on; all others stay on the data plane. */
export const CONTROL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ui_session_id_changed',
  'chat_session_changed',
  'user_turn_start',
  'pong',
  'ping',
]);

/** Why a connection attempt ended, in words and as a ClientError reason. */
export interface ConnectionProblem {
  readonly reason: 'timeout' | 'network' | 'closed' | 'auth_required';
  readonly message: string;
}

/** What the actor tells its parent. */
export type SocketEvent =
  | { type: 'socket.failed'; problem: ConnectionProblem }
  | { type: 'socket.opened' }
  | { type: 'socket.closed'; code: number; reason: string }
  | { type: 'socket.activity' }
  | { type: 'server.event'; event: ServerEvent };

/** What the parent tells the actor. */
export type SocketCommand = { type: 'socket.send'; data: string | ArrayBufferView<ArrayBuffer> | ArrayBuffer } | { type: 'socket.close'; code?: number; reason?: string };

/** The actor's input (from the connection machine's context). */
export interface SocketInput {
  readonly maxMessageSize: number;
  /** Least time between two `socket.activity` events. */
  readonly activityIntervalMs: number;
  readonly uiSessionId: string | null;
  readonly chatSessionId: string | null;
  readonly agentKey: string | null;
}

/** Dependencies bound when the client is created (never part of machine context). */
export interface SocketDependencies {
  /** The API base (`http(s)://host:port`); the socket URL is derived from it. */
  readonly apiBase: string;
  /** A currently valid token, fetched right before each attempt (so a token never enters machine context). */
  readonly getToken: () => Promise<string>;
  readonly WebSocket?: WebSocketConstructor | undefined;
  readonly sink: FrameSink;
}

const textEncoder = new TextEncoder();
const PING = JSON.stringify({ type: 'ping' });

function byteLength(data: string | ArrayBuffer | ArrayBufferView): number {
  if (typeof data !== 'string') return data.byteLength;
  // exact for ASCII (the common case) without encoding; encode otherwise
  for (let i = 0; i < data.length; i++) if (data.charCodeAt(i) > 0x7f) return textEncoder.encode(data).length;
  return data.length;
}

/** Creates the socket actor logic with its dependencies bound. */
export function createSocketActor(deps: SocketDependencies) {
  return fromCallback<SocketCommand, SocketInput, SocketEvent>(({ input, sendBack, receive }) => {
    let stopped = false;
    // partysocket accepts a URL provider: the token is fetched right before the socket opens
    const url = async () => {
      try {
        const token = await deps.getToken();
        return socketUrl(deps.apiBase, { token, uiSessionId: input.uiSessionId, chatSessionId: input.chatSessionId, agentKey: input.agentKey });
      } catch (error) {
        if (!stopped) sendBack({ type: 'socket.failed', problem: { reason: 'auth_required', message: error instanceof Error ? error.message : String(error) } });
        throw error;
      }
    };
    const socket = new ReconnectingWebSocket(url, undefined, {
      WebSocket: deps.WebSocket ?? globalThis.WebSocket,
      maxRetries: 0, // one attempt: the connection machine decides about retries
      connectionTimeout: 2_147_483_647, // the machine's connectionTimeout rules
      maxEnqueuedMessages: 0, // never buffer: the client decides what waits for `ready`
      minUptime: 0,
    });
    socket.binaryType = 'arraybuffer';
    let closed = false;
    let lastActivity = 0;

    socket.onopen = () => sendBack({ type: 'socket.opened' });
    socket.onmessage = (message: MessageEvent) => {
      const data = message.data as string | ArrayBuffer;
      const frame = decodeServerFrame(data, { maxMessageSize: input.maxMessageSize });
      deps.sink.frame(frame, byteLength(data));
      if (frame.kind === 'event' && CONTROL_EVENT_TYPES.has(frame.event.type)) {
        sendBack({ type: 'server.event', event: frame.event });
        lastActivity = Date.now();
        return;
      }
      const now = Date.now();
      if (now - lastActivity >= input.activityIntervalMs) {
        lastActivity = now;
        sendBack({ type: 'socket.activity' });
      }
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (closed) return;
      closed = true;
      sendBack({ type: 'socket.closed', code: event.code, reason: event.reason });
    };

    receive((command) => {
      if (command.type === 'socket.send') {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(command.data);
        deps.sink.sent(byteLength(command.data), command.data === PING);
      } else {
        closed = true;
        socket.close(command.code ?? 1000, command.reason ?? '');
      }
    });

    return () => {
      stopped = true;
      closed = true;
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.close(1000, 'client closed');
    };
  });
}
