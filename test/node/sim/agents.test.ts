/**
 * The scripted agents' interaction sequences (PROTOCOL.md §7.3, §5.2, §7.10) with their envelopes
 * (§1.6). Exact text is seeded and not part of the contract; types, order, envelopes and ids are.
 */
import { describe, expect, it } from 'vitest';
import type { Ev } from '../../helpers/sim-client.js';
import { CLAUDE_CLOSING, CLAUDE_OPENING, DEFAULT_SEQUENCE, PROFILES, collapse, connectReady, interact, kinds, slug, startSim, useSimulators } from './harness.js';

useSimulators();

const SUB_SESSION = /^oneshot-[A-Za-z]+-[A-Za-z]+$/;

/** The §1.6 envelope of a top-level session event of chat session `u`. */
function expectTopLevel(events: readonly Ev[], u: string): void {
  for (const e of events) {
    if (!('session_id' in e)) continue;
    expect(e.session_id, `${e.type}.session_id`).toBe(u);
    expect(e.parent_session_id, `${e.type}.parent_session_id`).toBeNull();
    expect([u, null], `${e.type}.user_session_id`).toContain(e.user_session_id);
  }
}

function expectRoles(events: readonly Ev[]): void {
  const roles: Record<string, string> = {
    anthropic_user_message: 'assistant',
    open_a_i_user_message: 'assistant',
    interaction: 'assistant',
    system_prompt: 'assistant',
    completion: 'assistant',
    text_delta: 'assistant',
    history_delta: 'assistant',
    thought_delta: 'assistant (thought)',
    complete_thought: 'assistant (thought)',
    subsession_started: 'system',
    subsession_ended: 'system',
  };
  for (const e of events) {
    const role = roles[e.type];
    if (role !== undefined) expect(e.role, `${e.type}.role`).toBe(role);
  }
}

const joined = (events: readonly Ev[], type: string) =>
  events
    .filter((e) => e.type === type)
    .map((e) => e.content as string)
    .join('');

function expectIndexEntry(entry: Record<string, unknown>, u: string): void {
  expect(Object.keys(entry).sort()).toStrictEqual(['agent_key', 'agent_name', 'created_at', 'session_id', 'session_name', 'updated_at', 'user_id']);
  expect(entry.session_id).toBe(u);
  expect(entry.user_id).toBe('admin');
}

describe.each(PROFILES)('scripted agents (profile %s)', (profile) => {
  it('default: one LLM round in the §7.3 order with the documented fields', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: u } = await connectReady(sim);
    const events = await interact(client, 'Hello there');
    expect(collapse(kinds(events))).toStrictEqual(DEFAULT_SEQUENCE);
    expect(events.filter((e) => e.type === 'text_delta').length, 'several text deltas').toBeGreaterThan(1);
    expectTopLevel(events, u);
    expectRoles(events);

    expect(events[0]).toStrictEqual({ type: 'user_turn_end' });
    expect(events[events.length - 1]).toStrictEqual({ type: 'user_turn_start' });
    for (const added of events.filter((e) => e.type === 'chat_session_added')) expectIndexEntry(added.chat_session, u);
    expect(events.find((e) => e.type === 'chat_session_added')?.chat_session.agent_key).toBe('default');

    const user = events.find((e) => e.type === 'anthropic_user_message')!;
    expect(user.vendor).toBe('anthropic');
    expect(user.message).toStrictEqual({ role: 'user', content: 'Hello there' });

    const [start, end] = events.filter((e) => e.type === 'interaction');
    expect(start?.id).toMatch(slug(3));
    expect(end?.id).toBe(start?.id);

    expect(typeof events.find((e) => e.type === 'system_prompt')?.content).toBe('string');
    const [running, done] = events.filter((e) => e.type === 'completion');
    expect(running).toMatchObject({ running: true, stop_reason: null, input_tokens: 0, output_tokens: 0 });
    expect(typeof running?.completion_options?.model).toBe('string');
    expect(typeof running?.completion_options?.system).toBe('string');
    expect(running?.completion_options).toHaveProperty('max_tokens');
    expect(running?.completion_options).toHaveProperty('temperature');
    expect(running?.completion_options).not.toHaveProperty('messages');
    expect(done).toMatchObject({ running: false, completion_options: {}, stop_reason: 'end_turn' });
    expect(done?.input_tokens).toBeGreaterThan(0);
    expect(done?.output_tokens).toBeGreaterThan(0);

    for (const delta of events.filter((e) => e.type === 'text_delta')) expect(delta.format).toBe('markdown');
    const history = events.find((e) => e.type === 'history_delta')!;
    expect(history.vendor).toBe('anthropic');
    expect(history.messages).toHaveLength(1);
    expect(history.messages[0].role).toBe('assistant');
    expect(history.messages[0].content).toHaveLength(1);
    expect(history.messages[0].content[0]).toMatchObject({ type: 'text', text: joined(events, 'text_delta') });
  });

  it('default: Claude text is batched: the first delta of a block goes out alone (one token), every later one but the last carries at least 50 characters (§13 item 9)', async () => {
    const sim = await startSim({ profile, deltaMs: 0 });
    const { client } = await connectReady(sim);
    const events = await interact(client, 'Tell me about batching');
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => e.content as string);
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas[0]).toMatch(/^\S+$/);
    const short = deltas.slice(1, -1).filter((d) => d.length < 50);
    expect(short, `later deltas shorter than 50 characters (of ${deltas.length})`).toStrictEqual([]);
  });

  it('serializes like Python json.dumps: non-ASCII characters are escaped as \\uXXXX (§1.4)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    const events = await interact(client, 'Grüße, 東京 ✓');
    expect(events.find((e) => e.type === 'anthropic_user_message')?.message.content).toBe('Grüße, 東京 ✓');
    const raw = sim.control.frames.find((f) => f.direction === 'out' && f.text?.includes('anthropic_user_message'))!.text!;
    expect(raw).toContain('Gr\\u00fc\\u00dfe, \\u6771\\u4eac \\u2713');
    const nonAscii = sim.control.frames.filter((f) => f.direction === 'out' && f.kind === 'text' && /[^\x00-\x7f]/.test(f.text ?? ''));
    expect(nonAscii).toStrictEqual([]);
  });

  it('thinker: thought_delta*, complete_thought with the whole thought, then text; history_delta has a thinking and a text block', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: u } = await connectReady(sim, { agentKey: 'thinker' });
    const events = await interact(client, 'Think hard');
    expect(collapse(kinds(events))).toStrictEqual([
      ...CLAUDE_OPENING,
      'thought_delta',
      'complete_thought',
      'text_delta',
      ...CLAUDE_CLOSING,
    ]);
    expectTopLevel(events, u);
    expectRoles(events);
    const thought = joined(events, 'thought_delta');
    expect(thought.length).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'complete_thought')?.content).toBe(thought);
    const history = events.find((e) => e.type === 'history_delta')!;
    expect(history.messages).toHaveLength(1);
    const content = history.messages[0].content as Array<Record<string, unknown>>;
    expect(content.map((b) => b.type)).toStrictEqual(['thinking', 'text']);
    expect(content[0]?.thinking).toBe(thought);
    expect(content[1]?.text).toBe(joined(events, 'text_delta'));
  });

  it('tool_user: think tool + workspace_read round (tool_call active lists only the non-think call with a string input), tools run, then a text round', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: u } = await connectReady(sim, { agentKey: 'tool_user' });
    const events = await interact(client, 'Read the workspace');
    // A system_prompt may be re-sent between rounds if the prompt changed (§7.3 6.7).
    const names = collapse(kinds(events));
    const doneAt = names.indexOf('tool_call:done');
    if (names[doneAt + 1] === 'system_prompt') names.splice(doneAt + 1, 1);
    expect(names).toStrictEqual([
      ...CLAUDE_OPENING,
      'tool_select_delta',
      'thought_delta',
      'complete_thought',
      'tool_select_delta',
      'tool_call:active',
      'completion:end',
      'render_media',
      'tool_call:done',
      'completion:start',
      'text_delta',
      ...CLAUDE_CLOSING,
    ]);
    expectTopLevel(events, u);
    expectRoles(events);

    const selects = events.filter((e) => e.type === 'tool_select_delta');
    expect(selects[0]?.tool_calls.map((c: Ev) => c.name)).toStrictEqual(['think']);
    expect(selects[1]?.tool_calls.map((c: Ev) => c.name)).toStrictEqual(['think', 'workspace_read']);

    const thoughts = events.filter((e) => e.type === 'thought_delta');
    expect(events.find((e) => e.type === 'complete_thought')?.content, 'complete_thought = last fragment only').toBe(thoughts[thoughts.length - 1]?.content);

    const active = events.find((e) => e.type === 'tool_call' && e.active === true)!;
    expect(active.vendor).toBe('anthropic');
    expect(active.tool_calls).toHaveLength(1);
    expect(active.tool_calls[0]).toMatchObject({ type: 'tool_use', name: 'workspace_read' });
    expect(typeof active.tool_calls[0].id).toBe('string');
    expect(typeof active.tool_calls[0].input, 'input is a JSON string').toBe('string');
    expect(() => JSON.parse(active.tool_calls[0].input as string)).not.toThrow();

    const [round1] = events.filter((e) => e.type === 'completion' && e.running === false);
    expect(round1).toMatchObject({ stop_reason: 'tool_use', completion_options: {} });

    const media = events.find((e) => e.type === 'render_media')!;
    expect(media).toMatchObject({ role: 'tool', sent_by_class: 'WorkspaceTools', sent_by_function: 'workspace_read', session_id: u });

    const done = events.find((e) => e.type === 'tool_call' && e.active === false)!;
    expect(done.vendor).toBe('anthropic');
    expect(done.tool_calls.map((c: Ev) => c.name)).toStrictEqual(['think', 'workspace_read']);
    const [think, read] = done.tool_calls as Ev[];
    expect(typeof think?.input).toBe('object');
    expect(typeof read?.input).toBe('string');
    expect(read?.input).toBe(active.tool_calls[0].input);
    expect(read?.id).toBe(active.tool_calls[0].id);
    expect(done.tool_results).toHaveLength(2);
    expect(done.tool_results.map((r: Ev) => [r.type, r.tool_use_id])).toStrictEqual([
      ['tool_result', think?.id],
      ['tool_result', read?.id],
    ]);

    const ends = events.filter((e) => e.type === 'completion' && e.running === false);
    expect(ends.map((e) => e.stop_reason)).toStrictEqual(['tool_use', 'end_turn']);
    const history = events.filter((e) => e.type === 'history_delta');
    expect(history).toHaveLength(1);
    expect(JSON.stringify(history[0]?.messages)).not.toContain('tool_use');
  });

  it('delegator: a oneshot sub-session bracketed by subsession_started/ended with the §7.10 routing fields, then the final round', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: u } = await connectReady(sim, { agentKey: 'delegator' });
    const events = await interact(client, 'Research this for me');
    const startAt = events.findIndex((e) => e.type === 'subsession_started');
    const endAt = events.findIndex((e) => e.type === 'subsession_ended');
    expect(startAt).toBeGreaterThan(0);
    expect(endAt).toBeGreaterThan(startAt);

    const nested = events.slice(startAt + 1, endAt);
    const outer = [...events.slice(0, startAt + 1), ...events.slice(endAt)];
    expect(events.filter((e) => 'session_id' in e && e.session_id !== u), 'all sub-session events are inside the bracket').toStrictEqual(nested);
    expectTopLevel(outer.filter((e) => e.type !== 'subsession_started' && e.type !== 'subsession_ended'), u);
    expectRoles(events);

    // The parent, around the bracket.
    const before = kinds(events.slice(0, startAt));
    expect(before.slice(0, 6)).toStrictEqual(CLAUDE_OPENING);
    expect(before.slice(-3)).toStrictEqual(['tool_call:active', 'completion:end', 'system_message']);
    const names = collapse(kinds(events.slice(endAt)));
    if (names[3] === 'system_prompt') names.splice(3, 1);
    expect(names).toStrictEqual([
      'subsession_ended',
      'system_message',
      'tool_call:done',
      'completion:start',
      'text_delta',
      ...CLAUDE_CLOSING,
    ]);
    const notices = events.filter((e) => e.type === 'system_message');
    expect(notices.map((e) => e.severity)).toStrictEqual(['info', 'info']);
    expect(notices[0]?.content).toMatch(/^Oneshot interaction started by /);
    expect(notices[1]?.content).toMatch(/^Oneshot interaction complete between /);

    // The bracket.
    const envelope = { session_id: u, parent_session_id: u, user_session_id: u, role: 'system' };
    expect(events[startAt]).toMatchObject({
      ...envelope,
      sub_session_type: 'oneshot',
      sub_agent_type: 'assist',
      prime_agent_key: 'delegator',
      sub_agent_key: 'research_assistant',
    });
    expect(events[endAt]).toMatchObject(envelope);

    // The sub-agent.
    expect(collapse(kinds(nested))).toStrictEqual([
      'anthropic_user_message',
      'interaction:start',
      'system_prompt',
      'completion:start',
      'text_delta',
      'completion:end',
      'interaction:end',
    ]);
    const s = nested[0]?.session_id as string;
    expect(s).toMatch(SUB_SESSION);
    for (const e of nested) {
      expect(e, e.type).toMatchObject({ session_id: s, user_session_id: u, parent_session_id: u, role: 'assistant' });
    }
    const [subStart, subEnd] = nested.filter((e) => e.type === 'interaction');
    const [parentStart, parentEnd] = outer.filter((e) => e.type === 'interaction');
    expect(subEnd?.id).toBe(subStart?.id);
    expect(parentEnd?.id).toBe(parentStart?.id);
    expect(subStart?.id).not.toBe(parentStart?.id);
    expect(events.some((e) => e.type === 'history_delta' && e.session_id === s), 'sub-agent history is not forwarded').toBe(false);

    const done = events.find((e) => e.type === 'tool_call' && e.active === false)!;
    expect(done.tool_results).toHaveLength(done.tool_calls.length);
  });

  it('showcase: thinking, the think tool, workspace_read with render_media, a delegation and a final answer in one interaction', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: u } = await connectReady(sim, { agentKey: 'showcase' });
    const events = await interact(client, 'Show me everything');
    const top = events.filter((e) => !('session_id' in e) || e.session_id === u);
    const interactions = top.filter((e) => e.type === 'interaction');
    expect(kinds(interactions)).toStrictEqual(['interaction:start', 'interaction:end']);
    expect(interactions[0]?.id).toBe(interactions[1]?.id);
    expectRoles(events);

    // Extended thinking: the first complete_thought repeats the thought deltas before it.
    const firstComplete = events.findIndex((e) => e.type === 'complete_thought');
    expect(firstComplete).toBeGreaterThan(0);
    expect(events[firstComplete]?.content).toBe(joined(events.slice(0, firstComplete), 'thought_delta'));

    expect(events.some((e) => e.type === 'tool_select_delta' && e.tool_calls.some((c: Ev) => c.name === 'think'))).toBe(true);
    expect(events.some((e) => e.type === 'render_media' && e.role === 'tool' && e.sent_by_function === 'workspace_read')).toBe(true);
    const subStart = events.findIndex((e) => e.type === 'subsession_started');
    const subEnd = events.findIndex((e) => e.type === 'subsession_ended');
    expect(subStart).toBeGreaterThan(0);
    expect(subEnd).toBeGreaterThan(subStart);
    expect(events.slice(subStart + 1, subEnd).some((e) => typeof e.session_id === 'string' && SUB_SESSION.test(e.session_id))).toBe(true);

    const topCompletions = top.filter((e) => e.type === 'completion');
    expect(topCompletions.filter((e) => e.running).length).toBe(topCompletions.filter((e) => !e.running).length);
    const stops = topCompletions.filter((e) => !e.running).map((e) => e.stop_reason);
    expect(stops.slice(0, -1).every((r) => r === 'tool_use')).toBe(true);
    expect(stops[stops.length - 1]).toBe('end_turn');
    expect(collapse(kinds(events)).slice(-6)).toStrictEqual(['text_delta', 'completion:end', 'history_delta', 'interaction:end', 'chat_session_added', 'user_turn_start']);
  });

  it('failing: text deltas, then system_message error "Exception during Claude streaming: …"; no completion end, no interaction end; then chat_session_added, user_turn_start', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: u } = await connectReady(sim, { agentKey: 'failing' });
    const events = await interact(client, 'Please fail');
    expect(collapse(kinds(events))).toStrictEqual([
      ...CLAUDE_OPENING,
      'text_delta',
      'system_message',
      'chat_session_added',
      'user_turn_start',
    ]);
    expectTopLevel(events, u);
    const failure = events.find((e) => e.type === 'system_message')!;
    expect(failure.severity).toBe('error');
    expect(failure.content).toMatch(/^Exception during Claude streaming:/);
  });

  it('crashing: text deltas, then error "Error in agent_runtime.chat: …" with a Python traceback, then user_turn_start; no interaction end', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim, { agentKey: 'crashing' });
    const events = await interact(client, 'Please crash');
    const names = collapse(kinds(events));
    expect(names.slice(0, 7)).toStrictEqual([...CLAUDE_OPENING, 'text_delta']);
    expect(names.slice(-2)).toStrictEqual(['error', 'user_turn_start']);
    expect(names).not.toContain('interaction:end');
    expect(names).not.toContain('completion:end');
    const error = events.find((e) => e.type === 'error')!;
    expect(error.message).toMatch(/^Error in agent_runtime\.chat:/);
    expect(error.message).toContain('Traceback (most recent call last)');
    expect(error.source).toBeNull();
  });

  it('firehose: as many text_delta frames as the first integer in the message, then the normal end', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim, { agentKey: 'firehose' });
    const events = await interact(client, 'Send 250 deltas, then 7 more', 10_000);
    expect(events.filter((e) => e.type === 'text_delta')).toHaveLength(250);
    expect(collapse(kinds(events)).slice(-6)).toStrictEqual(['text_delta', 'completion:end', 'history_delta', 'interaction:end', 'chat_session_added', 'user_turn_start']);
  });

  it('firehose: the firehoseDeltas option (default 1000) when the message names no number', async () => {
    const small = await startSim({ profile, firehoseDeltas: 17 });
    const a = await connectReady(small, { agentKey: 'firehose' });
    expect((await interact(a.client, 'go')).filter((e) => e.type === 'text_delta')).toHaveLength(17);
    const big = await startSim({ profile });
    const b = await connectReady(big, { agentKey: 'firehose' });
    expect((await interact(b.client, 'go', 10_000)).filter((e) => e.type === 'text_delta')).toHaveLength(1000);
  });

  it('gpt: an OpenAI session; interaction starts before open_a_i_user_message, no tool_select_delta, no completion end', async () => {
    const sim = await startSim({ profile });
    const { client, burst, chatSessionId: u } = await connectReady(sim, { agentKey: 'gpt' });
    const session = burst.find((e) => e.type === 'chat_session_changed')!.chat_session;
    expect(session.vendor).toBe('openai');
    expect(session.agent_config.model_id).toBe('gpt-4o');
    const events = await interact(client, 'Hi GPT');
    const names = kinds(events);
    expect(names.slice(0, 4)).toStrictEqual(['user_turn_end', 'chat_session_added', 'interaction:start', 'open_a_i_user_message']);
    expect(names.slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
    expect(names).toContain('text_delta');
    expect(names).not.toContain('anthropic_user_message');
    expect(names).not.toContain('tool_select_delta');
    expect(names).not.toContain('completion:end');
    expectTopLevel(events, u);
    expectRoles(events);
    const user = events.find((e) => e.type === 'open_a_i_user_message')!;
    expect(user.vendor).toBe('openai');
    expect(user.message).toStrictEqual({ role: 'user', content: 'Hi GPT' });
    const [start, end] = events.filter((e) => e.type === 'interaction');
    expect(end?.id).toBe(start?.id);
  });
});
