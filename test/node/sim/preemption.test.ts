/**
 * Hard pre-emption (PROTOCOL.md §1.5 rule 6, §7.4 last paragraph): any parsed event other than
 * `ping`, `pong`, `client_wants_cancel` (and a same-session resume) kills a running interaction
 * without any closing events; frames that fail parsing do not.
 */
import { describe, expect, it } from 'vitest';
import type { SimClient } from '../../helpers/sim-client.js';
import { PROFILES, closingEvents, connectReady, kinds, startSim, useSimulators } from './harness.js';

useSimulators();

/** Pause between streamed deltas: long enough to act mid-stream, short enough to keep tests fast. */
const DELTA_MS = 30;

/** Starts an interaction and waits until its first text_delta; returns the interaction id. */
async function startStreaming(client: SimClient, text = 'Tell me a story'): Promise<string> {
  client.send({ type: 'text_input', text });
  const started = await client.waitFor((e) => e.type === 'interaction' && e.started === true, 3000, 'interaction start');
  await client.next('text_delta');
  return started.id as string;
}

describe.each(PROFILES)('pre-emption (profile %s)', (profile) => {
  it('a second text_input kills the running interaction with no closing events, then the new interaction runs to its end', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    const first = await startStreaming(client);
    client.send({ type: 'text_input', text: 'Something else' });
    const before = await client.until('user_turn_end');
    expect(closingEvents(before), 'closing events of the killed interaction').toStrictEqual([]);
    expect(before.every((e) => e.type === 'text_delta' || e.type === 'user_turn_end'), kinds(before).join(',')).toBe(true);
    const second = await client.until('user_turn_start', 5000);
    expect(kinds(second).slice(0, 3)).toStrictEqual(['chat_session_added', 'anthropic_user_message', 'interaction:start']);
    const ids = second.filter((e) => e.type === 'interaction').map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toBe(first);
    expect(kinds(second).slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
    // Nothing of the first interaction follows either.
    expect(await client.sync()).toStrictEqual([]);
  });

  it('get_voices during an interaction kills it: voice_list follows with no closing events, and nothing after it', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client, uiSessionId } = await connectReady(sim);
    await startStreaming(client);
    client.send({ type: 'get_voices' });
    const before = await client.until('voice_list');
    expect(closingEvents(before)).toStrictEqual([]);
    expect(await client.sync(), 'events after the reply').toStrictEqual([]);
    expect(sim.control.uiSessions().find((s) => s.uiSessionId === uiSessionId)?.interactionRunning).toBe(false);
  });

  it('an empty text_input during an interaction kills it silently: no events of its own, no closing events', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client, uiSessionId } = await connectReady(sim);
    await startStreaming(client);
    client.send({ type: 'text_input', text: '  ' });
    const before = await client.sync();
    expect(before.every((e) => e.type === 'text_delta'), kinds(before).join(',')).toBe(true);
    expect(await client.sync()).toStrictEqual([]);
    expect(sim.control.uiSessions().find((s) => s.uiSessionId === uiSessionId)?.interactionRunning).toBe(false);
  });

  it('a !command during an interaction kills it: only the command reply follows', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    await startStreaming(client);
    client.send({ type: 'text_input', text: '!help' });
    const before = await client.sync();
    expect(closingEvents(before)).toStrictEqual([]);
    expect(before.filter((e) => e.type !== 'text_delta').map((e) => [e.type, e.severity])).toStrictEqual([['system_message', 'info']]);
    expect(await client.sync()).toStrictEqual([]);
  });

  it('an unknown event type during an interaction kills it (the warning follows, nothing else)', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    await startStreaming(client);
    client.send({ type: 'list_workspaces' });
    const before = await client.sync();
    expect(closingEvents(before)).toStrictEqual([]);
    expect(before.filter((e) => e.type !== 'text_delta').map((e) => e.type)).toStrictEqual(['system_message']);
    expect(await client.sync()).toStrictEqual([]);
  });

  const preempting: ReadonlyArray<Record<string, unknown> & { type: string }> = [
    { type: 'audio_input_delta', content: Buffer.alloc(32).toString('base64') },
    { type: 'set_session_metadata', meta: { k: 'v' } },
    { type: 'get_user_sessions' },
    { type: 'set_voice_input_mode', mode: 'vad' },
    ...(profile === 'agentc' ? [{ type: 'ptt_start' }] : []),
  ];
  it.each(preempting.map((event) => [event.type, event] as const))('%s during an interaction pre-empts it silently (§3.1)', async (_type, event) => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client, uiSessionId } = await connectReady(sim);
    await startStreaming(client);
    client.send(event);
    const before = await client.sync();
    expect(closingEvents(before), kinds(before).join(',')).toStrictEqual([]);
    expect(await client.sync(), 'nothing of the interaction after the reply').toStrictEqual([]);
    expect(sim.control.uiSessions().find((s) => s.uiSessionId === uiSessionId)?.interactionRunning).toBe(false);
  });

  it('ping during an interaction does not pre-empt: pong, then the interaction ends normally', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    const id = await startStreaming(client);
    await client.sync();
    const rest = await client.until('user_turn_start', 5000);
    expect(kinds(rest)).toContain('completion:end');
    expect(rest.find((e) => e.type === 'interaction' && e.started === false)?.id).toBe(id);
  });

  it('pong during an interaction does not pre-empt: the warning, then the interaction ends normally', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    const id = await startStreaming(client);
    client.send({ type: 'pong' });
    const rest = await client.until('user_turn_start', 5000);
    expect(rest.some((e) => e.type === 'system_message' && e.severity === 'warning')).toBe(true);
    expect(rest.find((e) => e.type === 'interaction' && e.started === false)?.id).toBe(id);
  });

  it('frames that fail parsing (invalid JSON, no type, schema-invalid) do not pre-empt', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    const id = await startStreaming(client);
    client.sendRaw('not json');
    client.sendRaw('{"no_type": true}');
    client.send({ type: 'set_agent', agent_key: 5 });
    client.send({ type: 'text_input', text: 42 });
    const rest = await client.until('user_turn_start', 5000);
    expect(rest.filter((e) => e.type === 'error')).toHaveLength(4);
    expect(rest.find((e) => e.type === 'interaction' && e.started === false)?.id).toBe(id);
    expect(kinds(rest).slice(-2)).toStrictEqual(['chat_session_added', 'user_turn_start']);
  });

  it('a binary frame during an interaction does not pre-empt', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    const id = await startStreaming(client);
    client.sendRaw(Buffer.alloc(960));
    const rest = await client.until('user_turn_start', 5000);
    expect(rest.find((e) => e.type === 'interaction' && e.started === false)?.id).toBe(id);
  });

  it('resume_chat_session for the current session during an interaction only re-sends chat_session_changed and does not pre-empt', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client, chatSessionId } = await connectReady(sim);
    const id = await startStreaming(client);
    client.send({ type: 'resume_chat_session', session_id: chatSessionId });
    const rest = await client.until('user_turn_start', 5000);
    const changed = rest.filter((e) => e.type === 'chat_session_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]?.chat_session.session_id).toBe(chatSessionId);
    expect(rest.some((e) => e.type === 'system_message')).toBe(false);
    expect(rest.find((e) => e.type === 'interaction' && e.started === false)?.id).toBe(id);
  });
});
