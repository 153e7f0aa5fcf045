/**
 * Voice: what profile `full` adds (voice input modes, push-to-talk, VAD, TTS audio out) and what
 * profile `agentc` does instead (PROTOCOL.md §4.21, §7.5, §8: warnings, audio accepted and
 * dropped, no binary frame ever sent).
 */
import { describe, expect, it } from 'vitest';
import { chunks, pcmSilence, pcmTone, type Ev, type SimClient } from '../../helpers/sim-client.js';
import { DEFAULT_SEQUENCE, collapse, connectReady, interact, kinds, poll, startSim, useSimulators } from './harness.js';

useSimulators();

const RATE = 24_000;
const LOUD = 0.3;
const VOICE_TEXT = /^Voice message \((\d+\.\d) s\)$/;

function sendAudio(client: SimClient, ...parts: Buffer[]): void {
  for (const chunk of chunks(Buffer.concat(parts))) client.sendRaw(chunk);
}

function voiceSeconds(events: readonly Ev[]): number {
  const content = events.find((e) => e.type === 'anthropic_user_message')?.message?.content as unknown;
  expect(typeof content).toBe('string');
  const match = VOICE_TEXT.exec(content as string);
  expect(match, `"${String(content)}" is "Voice message (<s.s> s)"`).not.toBeNull();
  return Number(match![1]);
}

/** Waits until no binary frame has arrived for `quietMs` (audio is paced in real time). */
async function audioDone(client: SimClient, quietMs = 400, timeoutMs = 15_000): Promise<void> {
  const last = () => {
    for (let i = client.received.length - 1; i >= 0; i--) {
      const frame = client.received[i]!;
      if (frame.kind === 'binary') return frame.at;
    }
    return undefined;
  };
  await poll(() => {
    const at = last();
    return at !== undefined && performance.now() - at > quietMs;
  }, 'the audio stopped', timeoutMs, 20);
}

describe('profile full: voice input', () => {
  it.each(['ptt', 'vad', 'realtime'])('set_voice_input_mode %s answers voice_input_supported {modes, mode}', async (mode) => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_voice_input_mode', mode });
    expect(await client.sync()).toStrictEqual([{ type: 'voice_input_supported', modes: ['ptt', 'vad', 'realtime'], mode }]);
  });

  it('ptt_start answers server_listening {}', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    client.send({ type: 'ptt_start' });
    expect(await client.sync()).toStrictEqual([{ type: 'server_listening' }]);
  });

  it('vad (default): speech then ~500 ms of silence becomes a user turn "Voice message (<s> s)" with the normal interaction', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    sendAudio(client, pcmTone(400, LOUD), pcmSilence(800));
    const events = await client.until('user_turn_start', 5000);
    expect(collapse(kinds(events))).toStrictEqual(DEFAULT_SEQUENCE);
    const seconds = voiceSeconds(events);
    expect(seconds).toBeGreaterThanOrEqual(0.3);
    expect(seconds).toBeLessThanOrEqual(1.3);
    expect(await client.sync()).toStrictEqual([]);
  });

  it('vad: an utterance does not end before ~500 ms of silence', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    sendAudio(client, pcmTone(400, LOUD), pcmSilence(250));
    expect(await client.sync()).toStrictEqual([]);
    sendAudio(client, pcmSilence(600));
    const events = await client.until('user_turn_start', 5000);
    expect(events[0]?.type).toBe('user_turn_end');
    voiceSeconds(events);
  });

  it('vad: less than 120 ms of speech is not an utterance', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    sendAudio(client, pcmTone(60, LOUD), pcmSilence(900));
    expect(await client.sync()).toStrictEqual([]);
  });

  it('vad: a signal below the energy threshold is not speech', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    sendAudio(client, pcmTone(600, 0.005), pcmSilence(900));
    expect(await client.sync()).toStrictEqual([]);
  });

  it('ptt: silence does not end the utterance; ptt_end does, as a user turn', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_voice_input_mode', mode: 'ptt' });
    client.send({ type: 'ptt_start' });
    expect((await client.sync()).map((e) => e.type)).toStrictEqual(['voice_input_supported', 'server_listening']);
    sendAudio(client, pcmTone(500, LOUD), pcmSilence(800));
    expect(await client.sync()).toStrictEqual([]);
    client.send({ type: 'ptt_end' });
    const events = await client.until('user_turn_start', 5000);
    expect(collapse(kinds(events))).toStrictEqual(DEFAULT_SEQUENCE);
    const seconds = voiceSeconds(events);
    expect(seconds).toBeGreaterThanOrEqual(0.4);
    expect(seconds).toBeLessThanOrEqual(1.4);
  });

  it('ptt: exactly the pushed audio: 0.5 s of speech reads "Voice message (0.5 s)"', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_voice_input_mode', mode: 'ptt' });
    client.send({ type: 'ptt_start' });
    await client.sync();
    sendAudio(client, pcmTone(500, LOUD));
    client.send({ type: 'ptt_end' });
    const events = await client.until('user_turn_start', 5000);
    expect(events.find((e) => e.type === 'anthropic_user_message')?.message.content).toBe('Voice message (0.5 s)');
  });
});

describe('profile full: voice output', () => {
  it('after set_agent_voice alloy the answer also comes as PCM16 24 kHz binary frames paced in real time, length proportional to the words', async () => {
    const sim = await startSim({ profile: 'full' });
    // tool_user's answer is one short paragraph: it keeps the real-time audio short.
    const { client } = await connectReady(sim, { agentKey: 'tool_user' });
    client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
    await client.next('agent_voice_changed');
    const events = await interact(client, 'Hi', 10_000);
    const turnEndAt = client.received.findIndex((f) => f.kind === 'event' && f.event === events[events.length - 1]);
    await audioDone(client);
    const audio = client.received.flatMap((f) => (f.kind === 'binary' ? [f] : []));
    expect(audio.length).toBeGreaterThan(0);
    for (const frame of audio) expect(frame.data.length % 2, 'even frame length').toBe(0);
    const firstAudioAt = client.received.findIndex((f) => f.kind === 'binary');
    expect(firstAudioAt, 'audio starts during the interaction').toBeLessThan(turnEndAt);

    const seconds = audio.reduce((sum, f) => sum + f.data.length, 0) / 2 / RATE;
    const words = events
      .filter((e) => e.type === 'text_delta')
      .map((e) => e.content as string)
      .join('')
      .split(/\s+/)
      .filter(Boolean).length;
    expect(words).toBeGreaterThan(0);
    expect(seconds / words, `${seconds.toFixed(2)} s of audio for ${words} words`).toBeGreaterThan(0.1);
    expect(seconds / words, `${seconds.toFixed(2)} s of audio for ${words} words`).toBeLessThan(1.5);

    const span = (audio[audio.length - 1]!.at - audio[0]!.at) / 1000;
    expect(span, `audio of ${seconds.toFixed(2)} s arrived within ${span.toFixed(2)} s`).toBeGreaterThanOrEqual(seconds * 0.6 - 0.25);
    expect(span).toBeLessThanOrEqual(seconds * 1.5 + 1);
  });

  it('with the default voice "none" no binary frame is sent', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    await interact(client, 'Hello');
    await client.sync();
    expect(client.binaries).toStrictEqual([]);
  });

  it('set_agent_voice none after alloy stops the audio of later answers', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
    await client.next('agent_voice_changed');
    client.send({ type: 'set_agent_voice', voice_id: 'none' });
    await client.next('agent_voice_changed');
    await interact(client, 'Hello');
    await client.sync();
    expect(client.binaries).toStrictEqual([]);
  });
});

describe('profile agentc: no voice', () => {
  it('never sends a binary frame, even with an OpenAI voice selected', async () => {
    const sim = await startSim({ profile: 'agentc' });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
    await client.next('agent_voice_changed');
    await interact(client, 'Say something');
    await client.sync();
    expect(client.binaries).toStrictEqual([]);
    expect(sim.control.frames.filter((f) => f.direction === 'out' && f.kind === 'binary')).toStrictEqual([]);
  });

  it('accepts speech audio and ignores it: no turn, no reply', async () => {
    const sim = await startSim({ profile: 'agentc' });
    const { client } = await connectReady(sim);
    sendAudio(client, pcmTone(600, LOUD), pcmSilence(1000));
    expect(await client.sync()).toStrictEqual([]);
    client.send({ type: 'ptt_start' });
    sendAudio(client, pcmTone(500, LOUD));
    client.send({ type: 'ptt_end' });
    const events = await client.sync();
    expect(events.map((e) => [e.type, e.severity])).toStrictEqual([
      ['system_message', 'warning'],
      ['system_message', 'warning'],
    ]);
  });
});
