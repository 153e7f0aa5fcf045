/**
 * The transcript folded from real event streams: every scripted agent of the simulator, recorded
 * with a raw `ws` client, each frame decoded by `decodeServerFrame` and applied in order.
 */
import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import { createTranscript, type SubSession, type Transcript, type TranscriptMessage } from '../../../src/data/transcript/index.js';
import type { SimClient } from '../../helpers/sim-client.js';
import { connectReady, interact, startSim, useSimulators } from '../sim/harness.js';

useSimulators();

type Of<K extends TranscriptMessage['kind']> = Extract<TranscriptMessage, { kind: K }>;

/** Applies every event frame received from `from` on; returns the next index. */
function fold(t: Transcript, client: SimClient, from = 0): number {
  for (const frame of client.received.slice(from)) {
    if (frame.kind !== 'event') continue;
    const decoded = decodeServerFrame(frame.text);
    if (decoded.kind !== 'event') throw new Error(`frame did not decode: ${frame.text.slice(0, 200)}`);
    t.apply(decoded.event);
  }
  return client.received.length;
}

/** Connects with `agentKey`, sends one text, folds the burst and the whole turn. */
async function run(agentKey: string, text = 'Hello there', options: { echo?: boolean } = {}) {
  const sim = await startSim();
  const ready = await connectReady(sim, { agentKey });
  const t = createTranscript();
  let cursor = fold(t, ready.client);
  const echo = options.echo ? t.addLocalUserMessage(text) : null;
  await interact(ready.client, text, 10_000);
  cursor = fold(t, ready.client, cursor);
  return { sim, t, client: ready.client, chatSessionId: ready.chatSessionId, echo, cursor };
}

function all(messages: readonly TranscriptMessage[]): TranscriptMessage[] {
  return messages.flatMap((m) => (m.kind === 'tool_call' ? [m, ...m.subSessions.flatMap((s) => all(s.messages))] : [m]));
}

/** Checks every rule that holds at the end of any turn. */
function expectSettled(t: Transcript, chatSessionId: string): void {
  expect(t.sessionId).toBe(chatSessionId);
  expect(t.streaming).toBeNull();
  const everything = all(t.messages);
  expect(new Set(everything.map((m) => m.id)).size, 'unique ids').toBe(everything.length);
  for (const m of t.messages) expect(m.sessionId).toBe(chatSessionId);
  for (const m of everything) {
    if (m.kind === 'assistant' || m.kind === 'thought') expect(m.complete).toBe(true);
    if (m.kind === 'user') expect(m.pending).toBe(false);
  }
  const calls = everything.filter((m): m is Of<'tool_call'> => m.kind === 'tool_call');
  expect(new Set(calls.map((c) => c.toolCallId)).size, 'one message per tool call').toBe(calls.length);
  for (const call of calls) for (const sub of call.subSessions) for (const m of sub.messages) expect(m.sessionId).toBe(sub.sessionId);
}

const kinds = (messages: readonly TranscriptMessage[]) => messages.map((m) => m.kind);
const at = <K extends TranscriptMessage['kind']>(messages: readonly TranscriptMessage[], index: number, kind: K): Of<K> => {
  const m = messages[index];
  expect(m?.kind, `message ${index}`).toBe(kind);
  return m as Of<K>;
};

/** The concatenated `content` of the events of this type (and session id) received. */
function streamed(client: SimClient, type: string, sessionId: string): string {
  return client.events
    .filter((e) => e.type === type && e.session_id === sessionId)
    .map((e) => e.content as string)
    .join('');
}

function historyTexts(client: SimClient, sessionId: string): string[] {
  return client.events
    .filter((e) => e.type === 'history_delta' && e.session_id === sessionId)
    .flatMap((e) => (e.messages as Array<{ content: Array<{ type: string; text?: string }> }>).flatMap((m) => m.content))
    .filter((b) => b.type === 'text')
    .map((b) => b.text!);
}

describe('the transcript of each scripted agent', () => {
  it('default: welcome media, the user message, one answer with stop reason and tokens', async () => {
    const { t, client, chatSessionId } = await run('default');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'assistant']);
    expect(at(t.messages, 0, 'media')).toMatchObject({ contentType: 'text/markdown', sentByClass: 'RealtimeBridge', foreign: false });
    expect(at(t.messages, 1, 'user')).toMatchObject({ text: 'Hello there', pending: false });
    const answer = at(t.messages, 2, 'assistant');
    const interactionId = client.events.find((e) => e.type === 'interaction')?.id as string;
    expect(answer).toMatchObject({ role: 'assistant', format: 'markdown', complete: true, stopReason: 'stop', rawStopReason: 'end_turn', interactionId });
    expect(answer.text).toBe(streamed(client, 'text_delta', chatSessionId));
    expect([answer.text]).toStrictEqual(historyTexts(client, chatSessionId));
    expect(answer.inputTokens).toBeGreaterThan(0);
    expect(answer.outputTokens).toBeGreaterThan(0);
  });

  it('default: the local echo is confirmed by anthropic_user_message and keeps its id', async () => {
    const { t, chatSessionId, echo } = await run('default', 'Echo me', { echo: true });
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'assistant']);
    expect(t.messages[1]).toMatchObject({ id: echo, text: 'Echo me', pending: false });
  });

  it('thinker: the extended thought (complete_thought not appended), then the answer', async () => {
    const { t, client, chatSessionId } = await run('thinker');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'thought', 'assistant']);
    const whole = client.events.find((e) => e.type === 'complete_thought')?.content as string;
    expect(at(t.messages, 2, 'thought').text).toBe(whole);
    expect(at(t.messages, 2, 'thought').text).toBe(streamed(client, 'thought_delta', chatSessionId));
    expect(at(t.messages, 3, 'assistant')).toMatchObject({ text: streamed(client, 'text_delta', chatSessionId), stopReason: 'stop' });
  });

  it('tool_user: the think-tool thought, one done tool call with its result, its media, the answer', async () => {
    const { t, client, chatSessionId } = await run('tool_user');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'thought', 'tool_call', 'media', 'assistant']);
    const thought = at(t.messages, 2, 'thought');
    expect(thought.text).toBe(streamed(client, 'thought_delta', chatSessionId));
    const fragment = client.events.find((e) => e.type === 'complete_thought')?.content as string;
    expect(thought.text.endsWith(fragment) && thought.text !== fragment).toBe(true);
    const call = at(t.messages, 3, 'tool_call');
    expect(call).toMatchObject({ name: 'workspace_read', status: 'done', vendor: 'anthropic', subSessions: [] });
    expect(call.input).toStrictEqual({ path: expect.stringMatching(/^\/\/project\//) });
    expect(call.result).toMatch(/^# Project/);
    expect(at(t.messages, 4, 'media')).toMatchObject({ sentByClass: 'WorkspaceTools', sentByFunction: 'workspace_read' });
    expect(at(t.messages, 5, 'assistant')).toMatchObject({ stopReason: 'stop' });
  });

  it('delegator: the delegation call holds the sub-agent conversation; nothing of it reaches the top level', async () => {
    const { t, client, chatSessionId } = await run('delegator');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'tool_call', 'system', 'system', 'assistant']);
    const call = at(t.messages, 2, 'tool_call');
    expect(call).toMatchObject({ name: 'aa_oneshot', status: 'done', input: { agent_key: 'research_assistant' } });
    expect(call.subSessions).toHaveLength(1);
    const sub = call.subSessions[0]!;
    const subId = client.events.find((e) => e.type === 'text_delta' && e.session_id !== chatSessionId)?.session_id as string;
    expect(subId).toMatch(/^oneshot-/);
    expectSubSession(sub, subId, client);
    expect(only(t.messages, 'assistant').map((m) => m.text)).toStrictEqual([streamed(client, 'text_delta', chatSessionId)]);
  });

  it('showcase: user, two thoughts, a done tool call, media, text, the delegation with its sub-session, the final answer', async () => {
    const { t, client, chatSessionId } = await run('showcase');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual([
      'media', // welcome
      'user',
      'thought', // extended thinking
      'thought', // the think tool
      'tool_call', // workspace_read
      'media', // what workspace_read showed
      'assistant',
      'tool_call', // aa_oneshot
      'system', // "Oneshot interaction started …"
      'system', // "Oneshot interaction complete …"
      'assistant',
    ]);
    const completes = client.events.filter((e) => e.type === 'complete_thought').map((e) => e.content as string);
    expect(at(t.messages, 2, 'thought').text).toBe(completes[0]);
    expect(at(t.messages, 3, 'thought').text).toBe('I will read the README, then ask the research assistant.');
    const read = at(t.messages, 4, 'tool_call');
    expect(read).toMatchObject({ name: 'workspace_read', status: 'done', subSessions: [] });
    expect(read.result).toMatch(/^# Project/);
    expect(at(t.messages, 5, 'media')).toMatchObject({ sentByFunction: 'workspace_read' });
    expect(at(t.messages, 6, 'assistant')).toMatchObject({ text: 'I read the README. Let me ask a colleague as well.\n', stopReason: 'tool_calls' });
    const delegation = at(t.messages, 7, 'tool_call');
    expect(delegation).toMatchObject({ name: 'aa_oneshot', status: 'done', result: 'The research assistant found three relevant documents and summarised them.' });
    expect(delegation.subSessions).toHaveLength(1);
    const subId = client.events.find((e) => e.type === 'text_delta' && e.session_id !== chatSessionId)?.session_id as string;
    expectSubSession(delegation.subSessions[0]!, subId, client);
    expect(at(t.messages, 8, 'system').text).toMatch(/^Oneshot interaction started/);
    expect(at(t.messages, 9, 'system').text).toMatch(/^Oneshot interaction complete/);
    const final = at(t.messages, 10, 'assistant');
    expect(final).toMatchObject({ stopReason: 'stop', rawStopReason: 'end_turn', complete: true });
    expect(only(t.messages, 'assistant').map((m) => m.text)).toStrictEqual(historyTexts(client, chatSessionId));
    const interactionId = client.events.find((e) => e.type === 'interaction' && e.session_id === chatSessionId)?.id;
    for (const m of t.messages.slice(2)) expect(m.interactionId).toBe(interactionId);
  });

  it('showcase: resuming the session gives the same conversation from the history (each tool call once)', async () => {
    const { t, client, chatSessionId, cursor } = await run('showcase');
    const live = t.messages.filter((m) => m.kind !== 'media' && m.kind !== 'system');
    client.send({ type: 'resume_chat_session', session_id: chatSessionId });
    await client.next('chat_session_changed');
    fold(t, client, cursor);
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(kinds(live));
    const shape = (m: TranscriptMessage) =>
      m.kind === 'tool_call' ? [m.kind, m.toolCallId, m.name, m.status, m.input, m.result] : [m.kind, 'text' in m ? m.text : null];
    expect(t.messages.map(shape)).toStrictEqual(live.map(shape));
  });

  it('failing: the partial answer is completed, then the stream error notice follows', async () => {
    const { t, client, chatSessionId } = await run('failing');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'assistant', 'system']);
    expect(at(t.messages, 2, 'assistant')).toMatchObject({ text: streamed(client, 'text_delta', chatSessionId), complete: true, stopReason: null });
    expect(at(t.messages, 3, 'system')).toMatchObject({ severity: 'error' });
    expect(at(t.messages, 3, 'system').text).toMatch(/^Exception during Claude streaming/);
  });

  it('crashing: the partial answer is completed, then the runtime error', async () => {
    const { t, chatSessionId } = await run('crashing');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'assistant', 'error']);
    expect(at(t.messages, 3, 'error')).toMatchObject({ source: null });
    expect(at(t.messages, 3, 'error').text).toMatch(/^Error in agent_runtime\.chat: /);
  });

  it('gpt: the OpenAI order (user message after interaction start), unbatched deltas in one message, no stop reason', async () => {
    const { t, client, chatSessionId } = await run('gpt');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'assistant']);
    const interactionId = client.events.find((e) => e.type === 'interaction')?.id;
    expect(at(t.messages, 1, 'user')).toMatchObject({ text: 'Hello there', interactionId });
    expect(client.events.filter((e) => e.type === 'text_delta').length).toBeGreaterThan(10);
    expect(at(t.messages, 2, 'assistant')).toMatchObject({ text: streamed(client, 'text_delta', chatSessionId), stopReason: null, interactionId });
  });

  it('firehose: thousands of deltas make one message equal to the stored text', async () => {
    const { t, client, chatSessionId } = await run('firehose', 'stream 5000');
    expectSettled(t, chatSessionId);
    expect(kinds(t.messages)).toStrictEqual(['media', 'user', 'assistant']);
    expect(client.events.filter((e) => e.type === 'text_delta')).toHaveLength(5000);
    expect([at(t.messages, 2, 'assistant').text]).toStrictEqual(historyTexts(client, chatSessionId));
  });

  it('streams while the answer is being built: streaming changes per delta, messages only at its edges', async () => {
    const sim = await startSim();
    const ready = await connectReady(sim, { agentKey: 'delegator' });
    const t = createTranscript();
    fold(t, ready.client);
    const start = ready.client.received.length;
    await interact(ready.client, 'Hello there', 10_000);
    let deltaMessageChanges = 0;
    let deltas = 0;
    let subStreaming = 0;
    for (const frame of ready.client.received.slice(start)) {
      if (frame.kind !== 'event') continue;
      const decoded = decodeServerFrame(frame.text);
      if (decoded.kind !== 'event') continue;
      const change = t.apply(decoded.event);
      if (decoded.event.type === 'text_delta') {
        deltas++;
        if (change.messagesChanged) deltaMessageChanges++;
        expect(change.streamingChanged).toBe(true);
        expect(t.streaming).toMatchObject({ kind: 'assistant', sessionId: decoded.event.session_id });
        if (decoded.event.session_id !== ready.chatSessionId) subStreaming++;
      }
    }
    expect(subStreaming).toBeGreaterThan(0);
    expect(deltas).toBeGreaterThan(5);
    // Every text here starts after a message that is already complete, so no delta changes `messages`.
    expect(deltaMessageChanges).toBe(0);
    expectSettled(t, ready.chatSessionId);
  });
});

function only<K extends TranscriptMessage['kind']>(messages: readonly TranscriptMessage[], kind: K): Array<Of<K>> {
  return messages.filter((m): m is Of<K> => m.kind === kind);
}

function expectSubSession(sub: SubSession, subId: string, client: SimClient): void {
  expect(sub).toMatchObject({ sessionId: subId, subSessionType: 'oneshot', subAgentType: 'assist', subAgentKey: 'research_assistant', ended: true });
  expect(kinds(sub.messages)).toStrictEqual(['user', 'assistant']);
  expect(sub.messages[0]).toMatchObject({ kind: 'user', text: expect.stringMatching(/^Summarise what we know about/) });
  const subInteraction = client.events.find((e) => e.type === 'interaction' && e.session_id === subId)?.id;
  expect(sub.messages[1]).toMatchObject({
    kind: 'assistant',
    sessionId: subId,
    interactionId: subInteraction,
    text: streamed(client, 'text_delta', subId),
    stopReason: 'stop',
    complete: true,
  });
}
