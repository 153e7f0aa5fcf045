/** The text of the message being built, one delta at a time: cheap per delta, and never a deep rope. */
import type { Context } from './context.js';
import type { AssistantMessage, ThoughtMessage } from './types.js';

/** Deltas between two flattenings of a streaming text, at least (see {@link appendDelta}). */
const FLATTEN_EVERY = 1024;

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
export function appendDelta(ctx: Context, text: string, delta: string): string {
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
export function withAssistantText(m: AssistantMessage, text: string): AssistantMessage {
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

export function withThoughtText(m: ThoughtMessage, text: string): ThoughtMessage {
  return { id: m.id, sessionId: m.sessionId, interactionId: m.interactionId, kind: 'thought', text, complete: m.complete };
}
