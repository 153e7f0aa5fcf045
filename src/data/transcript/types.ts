/**
 * The transcript's public types (its messages, sub-sessions and interface), and the message kinds
 * the fold narrows to (internal: index.ts does not re-export them).
 */
import type { NormalizedStopReason } from '../../schema/stop-reason.js';
import type { ServerEvent, ServerEventOf } from '../../schema/server/index.js';

export interface Base {
  /** Unique within the transcript; stays the same while the message changes. */
  readonly id: string;
  /** The (sub-)session id that produced it. */
  readonly sessionId: string;
  /** The interaction it was created in; `null` for resynchronised history and outside interactions. */
  readonly interactionId: string | null;
}

/** A message of the transcript, by `kind`. */
export type TranscriptMessage =
  /** `pending`: a local echo the server has not confirmed yet (by its `*_user_message`). */
  | (Base & { readonly kind: 'user'; readonly text: string; readonly fileIds: readonly string[]; readonly pending: boolean })
  /** Answer text (role `assistant`, or `tool` when a tool streams text). */
  | (Base & {
      readonly kind: 'assistant';
      readonly role: string;
      readonly text: string;
      readonly format: string;
      readonly complete: boolean;
      readonly stopReason: NormalizedStopReason | null;
      readonly rawStopReason: string | null;
      readonly inputTokens: number | null;
      readonly outputTokens: number | null;
    })
  /** Extended thinking, or the thought of the `think` tool (which has no `tool_call` message of its own). */
  | (Base & { readonly kind: 'thought'; readonly text: string; readonly complete: boolean })
  /** A client or server tool call; `input` is parsed when it arrived as JSON text. */
  | (Base & {
      readonly kind: 'tool_call';
      readonly toolCallId: string;
      readonly name: string;
      readonly input: unknown;
      readonly status: 'selected' | 'running' | 'done' | 'cancelled';
      readonly result: unknown;
      /** `'anthropic'`, `'openai'` (also for the wire's `"open_ai"`), or the raw value when unknown. */
      readonly vendor: string;
      readonly subSessions: readonly SubSession[];
    })
  /** `render_media`. `foreign` marks third-party content: sanitise or sandbox it. */
  | (Base & {
      readonly kind: 'media';
      readonly contentType: string;
      readonly content: string | null;
      readonly url: string | null;
      readonly name: string | null;
      readonly foreign: boolean;
      readonly sentByClass: string | null;
      readonly sentByFunction: string | null;
    })
  /** A notice (`system_message`, or the avatar bridge's `text_delta` with role `system`). */
  | (Base & { readonly kind: 'system'; readonly severity: 'info' | 'warning' | 'error'; readonly text: string })
  /** An `error` event. */
  | (Base & { readonly kind: 'error'; readonly text: string; readonly source: string | null });

/**
 * A nested agent conversation opened by a delegation tool, attached to that tool call.
 * While one of its messages is being built, that message is the transcript's `streaming` (its
 * `sessionId` is this sub-session's); it moves into `messages` when complete.
 */
export interface SubSession {
  /** The sub-session's own id, known from its first event (`null` until then). */
  readonly sessionId: string | null;
  readonly subSessionType: string;
  readonly subAgentType: string;
  readonly primeAgentKey: string;
  readonly subAgentKey: string;
  readonly messages: readonly TranscriptMessage[];
  readonly ended: boolean;
}

/** What one {@link Transcript.apply} changed. */
export interface TranscriptChange {
  readonly messagesChanged: boolean;
  readonly streamingChanged: boolean;
}

/** The transcript of the current chat session. */
export interface Transcript {
  /** Apply one server event; returns what changed so the caller can emit only then. */
  apply(event: ServerEvent): TranscriptChange;
  /**
   * @internal The data plane's per-delta shortcut. When the delta continues the message streaming at
   * the top level, it is appended as `apply` would (only `streaming` changes, to a message of the
   * same kind and session) and the new streaming message is returned; otherwise nothing changes,
   * `null` is returned, and the caller applies the event.
   */
  continueStream(event: ServerEventOf<'text_delta' | 'thought_delta'>): StreamMessage | null;
  /** A local echo of the user's text (before the server confirms it). Returns its id. */
  addLocalUserMessage(text: string, fileIds?: readonly string[]): string;
  /** Close whatever streams (the answer's end will never come: the connection ended, the server restarted): commits the streaming message marked incomplete (`complete: false`) and running tool calls cancelled. */
  interrupt(): boolean;
  /**
   * The interaction `interactionId` ended cancelled: its answer messages that carry no stop reason
   * (the server sends no completion for an answer it stopped) get `stopReason: 'cancelled'`.
   * Returns whether a message changed.
   */
  markCancelled(interactionId: string): boolean;
  /** The ordered messages of the current chat session (a new array only when changed). */
  readonly messages: readonly TranscriptMessage[];
  /** The message being built, or null. A new object each time it changes. */
  readonly streaming: TranscriptMessage | null;
  readonly sessionId: string | null;
}

export type UserMessage = Extract<TranscriptMessage, { kind: 'user' }>;
export type AssistantMessage = Extract<TranscriptMessage, { kind: 'assistant' }>;
export type ThoughtMessage = Extract<TranscriptMessage, { kind: 'thought' }>;
export type ToolCallMessage = Extract<TranscriptMessage, { kind: 'tool_call' }>;
export type StreamMessage = AssistantMessage | ThoughtMessage;
export type ToolStatus = ToolCallMessage['status'];
