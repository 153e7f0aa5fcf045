/** Text and thought streams (deltas, the end of a thought) and the LLM calls (rounds) they belong to. */
import type { ServerEventOf } from '../../schema/server/index.js';
import { normalizeStopReason } from '../../schema/stop-reason.js';
import type { Context } from './context.js';
import { numberOrNull, stringOr, stringOrNull } from './read.js';
import { appendDelta, withAssistantText, withThoughtText } from './rope.js';
import type { TranscriptStore } from './store.js';
import type { AssistantMessage, StreamMessage } from './types.js';

export function textDelta(t: TranscriptStore, ctx: Context, event: ServerEventOf<'text_delta'>): void {
  const content = stringOr(event.content, '');
  const role = stringOr(event.role, 'assistant');
  if (role === 'system') {
    // The avatar bridge's notice (§4.8): a notice, not an answer.
    ctx.reopenId = null;
    t.push(ctx, { ...t.base(ctx), kind: 'system', severity: 'info', text: content });
    return;
  }
  const stream = ctx.stream;
  if (stream !== null && stream.kind === 'assistant' && stream.role === role && stream.interactionId === ctx.interactionId) {
    ctx.stream = withAssistantText(stream, appendDelta(ctx, stream.text, content));
    markStreaming(t, ctx);
    return;
  }
  if (stream === null && ctx.reopenId !== null && appendToReopened(t, ctx, role, content)) return;
  ctx.reopenId = null;
  t.commit(ctx);
  startStream(t, ctx, t.assistant(ctx, role, content, stringOr(event.format, 'markdown'), false));
}

/** Appends late batched text to the message completed by a tool selection, if it is still the round's. */
function appendToReopened(t: TranscriptStore, ctx: Context, role: string, content: string): boolean {
  for (let i = ctx.items.length - 1; i >= ctx.roundStart && i >= 0; i--) {
    const message = ctx.items[i]!;
    if (message.id === ctx.reopenId) {
      if (message.kind !== 'assistant' || message.role !== role || message.interactionId !== ctx.interactionId) return false;
      t.replace(ctx, i, { ...message, text: message.text + content });
      return true;
    }
    if (message.kind !== 'tool_call') return false;
  }
  return false;
}

export function thoughtDelta(t: TranscriptStore, ctx: Context, content: string): void {
  const stream = ctx.stream;
  if (stream !== null && stream.kind === 'thought' && stream.interactionId === ctx.interactionId) {
    ctx.stream = withThoughtText(stream, appendDelta(ctx, stream.text, stringOr(content, '')));
    markStreaming(t, ctx);
    return;
  }
  t.commit(ctx);
  startStream(t, ctx, { ...t.base(ctx), kind: 'thought', text: stringOr(content, ''), complete: false });
}

/**
 * Ends the thought being built. Its content is the whole thought for extended thinking but only
 * the last fragment for the `think` tool (§5.2), so it is never appended and never replaces the
 * streamed text; it becomes a thought only when no thought was streamed.
 */
export function completeThought(t: TranscriptStore, ctx: Context, content: string): void {
  const stream = ctx.stream;
  if (stream !== null && stream.kind === 'thought') {
    t.commit(ctx);
    return;
  }
  t.commit(ctx);
  const last = ctx.items[ctx.items.length - 1];
  if (last !== undefined && last.kind === 'thought' && last.interactionId === ctx.interactionId && ctx.items.length > ctx.roundStart) return;
  const text = stringOr(content, '');
  if (text === '') return;
  t.push(ctx, { ...t.base(ctx), kind: 'thought', text, complete: true });
}

function startStream(t: TranscriptStore, ctx: Context, message: StreamMessage): void {
  ctx.stream = message;
  ctx.sinceFlatten = 0;
  markStreaming(t, ctx);
}

/** Makes `ctx` the most recently changed stream. */
function markStreaming(t: TranscriptStore, ctx: Context): void {
  const streams = t.streams;
  if (streams[streams.length - 1] === ctx) return;
  const index = streams.indexOf(ctx);
  if (index >= 0) streams.splice(index, 1);
  streams.push(ctx);
}

export function startRound(ctx: Context): void {
  ctx.roundStart = ctx.items.length;
  ctx.roundStop = null;
}

export function completionEnded(t: TranscriptStore, ctx: Context, event: ServerEventOf<'completion'>): void {
  t.commit(ctx);
  const rawStopReason = stringOrNull(event.stop_reason);
  const stop = {
    stopReason: normalizeStopReason(rawStopReason),
    rawStopReason,
    inputTokens: numberOrNull(event.input_tokens),
    outputTokens: numberOrNull(event.output_tokens),
  };
  ctx.roundStop = stop;
  const index = lastRoundAssistant(ctx);
  if (index < 0) return;
  const message = ctx.items[index] as AssistantMessage;
  t.replace(ctx, index, { ...message, ...stop });
}

/** Index of the latest assistant-role text message of the current LLM call, or -1. */
function lastRoundAssistant(ctx: Context): number {
  for (let i = ctx.items.length - 1; i >= ctx.roundStart; i--) {
    const message = ctx.items[i]!;
    if (message.kind === 'assistant' && message.role === 'assistant') return i;
  }
  return -1;
}
