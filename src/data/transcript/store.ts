/**
 * The transcript's state and the primitives every fold step uses: appending and replacing a message
 * (which publishes the change up to the top level), completing the message being built, new ids.
 * The fold steps are functions of this store (streams.ts, calls.ts, subsessions.ts, history.ts);
 * fold.ts adds the routing and the public interface. Internal: its fields are open to those modules.
 */
import { newContext, type Context } from './context.js';
import type { AssistantMessage, Base, SubSession, TranscriptMessage } from './types.js';

/**
 * The newest stream's context. Not `streams[streams.length - 1]`: on an empty list that reads the
 * property "-1", a name rather than an index, and V8 then treats the read as megamorphic for good,
 * indices included: a stub-cache lookup on every delta instead of a bounds check.
 */
export function newestStream(streams: readonly Context[]): Context | undefined {
  const count = streams.length;
  return count === 0 ? undefined : streams[count - 1];
}

export class TranscriptStore {
  currentSessionId: string | null = null;
  top: Context = newContext(true, null, null, null);
  /** Open sub-sessions, innermost last. */
  stack: Context[] = [];
  /** Sub-sessions by their bound session id. */
  bound = new Map<string, Context>();
  /** Every sub-session since the last resynchronisation. */
  subs: Context[] = [];
  /** Contexts with a message being built, the most recently changed last. */
  streams: Context[] = [];
  /** Ids of local echoes not yet confirmed, oldest first. */
  pendingIds: string[] = [];
  /**
   * Where the turn in flight starts in the top level's messages (its user message), until
   * `user_turn_start`. The server saves a round only once it completed, so a reconnect's
   * `chat_session_changed` lacks this turn (§13 item 1): it is kept after the history.
   */
  turnStart: number | null = null;
  private seq = 0;
  private snapshot: readonly TranscriptMessage[] = Object.freeze([]);
  snapshotStale = false;
  /** Set when the top-level messages changed during the current call. */
  topChanged = false;

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
    return newestStream(this.streams)?.stream ?? null;
  }

  nextId(): string {
    this.seq++;
    return `msg-${this.seq}`;
  }

  base(ctx: Context): Base {
    return { id: this.nextId(), sessionId: ctx.sessionId ?? this.currentSessionId ?? '', interactionId: ctx.interactionId };
  }

  assistant(ctx: Context, role: string, text: string, format: string, complete: boolean): AssistantMessage {
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
  push(ctx: Context, message: TranscriptMessage): void {
    if (ctx.stream !== null && ctx.stream !== message) this.commit(ctx);
    if (message.kind === 'tool_call') ctx.calls.set(message.toolCallId, ctx.items.length);
    ctx.items.push(message);
    this.touch(ctx);
  }

  replace(ctx: Context, index: number, message: TranscriptMessage): void {
    ctx.items[index] = message;
    this.touch(ctx);
  }

  /** Completes the message being built in `ctx`, appending it to its messages (`complete: false`: its end never came). */
  commit(ctx: Context, complete = true): void {
    const stream = ctx.stream;
    if (stream === null) return;
    ctx.stream = null;
    ctx.sinceFlatten = 0;
    const index = this.streams.indexOf(ctx);
    if (index >= 0) this.streams.splice(index, 1);
    this.push(ctx, { ...stream, text: (' ' + stream.text).slice(1), complete });
  }

  /** Publishes a change of `ctx`'s messages: the top level's snapshot, or a new SubSession object up the chain. */
  touch(ctx: Context): void {
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
}
