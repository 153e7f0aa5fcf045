/**
 * The data-plane cost of the transcript: a text delta does constant work (no copy of the message
 * list, at the top level or in a sub-session) and a long streamed answer does not keep V8's rope of
 * concatenations alive (the text is flattened now and then).
 *
 * The heap is measured after a forced GC: `--expose-gc` is switched on at run time and `gc` is
 * taken from a fresh context (the flag only affects contexts created after it is set).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { createTranscript, type Transcript } from '../../../src/data/transcript/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const S = 'admin-heap-session';
const SUB = 'oneshot-heap-sub';
const DELTAS = 200_000;
const TOKENS = [' the', ' realtime', ' stream', ' keeps', ' flowing', ',', ' token', ' after', ' token', '.', '\n'];

/** A fresh string per delta, as `JSON.parse` makes one per frame (constants would share their storage). */
function delta(i: number, sessionId = S): ServerEvent {
  const content = `${TOKENS[i % TOKENS.length]}${i % 10}`;
  return { type: 'text_delta', session_id: sessionId, role: 'assistant', parent_session_id: null, user_session_id: S, content, format: 'markdown' } as ServerEvent;
}

function settle(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** A transcript whose session already holds `count` messages (so any per-delta copy would be costly). */
function withHistory(count: number): Transcript {
  const t = createTranscript();
  const messages = Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `message ${i}` }));
  t.apply({ type: 'chat_session_changed', chat_session: { session_id: S, messages } } as unknown as ServerEvent);
  expect(t.messages).toHaveLength(count);
  return t;
}

describe('transcript cost', () => {
  it(`retains at most 1.5x the text's own size after folding ${DELTAS.toLocaleString('en')} deltas`, () => {
    const before = settle();
    const t = createTranscript();
    t.apply({ type: 'chat_session_changed', chat_session: { session_id: S, messages: [] } } as unknown as ServerEvent);
    let expectedLength = 0;
    for (let i = 0; i < DELTAS; i++) {
      const event = delta(i);
      expectedLength += (event as { content: string }).content.length;
      t.apply(event);
    }
    const after = settle();
    const text = (t.streaming as { text: string } | null)?.text ?? '';
    expect(text.length).toBe(expectedLength);
    const retained = after - before;
    // One byte per Latin-1 character; a rope of 200,000 pieces would hold about 5 times that.
    expect(retained, `retained ${retained} B for ${text.length} characters`).toBeLessThan(1.5 * text.length);
    // The text is right, end to end.
    expect(text.startsWith(' the0 realtime1 stream2')).toBe(true);
  });

  it('does no per-delta copy of the message list (top level and sub-session), with 20,000 messages before the answer', () => {
    const t = withHistory(20_000);
    const messages = t.messages;
    const startedAt = performance.now();
    for (let i = 0; i < DELTAS; i++) {
      const change = t.apply(delta(i));
      if (change.messagesChanged || !change.streamingChanged) throw new Error(`delta ${i}: ${JSON.stringify(change)}`);
    }
    expect(t.messages).toBe(messages);

    // A delegation: its sub-agent's deltas must not copy the 20,000 top-level messages either.
    t.apply({ type: 'tool_call', session_id: S, role: 'assistant', parent_session_id: null, user_session_id: S, active: true, vendor: 'anthropic', tool_calls: [{ id: 'toolu_d', name: 'aa_oneshot', input: '{}' }], tool_results: null } as unknown as ServerEvent);
    t.apply({ type: 'subsession_started', session_id: S, role: 'system', parent_session_id: S, user_session_id: S, sub_session_type: 'oneshot', sub_agent_type: 'assist', prime_agent_key: 'a', sub_agent_key: 'b' } as unknown as ServerEvent);
    t.apply(delta(0, SUB));
    const withSub = t.messages;
    for (let i = 1; i < DELTAS; i++) {
      const change = t.apply(delta(i, SUB));
      if (change.messagesChanged || !change.streamingChanged) throw new Error(`sub delta ${i}: ${JSON.stringify(change)}`);
    }
    expect(t.messages).toBe(withSub);
    expect(t.streaming).toMatchObject({ sessionId: SUB });
    const elapsed = performance.now() - startedAt;
    // 400,000 deltas take well under a second here; copying 20,000 entries per delta would take minutes.
    expect(elapsed).toBeLessThan(10_000);
  });
});
