/**
 * The conversation: whose turn it is (the `turn` child) and the interactions in flight, one actor
 * per session id (`interaction:<session id>`), so a delegated sub-session's interaction is its own.
 * It hears only control events (turn boundaries, interaction start and end, completion ends,
 * failures, the kind of output streaming) — never the deltas themselves — and emits
 * `interaction.ended` with each interaction's outcome, exactly once per interaction.
 *
 * It tells its parent (the root routes it to the outbox) whether the server is busy with an answer
 * (`server.activity`: an interaction of the current session in flight, or the turn the agent's —
 * the server's task runs until `user_turn_start`, §1.5 rule 6), and when the top-level interaction
 * started and ended.
 *
 * A lost socket suspends the interactions in flight (`away`) instead of ending them: the next
 * socket's first frame says whether the server still runs the answer (the short form,
 * `chat_session_changed`) or forgot it (the full burst of a restarted server, `ui_session_id_changed`).
 */
import { assign, emit, enqueueActions, setup, stopChild } from 'xstate';
import type { ServerEvent } from '../schema/server/index.js';
import { normalizeStopReason } from '../schema/stop-reason.js';
import { DEFAULT_REPLY_TIMEOUT_MS, interactionMachine, type InteractionEvent, type InteractionOutput } from './interaction.machine.js';
import type { ServerActivity } from './outbox.machine.js';
import { turnMachine, type Turn } from './turn.machine.js';

export type ConversationEvent =
  /** A server event that matters to turns or interactions (the data plane forwards only those). */
  | { type: 'server'; event: ServerEvent }
  /** The kind of output streaming in a session changed (an edge, not a delta). */
  | { type: 'stream.kind'; sessionId: string; kind: 'text' | 'thought' | 'toolSelection' | 'toolCall' }
  /** The client sent text: the top-level interaction is requested. */
  | { type: 'text.requested' }
  /** The outbox gave up waiting for the requested interaction to start. */
  | { type: 'text.unanswered' }
  /** The server confirmed a cancel sent while an answer ran (the outbox matched it). */
  | { type: 'cancel.confirmed' }
  /** The socket was lost; a new one is on its way. */
  | { type: 'link.lost' }
  /** The connection ended (failed, or closed on purpose). */
  | { type: 'link.ended' }
  /** The `turn` child's state changed. */
  | { type: 'turn.changed'; turn: Turn }
  /** An interaction actor reached its end (xstate's done event for `interaction:<session id>`). */
  | { type: `xstate.done.actor.interaction:${string}`; output: InteractionOutput };

export interface ConversationInput {
  /** How long a suspended interaction waits for a new socket (`resumeTimeout` of the interaction machine). */
  readonly replyTimeoutMs?: number;
}

export interface ConversationContext {
  readonly replyTimeoutMs: number;
  /** The current chat session (the top level). */
  readonly sessionId: string | null;
  /** Session ids with an interaction actor in flight. */
  readonly live: readonly string[];
  /** The turn child's state, as it last told (`turn.changed`): guards cannot read a child's snapshot, and the activity is a guard. */
  readonly turn: Turn;
  /** The activity last told to the parent. */
  readonly activity: ServerActivity;
}

/** Events the server sends that the conversation acts on. */
export const CONVERSATION_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ui_session_id_changed',
  'user_turn_start',
  'user_turn_end',
  'chat_session_changed',
  'interaction',
  'completion',
  'system_message',
  'error',
]);

export const interactionActorId = (sessionId: string) => `interaction:${sessionId}`;

/** Maps a server event to what the interaction of its session needs to hear, if anything. */
function toInteractionEvent(event: ServerEvent): { sessionId: string | null; event: InteractionEvent } | null {
  switch (event.type) {
    case 'interaction':
      return { sessionId: event.session_id, event: event.started ? { type: 'server.interactionStarted', id: event.id } : { type: 'server.interactionEnded', id: event.id } };
    case 'completion':
      return event.running
        ? null
        : {
            sessionId: event.session_id,
            event: {
              type: 'server.completionEnded',
              stopReason: normalizeStopReason(event.stop_reason),
              rawStopReason: event.stop_reason ?? null,
              inputTokens: event.input_tokens,
              outputTokens: event.output_tokens,
            },
          };
    case 'system_message':
      // a vendor stream failure ends the run without any end event (§7.3)
      return event.severity === 'error' && event.content.startsWith('Exception ') ? { sessionId: event.session_id, event: { type: 'server.failed', reason: event.content } } : null;
    case 'error':
      // runtime or setup failures end the turn; a toolset's CRITICAL ERROR does not (§5.2)
      return /^Error (in agent_runtime\.chat|preparing chat parameters|flushing session manager)/.test(event.message)
        ? { sessionId: null, event: { type: 'server.failed', reason: event.message } }
        : null;
    default:
      return null;
  }
}

/** Whether the server is busy, idle, or not known to be either. */
const activityOf = (context: ConversationContext): ServerActivity =>
  (context.sessionId !== null && context.live.includes(context.sessionId)) || context.turn === 'agent' ? 'busy' : context.turn === 'user' ? 'idle' : 'unknown';

const isServer = (event: ConversationEvent, type: ServerEvent['type']) => event.type === 'server' && event.event.type === type;

export const conversationMachine = setup({
  types: {
    input: {} as ConversationInput,
    context: {} as ConversationContext,
    events: {} as ConversationEvent,
    emitted: {} as { type: 'interaction.ended'; output: InteractionOutput },
  },
  actors: { turn: turnMachine, interaction: interactionMachine },
  guards: {
    hasLive: ({ context }) => context.live.length > 0,
    /** The next socket's first frame is the short form (§7.2): the server kept the UI session. */
    isShortForm: ({ event }) => isServer(event, 'chat_session_changed'),
    /** The next socket's first frame opens the full burst (§7.1): the server forgot the UI session (a restart). */
    isFullBurst: ({ event }) => isServer(event, 'ui_session_id_changed'),
    activityChanged: ({ context }) => activityOf(context) !== context.activity,
  },
  actions: {
    /** Routes a server event to the turn and to the interaction of its session (spawning one the server started). */
    routeServerEvent: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'server') return;
      const server = event.event;
      const ensure = (sessionId: string, requested: boolean) => {
        if (context.live.includes(sessionId)) return;
        enqueue.spawnChild('interaction', { id: interactionActorId(sessionId), input: { sessionId, requested, replyTimeoutMs: context.replyTimeoutMs } });
        enqueue.assign(({ context: c }) => ({ live: [...c.live, sessionId] }));
      };
      const send = (sessionId: string, message: InteractionEvent) => enqueue.sendTo(interactionActorId(sessionId), message);
      if (server.type === 'chat_session_changed') enqueue.assign({ sessionId: server.chat_session.session_id });
      if (server.type === 'user_turn_start') {
        enqueue.sendTo('turn', { type: 'server.userTurnStart' });
        for (const sessionId of context.live) send(sessionId, { type: 'server.userTurnStart' });
        return;
      }
      if (server.type === 'user_turn_end') {
        enqueue.sendTo('turn', { type: 'server.userTurnEnd' });
        if (context.sessionId) ensure(context.sessionId, false);
        return;
      }
      const routed = toInteractionEvent(server);
      if (!routed) return;
      const sessionId = routed.sessionId ?? context.sessionId;
      if (!sessionId) return;
      if (routed.event.type === 'server.interactionStarted') {
        ensure(sessionId, false);
        if (sessionId === context.sessionId && self._parent) enqueue.sendTo(self._parent, { type: 'interaction.started' });
      }
      if (context.live.includes(sessionId) || routed.event.type === 'server.interactionStarted') send(sessionId, routed.event);
    }),
    spawnRequested: enqueueActions(({ context, enqueue }) => {
      if (!context.sessionId || context.live.includes(context.sessionId)) return;
      enqueue.spawnChild('interaction', { id: interactionActorId(context.sessionId), input: { sessionId: context.sessionId, requested: true, replyTimeoutMs: context.replyTimeoutMs } });
      enqueue.assign(({ context: c }) => ({ live: [...c.live, c.sessionId!] }));
    }),
    /** Tells the top-level interaction (if it runs) one thing. */
    tellTopLevel: enqueueActions(({ context, enqueue }, params: { event: InteractionEvent }) => {
      if (context.sessionId && context.live.includes(context.sessionId)) enqueue.sendTo(interactionActorId(context.sessionId), params.event);
    }),
    /** Tells every interaction in flight one thing. */
    tellAll: enqueueActions(({ context, enqueue }, params: { event: InteractionEvent }) => {
      for (const sessionId of context.live) enqueue.sendTo(interactionActorId(sessionId), params.event);
    }),
    forwardStreamKind: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'stream.kind' && context.live.includes(event.sessionId)) enqueue.sendTo(interactionActorId(event.sessionId), { type: 'stream.kind', kind: event.kind });
    }),
    forgetTurn: enqueueActions(({ enqueue }) => enqueue.sendTo('turn', { type: 'connection.lost' })),
    /** The agent's turn stays (the server runs the answer on); a user's turn seen before the loss is stale. */
    forgetTurnUnlessAgent: enqueueActions(({ context, enqueue }) => {
      if (context.turn !== 'agent') enqueue.sendTo('turn', { type: 'connection.lost' });
    }),
    assignTurn: assign({ turn: ({ context, event }) => (event.type === 'turn.changed' ? event.turn : context.turn) }),
    reportActivity: enqueueActions(({ context, enqueue, self }) => {
      const activity = activityOf(context);
      enqueue.assign({ activity });
      if (self._parent) enqueue.sendTo(self._parent, { type: 'server.activity', activity });
    }),
    emitEnded: emit(({ event }) => ({ type: 'interaction.ended' as const, output: (event as { output: InteractionOutput }).output })),
    tellEnded: enqueueActions(({ context, event, enqueue, self }) => {
      const output = (event as { output: InteractionOutput }).output;
      if (self._parent) enqueue.sendTo(self._parent, { type: 'interaction.ended', output, topLevel: output.sessionId === context.sessionId });
    }),
    forgetInteraction: assign(({ context, event }) => ({ live: context.live.filter((sessionId) => sessionId !== (event as { output: InteractionOutput }).output.sessionId) })),
    // a finished interaction's actor is removed, so the children stay bounded by the runs in flight
    // (a delegation per answer, or a hostile server's made-up session ids, would pile up)
    stopInteraction: stopChild(({ event }) => interactionActorId((event as { output: InteractionOutput }).output.sessionId)),
  },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({ replyTimeoutMs: input.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS, sessionId: null, live: [], turn: 'unknown', activity: 'unknown' }),
  invoke: { id: 'turn', systemId: 'turn', src: 'turn' },
  // the parent hears every change of the server's activity, whatever event caused it
  always: { guard: 'activityChanged', actions: 'reportActivity' },
  on: {
    server: { actions: 'routeServerEvent' },
    'text.requested': { actions: 'spawnRequested' },
    'text.unanswered': { actions: { type: 'tellTopLevel', params: { event: { type: 'abandon' } } } },
    'cancel.confirmed': { actions: { type: 'tellTopLevel', params: { event: { type: 'server.cancelled' } } } },
    'stream.kind': { actions: 'forwardStreamKind' },
    'turn.changed': { actions: 'assignTurn' },
    'link.ended': { target: '.online', actions: [{ type: 'tellAll', params: { event: { type: 'interrupted', reason: 'the connection was lost' } } }, 'forgetTurn'] },
    'xstate.done.actor.*': { actions: ['tellEnded', 'emitEnded', 'forgetInteraction', 'stopInteraction'] },
  },
  initial: 'online',
  states: {
    online: {
      description: 'Connected, or never lost a socket with an answer in flight.',
      on: {
        'link.lost': [
          { guard: 'hasLive', target: 'away', actions: [{ type: 'tellAll', params: { event: { type: 'suspend' } } }, 'forgetTurnUnlessAgent'] },
          { actions: 'forgetTurn' },
        ],
      },
    },
    away: {
      description: 'A socket was lost while an answer ran: it is suspended (and the agent\'s turn stays) until the next socket says whether it runs on.',
      on: {
        server: [
          { guard: 'isShortForm', target: 'online', actions: [{ type: 'tellAll', params: { event: { type: 'resume' } } }, 'routeServerEvent'] },
          {
            guard: 'isFullBurst',
            target: 'online',
            actions: [{ type: 'tellAll', params: { event: { type: 'interrupted', reason: 'the server restarted; the answer was lost' } } }, 'forgetTurn', 'routeServerEvent'],
          },
          { actions: 'routeServerEvent' },
        ],
        // an answer that ends while away (its socket never came back in time) leaves the server's
        // state unknown: nothing may pre-empt until the server says whose turn it is
        'xstate.done.actor.*': { actions: ['tellEnded', 'emitEnded', 'forgetInteraction', 'stopInteraction', 'forgetTurn'] },
      },
    },
  },
});
