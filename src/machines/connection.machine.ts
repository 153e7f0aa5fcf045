/**
 * The connection: one socket at a time, from `connect` to `ready`, and back to it after any loss.
 *
 * `ready` means the server sent `user_turn_start` at the end of the full initialization burst
 * (PROTOCOL.md §7.1), never "some list events seen"; or that the next socket of a known UI session
 * opened with the short form, `chat_session_changed` (§7.2): the server is alive and holds the
 * session, and an answer that was streaming when the socket dropped goes on (the turn stays the
 * agent's until its `user_turn_start`, so nothing pre-empts it).
 * Every timer is an `after` delay. The socket is an invoked actor, so leaving a state closes it.
 * The parent hears `link.connecting`, `link.ready`, `link.lost` and `link.ended` (the root routes
 * them to the outbox and the conversation).
 */
import { assign, enqueueActions, not, sendTo, setup, type CallbackActorLogic } from 'xstate';
import type { ServerEvent } from '../schema/server/index.js';
import type { SocketCommand, SocketEvent, SocketInput } from '../actors/socket.actor.js';
import { reconnectDelay, type ReconnectionPolicy } from './connection.logic.js';
import { stepRandom } from './seeded.js';

/** The connection machine's input: numbers and ids only. */
export interface ConnectionInput {
  readonly reconnection: ReconnectionPolicy;
  readonly autoReconnect: boolean;
  readonly connectionTimeout: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  /** A connection that stayed ready this long resets the attempt count. */
  readonly stableAfter: number;
  readonly maxMessageSize: number;
  readonly agentKey: string | null;
  readonly chatSessionId: string | null;
  readonly uiSessionId: string | null;
  /** Seed of the jitter PRNG. */
  readonly seed: number;
}

export type { ConnectionProblem } from '../actors/socket.actor.js';
import type { ConnectionProblem } from '../actors/socket.actor.js';

export interface ConnectionContext {
  readonly settings: Omit<ConnectionInput, 'agentKey' | 'chatSessionId' | 'uiSessionId' | 'seed'>;
  /** Attempts since the last stable connection (0 before the first). */
  readonly attempt: number;
  readonly uiSessionId: string | null;
  readonly chatSessionId: string | null;
  readonly agentKey: string | null;
  readonly lastError: ConnectionProblem | null;
  /** The delay chosen for the next attempt (ms), or null when giving up. */
  readonly nextDelay: number | null;
  readonly seed: number;
}

export type ConnectionEvent =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'outbound'; data: string }
  | SocketEvent;

const PING = JSON.stringify({ type: 'ping' });

/** The `key` of an agent configuration (v1 and v2 both carry one), if it is a usable string. */
const agentKeyOf = (config: unknown): string | null => {
  const key = config !== null && typeof config === 'object' ? (config as { key?: unknown }).key : undefined;
  return typeof key === 'string' && key !== '' ? key : null;
};

const isServer = (event: ConnectionEvent, type: ServerEvent['type']) => event.type === 'server.event' && event.event.type === type;

export const connectionMachine = setup({
  types: {
    input: {} as ConnectionInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
  },
  actors: {
    /** Provided by the client: one connection attempt (see createSocketActor). */
    socket: {} as CallbackActorLogic<SocketCommand, SocketInput, SocketEvent>,
  },
  delays: {
    connectionTimeout: ({ context }) => context.settings.connectionTimeout,
    pingInterval: ({ context }) => context.settings.pingInterval,
    pongTimeout: ({ context }) => context.settings.pongTimeout,
    stableAfter: ({ context }) => context.settings.stableAfter,
    reconnectDelay: ({ context }) => context.nextDelay ?? 0,
  },
  guards: {
    isUiSessionIdChanged: ({ event }) => isServer(event, 'ui_session_id_changed'),
    isChatSessionChanged: ({ event }) => isServer(event, 'chat_session_changed'),
    isUserTurnStart: ({ event }) => isServer(event, 'user_turn_start'),
    isServerPing: ({ event }) => isServer(event, 'ping'),
    mayRetry: ({ context }) => context.settings.autoReconnect && context.nextDelay !== null,
    isAuthProblem: ({ event }) => event.type === 'socket.failed' && event.problem.reason === 'auth_required',
  },
  actions: {
    assignServerIds: assign(({ context, event }) => {
      if (event.type !== 'server.event') return {};
      if (event.event.type === 'ui_session_id_changed') return { uiSessionId: event.event.ui_session_id };
      // the session's agent goes along on every reconnect: the server replaces a loaded session's
      // agent by `agent_key`, "default" when omitted (§1.2), so a restart would reset it
      if (event.event.type === 'chat_session_changed') return { chatSessionId: event.event.chat_session.session_id, agentKey: agentKeyOf(event.event.chat_session.agent_config) ?? context.agentKey };
      if (event.event.type === 'agent_configuration_changed') return { agentKey: agentKeyOf(event.event.agent_config) ?? context.agentKey };
      return { uiSessionId: context.uiSessionId };
    }),
    sendPing: sendTo('socket', { type: 'socket.send', data: PING }),
    answerServerPing: sendTo('socket', { type: 'socket.send', data: JSON.stringify({ type: 'pong' }) }),
    forwardOutbound: sendTo('socket', ({ event }) => ({ type: 'socket.send' as const, data: event.type === 'outbound' ? event.data : '' })),
    markStable: assign({ attempt: 0, lastError: null }),
    clearError: assign({ lastError: null }),
    resetAttempts: assign({ attempt: 0 }),
    assignTimeout: assign({ lastError: { reason: 'timeout', message: 'The server did not get the connection ready in time (connectionTimeout)' } }),
    assignPongTimeout: assign({ lastError: { reason: 'timeout', message: 'The server stopped answering (no pong within pongTimeout)' } }),
    assignClose: assign(({ event }) =>
      event.type === 'socket.closed'
        ? { lastError: { reason: 'network' as const, message: `The connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})` } }
        : {},
    ),
    assignFailure: assign(({ event }) => (event.type === 'socket.failed' ? { lastError: event.problem } : {})),
    planRetry: assign(({ context }) => {
      const attempt = context.attempt + 1;
      const { value, seed } = stepRandom(context.seed);
      return { attempt, seed, nextDelay: reconnectDelay(attempt, context.settings.reconnection, () => value) };
    }),
    startFirstAttempt: assign({ attempt: 0, nextDelay: null }),
    /** Tells the parent (the root), if there is one, how the link stands. */
    tellLink: enqueueActions(({ context, self, enqueue }, params: { link: 'connecting' | 'ready' | 'lost' | 'failed' | 'closed' }) => {
      if (!self._parent) return;
      if (params.link === 'failed') {
        enqueue.sendTo(self._parent, { type: 'link.ended', reason: context.lastError?.reason ?? 'network', message: context.lastError?.message ?? 'The connection failed' });
      } else if (params.link === 'closed') {
        enqueue.sendTo(self._parent, { type: 'link.ended', reason: 'closed', message: 'The connection was closed' });
      } else {
        enqueue.sendTo(self._parent, { type: `link.${params.link}` });
      }
    }),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    settings: {
      reconnection: input.reconnection,
      autoReconnect: input.autoReconnect,
      connectionTimeout: input.connectionTimeout,
      pingInterval: input.pingInterval,
      pongTimeout: input.pongTimeout,
      stableAfter: input.stableAfter,
      maxMessageSize: input.maxMessageSize,
    },
    attempt: 0,
    uiSessionId: input.uiSessionId,
    chatSessionId: input.chatSessionId,
    agentKey: input.agentKey,
    lastError: null,
    nextDelay: null,
    seed: input.seed >>> 0,
  }),
  initial: 'idle',
  states: {
    idle: {
      description: 'Not connected, and never asked to be.',
      on: { connect: { target: 'attempt', actions: 'startFirstAttempt' } },
    },
    attempt: {
      description: 'One socket: opening, initializing, then ready; the heartbeat runs once it is open.',
      type: 'parallel',
      entry: { type: 'tellLink', params: { link: 'connecting' } },
      invoke: {
        id: 'socket',
        src: 'socket',
        input: ({ context }) => ({
          maxMessageSize: context.settings.maxMessageSize,
          uiSessionId: context.uiSessionId,
          chatSessionId: context.chatSessionId,
          agentKey: context.agentKey,
        }),
      },
      on: {
        'socket.closed': { target: 'retrying', actions: 'assignClose' },
        'socket.failed': [
          { guard: 'isAuthProblem', target: 'failed', actions: 'assignFailure' },
          { target: 'retrying', actions: 'assignFailure' },
        ],
        disconnect: 'closed',
        outbound: { actions: 'forwardOutbound' },
      },
      states: {
        phase: {
          initial: 'starting',
          states: {
            starting: {
              after: { connectionTimeout: { target: '#connection.retrying', actions: 'assignTimeout' } },
              initial: 'opening',
              states: {
                opening: { on: { 'socket.opened': 'initializing' } },
                initializing: {
                  description: 'Waiting for the first frame: the full initialization burst, or the short reconnect form.',
                  on: {
                    'server.event': [
                      { guard: 'isUserTurnStart', target: '#connection.attempt.phase.ready', actions: 'assignServerIds' },
                      { guard: 'isChatSessionChanged', target: '#connection.attempt.phase.ready', actions: 'assignServerIds' },
                      { target: 'burst', actions: 'assignServerIds' },
                    ],
                  },
                },
                burst: {
                  description: 'The full burst (§7.1): ready at its `user_turn_start`.',
                  on: {
                    'server.event': [{ guard: 'isUserTurnStart', target: '#connection.attempt.phase.ready', actions: 'assignServerIds' }, { actions: 'assignServerIds' }],
                  },
                },
              },
            },
            ready: {
              entry: ['clearError', { type: 'tellLink', params: { link: 'ready' } }],
              after: { stableAfter: { actions: 'markStable' } },
              on: { 'server.event': { actions: 'assignServerIds' } },
            },
          },
        },
        heartbeat: {
          initial: 'off',
          states: {
            off: { on: { 'socket.opened': 'waiting' } },
            waiting: {
              after: { pingInterval: { target: 'awaitingPong', actions: 'sendPing' } },
              on: { 'server.event': { guard: 'isServerPing', actions: 'answerServerPing' } },
            },
            awaitingPong: {
              description: 'Any frame proves the server alive, not only the pong.',
              after: { pongTimeout: { target: '#connection.retrying', actions: 'assignPongTimeout' } },
              on: {
                'server.event': { target: 'waiting' },
                'socket.activity': { target: 'waiting' },
              },
            },
          },
        },
      },
    },
    retrying: {
      description: 'Waiting before the next attempt (backoff with jitter).',
      entry: ['planRetry', { type: 'tellLink', params: { link: 'lost' } }],
      always: { guard: not('mayRetry'), target: 'failed' },
      after: { reconnectDelay: 'attempt' },
      on: { connect: 'attempt', disconnect: 'closed' },
    },
    failed: {
      description: 'Gave up (maxAttempts, autoReconnect off, or no valid token); `connect` tries again.',
      entry: { type: 'tellLink', params: { link: 'failed' } },
      on: { connect: { target: 'attempt', actions: 'startFirstAttempt' } },
    },
    closed: {
      description: 'Disconnected on purpose; `connect` starts again.',
      entry: { type: 'tellLink', params: { link: 'closed' } },
      on: { connect: { target: 'attempt', actions: 'startFirstAttempt' } },
    },
  },
});
