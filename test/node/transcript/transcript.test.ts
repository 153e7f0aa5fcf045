/**
 * The transcript fold, rule by rule (PROTOCOL.md §5.2, §7.3, §7.4, §7.10, §4.8, §4.9), on events
 * decoded by `decodeServerFrame` (so defaults are filled in as in production), plus resync from the
 * two `chat_session_changed` fixtures.
 */
import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { normalizeStopReason } from '../../../src/schema/stop-reason.js';
import { createTranscript, type SubSession, type Transcript, type TranscriptMessage } from '../../../src/data/transcript/index.js';
import { fixture, fixtureObject } from '../../helpers/fixtures.js';

const S = 'admin-quiet-harbor';
const SUB = 'oneshot-silver-maple';
const NESTED = 'oneshot-amber-otter';

function ev(object: Record<string, unknown>): ServerEvent {
  const frame = decodeServerFrame(JSON.stringify(object));
  if (frame.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(frame)}`);
  return frame.event;
}

function envelope(sessionId = S, role = 'assistant') {
  return { session_id: sessionId, role, parent_session_id: sessionId === S ? null : S, user_session_id: S };
}

const session = (id = S, messages: unknown[] = []) =>
  ev({ type: 'chat_session_changed', chat_session: { session_id: id, messages, vendor: 'anthropic' } });
const text = (content: string, sid = S, role = 'assistant') => ev({ type: 'text_delta', ...envelope(sid, role), content, format: 'markdown' });
const thought = (content: string, sid = S) => ev({ type: 'thought_delta', ...envelope(sid, 'assistant (thought)'), content, format: 'markdown' });
const completeThought = (content: string, sid = S) =>
  ev({ type: 'complete_thought', ...envelope(sid, 'assistant (thought)'), content, format: 'markdown' });
const interaction = (started: boolean, id: string, sid = S) => ev({ type: 'interaction', ...envelope(sid), started, id });
const completion = (running: boolean, stop: string | null = null, sid = S, tokens: [number, number] = [0, 0]) =>
  ev({ type: 'completion', ...envelope(sid), running, completion_options: {}, stop_reason: stop, input_tokens: tokens[0], output_tokens: tokens[1] });
const userMessage = (content: unknown, sid = S) =>
  ev({ type: 'anthropic_user_message', ...envelope(sid), vendor: 'anthropic', message: { role: 'user', content } });
const select = (calls: Array<[string, string, unknown?]>, sid = S) =>
  ev({ type: 'tool_select_delta', ...envelope(sid), tool_calls: calls.map(([id, name, input]) => ({ type: 'tool_use', id, name, input: input ?? {} })) });
const toolCall = (active: boolean, calls: Array<[string, string, unknown]>, results: Array<[string, unknown]> | null = null, sid = S) =>
  ev({
    type: 'tool_call',
    ...envelope(sid),
    active,
    vendor: 'anthropic',
    tool_calls: calls.map(([id, name, input]) => ({ type: 'tool_use', id, name, input })),
    tool_results: results && results.map(([id, content]) => ({ type: 'tool_result', tool_use_id: id, content })),
  });
const system = (content: string, severity = 'info', sid = S) =>
  ev({ type: 'system_message', ...envelope(sid, 'system'), content, format: 'markdown', severity });
const started = () =>
  ev({ type: 'subsession_started', ...envelope(S, 'system'), parent_session_id: S, sub_session_type: 'oneshot', sub_agent_type: 'assist', prime_agent_key: 'default', sub_agent_key: 'research_assistant' });
const ended = () => ev({ type: 'subsession_ended', ...envelope(S, 'system'), parent_session_id: S });
const historyDelta = (blocks: unknown[], sid = S) =>
  ev({ type: 'history_delta', ...envelope(sid), vendor: 'anthropic', messages: [{ role: 'assistant', content: blocks }] });
const userTurnStart = () => ev({ type: 'user_turn_start' });

function ready(id = S): Transcript {
  const t = createTranscript();
  t.apply(session(id));
  return t;
}

function applyAll(t: Transcript, events: readonly ServerEvent[]): void {
  for (const e of events) t.apply(e);
}

const kinds = (messages: readonly TranscriptMessage[]) => messages.map((m) => m.kind);

function only<K extends TranscriptMessage['kind']>(messages: readonly TranscriptMessage[], kind: K): Array<Extract<TranscriptMessage, { kind: K }>> {
  return messages.filter((m): m is Extract<TranscriptMessage, { kind: K }> => m.kind === kind);
}

function subSessionsOf(messages: readonly TranscriptMessage[]): SubSession[] {
  return only(messages, 'tool_call').flatMap((m) => [...m.subSessions]);
}

describe('normalizeStopReason', () => {
  it('maps every vendor and framework value to one vocabulary', () => {
    const table: Array<[string | null | undefined, string | null]> = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['stop', 'stop'],
      ['tool_use', 'tool_calls'],
      ['tool_calls', 'tool_calls'],
      ['max_tokens', 'length'],
      ['length', 'length'],
      ['client_cancel', 'cancelled'],
      ['content_filter', 'content_filter'],
      ['refusal', 'refusal'],
      ['pause_turn', 'pause'],
      ['exception', 'error'],
      ['overload', 'error'],
      ['something_new', 'other'],
      ['constructor', 'other'],
      ['__proto__', 'other'],
      [null, null],
      [undefined, null],
    ];
    for (const [raw, expected] of table) expect(normalizeStopReason(raw), String(raw)).toBe(expected);
  });
});

describe('routing', () => {
  it('ignores every session event before the first chat_session_changed', () => {
    const t = createTranscript();
    expect(t.apply(text('hello'))).toStrictEqual({ messagesChanged: false, streamingChanged: false });
    expect(t.sessionId).toBeNull();
    expect(t.messages).toStrictEqual([]);
    expect(t.streaming).toBeNull();
  });

  it('takes events whose session_id or user_session_id is the current session, and ignores the others', () => {
    const t = ready();
    t.apply(ev({ type: 'text_delta', session_id: 'admin-other-chat', role: 'assistant', parent_session_id: null, user_session_id: 'admin-other-chat', content: 'not ours', format: 'markdown' }));
    expect(t.streaming).toBeNull();
    t.apply(ev({ type: 'render_media', session_id: S, role: 'assistant', parent_session_id: null, user_session_id: null, content_type: 'text/markdown', content: '# Welcome' }));
    expect(kinds(t.messages)).toStrictEqual(['media']);
  });

  it('never puts an event of another session id into a top-level message, even without an open sub-session', () => {
    const t = ready();
    t.apply(text('top '));
    t.apply(text('stray sub text', SUB));
    t.apply(text('more'));
    expect(t.streaming).toMatchObject({ kind: 'assistant', text: 'top more', sessionId: S });
    t.apply(userTurnStart());
    expect(t.messages.map((m) => m.sessionId)).toStrictEqual([S]);
  });
});

describe('user messages', () => {
  it('appends the server user message when there is no local echo (string or text blocks)', () => {
    const t = ready();
    t.apply(userMessage('Hi'));
    t.apply(userMessage([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }, { type: 'text', text: 'What is this?' }]));
    expect(t.messages).toMatchObject([
      { kind: 'user', text: 'Hi', pending: false, sessionId: S },
      { kind: 'user', text: 'What is this?', pending: false },
    ]);
  });

  it('confirms the oldest pending local echo, keeping its id, instead of adding a second message', () => {
    const t = ready();
    const first = t.addLocalUserMessage('one', ['f1']);
    const second = t.addLocalUserMessage('two');
    expect(t.messages).toMatchObject([
      { id: first, kind: 'user', text: 'one', fileIds: ['f1'], pending: true },
      { id: second, kind: 'user', text: 'two', pending: true },
    ]);
    const before = t.messages;
    expect(t.apply(userMessage('one')).messagesChanged).toBe(true);
    expect(t.messages).not.toBe(before);
    expect(t.messages).toMatchObject([
      { id: first, pending: false },
      { id: second, pending: true },
    ]);
    t.apply(ev({ type: 'open_a_i_user_message', ...envelope(), vendor: 'openai', message: { role: 'user', content: 'two' } }));
    expect(t.messages).toHaveLength(2);
    expect(t.messages.every((m) => m.kind === 'user' && !m.pending)).toBe(true);
    t.apply(userMessage('three'));
    expect(t.messages).toHaveLength(3);
  });

  it('confirms the echo with the same text when an older echo was never answered (a !command), else the oldest', () => {
    const t = ready();
    const command = t.addLocalUserMessage('!preview_prompt');
    const hello = t.addLocalUserMessage('hello');
    t.apply(userMessage('hello'));
    expect(t.messages).toMatchObject([
      { id: command, pending: true },
      { id: hello, pending: false },
    ]);
    // The server's text differs (e.g. file blocks around it): the oldest echo is confirmed.
    t.apply(userMessage([{ type: 'text', text: 'extracted file text' }, { type: 'text', text: 'different' }]));
    expect(t.messages).toHaveLength(2);
    expect(t.messages[0]).toMatchObject({ id: command, pending: false, text: '!preview_prompt' });
  });

  it('keeps an echo typed before the first chat session is known, in that session', () => {
    const t = createTranscript();
    const id = t.addLocalUserMessage('early');
    t.apply(session(S, [{ role: 'user', content: 'before' }]));
    expect(t.messages).toMatchObject([{ text: 'before' }, { id, text: 'early', pending: true, sessionId: S }]);
    t.apply(userMessage('early'));
    expect(t.messages[1]).toMatchObject({ id, pending: false });
  });

  it('puts the local echo after a message that was still streaming, completing it', () => {
    const t = ready();
    t.apply(text('partial'));
    t.addLocalUserMessage('next question');
    expect(t.streaming).toBeNull();
    expect(t.messages).toMatchObject([
      { kind: 'assistant', text: 'partial', complete: true },
      { kind: 'user', text: 'next question', pending: true },
    ]);
  });

  it("gives an OpenAI user message (sent after interaction start) the interaction's id", () => {
    const t = ready();
    t.apply(interaction(true, 'calm-blue-lake'));
    t.apply(ev({ type: 'open_a_i_user_message', ...envelope(), vendor: 'openai', message: { role: 'user', content: 'Hello' } }));
    expect(t.messages[0]).toMatchObject({ kind: 'user', interactionId: 'calm-blue-lake' });
  });
});

describe('text_delta', () => {
  it('appends to the streaming message: one new streaming object per delta, messages untouched', () => {
    const t = ready();
    t.apply(interaction(true, 'calm-blue-lake'));
    const messages = t.messages;
    expect(t.apply(text('Hel'))).toStrictEqual({ messagesChanged: false, streamingChanged: true });
    const first = t.streaming;
    expect(t.apply(text('lo'))).toStrictEqual({ messagesChanged: false, streamingChanged: true });
    const second = t.streaming;
    expect(second).not.toBe(first);
    expect(first).toMatchObject({ text: 'Hel' });
    expect(second).toMatchObject({ kind: 'assistant', role: 'assistant', text: 'Hello', complete: false, interactionId: 'calm-blue-lake', format: 'markdown' });
    expect(second?.id).toBe(first?.id);
    expect(t.messages).toBe(messages);
    expect(t.messages).toStrictEqual([]);
  });

  it('starts a new message for another role, another interaction, or after a thought', () => {
    const t = ready();
    t.apply(interaction(true, 'one-one-one'));
    applyAll(t, [text('answer '), text('tool output', S, 'tool'), text('answer again')]);
    t.apply(interaction(false, 'one-one-one'));
    t.apply(interaction(true, 'two-two-two'));
    t.apply(text('second interaction'));
    t.apply(userTurnStart());
    expect(only(t.messages, 'assistant').map((m) => [m.role, m.text, m.interactionId])).toStrictEqual([
      ['assistant', 'answer ', 'one-one-one'],
      ['tool', 'tool output', 'one-one-one'],
      ['assistant', 'answer again', 'one-one-one'],
      ['assistant', 'second interaction', 'two-two-two'],
    ]);
    expect(new Set(t.messages.map((m) => m.id)).size).toBe(4);
  });

  it('never appends answer text to a thought (the old SDK defect 4A-7)', () => {
    const t = ready();
    applyAll(t, [thought('Let me think. '), thought('Done thinking.'), text('The answer.')]);
    expect(t.messages).toMatchObject([{ kind: 'thought', text: 'Let me think. Done thinking.', complete: true }]);
    expect(t.streaming).toMatchObject({ kind: 'assistant', text: 'The answer.' });
    t.apply(thought('more thinking'));
    expect(kinds(t.messages)).toStrictEqual(['thought', 'assistant']);
    expect(t.streaming).toMatchObject({ kind: 'thought', text: 'more thinking' });
  });

  it('turns the avatar bridge notice (role system, outside any interaction) into an info notice (§4.8)', () => {
    const t = ready();
    t.apply(fixtureEvent('text_delta--avatar-notice'));
    expect(t.streaming).toBeNull();
    expect(t.messages).toMatchObject([{ kind: 'system', severity: 'info', text: 'Avtar bridge connected to avatar session' }]);
  });

  it('keeps text Claude flushes after a tool selection in the message it belongs to (§7.3 step 6.3)', () => {
    const t = ready();
    applyAll(t, [
      interaction(true, 'calm-blue-lake'),
      completion(true),
      text("I'll read the README "),
      select([['toolu_1', 'workspace_read']]),
      text('first.'),
      toolCall(true, [['toolu_1', 'workspace_read', '{"path":"//p/README.md"}']]),
      completion(false, 'tool_use'),
    ]);
    expect(t.messages).toMatchObject([
      { kind: 'assistant', text: "I'll read the README first.", stopReason: 'tool_calls' },
      { kind: 'tool_call', toolCallId: 'toolu_1', status: 'running' },
    ]);
    // Once the round moved on, text is a new message again.
    applyAll(t, [toolCall(false, [['toolu_1', 'workspace_read', '{}']], [['toolu_1', 'file']]), completion(true), text('Done.')]);
    expect(t.streaming).toMatchObject({ kind: 'assistant', text: 'Done.' });
  });
});

describe('thought_delta and complete_thought', () => {
  it('completes an extended thought with complete_thought, without appending its (whole) content', () => {
    const t = ready();
    applyAll(t, [thought('The user wants '), thought('a summary.')]);
    const change = t.apply(completeThought('The user wants a summary.'));
    expect(change).toStrictEqual({ messagesChanged: true, streamingChanged: true });
    expect(t.streaming).toBeNull();
    expect(t.messages).toMatchObject([{ kind: 'thought', text: 'The user wants a summary.', complete: true }]);
  });

  it('keeps the streamed think-tool thought when complete_thought carries only the last fragment', () => {
    const t = ready();
    applyAll(t, [select([['toolu_think', 'think']]), thought('I will read the README, '), thought('then answer.'), completeThought('then answer.')]);
    expect(t.messages).toStrictEqual([expect.objectContaining({ kind: 'thought', text: 'I will read the README, then answer.', complete: true })]);
  });

  it('creates a complete thought from complete_thought when no thought was streamed, once', () => {
    const t = ready();
    t.apply(completeThought('A thought whose deltas were lost.'));
    t.apply(completeThought('A thought whose deltas were lost.'));
    expect(t.messages).toMatchObject([{ kind: 'thought', text: 'A thought whose deltas were lost.', complete: true }]);
    expect(t.messages).toHaveLength(1);
    const t2 = ready();
    expect(t2.apply(completeThought(''))).toStrictEqual({ messagesChanged: false, streamingChanged: false });
  });

  it('gives the extended thought and the think-tool thought one message each', () => {
    const t = ready();
    applyAll(t, [
      thought('Extended '),
      thought('thinking.'),
      completeThought('Extended thinking.'),
      select([['toolu_think', 'think']]),
      thought('Think tool '),
      thought('thought.'),
      completeThought('thought.'),
      select([['toolu_think', 'think', { thought: 'Think tool thought.' }], ['toolu_read', 'workspace_read']]),
    ]);
    expect(t.messages.map((m) => [m.kind, 'text' in m ? m.text : (m as { name?: string }).name])).toStrictEqual([
      ['thought', 'Extended thinking.'],
      ['thought', 'Think tool thought.'],
      ['tool_call', 'workspace_read'],
    ]);
  });
});

describe('tool calls', () => {
  it('tool_select_delta → selected, tool_call active → running (JSON text input parsed), inactive → done with result', () => {
    const t = ready();
    t.apply(fixtureEvent('tool_select_delta'));
    expect(t.messages).toMatchObject([{ kind: 'tool_call', toolCallId: 'toolu_01HvQ7mXcY3kP9sLw2RnB8Ta', name: 'workspace_read', status: 'selected', input: {}, result: null, vendor: 'anthropic', subSessions: [] }]);
    t.apply(fixtureEvent('tool_call--active'));
    expect(t.messages).toMatchObject([{ status: 'running', input: { path: '//project/README.md' } }]);
    t.apply(fixtureEvent('tool_call'));
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]).toMatchObject({ status: 'done', input: { path: '//project/README.md' } });
    expect((t.messages[0] as { result: unknown }).result).toMatch(/^# Agent C/);
  });

  it('reads the OpenAI flat call shape and matches results by tool_call_id', () => {
    const t = ready();
    t.apply(fixtureEvent('tool_call--openai'));
    expect(t.messages).toMatchObject([
      { kind: 'tool_call', toolCallId: 'call_Xy7bQ2mN4pL8sR1tV6wZ3kJd', name: 'workspace_ls', input: { path: '//project' }, status: 'done', result: 'README.md\npackage.json\nsrc/\ntest/', vendor: 'openai' },
    ]);
  });

  it('shows no tool_call message for the think tool (its thought is the message)', () => {
    const t = ready();
    t.apply(fixtureEvent('tool_call--think'));
    expect(t.messages).toStrictEqual([]);
  });

  it('keeps one message per call id however often the call is reported (the old SDK duplicated tool calls on resume)', () => {
    const t = ready();
    for (let i = 0; i < 3; i++) {
      applyAll(t, [select([['toolu_1', 'ls']]), toolCall(true, [['toolu_1', 'ls', '{"path":"/"}']]), select([['toolu_1', 'ls'], ['toolu_2', 'cat']])]);
    }
    t.apply(toolCall(false, [['toolu_1', 'ls', '{"path":"/"}'], ['toolu_2', 'cat', '{}']], [['toolu_1', 'a b'], ['toolu_2', 'text']]));
    t.apply(toolCall(true, [['toolu_1', 'ls', '{"path":"/"}']]));
    expect(only(t.messages, 'tool_call').map((m) => [m.toolCallId, m.status, m.result, m.input])).toStrictEqual([
      ['toolu_1', 'done', 'a b', { path: '/' }],
      ['toolu_2', 'done', 'text', {}],
    ]);
  });

  it('keeps the input when a later report has an empty one, and unparsable JSON text as text', () => {
    const t = ready();
    applyAll(t, [toolCall(true, [['toolu_1', 'ls', '{"path":"/"}'], ['toolu_2', 'raw', '{not json']]), select([['toolu_1', 'ls', {}]])]);
    expect(only(t.messages, 'tool_call').map((m) => m.input)).toStrictEqual([{ path: '/' }, '{not json']);
  });

  it('degrades gracefully: results without calls, calls without results, empty lists', () => {
    const t = ready();
    expect(() => applyAll(t, [toolCall(false, [], [['toolu_unknown', 'x']]), toolCall(true, [])])).not.toThrow();
    expect(t.messages).toStrictEqual([]);
    t.apply(toolCall(false, [['toolu_1', 'ls', '{}']], []));
    expect(t.messages).toMatchObject([{ toolCallId: 'toolu_1', status: 'done', result: null }]);
    // A result for a call listed earlier, reported without its call.
    t.apply(toolCall(true, [['toolu_2', 'cat', '{}']]));
    t.apply(toolCall(false, [], [['toolu_2', 'contents']]));
    expect(t.messages[1]).toMatchObject({ toolCallId: 'toolu_2', status: 'done', result: 'contents' });
  });

  it('completes a streaming text before a newly selected call, so the order is kept', () => {
    const t = ready();
    applyAll(t, [text('Let me look.'), select([['toolu_1', 'ls']])]);
    expect(kinds(t.messages)).toStrictEqual(['assistant', 'tool_call']);
    expect(t.streaming).toBeNull();
  });
});

describe('notices, media, errors and tool messages', () => {
  it('render_media → media with its fields (foreign content kept as data)', () => {
    const t = ready();
    t.apply(fixtureEvent('render_media--tool'));
    expect(t.messages).toMatchObject([
      { kind: 'media', contentType: 'text/html', foreign: true, sentByClass: 'WebTools', sentByFunction: 'fetch_page', url: null, name: null },
    ]);
    expect((t.messages[0] as { content: string }).content).toContain('page-preview');
  });

  it('system_message → a notice with its severity; the spurious voice error is dropped (§4.9)', () => {
    const t = ready();
    applyAll(t, [
      system("Voice 'voice_id='alloy' vendor='openai' description='' output_format='pcm16'' not found", 'error'),
      system("Voice 'avatar' not found", 'error'),
      fixtureEvent('system_message--warning'),
      fixtureEvent('system_message'),
    ]);
    expect(only(t.messages, 'system').map((m) => [m.severity, m.text])).toStrictEqual([
      ['error', "Voice 'avatar' not found"],
      ['warning', expect.any(String)],
      ['info', 'Interaction cancelled by user, waiting for runtime to exit..'],
    ]);
  });

  it('error → an error message (with source); message → a complete assistant message', () => {
    const t = ready();
    t.apply(fixtureEvent('error--resume'));
    t.apply(fixtureEvent('message'));
    expect(t.messages).toMatchObject([
      { kind: 'error', source: 'resume_chat_session' },
      { kind: 'assistant', role: 'tool', text: '**Workspace `project` indexed:** 42 files, 6 folders.', complete: true },
    ]);
  });

  it('a notice during a streaming answer completes the answer first, so it shows after it', () => {
    const t = ready();
    applyAll(t, [text('Half an answer'), system('Exception during Claude streaming: boom', 'error')]);
    expect(t.messages).toMatchObject([
      { kind: 'assistant', text: 'Half an answer', complete: true },
      { kind: 'system', severity: 'error' },
    ]);
  });
});

describe('interactions, completions and history_delta', () => {
  it('gives messages the interaction id of their session, and completion sets stop reason and tokens on the round\'s answer', () => {
    const t = ready();
    applyAll(t, [interaction(true, 'calm-blue-lake'), completion(true), text('Hello'), completion(false, 'end_turn', S, [4211, 187])]);
    expect(t.streaming).toBeNull();
    expect(t.messages).toStrictEqual([
      expect.objectContaining({ kind: 'assistant', text: 'Hello', complete: true, interactionId: 'calm-blue-lake', stopReason: 'stop', rawStopReason: 'end_turn', inputTokens: 4211, outputTokens: 187 }),
    ]);
  });

  it("does not put a later round's stop reason on an earlier round's answer", () => {
    const t = ready();
    applyAll(t, [interaction(true, 'i-i-i'), completion(true), text('Reading.'), completion(false, 'tool_use'), completion(true), completion(false, 'client_cancel')]);
    expect(t.messages).toMatchObject([{ kind: 'assistant', stopReason: 'tool_calls', rawStopReason: 'tool_use' }]);
  });

  it('history_delta replaces text that lost deltas, adds text that was never streamed, and leaves equal text alone', () => {
    const t = ready();
    applyAll(t, [interaction(true, 'i-i-i'), completion(true), text('Sure - '), completion(false, 'tool_use')]);
    t.apply(fixtureEvent('history_delta'));
    expect(t.messages).toMatchObject([{ kind: 'assistant', text: "Sure - I'll read the README first.", stopReason: 'tool_calls' }]);
    const before = t.messages;
    expect(t.apply(fixtureEvent('history_delta')).messagesChanged).toBe(false);
    expect(t.messages).toBe(before);

    applyAll(t, [completion(true), completion(false, 'end_turn', S, [10, 5]), historyDelta([{ type: 'thinking', thinking: 'hmm', signature: 's' }])]);
    expect(t.messages).toHaveLength(1);
    t.apply(historyDelta([{ type: 'text', text: 'All deltas lost.', citations: null }]));
    expect(t.messages[1]).toMatchObject({ kind: 'assistant', text: 'All deltas lost.', complete: true, stopReason: 'stop', interactionId: 'i-i-i' });
  });

  it('interaction end completes the streaming message of that session only', () => {
    const t = ready();
    applyAll(t, [toolCall(true, [['toolu_d', 'aa_oneshot', '{}']]), started(), text('sub text', SUB), text('top text')]);
    t.apply(interaction(false, 'x-x-x'));
    expect(t.streaming).toMatchObject({ sessionId: SUB, text: 'sub text', complete: false });
    expect(t.messages.at(-1)).toMatchObject({ kind: 'assistant', text: 'top text', complete: true });
  });

  it('user_turn_start completes everything, ends open sub-sessions and leaves running tool calls running', () => {
    const t = ready();
    applyAll(t, [toolCall(true, [['toolu_d', 'aa_oneshot', '{}']]), started(), text('sub text', SUB)]);
    t.apply(userTurnStart());
    expect(t.streaming).toBeNull();
    expect(t.messages).toMatchObject([{ kind: 'tool_call', status: 'running', subSessions: [{ ended: true, messages: [{ text: 'sub text', complete: true }] }] }]);
  });

  it('interrupt() completes the streaming message and cancels running and selected tool calls', () => {
    const t = ready();
    applyAll(t, [toolCall(true, [['toolu_1', 'ls', '{}']]), select([['toolu_2', 'cat']]), toolCall(true, [['toolu_d', 'aa_oneshot', '{}']]), started(), toolCall(true, [['toolu_s', 'ls', '{}']], null, SUB), text('partial')]);
    expect(t.interrupt()).toBe(true);
    expect(t.streaming).toBeNull();
    expect(only(t.messages, 'tool_call').map((m) => m.status)).toStrictEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(subSessionsOf(t.messages)[0]).toMatchObject({ ended: true, messages: [{ kind: 'tool_call', status: 'cancelled' }] });
    expect(t.messages.at(-1)).toMatchObject({ kind: 'assistant', text: 'partial', complete: false }); // its end never came
    expect(t.interrupt()).toBe(false);
    // A late result still arrives: the call is done after all.
    t.apply(toolCall(false, [['toolu_1', 'ls', '{}']], [['toolu_1', 'ok']]));
    expect(t.messages[0]).toMatchObject({ status: 'done', result: 'ok' });
  });
});

describe('sub-sessions (§7.10)', () => {
  it('attaches a sub-session to the running tool call and folds the sub-agent into it (the old SDK defect 4A-6)', () => {
    const t = ready();
    applyAll(t, [
      interaction(true, 'top-int-one'),
      select([['toolu_d', 'aa_oneshot']]),
      toolCall(true, [['toolu_d', 'aa_oneshot', '{"agent_key":"research_assistant"}']]),
      text('parent '),
      fixtureEvent('subsession_started'),
    ]);
    const top = t.streaming;
    const messagesBefore = t.messages;
    t.apply(userMessage('Find docs', SUB));
    t.apply(interaction(true, 'sub-int-one', SUB));
    expect(t.apply(fixtureEvent('text_delta--subsession'))).toStrictEqual({ messagesChanged: false, streamingChanged: true });
    expect(t.streaming).toMatchObject({ sessionId: SUB, interactionId: 'sub-int-one', text: 'I found three documents about the realtime bridge in //project/docs.' });
    t.apply(text('parent2'));
    expect(t.streaming).toMatchObject({ sessionId: S, text: 'parent parent2' });
    expect(t.streaming?.id).toBe(top?.id);
    t.apply(completion(false, 'end_turn', SUB, [1, 2]));
    t.apply(fixtureEvent('subsession_ended'));
    t.apply(toolCall(false, [['toolu_d', 'aa_oneshot', '{}']], [['toolu_d', 'summary']]));
    t.apply(userTurnStart());
    expect(t.messages).not.toBe(messagesBefore);
    const call = only(t.messages, 'tool_call')[0]!;
    expect(call).toMatchObject({ status: 'done', result: 'summary' });
    expect(call.subSessions).toHaveLength(1);
    expect(call.subSessions[0]).toMatchObject({
      sessionId: SUB,
      subSessionType: 'oneshot',
      subAgentType: 'assist',
      primeAgentKey: 'default',
      subAgentKey: 'research_assistant',
      ended: true,
    });
    expect(call.subSessions[0]!.messages).toMatchObject([
      { kind: 'user', text: 'Find docs', sessionId: SUB },
      { kind: 'assistant', sessionId: SUB, text: 'I found three documents about the realtime bridge in //project/docs.', stopReason: 'stop', complete: true },
    ]);
    expect(only(t.messages, 'assistant').map((m) => [m.sessionId, m.text])).toStrictEqual([[S, 'parent parent2']]);
  });

  it('nests delegations by the brackets, binding each sub-session to the first new session id', () => {
    const t = ready();
    applyAll(t, [
      toolCall(true, [['toolu_outer', 'aa_chat', '{}']]),
      started(),
      toolCall(true, [['toolu_inner', 'aa_oneshot', '{}']], null, SUB),
      started(),
      text('inner text', NESTED),
      text('outer text', SUB),
      ended(),
      toolCall(false, [['toolu_inner', 'aa_oneshot', '{}']], [['toolu_inner', 'inner result']], SUB),
      text(' more outer', SUB),
      ended(),
      text('top text'),
      userTurnStart(),
    ]);
    const outer = subSessionsOf(t.messages);
    expect(outer).toHaveLength(1);
    expect(outer[0]).toMatchObject({ sessionId: SUB, ended: true });
    const [innerCall, outerText] = outer[0]!.messages;
    expect(innerCall).toMatchObject({ kind: 'tool_call', toolCallId: 'toolu_inner', status: 'done', sessionId: SUB });
    expect(outerText).toMatchObject({ kind: 'assistant', text: 'outer text more outer', sessionId: SUB });
    const inner = (innerCall as Extract<TranscriptMessage, { kind: 'tool_call' }>).subSessions;
    expect(inner).toHaveLength(1);
    expect(inner[0]).toMatchObject({ sessionId: NESTED, ended: true, messages: [{ kind: 'assistant', text: 'inner text', sessionId: NESTED }] });
    expect(t.messages.at(-1)).toMatchObject({ kind: 'assistant', text: 'top text', sessionId: S });
  });

  it('attaches the bracket to the innermost open context even though the bracket carries the top-level id', () => {
    const t = ready();
    applyAll(t, [toolCall(true, [['toolu_top', 'aa_oneshot', '{}']]), started(), toolCall(true, [['toolu_sub', 'aa_oneshot', '{}']], null, SUB), started()]);
    const top = only(t.messages, 'tool_call');
    expect(top).toHaveLength(1);
    expect(top[0]!.subSessions).toHaveLength(1);
    const subCall = top[0]!.subSessions[0]!.messages[0] as Extract<TranscriptMessage, { kind: 'tool_call' }>;
    expect(subCall.subSessions).toHaveLength(1);
  });

  it('degrades gracefully: a bracket without a running call gets a placeholder call; an end without a start is ignored', () => {
    const t = ready();
    expect(() => t.apply(ended())).not.toThrow();
    t.apply(started());
    t.apply(text('sub', SUB));
    t.apply(ended());
    t.apply(userTurnStart());
    expect(t.messages).toMatchObject([{ kind: 'tool_call', name: '', status: 'running', subSessions: [{ sessionId: SUB, ended: true, messages: [{ text: 'sub' }] }] }]);
  });

  it('drops events of an unknown session id when no sub-session is open', () => {
    const t = ready();
    t.apply(text('lost', 'oneshot-no-bracket'));
    t.apply(userTurnStart());
    expect(t.messages).toStrictEqual([]);
  });
});

describe('chat_session_changed: resync', () => {
  it('converts the Anthropic fixture: user, thought, text, one done tool call with its result, text', () => {
    const t = createTranscript();
    const change = t.apply(fixtureEvent('chat_session_changed'));
    expect(change.messagesChanged).toBe(true);
    expect(t.sessionId).toBe(S);
    expect(kinds(t.messages)).toStrictEqual(['user', 'thought', 'assistant', 'tool_call', 'assistant']);
    const [user, thoughtMessage, first, call, last] = t.messages;
    expect(user).toMatchObject({ text: 'Can you summarize the README in the project workspace?', pending: false, sessionId: S, interactionId: null });
    expect(thoughtMessage).toMatchObject({ complete: true });
    expect((thoughtMessage as { text: string }).text).toMatch(/^The user wants a summary of the README/);
    expect(first).toMatchObject({ role: 'assistant', text: "Sure - I'll read the README first.", complete: true });
    expect(call).toMatchObject({ toolCallId: 'toolu_01HvQ7mXcY3kP9sLw2RnB8Ta', name: 'workspace_read', input: { path: '//project/README.md' }, status: 'done', vendor: 'anthropic', subSessions: [] });
    expect((call as { result: unknown }).result).toMatch(/^# Agent C/);
    expect((last as { text: string }).text).toMatch(/^The README describes \*\*Agent C\*\*/);
    expect(new Set(t.messages.map((m) => m.id)).size).toBe(5);
  });

  it('converts the OpenAI fixture: tool_calls and the tool message become one done tool call', () => {
    const t = createTranscript();
    t.apply(fixtureEvent('chat_session_changed--openai'));
    expect(t.sessionId).toBe('admin-gentle-meadow');
    expect(t.messages).toMatchObject([
      { kind: 'user', text: 'What files are in the project workspace?' },
      { kind: 'tool_call', toolCallId: 'call_Xy7bQ2mN4pL8sR1tV6wZ3kJd', name: 'workspace_ls', input: { path: '//project' }, status: 'done', result: 'README.md\npackage.json\nsrc/\ntest/', vendor: 'openai' },
      { kind: 'assistant', text: 'The project workspace contains `README.md`, `package.json` and the folders `src/` and `test/`.' },
    ]);
  });

  it("does not duplicate a resumed session's tool calls when their events arrive again", () => {
    const t = createTranscript();
    t.apply(fixtureEvent('chat_session_changed'));
    applyAll(t, [fixtureEvent('tool_select_delta'), fixtureEvent('tool_call--active'), fixtureEvent('tool_call')]);
    expect(only(t.messages, 'tool_call')).toHaveLength(1);
    expect(only(t.messages, 'tool_call')[0]).toMatchObject({ status: 'done' });
    const t2 = createTranscript();
    t2.apply(fixtureEvent('chat_session_changed--openai'));
    t2.apply(fixtureEvent('tool_call--openai'));
    expect(only(t2.messages, 'tool_call')).toHaveLength(1);
  });

  it('turns think calls of the history into thoughts, skips system messages, and keeps unanswered calls once', () => {
    const t = createTranscript();
    t.apply(
      session(S, [
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't_think', name: 'think', input: { thought: 'Plan it.' } }, { type: 'tool_use', id: 't_1', name: 'ls', input: '{"path":"/"}' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't_think', content: '' }, { type: 'tool_result', tool_use_id: 't_1', content: [{ type: 'text', text: 'x' }] }] },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'zzz' }, { type: 'text', text: 'One ' }, { type: 'text', text: 'two.' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't_2', name: 'cat', input: {} }] },
        { role: 'system', content: 'You are helpful.' },
      ]),
    );
    expect(t.messages.map((m) => [m.kind, m.kind === 'tool_call' ? `${m.toolCallId}:${m.status}` : (m as { text: string }).text])).toStrictEqual([
      ['user', 'a\n\nb'],
      ['thought', 'Plan it.'],
      ['tool_call', 't_1:done'],
      ['assistant', 'One two.'],
      ['tool_call', 't_2:done'],
    ]);
    expect(only(t.messages, 'tool_call')[0]).toMatchObject({ input: { path: '/' }, result: [{ type: 'text', text: 'x' }] });
  });

  it('replaces messages, clears the streaming message and sub-sessions when no turn is in flight', () => {
    const t = ready();
    applyAll(t, [toolCall(true, [['toolu_d', 'aa_oneshot', '{}']]), started(), text('streaming', SUB)]);
    const change = t.apply(session(S, [{ role: 'user', content: 'old' }]));
    expect(change).toStrictEqual({ messagesChanged: true, streamingChanged: true });
    expect(t.streaming).toBeNull();
    expect(t.messages).toMatchObject([{ kind: 'user', text: 'old' }]);
    t.apply(text('after resync', SUB));
    expect(t.streaming).toBeNull();
    // Another session: nothing of the previous one stays, local echoes included.
    t.addLocalUserMessage('for the old chat');
    t.apply(session('admin-other-chat'));
    expect(t.messages).toStrictEqual([]);
    expect(t.sessionId).toBe('admin-other-chat');
  });

  it('a resync of the same session while a turn is in flight (a reconnect mid-answer) keeps the turn after the history, and the answer streams on in the same message', () => {
    const t = ready();
    const echo = t.addLocalUserMessage('queued while offline');
    t.apply(userMessage('queued while offline'));
    applyAll(t, [interaction(true, 'i-1'), text('partial ')]);
    // the server's history lacks the turn in flight (§13 item 1)
    t.apply(session(S, [{ role: 'user', content: 'old' }]));
    expect(t.messages).toMatchObject([{ kind: 'user', text: 'old' }, { id: echo, text: 'queued while offline', pending: false }]);
    expect(t.streaming).toMatchObject({ kind: 'assistant', text: 'partial ' });
    t.apply(text('rest'));
    expect(t.streaming).toMatchObject({ kind: 'assistant', text: 'partial rest' });
    // an echo the server has not confirmed yet stays too
    const t2 = ready();
    const pending = t2.addLocalUserMessage('not yet confirmed');
    t2.apply(session(S, []));
    expect(t2.messages).toMatchObject([{ id: pending, pending: true }]);
  });
});

describe('odd input', () => {
  it('never throws on events with odd or missing fields', () => {
    const t = ready();
    const odd: ServerEvent[] = [
      completeThought(''),
      completion(false, 'end_turn'),
      historyDelta([]),
      ev({ type: 'history_delta', ...envelope(), vendor: 'openai', messages: [{ role: 'assistant', content: 'plain text' }] }),
      toolCall(false, [['', '', null]], [['', null]]),
      ended(),
      interaction(false, 'never-started'),
      ev({ type: 'user_message', message: { role: 'user', content: 'legacy' } }),
      ev({ type: 'history', messages: [] }),
      ev({ type: 'audio_delta', ...envelope(), id: null, content: 'AAAA' }),
      ev({ type: 'system_prompt', ...envelope(), content: '# prompt' }),
      ev({ type: 'cancelled' }),
      ev({ type: 'pong' }),
      session(S, [{ role: 'assistant', content: [{ type: 'mystery_block', foo: 1 }] }, { role: 'tool', tool_call_id: 'nope', content: 'orphan result' }]),
    ];
    for (const e of odd) expect(() => t.apply(e), e.type).not.toThrow();
    expect(t.interrupt()).toBe(false);
    // and the transcript is still consistent: the last session reset it, nothing streams, and its
    // history (only an unknown block and an orphan tool result) has nothing to show
    expect(t.sessionId).toBe(S);
    expect(t.streaming).toBeNull();
    expect(t.messages).toStrictEqual([]);
  });
});

function fixtureEvent(name: string): ServerEvent {
  return ev(fixtureObject(name));
}

// The fixtures used above must be real server frames.
it('uses fixtures that decode as events', () => {
  for (const name of ['chat_session_changed', 'chat_session_changed--openai', 'tool_call', 'subsession_started']) {
    expect(decodeServerFrame(fixture(name).text).kind).toBe('event');
  }
});
