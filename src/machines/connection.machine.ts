/**
 * The connection: one socket at a time, from `connect` to `ready`, and back to it after any loss.
 *
 * `ready` means the server sent `user_turn_start` at the end of the full initialization burst
 * (docs/protocol.md §7.1), never "some list events seen"; or that the next socket of a known UI session
 * opened with the short form, `chat_session_changed` (§7.2): the server is alive and holds the
 * session, and an answer that was streaming when the socket dropped goes on (the turn stays the
 * agent's until its `user_turn_start`, so nothing pre-empts it).
 * Every timer is an `after` delay. The socket is an invoked actor, so leaving a state closes it.
 * The parent hears `link.connecting`, `link.ready`, `link.lost` and `link.ended` (the root routes
 * them to the outbox and the conversation).
 *
 * A refused handshake is not a network failure (docs/protocol.md §1.8): when the server refused the token
 * (an upgrade answered with an HTTP error, or a close 1008) the machine tells auth through the root
 * (`token.refused`) and waits in `awaitingToken` for a token the server has not refused; a fresh token
 * refused again ends in `failed` (`refused`), since an unknown `agent_key` or a `ui_session_id` of
 * another user is refused with every token. A handshake that failed without a cause (browsers) is
 * retried with backoff while auth verifies the token.
 */
import { assign, enqueueActions, fromPromise, not, sendTo, setup, type CallbackActorLogic, type PromiseActorLogic } from 'xstate';
import type { ServerEvent } from '../schema/server/index.js';
import type { SocketCommand, SocketEvent, SocketInput } from './socket.contract.js';
import { classifyClose, reconnectDelay, type ReconnectionPolicy } from './connection.logic.js';
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

export type { ConnectionProblem } from './socket.contract.js';
import type { ConnectionProblem } from './socket.contract.js';

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
  /** Handshakes the server refused since the last `ready` (or `connect`); a second one gives up. */
  readonly refusals: number;
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

/** The server refused this token: an upgrade answered with an HTTP error, or a close whose code forbids retrying (1008). */
const isKnownRefusal = (event: ConnectionEvent) =>
  (event.type === 'socket.refused' && event.status !== null) || (event.type === 'socket.closed' && !classifyClose(event.code).retry);

/** The error of an invoked promise actor, as a problem (a ClientError from the token getter, or anything). */
const problemOf = (error: unknown): ConnectionProblem => {
  const { reason, message } = (error ?? {}) as { reason?: unknown; message?: unknown };
  return {
    reason: reason === 'auth_required' || reason === 'network' || reason === 'timeout' ? reason : 'auth_required',
    message: typeof message === 'string' ? message : String(error),
  };
};

export const connectionMachine = setup({
  types: {
    input: {} as ConnectionInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    /** What the app-facing layer reads (`connection$`): never the state names. */
    tags: {} as 'idle' | 'opening' | 'initializing' | 'ready' | 'reconnecting' | 'renewingToken' | 'failed' | 'closed',
  },
  actors: {
    /** Provided by the client: one connection attempt (see createSocketActor). */
    socket: {} as CallbackActorLogic<SocketCommand, SocketInput, SocketEvent>,
    /**
     * Provided by the client: resolves once auth holds a token the server has not refused (the token
     * getter, output dropped so that no token enters an event); rejects `auth_required` when auth says
     * nothing can help. The default resolves at once (a machine run without auth).
     */
    awaitToken: fromPromise<void>(async () => undefined) as PromiseActorLogic<void>,
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
    isKnownRefusal: ({ event }) => isKnownRefusal(event),
    /** Refused again after a token was renewed for a first refusal: another token will not help. */
    isRefusedAgain: ({ context, event }) => isKnownRefusal(event) && context.refusals >= 1,
    isNoTokenPossible: ({ event }) => problemOf((event as { error?: unknown }).error).reason === 'auth_required',
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
    assignRefusal: assign(({ event }) => {
      if (event.type === 'socket.refused') return { lastError: { reason: event.status === null ? ('network' as const) : ('refused' as const), message: event.message } };
      if (event.type === 'socket.closed') {
        return { lastError: { reason: 'refused' as const, message: `The server closed the connection with code ${event.code}${event.reason ? ` (${event.reason})` : ''}: it will not take this token again` } };
      }
      return {};
    }),
    countRefusal: assign(({ context }) => ({ refusals: context.refusals + 1 })),
    resetRefusals: assign({ refusals: 0 }),
    assignRefusedAgain: assign(({ context }) => ({
      lastError: {
        reason: 'refused' as const,
        message: `${context.lastError?.message ?? 'The server refused the connection'}; refused again after the token was renewed, so the token is not the cause: check agent_key and ui_session_id (§1.8)`,
      },
    })),
    assignTokenProblem: assign(({ event }) => ({ lastError: problemOf((event as { error?: unknown }).error) })),
    assignTokenTimeout: assign({ lastError: { reason: 'timeout', message: 'No new token in time (connectionTimeout) after the server refused the last one' } }),
    /** Through the root to auth: renew the token. (Nothing to tell when the machine runs alone.) */
    tellAuthRefused: enqueueActions(({ enqueue, self }) => {
      if (self._parent) enqueue.sendParent({ type: 'token.refused' });
    }),
    planRetry: assign(({ context }) => {
      const attempt = context.attempt + 1;
      const { value, seed } = stepRandom(context.seed);
      return { attempt, seed, nextDelay: reconnectDelay(attempt, context.settings.reconnection, () => value) };
    }),
    startFirstAttempt: assign({ attempt: 0, nextDelay: null, refusals: 0 }),
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
    refusals: 0,
    seed: input.seed >>> 0,
  }),
  initial: 'idle',
  states: {
    idle: {
      tags: ['idle'],
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
        'socket.closed': [
          { guard: 'isRefusedAgain', target: 'failed', actions: ['assignRefusal', 'assignRefusedAgain', 'tellAuthRefused'] },
          { guard: 'isKnownRefusal', target: 'awaitingToken', actions: ['assignRefusal', 'countRefusal', 'tellAuthRefused'] },
          { target: 'retrying', actions: 'assignClose' },
        ],
        'socket.refused': [
          { guard: 'isRefusedAgain', target: 'failed', actions: ['assignRefusal', 'assignRefusedAgain', 'tellAuthRefused'] },
          { guard: 'isKnownRefusal', target: 'awaitingToken', actions: ['assignRefusal', 'countRefusal', 'tellAuthRefused'] },
          // no cause (a browser): refused or unreachable; auth verifies the token while we back off
          { target: 'retrying', actions: ['assignRefusal', 'tellAuthRefused'] },
        ],
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
                opening: { tags: ['opening'], on: { 'socket.opened': 'initializing' } },
                initializing: {
                  tags: ['initializing'],
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
                  tags: ['initializing'],
                  description: 'The full burst (§7.1): ready at its `user_turn_start`.',
                  on: {
                    'server.event': [{ guard: 'isUserTurnStart', target: '#connection.attempt.phase.ready', actions: 'assignServerIds' }, { actions: 'assignServerIds' }],
                  },
                },
              },
            },
            ready: {
              tags: ['ready'],
              entry: ['clearError', 'resetRefusals', { type: 'tellLink', params: { link: 'ready' } }],
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
    awaitingToken: {
      tags: ['reconnecting', 'renewingToken'],
      description: 'The server refused the token: auth renews it (refresh, login, provider); the next attempt waits for a token the server has not refused.',
      entry: { type: 'tellLink', params: { link: 'lost' } },
      invoke: {
        src: 'awaitToken',
        onDone: 'attempt',
        onError: [
          { guard: 'isNoTokenPossible', target: 'failed', actions: 'assignTokenProblem' },
          { target: 'retrying', actions: 'assignTokenProblem' },
        ],
      },
      after: { connectionTimeout: { target: 'retrying', actions: 'assignTokenTimeout' } },
      on: { disconnect: 'closed' },
    },
    retrying: {
      tags: ['reconnecting'],
      description: 'Waiting before the next attempt (backoff with jitter).',
      entry: ['planRetry', { type: 'tellLink', params: { link: 'lost' } }],
      always: { guard: not('mayRetry'), target: 'failed' },
      after: { reconnectDelay: 'attempt' },
      on: { connect: 'attempt', disconnect: 'closed' },
    },
    failed: {
      tags: ['failed'],
      description: 'Gave up (maxAttempts, autoReconnect off, no valid token, or refused again with a new token); `connect` tries again.',
      entry: { type: 'tellLink', params: { link: 'failed' } },
      on: { connect: { target: 'attempt', actions: 'startFirstAttempt' } },
    },
    closed: {
      tags: ['closed'],
      description: 'Disconnected on purpose; `connect` starts again.',
      entry: { type: 'tellLink', params: { link: 'closed' } },
      on: { connect: { target: 'attempt', actions: 'startFirstAttempt' } },
    },
  },
});
