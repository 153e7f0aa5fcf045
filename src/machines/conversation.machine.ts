/**
 * The conversation: whose turn it is (the `turn` child) and the interactions in flight, one actor
 * per session id (`interaction:<session id>`), so a delegated sub-session's interaction is its own.
 * It hears only control events (turn boundaries, interaction start and end, completion ends,
 * cancels, failures, the kind of output streaming) — never the deltas themselves — and emits
 * `interaction.ended` with each interaction's outcome, exactly once per interaction.
 */
import { assign, emit, enqueueActions, setup, stopChild } from 'xstate';
import type { ServerEvent } from '../schema/server/index.js';
import { normalizeStopReason } from '../schema/stop-reason.js';
import { DEFAULT_REPLY_TIMEOUT_MS, interactionMachine, type InteractionEvent, type InteractionOutput } from './interaction.machine.js';
import { turnMachine } from './turn.machine.js';

export type ConversationEvent =
  /** A server event that matters to turns or interactions (the data plane forwards only those). */
  | { type: 'server'; event: ServerEvent }
  /** The kind of output streaming in a session changed (an edge, not a delta). */
  | { type: 'stream.kind'; sessionId: string; kind: 'text' | 'thought' | 'toolSelection' | 'toolCall' }
  /** The client sent text: the top-level interaction is requested. */
  | { type: 'text.requested' }
  | { type: 'connection.lost' }
  /** An interaction actor reached its end (xstate's done event for `interaction:<session id>`). */
  | { type: `xstate.done.actor.interaction:${string}`; output: InteractionOutput };

export interface ConversationInput {
  /** How long an interaction waits for its run to start (`replyTimeout` of the interaction machine). */
  readonly replyTimeoutMs?: number;
}

export interface ConversationContext {
  readonly replyTimeoutMs: number;
  /** The current chat session (the top level). */
  readonly sessionId: string | null;
  /** Session ids with an interaction actor in flight. */
  readonly live: readonly string[];
}

/** Events the server sends that the conversation acts on. */
export const CONVERSATION_EVENT_TYPES: ReadonlySet<string> = new Set([
  'user_turn_start',
  'user_turn_end',
  'chat_session_changed',
  'interaction',
  'completion',
  'cancelled',
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
    case 'cancelled':
      return { sessionId: null, event: { type: 'server.cancelled' } };
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

export const conversationMachine = setup({
  types: {
    input: {} as ConversationInput,
    context: {} as ConversationContext,
    events: {} as ConversationEvent,
    emitted: {} as { type: 'interaction.ended'; output: InteractionOutput },
  },
  actors: { turn: turnMachine, interaction: interactionMachine },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({ replyTimeoutMs: input.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS, sessionId: null, live: [] }),
  invoke: { id: 'turn', systemId: 'turn', src: 'turn' },
  on: {
    server: {
      actions: enqueueActions(({ context, event, enqueue }) => {
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
        if (routed.event.type === 'server.interactionStarted') ensure(sessionId, false);
        if (context.live.includes(sessionId) || routed.event.type === 'server.interactionStarted') send(sessionId, routed.event);
      }),
    },
    'text.requested': {
      actions: enqueueActions(({ context, enqueue }) => {
        if (!context.sessionId || context.live.includes(context.sessionId)) return;
        enqueue.spawnChild('interaction', { id: interactionActorId(context.sessionId), input: { sessionId: context.sessionId, requested: true, replyTimeoutMs: context.replyTimeoutMs } });
        enqueue.assign(({ context: c }) => ({ live: [...c.live, c.sessionId!] }));
      }),
    },
    'stream.kind': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.live.includes(event.sessionId)) enqueue.sendTo(interactionActorId(event.sessionId), { type: 'stream.kind', kind: event.kind });
      }),
    },
    'connection.lost': {
      actions: enqueueActions(({ context, enqueue }) => {
        enqueue.sendTo('turn', { type: 'connection.lost' });
        for (const sessionId of context.live) enqueue.sendTo(interactionActorId(sessionId), { type: 'interrupted', reason: 'the connection was lost' });
      }),
    },
    'xstate.done.actor.*': {
      actions: [
        emit(({ event }) => ({ type: 'interaction.ended' as const, output: event.output })),
        assign(({ context, event }) => ({ live: context.live.filter((sessionId) => sessionId !== event.output.sessionId) })),
        // a finished interaction's actor is removed, so the children stay bounded by the runs in
        // flight (a delegation per answer, or a hostile server's made-up session ids, would pile up)
        stopChild(({ event }) => interactionActorId(event.output.sessionId)),
      ],
    },
  },
});
