/**
 * An abstract model of a conversation as a user of the client sees it: whose turn it is, whether an
 * answer is in flight, how the last `sendText` ended and whether the connection is up. It mirrors
 * the turn machine (user / agent / unknown) and the interaction machine (requested → streaming →
 * done | cancelled | failed | interrupted) seen through `turn$`, `interaction$`, `connection$` and
 * the outcome `sendText` resolves with — not their internals.
 *
 * It has no `invoke` and no `after` (model-based testing needs pure transitions), and its context
 * is one boolean, so the graph is finite and tiny: `getShortestPaths` visits 13 states.
 *
 * Events are what a test can do: send text (optionally interrupting), cancel, let the answer run
 * to its end, send to an agent that fails, drop the socket (also after the server revoked every
 * token, so that the reconnect's handshake is refused), restart the server, and let the client
 * reconnect. A socket dropped mid-answer suspends the answer: the server runs it on,
 * and after the reconnect (the short form) it streams on to its real end (§1.9, §7.2, §13 item 1);
 * a restart forgets it, so its `sendText` resolves `interrupted`.
 *
 * `createModelPaths()` (paths.ts) turns it into runnable paths.
 *
 * @module
 */
import { assign, setup, type SnapshotFrom } from 'xstate';

/** What a model path does, one step at a time. */
export type ModelEvent =
  /** `sendText(long text)` to the answering agent (`firehose` on the simulator): an answer streams. */
  | { type: 'SEND_TEXT' }
  /** `sendText(long text, { interrupt: true })` while an answer streams: it ends cancelled, then the new text goes out. */
  | { type: 'SEND_TEXT_INTERRUPT' }
  /** `cancel()` while an answer streams. */
  | { type: 'CANCEL' }
  /** Wait until the answer in flight (or the one being cancelled) has ended and the turn came back. */
  | { type: 'ANSWER_FINISHES' }
  /** `sendText` to the failing agent (`failing` on the simulator: a vendor stream error mid-answer). */
  | { type: 'ANSWER_FAILS' }
  /** The socket dies (no close frame), as a network loss would. */
  | { type: 'DROP_CONNECTION' }
  /** The server restarts (every UI session forgotten); the client reconnects to the full burst. */
  | { type: 'SERVER_RESTARTS' }
  /** The server revokes every token (a rotated secret), then the socket dies: the reconnect is refused (HTTP 500). */
  | { type: 'REVOKE_AND_DROP' }
  /** Wait until the client has reconnected on its own. */
  | { type: 'RECONNECTED' };

/** Every event of the model, in the order the traversal tries them. */
export const MODEL_EVENTS: readonly ModelEvent[] = [
  { type: 'SEND_TEXT' },
  { type: 'SEND_TEXT_INTERRUPT' },
  { type: 'CANCEL' },
  { type: 'ANSWER_FINISHES' },
  { type: 'ANSWER_FAILS' },
  { type: 'DROP_CONNECTION' },
  { type: 'SERVER_RESTARTS' },
  { type: 'REVOKE_AND_DROP' },
  { type: 'RECONNECTED' },
];

/** The model's context: one flag, so that the graph stays finite. */
export interface ModelContext {
  /** The answer in flight replaced an interrupted one (whose `sendText` must have resolved `cancelled`). */
  readonly replaced: boolean;
}

/** The user may talk: from the start and after every settled answer. */
const userTurn = {
  SEND_TEXT: { target: '#conversation.answering', actions: 'fresh' },
  ANSWER_FAILS: { target: '#conversation.ended.failed' },
  DROP_CONNECTION: { target: '#conversation.reconnecting.idle' },
} as const;

/**
 * The conversation model (XState v5, no `invoke`, no `after`): feed it to `xstate/graph`, or use
 * `createModelPaths()` for its paths ready to run.
 */
export const conversationModel = setup({
  types: { context: {} as ModelContext, events: {} as ModelEvent },
  actions: {
    fresh: assign({ replaced: false }),
    replacing: assign({ replaced: true }),
  },
}).createMachine({
  id: 'conversation',
  context: { replaced: false },
  initial: 'idle',
  states: {
    idle: {
      description: "Connected, the user's turn, no interaction, no sendText pending.",
      on: { ...userTurn, REVOKE_AND_DROP: { target: '#conversation.reconnecting.refused' } },
    },
    answering: {
      description: "An answer streams: turn$ agent, interaction$ streaming, sendText pending.",
      on: {
        SEND_TEXT_INTERRUPT: { target: 'answering', reenter: true, actions: 'replacing' },
        CANCEL: { target: 'cancelling', actions: 'fresh' },
        ANSWER_FINISHES: { target: 'ended.done', actions: 'fresh' },
        DROP_CONNECTION: { target: 'reconnecting.suspended' },
        SERVER_RESTARTS: { target: 'reconnecting.interrupted', actions: 'fresh' },
      },
    },
    cancelling: {
      description: 'cancel() resolved (the server confirmed); the runtime winds down; sendText still pending or already cancelled.',
      on: { ANSWER_FINISHES: 'ended.cancelled' },
    },
    ended: {
      description: "Connected, the user's turn, no interaction; the last sendText resolved with this outcome.",
      initial: 'done',
      states: {
        done: { on: userTurn },
        cancelled: { on: userTurn },
        failed: { on: userTurn },
        interrupted: { on: userTurn },
      },
    },
    reconnecting: {
      description: 'The socket is gone: connection$ not ready.',
      initial: 'idle',
      states: {
        /** Lost while nothing was in flight: turn$ unknown, interaction$ null. */
        idle: { on: { RECONNECTED: '#conversation.idle' } },
        /** Lost mid-answer: the answer is suspended (turn$ stays agent, interaction$ suspended, sendText pending). */
        suspended: { on: { RECONNECTED: '#conversation.answering' } },
        /** The server restarted mid-answer: that sendText resolved interrupted. */
        interrupted: { on: { RECONNECTED: '#conversation.ended.interrupted' } },
        /** Lost, and the token refused at the reconnect: the client logs in again with its credentials. */
        refused: { on: { RECONNECTED: '#conversation.idle' } },
      },
    },
  },
});

/** A state of the model. */
export type ModelSnapshot = SnapshotFrom<typeof conversationModel>;

/** A state's name as a dotted path (`ended.done`, `reconnecting.idle`). */
export function stateName(snapshot: ModelSnapshot): string {
  const value = snapshot.value as string | Record<string, string>;
  if (typeof value === 'string') return value;
  const [parent, child] = Object.entries(value)[0]!;
  return `${parent}.${child}`;
}

/** Bounded serialisation (toolchain pitfall P9): the state's name and the one flag, nothing else. */
export function serializeModelState(snapshot: ModelSnapshot): string {
  return JSON.stringify([stateName(snapshot), snapshot.context.replaced]);
}
