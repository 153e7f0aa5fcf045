/**
 * The server's stored history: a chat session rebuilt as transcript messages (`chat_session_changed`),
 * and a round's `history_delta` reconciled with the text that streamed.
 */
import type { ChatSession } from '../../schema/session.js';
import { toAnthropicMessage } from '../messages/convert.js';
import { isRecord } from '../json.js';
import { newContext, type Context } from './context.js';
import { contentText, parseInput, stringOr, stringOrNull } from './read.js';
import type { TranscriptStore } from './store.js';
import type { AssistantMessage, Base, UserMessage } from './types.js';

/** `chat_session_changed`: the messages start over from the session's stored history. */
export function resync(t: TranscriptStore, session: ChatSession): void {
  const sessionId = stringOr(session.session_id, '');
  const sameSession = sessionId === t.currentSessionId;
  const previous = t.top;
  const history = Array.isArray(session.messages) ? session.messages : [];
  if (sameSession && t.turnStart !== null) {
    keepTurnInFlight(t, previous, history);
    return;
  }
  t.turnStart = null;
  // Local echoes the server has not confirmed are still on their way: they stay, after the history
  // (also echoes typed before the first session was known).
  const keepPending = sameSession || t.currentSessionId === null;
  const pending = keepPending
    ? t.pendingIds.flatMap((id) => previous.items.filter((m): m is UserMessage => m.id === id && m.kind === 'user').map((m) => ({ ...m, sessionId })))
    : [];
  const top = newContext(true, sessionId, null, null);
  // A resumed interaction (same session) goes on with its interaction id.
  top.interactionId = sameSession ? previous.interactionId : null;
  t.currentSessionId = sessionId;
  t.top = top;
  t.stack = [];
  t.bound = new Map();
  t.subs = [];
  t.streams = [];
  t.pendingIds = pending.map((m) => m.id);
  convertHistory(t, top, history);
  for (const message of pending) top.items.push(message);
  top.roundStart = top.items.length;
  t.snapshotStale = true;
  t.topChanged = true;
}

/**
 * A reconnect (or a restart) while a turn is in flight: the history is the server's saved rounds,
 * without this turn. The messages before the turn are replaced by the history; the turn's own (the
 * user's message, the answer so far, and the message being built) stay as they are after it, so the
 * rest of the answer continues them and the round's `history_delta` settles their text.
 */
function keepTurnInFlight(t: TranscriptStore, ctx: Context, history: readonly unknown[]): void {
  const turnStart = t.turnStart!;
  const head = newContext(true, ctx.sessionId, null, null);
  convertHistory(t, head, history);
  const shift = head.items.length - turnStart;
  const tail = ctx.items.splice(turnStart);
  ctx.items.splice(0, ctx.items.length, ...head.items, ...tail);
  const calls = [...ctx.calls].filter(([, index]) => index >= turnStart);
  ctx.calls.clear();
  for (const [id, index] of head.calls) ctx.calls.set(id, index);
  for (const [id, index] of calls) ctx.calls.set(id, index + shift);
  ctx.roundStart = Math.max(head.items.length, ctx.roundStart + shift);
  t.turnStart = head.items.length;
  t.snapshotStale = true;
  t.topChanged = true;
}

/**
 * The session's history (either vendor; OpenAI messages are read through their Anthropic form) as
 * transcript messages: user text, thoughts (thinking blocks and `think` calls), answer text, and
 * one `tool_call` per call id (status `done`, its result from the following `tool_result` or
 * `tool` message). System and developer messages are left out.
 */
function convertHistory(t: TranscriptStore, ctx: Context, messages: readonly unknown[]): void {
  const thinkIds = new Set<string>();
  const base = () => ({ id: t.nextId(), sessionId: ctx.sessionId ?? '', interactionId: null });
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
        historyResult(ctx, block.tool_use_id, block.content ?? null);
      }
      continue;
    }
    if (message.role !== 'assistant') continue;
    if (typeof content === 'string') {
      if (content !== '') ctx.items.push(historyText(base(), content));
      continue;
    }
    if (!Array.isArray(content)) continue;
    let text: string | null = null;
    const flush = () => {
      if (text !== null && text !== '') ctx.items.push(historyText(base(), text));
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
            historyResult(ctx, block.tool_use_id, block.content ?? null);
          }
          break;
      }
    }
    flush();
  }
}

function historyText(base: Base, text: string): AssistantMessage {
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

function historyResult(ctx: Context, id: string, result: unknown): void {
  const index = ctx.calls.get(id);
  const call = index === undefined ? undefined : ctx.items[index];
  if (index !== undefined && call?.kind === 'tool_call') ctx.items[index] = { ...call, status: 'done', result };
}

/**
 * The call's assistant message as the server stored it: when the streamed text differs (deltas
 * lost in a reconnect), the stored text wins; when no text was streamed at all, it is added.
 */
export function historyDelta(t: TranscriptStore, ctx: Context, messages: readonly unknown[]): void {
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
  t.commit(ctx);
  const indexes: number[] = [];
  for (let i = ctx.roundStart; i < ctx.items.length; i++) {
    const message = ctx.items[i]!;
    if (message.kind === 'assistant' && message.role === 'assistant') indexes.push(i);
  }
  if (indexes.length === 0) {
    t.push(ctx, { ...t.assistant(ctx, 'assistant', text, 'markdown', true), ...(ctx.roundStop ?? {}) });
    return;
  }
  const update = (index: number, next: string) => {
    const message = ctx.items[index] as AssistantMessage;
    if (message.text !== next) t.replace(ctx, index, { ...message, text: next });
  };
  if (indexes.length === blocks.length) {
    indexes.forEach((index, i) => update(index, blocks[i]!));
  } else if (indexes.length === 1) {
    update(indexes[0]!, text);
  }
  // Several messages that do not line up with the blocks: left as streamed.
}
