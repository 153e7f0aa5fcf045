/**
 * One interaction (one agent run) of one session id: requested → streaming → done, cancelled,
 * failed or interrupted. It ends exactly once, on whichever comes first of `interaction
 * {started:false}`, `user_turn_start`, a cancel, a failure, the outbox giving up on a request the
 * server never started, or the connection ending: the server often skips the first (docs/protocol.md
 * §5.2, §7.3, §7.4; protocol-notes.md item 4), so every path must end it.
 *
 * A lost socket does not end it: the server keeps a running answer going and streams the rest to
 * the next socket of the same UI session (§1.9, §7.2, §13 item 1). The interaction is `suspended`
 * until the next socket's first frame: the short reconnect form resumes it (`resuming`: the next
 * answer event continues it, an immediate `user_turn_start` says it ended while we were away); the
 * full burst (a restarted server) or the connection ending interrupts it; so does `resumeTimeout`.
 *
 * A sub-session's interaction is its own actor (keyed by its session id). Text deltas are the data
 * plane: the streaming sub-states change only when the kind of output changes (the transcript
 * reports edges, never every delta).
 */
import { assign, setup } from 'xstate';
import type { NormalizedStopReason } from '../schema/stop-reason.js';

export interface InteractionInput {
  readonly sessionId: string;
  /** True when the client sent the text (a top-level interaction it asked for). */
  readonly requested: boolean;
  /** How long a suspended run waits for the next socket (`resumeTimeout`). @default {@link DEFAULT_REPLY_TIMEOUT_MS} */
  readonly replyTimeoutMs?: number;
}

/** How long a suspended interaction waits for a new socket by default. */
export const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

/** The `reason` of an interaction the outbox abandoned because the server never started it. */
export const NO_REPLY_REASON = 'no reply: the server did not start an interaction in time (the text may have been lost)';

/** The phases and streaming kinds an interaction's states are tagged with. */
export type InteractionTag = 'requested' | 'streaming' | 'suspended' | 'waiting' | 'text' | 'thought' | 'toolSelection' | 'toolCall';

/** How an interaction ended: `done`, `cancelled` (a cancel), `failed` (an error ended it) or `interrupted` (its connection ended first). */
export type InteractionOutcome = 'done' | 'cancelled' | 'failed' | 'interrupted';

/** What an interaction reports when it ends: its outcome, stop reason and token counts. */
export interface InteractionOutput {
  readonly sessionId: string;
  readonly interactionId: string | null;
  readonly outcome: InteractionOutcome;
  readonly stopReason: NormalizedStopReason | null;
  readonly rawStopReason: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Why it failed or was interrupted. */
  readonly reason: string | null;
}

export type InteractionEvent =
  | { type: 'server.interactionStarted'; id: string }
  | { type: 'server.interactionEnded'; id: string }
  /** The kind of output streaming now changed (from the transcript's edge detection). */
  | { type: 'stream.kind'; kind: 'text' | 'thought' | 'toolSelection' | 'toolCall' }
  | { type: 'server.completionEnded'; stopReason: NormalizedStopReason | null; rawStopReason: string | null; inputTokens: number; outputTokens: number }
  | { type: 'server.userTurnStart' }
  /** The server confirmed a cancel (`cancelled`); the runtime now winds down. */
  | { type: 'server.cancelled' }
  /** A stream failure notice or a runtime error ended the run. */
  | { type: 'server.failed'; reason: string }
  /** The connection ended (or the server restarted): the run's end events are lost with it. */
  | { type: 'interrupted'; reason: string }
  /** The outbox gave up waiting for the run to start (replyTimeout). */
  | { type: 'abandon' }
  /** The socket was lost; the server may still be running the answer. */
  | { type: 'suspend' }
  /** A new socket of the same UI session opened with the short form: the answer may go on. */
  | { type: 'resume' };

export interface InteractionContext {
  readonly outcome: InteractionOutcome | null;
  readonly replyTimeoutMs: number;
  readonly sessionId: string;
  readonly interactionId: string | null;
  readonly cancelRequested: boolean;
  readonly stopReason: NormalizedStopReason | null;
  readonly rawStopReason: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly reason: string | null;
}

export const interactionMachine = setup({
  types: {
    input: {} as InteractionInput,
    context: {} as InteractionContext,
    /** What the app-facing layer reads (`interaction$`): the phase, and what is streaming. */
    tags: {} as InteractionTag,
    events: {} as InteractionEvent,
    output: {} as InteractionOutput,
  },
  actions: {
    assignId: assign(({ event }) => (event.type === 'server.interactionStarted' ? { interactionId: event.id } : {})),
    assignCompletion: assign(({ context, event }) =>
      event.type === 'server.completionEnded'
        ? {
            stopReason: event.stopReason,
            rawStopReason: event.rawStopReason,
            inputTokens: context.inputTokens + event.inputTokens,
            outputTokens: context.outputTokens + event.outputTokens,
          }
        : {},
    ),
    markCancelRequested: assign({ cancelRequested: true }),
    assignReason: assign(({ event }) => ('reason' in event ? { reason: event.reason } : {})),
    settle: assign((_, params: { outcome: InteractionOutcome }) => ({ outcome: params.outcome })),
    assignNoReply: assign({ reason: NO_REPLY_REASON }),
    assignLostReason: assign({ reason: 'the connection was lost and no new socket came in time' }),
    assignEndedAway: assign(({ context }) => ({
      reason: context.interactionId === null ? 'the connection was lost before the answer started; the session history shows whether the server got the text' : null,
    })),
  },
  guards: {
    wasCancelled: ({ context }) => context.cancelRequested,
    hadStarted: ({ context }) => context.interactionId !== null,
    isKind: ({ event }, params: { kind: 'text' | 'thought' | 'toolSelection' | 'toolCall' }) => event.type === 'stream.kind' && event.kind === params.kind,
    isThisInteraction: ({ context, event }) =>
      event.type === 'server.interactionEnded' && (context.interactionId === null || context.interactionId === event.id),
  },
  delays: {
    /** A suspended run whose socket never comes back must not wait forever. */
    resumeTimeout: ({ context }) => context.replyTimeoutMs,
  },
}).createMachine({
  id: 'interaction',
  context: ({ input }) => ({
    outcome: null,
    replyTimeoutMs: input.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
    sessionId: input.sessionId,
    interactionId: null,
    cancelRequested: false,
    stopReason: null,
    rawStopReason: null,
    inputTokens: 0,
    outputTokens: 0,
    reason: null,
  }),
  initial: 'requested',
  on: {
    'server.completionEnded': { actions: 'assignCompletion' },
    'server.cancelled': { actions: 'markCancelRequested' },
    'server.failed': { target: '.failed', actions: 'assignReason' },
    'interrupted': { target: '.interrupted', actions: 'assignReason' },
    'server.userTurnStart': [{ guard: 'wasCancelled', target: '.cancelled' }, { target: '.done' }],
    'server.interactionEnded': [
      { guard: 'wasCancelled', target: '.cancelled' },
      { guard: 'isThisInteraction', target: '.done' },
    ],
  },
  states: {
    requested: {
      tags: ['requested'],
      description: 'Sent (or announced), waiting for `interaction {started:true}`; the outbox gives up after its replyTimeout.',
      on: {
        'server.interactionStarted': { target: 'streaming', actions: 'assignId' },
        abandon: { target: 'failed', actions: 'assignNoReply' },
        suspend: 'suspended',
      },
    },
    streaming: {
      tags: ['streaming'],
      initial: 'waiting',
      on: {
        suspend: 'suspended',
        'stream.kind': [
          { guard: { type: 'isKind', params: { kind: 'text' } }, target: '.text' },
          { guard: { type: 'isKind', params: { kind: 'thought' } }, target: '.thought' },
          { guard: { type: 'isKind', params: { kind: 'toolSelection' } }, target: '.toolSelection' },
          { target: '.toolCall' },
        ],
      },
      states: {
        waiting: { tags: ['waiting'] },
        text: { tags: ['text'] },
        thought: { tags: ['thought'] },
        toolSelection: { tags: ['toolSelection'] },
        toolCall: { tags: ['toolCall'] },
      },
    },
    suspended: {
      tags: ['suspended'],
      description: 'The socket was lost; the server may still run the answer. Waiting for the next socket.',
      after: { resumeTimeout: { target: 'interrupted', actions: 'assignLostReason' } },
      on: { resume: 'resuming' },
    },
    resuming: {
      tags: ['streaming', 'waiting'],
      description: 'A new socket (short form): the next answer event continues the run; `user_turn_start` first means it ended while away.',
      on: {
        suspend: 'suspended',
        'server.interactionStarted': { target: 'streaming', actions: 'assignId' },
        'stream.kind': 'streaming',
        'server.userTurnStart': [
          { guard: 'wasCancelled', target: 'cancelled' },
          { guard: 'hadStarted', target: 'done' },
          { target: 'interrupted', actions: 'assignEndedAway' },
        ],
      },
    },
    done: { type: 'final', entry: { type: 'settle', params: { outcome: 'done' } } },
    cancelled: { type: 'final', entry: { type: 'settle', params: { outcome: 'cancelled' } } },
    failed: { type: 'final', entry: { type: 'settle', params: { outcome: 'failed' } } },
    interrupted: { type: 'final', entry: { type: 'settle', params: { outcome: 'interrupted' } } },
  },
  output: ({ context }) => {
    const outcome = context.outcome ?? 'done';
    return {
      sessionId: context.sessionId,
      interactionId: context.interactionId,
      outcome,
      stopReason: outcome === 'cancelled' ? 'cancelled' : context.stopReason,
      rawStopReason: context.rawStopReason,
      inputTokens: context.inputTokens,
      outputTokens: context.outputTokens,
      reason: context.reason,
    };
  },
});
