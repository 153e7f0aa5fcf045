/**
 * The contract between the connection machine and the socket actor that implements it: what the
 * machine gives the actor (its input, its commands), what the actor tells the machine, and which
 * server events the machine wants to hear. The machine states it; `actors/socket.actor.ts` (or a
 * test's fake, or the runtime's socket slot) fulfils it.
 */
import type { ServerEvent } from '../schema/server/index.js';

/** The server events the connection machine acts on; all others stay on the data plane. */
export const CONTROL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ui_session_id_changed',
  'chat_session_changed',
  'agent_configuration_changed',
  'user_turn_start',
  'pong',
  'ping',
]);

/** Why a connection attempt ended, in words and as a ClientError reason. */
export interface ConnectionProblem {
  readonly reason: 'timeout' | 'network' | 'closed' | 'auth_required' | 'refused';
  readonly message: string;
}

/** What the actor tells its parent. */
export type SocketEvent =
  | { type: 'socket.failed'; problem: ConnectionProblem }
  /**
   * The socket ended before it opened and no network cause was given: the server refused the
   * upgrade with HTTP `status` (known only where the runtime says, e.g. `ws`), or, with `status`
   * null, the runtime gave no cause at all (a browser: refused or unreachable).
   */
  | { type: 'socket.refused'; status: number | null; message: string }
  | { type: 'socket.opened' }
  | { type: 'socket.closed'; code: number; reason: string }
  | { type: 'socket.activity' }
  | { type: 'server.event'; event: ServerEvent };

/** What the parent tells the actor. */
export type SocketCommand = { type: 'socket.send'; data: string | ArrayBufferView<ArrayBuffer> | ArrayBuffer } | { type: 'socket.close'; code?: number; reason?: string };

/** The actor's input (from the connection machine's context). */
export interface SocketInput {
  readonly maxMessageSize: number;
  readonly uiSessionId: string | null;
  readonly chatSessionId: string | null;
  readonly agentKey: string | null;
}

