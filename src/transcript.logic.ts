/**
 * The transcript: a pure fold of server events into the ordered messages of the current chat
 * session (PROTOCOL.md §5.2, §7.3, §7.4, §7.10). This is the data plane: no xstate, no RxJS, cheap
 * per-delta work. Internally mutable; what it hands out is immutable (new arrays and objects when
 * something changed, the same ones otherwise), so a caller can compare by reference.
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
import { toAnthropicMessage } from './data/messages/convert.js';
import { getMessageFormat } from './data/messages/vendors.js';
import type { ServerEvent, ServerEventOf } from './schema/server/index.js';
import type { ChatSession } from './schema/session.js';
import { redactSecrets } from './schema/redact.js';
import { normalizeStopReason, type NormalizedStopReason } from './schema/stop-reason.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

interface Base {
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
  /** A local echo of the user's text (before the server confirms it). Returns its id. */
  addLocalUserMessage(text: string, fileIds?: readonly string[]): string;
  /** Close whatever streams (connection loss, hard pre-emption): marks the streaming message complete and running tool calls cancelled. */
  interrupt(): boolean;
  /** The ordered messages of the current chat session (a new array only when changed). */
  readonly messages: readonly TranscriptMessage[];
  /** The message being built, or null. A new object each time it changes. */
  readonly streaming: TranscriptMessage | null;
  readonly sessionId: string | null;
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

type UserMessage = Extract<TranscriptMessage, { kind: 'user' }>;
type AssistantMessage = Extract<TranscriptMessage, { kind: 'assistant' }>;
type ThoughtMessage = Extract<TranscriptMessage, { kind: 'thought' }>;
type ToolCallMessage = Extract<TranscriptMessage, { kind: 'tool_call' }>;
type StreamMessage = AssistantMessage | ThoughtMessage;
type ToolStatus = ToolCallMessage['status'];
type JsonRecord = Record<string, unknown>;

/** Deltas between two flattenings of a streaming text, at least (see {@link appendDelta}). */
const FLATTEN_EVERY = 1024;

/** The spurious error `set_agent_voice` sends before `agent_voice_changed` (PROTOCOL.md §4.9). */
const SPURIOUS_VOICE_ERROR = "Voice 'voice_id=";

/** One conversation: the top level or a sub-session. */
interface Context {
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

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Tool arguments: JSON text parsed (empty text is `{}`), anything else kept; unparsable text stays text. */
function parseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input ?? {};
  if (input.trim() === '') return {};
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/** True when the input says nothing yet (a `tool_select_delta` sends `{}` before the arguments stream). */
function isEmptyInput(input: unknown): boolean {
  if (input === null || input === undefined || input === '') return true;
  return isRecord(input) && Object.keys(input).length === 0;
}

/** The arguments of a call in either vendor's shape (Claude `input`, OpenAI flat `arguments` or `function.arguments`). */
function callInput(call: JsonRecord): unknown {
  if (call.input !== undefined && call.input !== null) return parseInput(call.input);
  if (call.arguments !== undefined && call.arguments !== null) return parseInput(call.arguments);
  if (isRecord(call.function)) return parseInput(call.function.arguments);
  return {};
}

function callName(call: JsonRecord): string {
  if (typeof call.name === 'string') return call.name;
  return isRecord(call.function) ? stringOr(call.function.name, '') : '';
}

function normalizeVendor(vendor: unknown): string {
  if (typeof vendor !== 'string') return 'anthropic';
  const format = getMessageFormat(vendor);
  return format === 'unknown' ? vendor : format;
}

/** The text of a vendor message's content: a string, or its text blocks/parts joined with `separator`. */
function contentText(content: unknown, separator: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const block of content) {
    if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
  }
  return texts.join(separator);
}

/**
 * `text + delta`, flattened now and then. V8 keeps a concatenation as a rope (a cons string per
 * delta, about 35 bytes each beyond the piece's characters), so an unflattened answer of 200,000
 * small deltas holds 5 to 7 times its own size. Flattening every 1024 deltas, or every
 * `length / 64` deltas once the text is long, bounds the rope's overhead to about half the text
 * while it streams and copies about 64 characters per delta; a completed message is flattened once
 * more (`commit`), so what stays behind is flat. Every `length / 256` deltas kept the rope smaller
 * but cost about 100 ns more per delta (mostly the GC of the discarded large copies). The handed-out
 * text is always the previous text plus the delta, never pieces kept aside: an app that reads the
 * text makes V8 flatten that very string in place, and the next delta builds on the flat copy.
 * `(' ' + s).slice(1)` forces the flat copy (`s.concat()` does not).
 */
function appendDelta(ctx: Context, text: string, delta: string): string {
  let next = text + delta;
  ctx.sinceFlatten++;
  if (ctx.sinceFlatten >= FLATTEN_EVERY && ctx.sinceFlatten >= next.length >>> 6) {
    next = (' ' + next).slice(1);
    ctx.sinceFlatten = 0;
  }
  return next;
}

/**
 * The streaming message with longer text: an explicit literal of the same shape (one hidden class,
 * no spread), because this runs for every delta.
 */
function withAssistantText(m: AssistantMessage, text: string): AssistantMessage {
  return {
    id: m.id,
    sessionId: m.sessionId,
    interactionId: m.interactionId,
    kind: 'assistant',
    role: m.role,
    text,
    format: m.format,
    complete: m.complete,
    stopReason: m.stopReason,
    rawStopReason: m.rawStopReason,
    inputTokens: m.inputTokens,
    outputTokens: m.outputTokens,
  };
}

function withThoughtText(m: ThoughtMessage, text: string): ThoughtMessage {
  return { id: m.id, sessionId: m.sessionId, interactionId: m.interactionId, kind: 'thought', text, complete: m.complete };
}

/** The four possible results of `apply`, shared: it runs for every delta and allocates nothing for this. */
const CHANGES: readonly TranscriptChange[] = [
  Object.freeze({ messagesChanged: false, streamingChanged: false }),
  Object.freeze({ messagesChanged: false, streamingChanged: true }),
  Object.freeze({ messagesChanged: true, streamingChanged: false }),
  Object.freeze({ messagesChanged: true, streamingChanged: true }),
];

const STATUS_RANK: Readonly<Record<ToolStatus, number>> = { cancelled: -1, selected: 0, running: 1, done: 2 };

function newContext(top: boolean, sessionId: string | null, parent: Context | null, ownerCallId: string | null): Context {
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

/** Whether an event carries the session envelope (`session_id` / `user_session_id`). */
function hasEnvelope(event: ServerEvent): boolean {
  return 'session_id' in event || 'user_session_id' in event;
}

// ---------------------------------------------------------------------------------------------
// The transcript
// ---------------------------------------------------------------------------------------------

class TranscriptImpl implements Transcript {
  private currentSessionId: string | null = null;
  private top: Context = newContext(true, null, null, null);
  /** Open sub-sessions, innermost last. */
  private stack: Context[] = [];
  /** Sub-sessions by their bound session id. */
  private bound = new Map<string, Context>();
  /** Every sub-session since the last resynchronisation. */
  private subs: Context[] = [];
  /** Contexts with a message being built, the most recently changed last. */
  private streams: Context[] = [];
  /** Ids of local echoes not yet confirmed, oldest first. */
  private pendingIds: string[] = [];
  private seq = 0;
  private snapshot: readonly TranscriptMessage[] = Object.freeze([]);
  private snapshotStale = false;
  /** Set when the top-level messages changed during the current call. */
  private topChanged = false;

  get sessionId(): string | null {
    return this.currentSessionId;
  }

  get messages(): readonly TranscriptMessage[] {
    if (this.snapshotStale) {
      this.snapshot = Object.freeze(this.top.items.slice());
      this.snapshotStale = false;
    }
    return this.snapshot;
  }

  get streaming(): TranscriptMessage | null {
    const ctx = this.streams[this.streams.length - 1];
    return ctx?.stream ?? null;
  }

  constructor(private readonly fastDeltas: boolean) {}

  apply(event: ServerEvent): TranscriptChange {
    if (this.fastDeltas) {
      const change = this.continueStream(event);
      if (change !== null) return change;
    }
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
   * interleavings both ways and compares).
   */
  private continueStream(event: ServerEvent): TranscriptChange | null {
    const type = event.type;
    if (type !== 'text_delta' && type !== 'thought_delta') return null;
    const ctx = this.streams[this.streams.length - 1];
    if (ctx !== this.top) return null;
    const stream = ctx.stream;
    const record = event as unknown as JsonRecord;
    const content = record.content;
    if (stream === null || this.currentSessionId === null || record.session_id !== this.currentSessionId) return null;
    if (stream.interactionId !== ctx.interactionId || typeof content !== 'string') return null;
    if (type === 'text_delta') {
      // a stream's role is never 'system' (the avatar bridge's notices do not stream)
      if (stream.kind !== 'assistant' || record.role !== stream.role) return null;
      ctx.stream = withAssistantText(stream, appendDelta(ctx, stream.text, content));
    } else {
      if (stream.kind !== 'thought') return null;
      ctx.reopenId = null; // as the general path does for every event but text and tool selection
      ctx.stream = withThoughtText(stream, appendDelta(ctx, stream.text, content));
    }
    return CHANGES[1]!;
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
      this.commit(ctx);
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
    if (this.endOpenSubSessions()) changed = true;
    this.topChanged = false;
    return changed || this.streaming !== before;
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch

  private dispatch(event: ServerEvent): void {
    switch (event.type) {
      case 'chat_session_changed':
        this.resync(event.chat_session);
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
      if (this.belongs(sessionId, userSessionId)) this.subsessionStarted(event);
      return;
    }
    if (event.type === 'subsession_ended') {
      if (this.belongs(sessionId, userSessionId)) this.subsessionEnded();
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
        this.textDelta(ctx, event);
        return;
      case 'thought_delta':
        this.thoughtDelta(ctx, event.content);
        return;
      case 'complete_thought':
        this.completeThought(ctx, event.content);
        return;
      case 'interaction':
        if (event.started) {
          this.commit(ctx);
          ctx.interactionId = stringOrNull(event.id);
          this.startRound(ctx);
        } else {
          this.commit(ctx);
          ctx.interactionId = null;
        }
        return;
      case 'completion':
        if (event.running) {
          this.commit(ctx);
          this.startRound(ctx);
        } else {
          this.completionEnded(ctx, event);
        }
        return;
      case 'history_delta':
        this.historyDelta(ctx, event.messages);
        return;
      case 'tool_select_delta':
        this.upsertCalls(ctx, event.tool_calls, 'selected', 'anthropic', null);
        return;
      case 'tool_call':
        this.upsertCalls(ctx, event.tool_calls, event.active ? 'running' : 'done', event.vendor, event.active ? null : (event.tool_results ?? []));
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
  // Streams

  private textDelta(ctx: Context, event: ServerEventOf<'text_delta'>): void {
    const content = stringOr(event.content, '');
    const role = stringOr(event.role, 'assistant');
    if (role === 'system') {
      // The avatar bridge's notice (§4.8): a notice, not an answer.
      ctx.reopenId = null;
      this.push(ctx, { ...this.base(ctx), kind: 'system', severity: 'info', text: content });
      return;
    }
    const stream = ctx.stream;
    if (stream !== null && stream.kind === 'assistant' && stream.role === role && stream.interactionId === ctx.interactionId) {
      ctx.stream = withAssistantText(stream, appendDelta(ctx, stream.text, content));
      this.markStreaming(ctx);
      return;
    }
    if (stream === null && ctx.reopenId !== null && this.appendToReopened(ctx, role, content)) return;
    ctx.reopenId = null;
    this.commit(ctx);
    this.startStream(ctx, this.assistant(ctx, role, content, stringOr(event.format, 'markdown'), false));
  }

  /** Appends late batched text to the message completed by a tool selection, if it is still the round's. */
  private appendToReopened(ctx: Context, role: string, content: string): boolean {
    for (let i = ctx.items.length - 1; i >= ctx.roundStart && i >= 0; i--) {
      const message = ctx.items[i]!;
      if (message.id === ctx.reopenId) {
        if (message.kind !== 'assistant' || message.role !== role || message.interactionId !== ctx.interactionId) return false;
        this.replace(ctx, i, { ...message, text: message.text + content });
        return true;
      }
      if (message.kind !== 'tool_call') return false;
    }
    return false;
  }

  private thoughtDelta(ctx: Context, content: string): void {
    const stream = ctx.stream;
    if (stream !== null && stream.kind === 'thought' && stream.interactionId === ctx.interactionId) {
      ctx.stream = withThoughtText(stream, appendDelta(ctx, stream.text, stringOr(content, '')));
      this.markStreaming(ctx);
      return;
    }
    this.commit(ctx);
    this.startStream(ctx, { ...this.base(ctx), kind: 'thought', text: stringOr(content, ''), complete: false });
  }

  /**
   * Ends the thought being built. Its content is the whole thought for extended thinking but only
   * the last fragment for the `think` tool (§5.2), so it is never appended and never replaces the
   * streamed text; it becomes a thought only when no thought was streamed.
   */
  private completeThought(ctx: Context, content: string): void {
    const stream = ctx.stream;
    if (stream !== null && stream.kind === 'thought') {
      this.commit(ctx);
      return;
    }
    this.commit(ctx);
    const last = ctx.items[ctx.items.length - 1];
    if (last !== undefined && last.kind === 'thought' && last.interactionId === ctx.interactionId && ctx.items.length > ctx.roundStart) return;
    const text = stringOr(content, '');
    if (text === '') return;
    this.push(ctx, { ...this.base(ctx), kind: 'thought', text, complete: true });
  }

  private startStream(ctx: Context, message: StreamMessage): void {
    ctx.stream = message;
    ctx.sinceFlatten = 0;
    this.markStreaming(ctx);
  }

  /** Makes `ctx` the most recently changed stream. */
  private markStreaming(ctx: Context): void {
    const streams = this.streams;
    if (streams[streams.length - 1] === ctx) return;
    const index = streams.indexOf(ctx);
    if (index >= 0) streams.splice(index, 1);
    streams.push(ctx);
  }

  /** Completes the message being built in `ctx`, appending it to its messages. */
  private commit(ctx: Context): void {
    const stream = ctx.stream;
    if (stream === null) return;
    ctx.stream = null;
    ctx.sinceFlatten = 0;
    const index = this.streams.indexOf(ctx);
    if (index >= 0) this.streams.splice(index, 1);
    this.push(ctx, { ...stream, text: (' ' + stream.text).slice(1), complete: true });
  }

  // -------------------------------------------------------------------------------------------
  // Rounds

  private startRound(ctx: Context): void {
    ctx.roundStart = ctx.items.length;
    ctx.roundStop = null;
  }

  private completionEnded(ctx: Context, event: ServerEventOf<'completion'>): void {
    this.commit(ctx);
    const rawStopReason = stringOrNull(event.stop_reason);
    const stop = {
      stopReason: normalizeStopReason(rawStopReason),
      rawStopReason,
      inputTokens: numberOrNull(event.input_tokens),
      outputTokens: numberOrNull(event.output_tokens),
    };
    ctx.roundStop = stop;
    const index = this.lastRoundAssistant(ctx);
    if (index < 0) return;
    const message = ctx.items[index] as AssistantMessage;
    this.replace(ctx, index, { ...message, ...stop });
  }

  /** Index of the latest assistant-role text message of the current LLM call, or -1. */
  private lastRoundAssistant(ctx: Context): number {
    for (let i = ctx.items.length - 1; i >= ctx.roundStart; i--) {
      const message = ctx.items[i]!;
      if (message.kind === 'assistant' && message.role === 'assistant') return i;
    }
    return -1;
  }

  /**
   * The call's assistant message as the server stored it: when the streamed text differs (deltas
   * lost in a reconnect), the stored text wins; when no text was streamed at all, it is added.
   */
  private historyDelta(ctx: Context, messages: readonly unknown[]): void {
    if (!Array.isArray(messages)) return;
    const blocks: string[] = [];
    for (const raw of messages) {
      if (!isRecord(raw) || raw.role !== 'assistant') continue;
      const { content } = raw;
      if (typeof content === 'string') {
        if (content !== '') blocks.push(content);
      } else if (Array.isArray(content)) {
        for (const block of content) {
          if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') blocks.push(block.text);
        }
      }
    }
    const text = blocks.join('');
    if (text === '') return;
    this.commit(ctx);
    const indexes: number[] = [];
    for (let i = ctx.roundStart; i < ctx.items.length; i++) {
      const message = ctx.items[i]!;
      if (message.kind === 'assistant' && message.role === 'assistant') indexes.push(i);
    }
    if (indexes.length === 0) {
      this.push(ctx, { ...this.assistant(ctx, 'assistant', text, 'markdown', true), ...(ctx.roundStop ?? {}) });
      return;
    }
    const update = (index: number, next: string) => {
      const message = ctx.items[index] as AssistantMessage;
      if (message.text !== next) this.replace(ctx, index, { ...message, text: next });
    };
    if (indexes.length === blocks.length) {
      indexes.forEach((index, i) => update(index, blocks[i]!));
    } else if (indexes.length === 1) {
      update(indexes[0]!, text);
    }
    // Several messages that do not line up with the blocks: left as streamed.
  }

  // -------------------------------------------------------------------------------------------
  // Tool calls

  /**
   * Upserts one `tool_call` message per call id. `think` calls are skipped: their thought streams as
   * thought deltas. A status never goes back (selected → running → done), except that a call
   * cancelled by {@link interrupt} comes back when the server reports it again.
   */
  private upsertCalls(
    ctx: Context,
    calls: readonly unknown[],
    status: ToolStatus,
    vendor: unknown,
    results: readonly unknown[] | null,
  ): void {
    const resultById = new Map<string, unknown>();
    if (results !== null && Array.isArray(results)) {
      for (const result of results) {
        if (!isRecord(result)) continue;
        const id = stringOrNull(result.tool_use_id) ?? stringOrNull(result.tool_call_id);
        if (id !== null) resultById.set(id, result.content ?? null);
      }
    }
    const seen = new Set<string>();
    for (const raw of Array.isArray(calls) ? calls : []) {
      if (!isRecord(raw)) continue;
      const id = stringOrNull(raw.id);
      const name = callName(raw);
      if (id === null || name === 'think' || seen.has(id)) continue;
      seen.add(id);
      const hasResult = resultById.has(id);
      this.upsertCall(ctx, id, name, callInput(raw), status, normalizeVendor(vendor), hasResult ? resultById.get(id) : undefined);
    }
    // Results whose call this event did not list (e.g. listed by an earlier event).
    for (const [id, result] of resultById) {
      if (seen.has(id)) continue;
      const index = ctx.calls.get(id);
      const call = index === undefined ? undefined : ctx.items[index];
      if (index !== undefined && call?.kind === 'tool_call') this.replace(ctx, index, { ...call, status: 'done', result });
    }
  }

  private upsertCall(ctx: Context, id: string, name: string, input: unknown, status: ToolStatus, vendor: string, result: unknown): void {
    const index = ctx.calls.get(id);
    const existing = index === undefined ? undefined : ctx.items[index];
    if (index !== undefined && existing?.kind === 'tool_call') {
      const nextStatus = STATUS_RANK[status] >= STATUS_RANK[existing.status] ? status : existing.status;
      const next: ToolCallMessage = {
        ...existing,
        name: name || existing.name,
        input: isEmptyInput(input) ? existing.input : input,
        status: nextStatus,
        result: result === undefined ? existing.result : result,
        vendor: status === 'selected' ? existing.vendor : vendor,
      };
      if (next.name !== existing.name || next.input !== existing.input || next.status !== existing.status || next.result !== existing.result || next.vendor !== existing.vendor) {
        this.replace(ctx, index, next);
      }
      return;
    }
    // A new call ends the message being built; text Claude flushes after the selection still
    // belongs to that message (reopenId).
    const stream = ctx.stream;
    this.commit(ctx);
    if (stream !== null && stream.kind === 'assistant') ctx.reopenId = stream.id;
    this.push(ctx, {
      ...this.base(ctx),
      kind: 'tool_call',
      toolCallId: id,
      name,
      input,
      status,
      result: result === undefined ? null : result,
      vendor,
      subSessions: Object.freeze([]),
    });
  }

  // -------------------------------------------------------------------------------------------
  // User messages

  private userMessage(ctx: Context, message: unknown): void {
    const text = isRecord(message) ? contentText(message.content, '\n\n') : '';
    if (ctx.top && this.confirmEcho(ctx, text)) return;
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
  // Sub-sessions

  private subsessionStarted(event: ServerEventOf<'subsession_started'>): void {
    const owner = this.stack[this.stack.length - 1] ?? this.top;
    let index = -1;
    let fallback = -1;
    for (let i = owner.items.length - 1; i >= 0; i--) {
      const message = owner.items[i]!;
      if (message.kind !== 'tool_call') continue;
      if (message.status === 'running') {
        index = i;
        break;
      }
      if (fallback < 0 && message.status === 'selected') fallback = i;
    }
    if (index < 0) index = fallback;
    if (index < 0) {
      // No call to attach it to (its events were lost): a placeholder call holds it.
      const id = `subsession-${this.nextId()}`;
      this.commit(owner);
      this.push(owner, {
        ...this.base(owner),
        kind: 'tool_call',
        toolCallId: id,
        name: '',
        input: {},
        status: 'running',
        result: null,
        vendor: '',
        subSessions: Object.freeze([]),
      });
      index = owner.items.length - 1;
    }
    const call = owner.items[index] as ToolCallMessage;
    const ctx = newContext(false, null, owner, call.toolCallId);
    const sub: SubSession = {
      sessionId: null,
      subSessionType: stringOr(event.sub_session_type, ''),
      subAgentType: stringOr(event.sub_agent_type, ''),
      primeAgentKey: stringOr(event.prime_agent_key, ''),
      subAgentKey: stringOr(event.sub_agent_key, ''),
      messages: Object.freeze([]),
      ended: false,
    };
    ctx.sub = sub;
    this.stack.push(ctx);
    this.subs.push(ctx);
    this.replace(owner, index, { ...call, subSessions: Object.freeze([...call.subSessions, sub]) });
  }

  private subsessionEnded(): void {
    const ctx = this.stack.pop();
    if (ctx === undefined) return;
    this.endSubSession(ctx);
  }

  private endSubSession(ctx: Context): void {
    this.commit(ctx);
    ctx.ended = true;
    ctx.interactionId = null;
    ctx.reopenId = null;
    this.touch(ctx);
  }

  private endOpenSubSessions(): boolean {
    const open = this.stack;
    if (open.length === 0) return false;
    this.stack = [];
    for (let i = open.length - 1; i >= 0; i--) this.endSubSession(open[i]!);
    return true;
  }

  /** Publishes a change of `ctx`'s messages: the top level's snapshot, or a new SubSession object up the chain. */
  private touch(ctx: Context): void {
    if (ctx.top) {
      if (ctx === this.top) {
        this.snapshotStale = true;
        this.topChanged = true;
      }
      return;
    }
    const previous = ctx.sub!;
    const next: SubSession = {
      ...previous,
      sessionId: ctx.sessionId,
      messages: Object.freeze(ctx.items.slice()),
      ended: ctx.ended,
    };
    ctx.sub = next;
    const parent = ctx.parent!;
    const index = parent.calls.get(ctx.ownerCallId!);
    const call = index === undefined ? undefined : parent.items[index];
    if (index === undefined || call?.kind !== 'tool_call') return;
    const subSessions = call.subSessions.map((s) => (s === previous ? next : s));
    this.replace(parent, index, { ...call, subSessions: Object.freeze(subSessions) });
  }

  // -------------------------------------------------------------------------------------------
  // Turn ends and resynchronisation

  /** The authoritative end of an interaction (§7.3): everything being built is complete. */
  private userTurnStart(): void {
    for (const ctx of [...this.streams]) this.commit(ctx);
    this.endOpenSubSessions();
    for (const ctx of [this.top, ...this.subs]) {
      ctx.interactionId = null;
      ctx.reopenId = null;
    }
  }

  private resync(session: ChatSession): void {
    const sessionId = stringOr(session.session_id, '');
    const sameSession = sessionId === this.currentSessionId;
    const previous = this.top;
    // Local echoes the server has not confirmed are still on their way: they stay, after the history
    // (also echoes typed before the first session was known).
    const keepPending = sameSession || this.currentSessionId === null;
    const pending = keepPending
      ? this.pendingIds.flatMap((id) => previous.items.filter((m): m is UserMessage => m.id === id && m.kind === 'user').map((m) => ({ ...m, sessionId })))
      : [];
    const top = newContext(true, sessionId, null, null);
    // A resumed interaction (same session) goes on with its interaction id.
    top.interactionId = sameSession ? previous.interactionId : null;
    this.currentSessionId = sessionId;
    this.top = top;
    this.stack = [];
    this.bound = new Map();
    this.subs = [];
    this.streams = [];
    this.pendingIds = pending.map((m) => m.id);
    this.convertHistory(top, Array.isArray(session.messages) ? session.messages : []);
    for (const message of pending) top.items.push(message);
    top.roundStart = top.items.length;
    this.snapshotStale = true;
    this.topChanged = true;
  }

  /**
   * The session's history (either vendor; OpenAI messages are read through their Anthropic form) as
   * transcript messages: user text, thoughts (thinking blocks and `think` calls), answer text, and
   * one `tool_call` per call id (status `done`, its result from the following `tool_result` or
   * `tool` message). System and developer messages are left out.
   */
  private convertHistory(ctx: Context, messages: readonly unknown[]): void {
    const thinkIds = new Set<string>();
    const base = () => ({ id: this.nextId(), sessionId: ctx.sessionId ?? '', interactionId: null });
    for (const raw of messages) {
      if (!isRecord(raw)) continue;
      const message = toAnthropicMessage(raw as never);
      if (message === null || !isRecord(message)) continue;
      const vendor = message === raw ? 'anthropic' : 'openai';
      const { content } = message;
      if (message.role === 'user') {
        if (typeof content === 'string') {
          if (content !== '') ctx.items.push({ ...base(), kind: 'user', text: content, fileIds: Object.freeze([]), pending: false });
          continue;
        }
        if (!Array.isArray(content)) continue;
        const text = contentText(content, '\n\n');
        if (text !== '') ctx.items.push({ ...base(), kind: 'user', text, fileIds: Object.freeze([]), pending: false });
        for (const block of content) {
          if (!isRecord(block) || typeof block.tool_use_id !== 'string' || thinkIds.has(block.tool_use_id)) continue;
          this.historyResult(ctx, block.tool_use_id, block.content ?? null);
        }
        continue;
      }
      if (message.role !== 'assistant') continue;
      if (typeof content === 'string') {
        if (content !== '') ctx.items.push(this.historyText(base(), content));
        continue;
      }
      if (!Array.isArray(content)) continue;
      let text: string | null = null;
      const flush = () => {
        if (text !== null && text !== '') ctx.items.push(this.historyText(base(), text));
        text = null;
      };
      for (const block of content) {
        if (!isRecord(block)) continue;
        switch (block.type) {
          case 'text':
            if (typeof block.text === 'string') text = (text ?? '') + block.text;
            break;
          case 'thinking':
            flush();
            if (typeof block.thinking === 'string' && block.thinking !== '') {
              ctx.items.push({ ...base(), kind: 'thought', text: block.thinking, complete: true });
            }
            break;
          case 'tool_use':
          case 'server_tool_use':
          case 'mcp_tool_use': {
            flush();
            const id = stringOrNull(block.id);
            if (id === null) break;
            const name = stringOr(block.name, '');
            const input = parseInput(block.input);
            if (name === 'think') {
              thinkIds.add(id);
              const thought = isRecord(input) && typeof input.thought === 'string' ? input.thought : '';
              if (thought !== '') ctx.items.push({ ...base(), kind: 'thought', text: thought, complete: true });
              break;
            }
            const index = ctx.calls.get(id);
            const existing = index === undefined ? undefined : ctx.items[index];
            if (index !== undefined && existing?.kind === 'tool_call') {
              ctx.items[index] = { ...existing, name, input };
              break;
            }
            ctx.calls.set(id, ctx.items.length);
            ctx.items.push({
              ...base(),
              kind: 'tool_call',
              toolCallId: id,
              name,
              input,
              status: 'done',
              result: null,
              vendor,
              subSessions: Object.freeze([]),
            });
            break;
          }
          default:
            // Server tool results sit in the assistant message, next to their call.
            if (typeof block.tool_use_id === 'string') {
              flush();
              this.historyResult(ctx, block.tool_use_id, block.content ?? null);
            }
            break;
        }
      }
      flush();
    }
  }

  private historyText(base: Base, text: string): AssistantMessage {
    return {
      ...base,
      kind: 'assistant',
      role: 'assistant',
      text,
      format: 'markdown',
      complete: true,
      stopReason: null,
      rawStopReason: null,
      inputTokens: null,
      outputTokens: null,
    };
  }

  private historyResult(ctx: Context, id: string, result: unknown): void {
    const index = ctx.calls.get(id);
    const call = index === undefined ? undefined : ctx.items[index];
    if (index !== undefined && call?.kind === 'tool_call') ctx.items[index] = { ...call, status: 'done', result };
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private nextId(): string {
    this.seq++;
    return `msg-${this.seq}`;
  }

  private base(ctx: Context): Base {
    return { id: this.nextId(), sessionId: ctx.sessionId ?? this.currentSessionId ?? '', interactionId: ctx.interactionId };
  }

  private assistant(ctx: Context, role: string, text: string, format: string, complete: boolean): AssistantMessage {
    return {
      ...this.base(ctx),
      kind: 'assistant',
      role,
      text,
      format,
      complete,
      stopReason: null,
      rawStopReason: null,
      inputTokens: null,
      outputTokens: null,
    };
  }

  /** Appends a completed message (completing the one being built first, to keep the order). */
  private push(ctx: Context, message: TranscriptMessage): void {
    if (ctx.stream !== null && ctx.stream !== message) this.commit(ctx);
    if (message.kind === 'tool_call') ctx.calls.set(message.toolCallId, ctx.items.length);
    ctx.items.push(message);
    this.touch(ctx);
  }

  private replace(ctx: Context, index: number, message: TranscriptMessage): void {
    ctx.items[index] = message;
    this.touch(ctx);
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
