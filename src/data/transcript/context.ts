/** The fold's state per conversation (the top level and every sub-session), and a fresh one. */
import type { AssistantMessage, StreamMessage, SubSession, TranscriptMessage } from './types.js';

/** One conversation: the top level or a sub-session. */
export interface Context {
  readonly top: boolean;
  /** The session id its events carry (`null` for a sub-session not bound yet). */
  sessionId: string | null;
  /** Completed messages, in order. Mutated in place; copied when handed out. */
  readonly items: TranscriptMessage[];
  /** Tool call id → index in `items`. */
  readonly calls: Map<string, number>;
  /** The message being built. */
  stream: StreamMessage | null;
  /** Deltas appended since the stream's text was last flattened. */
  sinceFlatten: number;
  /** The running interaction of this session id. */
  interactionId: string | null;
  /** Index in `items` where the current LLM call's messages start. */
  roundStart: number;
  /** The stop reason of the current LLM call, kept for a message `history_delta` creates later. */
  roundStop: Pick<AssistantMessage, 'stopReason' | 'rawStopReason' | 'inputTokens' | 'outputTokens'> | null;
  /**
   * The assistant message completed because a tool was selected: Claude flushes its batched text
   * after `tool_select_delta` (§7.3 step 6.3), and that text still belongs to this message.
   */
  reopenId: string | null;
  // Sub-sessions only.
  readonly parent: Context | null;
  /** The `toolCallId` of the call in `parent` this sub-session is attached to. */
  readonly ownerCallId: string | null;
  /** The current public object. */
  sub: SubSession | null;
  ended: boolean;
}

export function newContext(top: boolean, sessionId: string | null, parent: Context | null, ownerCallId: string | null): Context {
  return {
    top,
    sessionId,
    items: [],
    calls: new Map(),
    stream: null,
    sinceFlatten: 0,
    interactionId: null,
    roundStart: 0,
    roundStop: null,
    reopenId: null,
    parent,
    ownerCallId,
    sub: null,
    ended: false,
  };
}
