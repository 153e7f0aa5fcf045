/**
 * Server-side dispatch rules (PROTOCOL.md §1.5), ping/pong (§1.7), chat commands and empty input (§4.2).
 */
import { describe, expect, it } from 'vitest';
import { PROFILES, connectReady, startSim, useSimulators } from './harness.js';

useSimulators();

const WORKSPACE_ENTRY = { name: 'ws', path_or_bucket: '/srv/ws', description: 'a workspace', type: 'local', read_only: false, prefix: '' };

/** Parsed-but-unhandled or unknown types that get the warning in both profiles (§3.1, §4.22). */
const UNHANDLED_BOTH: ReadonlyArray<Record<string, unknown> & { type: string }> = [
  { type: 'totally_unknown_event' },
  { type: 'add_workspace', entry: WORKSPACE_ENTRY },
  { type: 'remove_workspace', name: 'ws' },
  { type: 'list_workspaces' },
  { type: 'pong' },
  { type: 'clear_avatar_session', session_id: 'x' },
];

/** Names the `full` profile handles but the real server does not (§4.21, §7.5). */
const UNHANDLED_AGENTC_ONLY: ReadonlyArray<Record<string, unknown> & { type: string }> = [
  { type: 'ptt_start' },
  { type: 'ptt_end' },
  { type: 'set_voice_input_mode', mode: 'vad' },
];

describe.each(PROFILES)('dispatch (profile %s)', (profile) => {
  it('answers ping with exactly {"type":"pong"}', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'ping' });
    const pong = await client.next('pong');
    expect(pong).toStrictEqual({ type: 'pong' });
  });

  it('ignores extra fields: a ping with extra fields still gets a pong and nothing else', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'ping', extra: 1, more: { a: [1] } });
    client.send({ type: 'ping' });
    await client.next('pong');
    await client.next('pong');
    expect(client.take()).toStrictEqual([]);
    expect(client.events.filter((e) => e.type !== 'pong').length).toBe(9);
  });

  it('answers text that is not JSON with error "Invalid JSON received", source null (rule 2)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.sendRaw('{"type": "ping"');
    expect(await client.sync()).toStrictEqual([{ type: 'error', message: 'Invalid JSON received', source: null }]);
  });

  it("answers an object without type with error \"Error processing event: Event must have a 'type' field\" (rule 3)", async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.sendRaw(JSON.stringify({ text: 'hello' }));
    expect(await client.sync()).toStrictEqual([
      { type: 'error', message: "Error processing event: Event must have a 'type' field", source: null },
    ]);
  });

  it('answers JSON that is not an object with an "Error processing event: " error (rule 3)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    for (const text of ['[1, 2]', '42', '"ping"']) {
      client.sendRaw(text);
      const events = await client.sync();
      expect(events, text).toHaveLength(1);
      expect(events[0]?.type).toBe('error');
      expect(events[0]?.message).toMatch(/^Error processing event: /);
      expect(events[0]?.source).toBeNull();
    }
  });

  const unhandled = profile === 'agentc' ? [...UNHANDLED_BOTH, ...UNHANDLED_AGENTC_ONLY] : UNHANDLED_BOTH;
  it.each(unhandled.map((event) => [event.type, event] as const))(
    'answers %s with the warning system_message "RealtimeBridge did not handle event type: <type>." (rule 4, §4.22)',
    async (type, event) => {
      const sim = await startSim({ profile });
      const { client, chatSessionId } = await connectReady(sim);
      client.send(event);
      const events = await client.sync();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'system_message',
        severity: 'warning',
        content: `RealtimeBridge did not handle event type: ${type}.`,
        format: 'markdown',
        role: 'system',
        session_id: chatSessionId,
      });
    },
  );

  it('answers a schema-invalid set_agent {agent_key: 5} with "Error processing event: 1 validation error for SetAgentEvent…", source null (rule 5)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_agent', agent_key: 5 });
    const events = await client.sync();
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('error');
    expect(events[0]?.message).toMatch(/^Error processing event: 1 validation error for SetAgentEvent/);
    expect(events[0]?.source).toBeNull();
  });

  it('answers a set_agent without agent_key with a SetAgentEvent validation error (rule 5)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_agent' });
    const events = await client.sync();
    expect(events).toHaveLength(1);
    expect(events[0]?.message).toMatch(/^Error processing event: 1 validation error for SetAgentEvent/);
  });

  it('answers set_voice_input_mode with a mode outside ptt|vad|realtime with a validation error (§4.21)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_voice_input_mode', mode: 'shouting' });
    const events = await client.sync();
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('error');
    expect(events[0]?.message).toMatch(/^Error processing event: .*validation error/);
  });

  it('answers a binary frame with nothing (§1.4, §8.1)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.sendRaw(Buffer.alloc(4096));
    expect(await client.sync()).toStrictEqual([]);
  });

  it('reports the microphone audio it received per UI session (frames, samples, RMS, zero crossings; not protocol)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    // 2,400 samples of a 1 kHz square wave at 24 kHz, amplitude 0.25: RMS 0.25, 2 crossings a period
    const pcm = new Int16Array(2400).map((_, i) => (Math.floor(i / 12) % 2 === 0 ? 8192 : -8192));
    client.sendRaw(Buffer.from(pcm.buffer));
    client.sendRaw(Buffer.from(pcm.buffer));
    await client.sync();
    const [session] = sim.control.uiSessions();
    expect(session?.audioIn.frames).toBe(2);
    expect(session?.audioIn.samples).toBe(4800);
    expect(session?.audioIn.rms).toBeCloseTo(0.25, 6);
    expect(session?.audioIn.zeroCrossings).toBe(399); // 200 periods, the first sample not a crossing
  });

  it('answers a binary frame with an odd byte count with "Error processing event: buffer size must be a multiple of element size" (§8.1)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.sendRaw(Buffer.alloc(4095));
    const events = await client.sync();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', message: 'Error processing event: buffer size must be a multiple of element size', source: null });
  });

  it('answers audio_input_delta with nothing (§4.20)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'audio_input_delta', content: Buffer.alloc(64).toString('base64'), content_type: 'audio/L16' });
    expect(await client.sync()).toStrictEqual([]);
  });

  it('ignores an empty or blank text_input silently: no events at all (§4.2)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'text_input', text: '' });
    client.send({ type: 'text_input', text: '   \n\t ' });
    expect(await client.sync()).toStrictEqual([]);
  });

  it('answers !help with one info system_message listing commands and no turn events (§4.2)', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'text_input', text: '!help' });
    const events = await client.sync();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'system_message', severity: 'info', session_id: chatSessionId });
    expect(events[0]?.content).toContain('!help');
  });

  it('answers an unknown command with error system_message "Unknown command: !x", the word lower-cased (§4.2)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'text_input', text: '!x' });
    client.send({ type: 'text_input', text: '!BoGus arg' });
    const events = await client.sync();
    expect(events.map((e) => [e.type, e.severity, e.content])).toStrictEqual([
      ['system_message', 'error', 'Unknown command: !x'],
      ['system_message', 'error', 'Unknown command: !bogus'],
    ]);
  });

  it('treats "!…" containing a newline as a normal message, not a command (§4.2)', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'text_input', text: '!nope\nreally a message' });
    const events = await client.until('user_turn_start');
    expect(events[0]?.type).toBe('user_turn_end');
    expect(events.some((e) => e.type === 'interaction')).toBe(true);
  });
});
