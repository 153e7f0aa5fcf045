/**
 * The fold: each server event routed to the conversation it belongs to and folded there, and the
 * public {@link Transcript} built on the store (see index.ts for the whole).
 *
 * Routing (§1.6, §7.10): an event belongs to the conversation when its `session_id` or its
 * `user_session_id` is the current chat session id. Events of the chat session itself fold into the
 * top-level messages; events of any other session id fold into the sub-session they belong to,
 * found by the `subsession_started`/`subsession_ended` brackets (which carry the top-level id, not
 * the sub-session's), never into a top-level message.
 *
 * Each context (the top level and every sub-session) builds at most one message at a time: text,
 * or a thought. Deltas append to it only when session id, interaction id and kind (and the role,
 * for text) match, so a sub-agent's text never lands in the parent's message, answer text never in
 * a thought (the old SDK's defects 6 and 7, research/reference-sdk.md §4A), and tool calls are
 * upserted by call id, so they are never duplicated (defect 8).
 *
 * Every function is total: unknown ids, results without calls, a `complete_thought` without deltas
 * or brackets that do not match degrade to a smaller result, never an exception.
 */
import { redactSecrets } from '../../schema/redact.js';
import type { ServerEvent, ServerEventOf } from '../../schema/server/index.js';
import { isRecord, type JsonRecord } from '../json.js';
import { upsertCalls } from './calls.js';
import type { Context } from './context.js';
import { historyDelta, resync } from './history.js';
import { contentText, stringOr, stringOrNull } from './read.js';
import { appendDelta, withAssistantText, withThoughtText } from './rope.js';
import { newestStream, TranscriptStore } from './store.js';
import { completeThought, completionEnded, startRound, textDelta, thoughtDelta } from './streams.js';
import { endOpenSubSessions, subsessionEnded, subsessionStarted } from './subsessions.js';
import type { StreamMessage, Transcript, TranscriptChange, UserMessage } from './types.js';

/** The spurious error `set_agent_voice` sends before `agent_voice_changed` (docs/protocol.md §4.9). */
const SPURIOUS_VOICE_ERROR = "Voice 'voice_id=";

/** The four possible results of `apply`, shared: it runs for every delta and allocates nothing for this. */
const CHANGES: readonly TranscriptChange[] = [
  Object.freeze({ messagesChanged: false, streamingChanged: false }),
  Object.freeze({ messagesChanged: false, streamingChanged: true }),
  Object.freeze({ messagesChanged: true, streamingChanged: false }),
  Object.freeze({ messagesChanged: true, streamingChanged: true }),
];

/** Whether an event carries the session envelope (`session_id` / `user_session_id`). */
function hasEnvelope(event: ServerEvent): boolean {
  return 'session_id' in event || 'user_session_id' in event;
}

class TranscriptImpl extends TranscriptStore implements Transcript {
  constructor(private readonly fastDeltas: boolean) {
    super();
  }

  apply(event: ServerEvent): TranscriptChange {
    // only deltas reach continueStream, so its reads see the deltas' one shape
    const type = event.type;
    if ((type === 'text_delta' || type === 'thought_delta') && this.continueStream(event) !== null) return CHANGES[1]!;
    const before = this.streaming;
    this.topChanged = false;
    this.dispatch(event);
    const messagesChanged = this.topChanged;
    this.topChanged = false;
    return CHANGES[(messagesChanged ? 2 : 0) + (this.streaming !== before ? 1 : 0)]!;
  }

  /**
   * The common case of a delta, without the general routing (it runs for nearly every frame of an
   * answer): the newest stream is the top level's and the delta is the current session's and
   * continues it (same kind, role and interaction). Anything else returns `null` and takes the
   * general path; where this one applies, both give the same result (a property test folds random
   * interleavings both ways and compares). The data plane calls it first for every delta.
   */
  continueStream(event: ServerEventOf<'text_delta' | 'thought_delta'>): StreamMessage | null {
    if (!this.fastDeltas) return null;
    const ctx = newestStream(this.streams);
    if (ctx !== this.top) return null;
    const stream = ctx.stream;
    const record = event as unknown as JsonRecord;
    const content = record.content;
    if (stream === null || this.currentSessionId === null || record.session_id !== this.currentSessionId) return null;
    if (stream.interactionId !== ctx.interactionId || typeof content !== 'string') return null;
    let next: StreamMessage;
    if (event.type === 'text_delta') {
      // a stream's role is never 'system' (the avatar bridge's notices do not stream)
      if (stream.kind !== 'assistant' || record.role !== stream.role) return null;
      next = withAssistantText(stream, appendDelta(ctx, stream.text, content));
    } else {
      if (stream.kind !== 'thought') return null;
      ctx.reopenId = null; // as the general path does for every event but text and tool selection
      next = withThoughtText(stream, appendDelta(ctx, stream.text, content));
    }
    ctx.stream = next;
    return next;
  }

  addLocalUserMessage(text: string, fileIds: readonly string[] = []): string {
    this.topChanged = false;
    // The user's text follows whatever was being shown; nothing more arrives for it on the server
    // (a new text pre-empts a running interaction, §1.5).
    for (const ctx of [...this.streams]) this.commit(ctx);
    const id = this.nextId();
    const message: UserMessage = {
      id,
      sessionId: this.currentSessionId ?? '',
      interactionId: null,
      kind: 'user',
      text: typeof text === 'string' ? text : String(text),
      fileIds: Object.freeze(Array.isArray(fileIds) ? fileIds.filter((f): f is string => typeof f === 'string') : []),
      pending: true,
    };
    if (this.turnStart === null) this.turnStart = this.top.items.length;
    this.push(this.top, message);
    this.pendingIds.push(id);
    this.topChanged = false;
    return id;
  }

  interrupt(): boolean {
    const before = this.streaming;
    this.topChanged = false;
    let changed = false;
    for (const ctx of [...this.streams]) {
      this.commit(ctx, false); // its end will never come
      changed = true;
    }
    for (const ctx of [this.top, ...this.subs]) {
      for (const index of ctx.calls.values()) {
        const call = ctx.items[index];
        if (call?.kind === 'tool_call' && (call.status === 'running' || call.status === 'selected')) {
          this.replace(ctx, index, { ...call, status: 'cancelled' });
          changed = true;
        }
      }
      ctx.reopenId = null;
    }
    if (endOpenSubSessions(this)) changed = true;
    this.topChanged = false;
    return changed || this.streaming !== before;
  }

  markCancelled(interactionId: string): boolean {
    let changed = false;
    this.top.items.forEach((message, index) => {
      if (message.kind === 'assistant' && message.interactionId === interactionId && message.stopReason === null) {
        this.replace(this.top, index, { ...message, stopReason: 'cancelled' });
        changed = true;
      }
    });
    this.topChanged = false;
    return changed;
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch

  private dispatch(event: ServerEvent): void {
    switch (event.type) {
      case 'chat_session_changed':
        resync(this, event.chat_session);
        return;
      case 'user_turn_start':
        this.userTurnStart();
        return;
      case 'error':
        this.push(this.top, {
          ...this.base(this.top),
          kind: 'error',
          text: redactSecrets(stringOr(event.message, '')), // a server error may echo a token
          source: stringOrNull(event.source),
        });
        return;
      default:
        break;
    }
    if (!hasEnvelope(event)) return;
    // read without building an envelope object: this runs for every delta
    const record = event as unknown as JsonRecord;
    const sessionId = stringOrNull(record.session_id);
    const userSessionId = stringOrNull(record.user_session_id);
    if (event.type === 'subsession_started') {
      if (this.belongs(sessionId, userSessionId)) subsessionStarted(this, event);
      return;
    }
    if (event.type === 'subsession_ended') {
      if (this.belongs(sessionId, userSessionId)) subsessionEnded(this);
      return;
    }
    const ctx = this.route(sessionId, userSessionId);
    if (ctx === null) return;
    if (event.type !== 'text_delta' && event.type !== 'tool_select_delta') ctx.reopenId = null;
    this.fold(ctx, event);
  }

  private belongs(sessionId: string | null, userSessionId: string | null): boolean {
    const current = this.currentSessionId;
    if (current === null) return false;
    // Legacy events may leave the envelope out: they are the current session's.
    if (sessionId === null && userSessionId === null) return true;
    return sessionId === current || userSessionId === current;
  }

  /** The context an event folds into, or `null` when it is not this conversation's or has nowhere to go. */
  private route(sessionId: string | null, userSessionId: string | null): Context | null {
    if (!this.belongs(sessionId, userSessionId)) return null;
    const id = sessionId;
    if (id === null || id === this.currentSessionId) return this.top;
    const known = this.bound.get(id);
    if (known !== undefined) return known;
    // The first event of an unknown session id binds the innermost open sub-session not bound yet.
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const ctx = this.stack[i]!;
      if (ctx.sessionId === null) {
        ctx.sessionId = id;
        this.bound.set(id, ctx);
        this.touch(ctx);
        return ctx;
      }
    }
    return null;
  }

  private fold(ctx: Context, event: ServerEvent): void {
    switch (event.type) {
      case 'text_delta':
        textDelta(this, ctx, event);
        return;
      case 'thought_delta':
        thoughtDelta(this, ctx, event.content);
        return;
      case 'complete_thought':
        completeThought(this, ctx, event.content);
        return;
      case 'interaction':
        if (event.started) {
          this.commit(ctx);
          ctx.interactionId = stringOrNull(event.id);
          startRound(ctx);
        } else {
          this.commit(ctx);
          ctx.interactionId = null;
        }
        return;
      case 'completion':
        if (event.running) {
          this.commit(ctx);
          startRound(ctx);
        } else {
          completionEnded(this, ctx, event);
        }
        return;
      case 'history_delta':
        historyDelta(this, ctx, event.messages);
        return;
      case 'tool_select_delta':
        upsertCalls(this, ctx, event.tool_calls, 'selected', 'anthropic', null);
        return;
      case 'tool_call':
        upsertCalls(this, ctx, event.tool_calls, event.active ? 'running' : 'done', event.vendor, event.active ? null : (event.tool_results ?? []));
        return;
      case 'anthropic_user_message':
      case 'open_a_i_user_message':
      case 'user_message':
      case 'openai_user_message':
      case 'open_ai_user_message':
        this.userMessage(ctx, event.message);
        return;
      case 'system_message': {
        const text = redactSecrets(stringOr(event.content, ''));
        const severity = event.severity ?? 'error';
        if (severity === 'error' && text.startsWith(SPURIOUS_VOICE_ERROR)) return;
        this.push(ctx, { ...this.base(ctx), kind: 'system', severity, text });
        return;
      }
      case 'render_media':
        this.push(ctx, {
          ...this.base(ctx),
          kind: 'media',
          contentType: stringOr(event.content_type, ''),
          content: stringOrNull(event.content),
          url: stringOrNull(event.url),
          name: stringOrNull(event.name),
          foreign: event.foreign_content === true,
          sentByClass: stringOrNull(event.sent_by_class),
          sentByFunction: stringOrNull(event.sent_by_function),
        });
        return;
      case 'message':
        this.push(ctx, this.assistant(ctx, stringOr(event.role, 'tool'), stringOr(event.content, ''), stringOr(event.format, 'markdown'), true));
        return;
      default:
        // system_prompt, audio_delta, history and the other events change no message.
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // User messages

  private userMessage(ctx: Context, message: unknown): void {
    const text = isRecord(message) ? contentText(message.content, '\n\n') : '';
    if (ctx.top && this.confirmEcho(ctx, text)) return;
    if (ctx.top && this.turnStart === null) this.turnStart = ctx.items.length;
    this.push(ctx, { ...this.base(ctx), kind: 'user', text, fileIds: Object.freeze([]), pending: false });
  }

  /**
   * Confirms the oldest pending local echo: the oldest with the same text if there is one (the
   * server confirms nothing for empty input or a `!command`, §4.2, so an older echo may never be
   * confirmed), else the oldest. It keeps its id and its text.
   */
  private confirmEcho(ctx: Context, text: string): boolean {
    if (this.pendingIds.length === 0) return false;
    const echoes: Array<{ index: number; message: UserMessage }> = [];
    for (const id of this.pendingIds) {
      for (let i = ctx.items.length - 1; i >= 0; i--) {
        const item = ctx.items[i]!;
        if (item.id === id && item.kind === 'user') {
          echoes.push({ index: i, message: item });
          break;
        }
      }
    }
    const wanted = text.trim();
    const echo = echoes.find((e) => e.message.text.trim() === wanted) ?? echoes[0];
    if (echo === undefined) {
      this.pendingIds = [];
      return false;
    }
    this.pendingIds = this.pendingIds.filter((id) => id !== echo.message.id);
    const { message } = echo;
    this.replace(ctx, echo.index, { ...message, pending: false, interactionId: message.interactionId ?? ctx.interactionId });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Turn ends

  /** The authoritative end of an interaction (§7.3): everything being built is complete. */
  private userTurnStart(): void {
    this.turnStart = null;
    for (const ctx of [...this.streams]) this.commit(ctx);
    endOpenSubSessions(this);
    for (const ctx of [this.top, ...this.subs]) {
      ctx.interactionId = null;
      ctx.reopenId = null;
    }
  }
}

/**
 * A new, empty transcript. Feed it every decoded server event with `apply`; it keeps the current
 * chat session from `chat_session_changed`.
 *
 * @example
 * const transcript = createTranscript();
 * socket.onmessage = ({ data }) => {
 *   const frame = decodeServerFrame(data);
 *   if (frame.kind !== 'event') return;
 *   const { messagesChanged, streamingChanged } = transcript.apply(frame.event);
 *   if (messagesChanged) render(transcript.messages);
 *   if (streamingChanged) renderStreaming(transcript.streaming);
 * };
 */
export function createTranscript(options: { /** @internal Tests only: `false` folds every delta the general way. */ fastDeltas?: boolean } = {}): Transcript {
  return new TranscriptImpl(options.fastDeltas ?? true);
}
