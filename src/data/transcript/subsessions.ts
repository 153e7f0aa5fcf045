/**
 * Sub-sessions: nested agent conversations, opened and closed by their brackets and attached to
 * the tool call that delegated to them.
 */
import type { ServerEventOf } from '../../schema/server/index.js';
import { newContext, type Context } from './context.js';
import { stringOr } from './read.js';
import type { TranscriptStore } from './store.js';
import type { SubSession, ToolCallMessage } from './types.js';

export function subsessionStarted(t: TranscriptStore, event: ServerEventOf<'subsession_started'>): void {
  const owner = t.stack[t.stack.length - 1] ?? t.top;
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
    const id = `subsession-${t.nextId()}`;
    t.commit(owner);
    t.push(owner, {
      ...t.base(owner),
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
  t.stack.push(ctx);
  t.subs.push(ctx);
  t.replace(owner, index, { ...call, subSessions: Object.freeze([...call.subSessions, sub]) });
}

export function subsessionEnded(t: TranscriptStore): void {
  const ctx = t.stack.pop();
  if (ctx === undefined) return;
  endSubSession(t, ctx);
}

function endSubSession(t: TranscriptStore, ctx: Context): void {
  t.commit(ctx);
  ctx.ended = true;
  ctx.interactionId = null;
  ctx.reopenId = null;
  t.touch(ctx);
}

export function endOpenSubSessions(t: TranscriptStore): boolean {
  const open = t.stack;
  if (open.length === 0) return false;
  t.stack = [];
  for (let i = open.length - 1; i >= 0; i--) endSubSession(t, open[i]!);
  return true;
}
