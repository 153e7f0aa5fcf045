/**
 * The voice in Node, on the simulator's `full` profile: a scripted source (a sine, in blocks of the
 * size a worklet posts) stands for the microphone and a recording player for the speakers, so the
 * gate, the wire rate, the voices that do not speak here, the interrupt epoch and dispose are checked
 * against a real socket without a browser (the browser tests cover the Web Audio side).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVoice, type AudioSource, type CaptureHandlers, type Player, type PlayerStatus, type Voice, type VoiceOptions } from '../../../src/audio/index.js';
import type { RealtimeClient } from '../../../src/index.js';
import { cleanup, makeClient, startSim, until, withTimeout } from './harness.js';
import type { Simulator } from '../../../src/sim/index.js';

afterEach(cleanup);

/** A source that pushes a 440 Hz sine at 48 kHz in 2048-frame blocks, one block per `push()` (no timers). */
function sineSource(rate = 48_000) {
  let handlers: CaptureHandlers | null = null;
  let phase = 0;
  const state = { opened: 0, closed: 0, pushed: 0 };
  const source: AudioSource = {
    async open(h) {
      handlers = h;
      state.opened++;
      return {
        sampleRate: rate,
        deviceId: 'scripted',
        close: () => {
          handlers = null;
          state.closed++;
        },
      };
    },
  };
  const push = (blocks = 1, amplitude = 0.5): void => {
    for (let b = 0; b < blocks; b++) {
      const block = new Float32Array(2048);
      for (let i = 0; i < block.length; i++) block[i] = amplitude * Math.sin((2 * Math.PI * 440 * phase++) / rate);
      state.pushed += block.length;
      handlers?.samples(block, rate);
    }
  };
  return { source, push, state };
}

/** A player that records what it is asked to play and when it is stopped. */
function recordingPlayer() {
  const played: { samples: number; rate: number }[] = [];
  const stops: number[] = [];
  let skipped = 0;
  let queued = 0;
  const player: Player = {
    play(pcm, rate) {
      played.push({ samples: pcm.length, rate });
      queued++;
    },
    stop() {
      stops.push(performance.now());
      skipped += queued;
      queued = 0;
    },
    setVolume: () => undefined,
    unlock: () => Promise.resolve(),
    contextState: () => 'running',
    onContextState: () => () => undefined,
    status: (): PlayerStatus => ({ isPlaying: queued > 0, chunksReceived: played.length, chunksPlayed: played.length - skipped - queued, chunksSkipped: skipped, queueLength: queued, volume: 1, bufferedMs: 0 }),
    onIdle: () => () => undefined,
    close: () => Promise.resolve(),
  };
  return { player, played, stops };
}

async function voiceOn(sim: Simulator, options: VoiceOptions = {}) {
  const h = makeClient(sim);
  await h.connect();
  const mic = sineSource();
  const speakers = recordingPlayer();
  const voice = createVoice(h.client, { source: mic.source, player: speakers.player, ...options });
  return { h, client: h.client, voice, mic, speakers };
}

const audioIn = (sim: Simulator, client: RealtimeClient) => {
  let id: string | null = null;
  client.connection$.subscribe((status) => (id = status.uiSessionId)).unsubscribe();
  return sim.control.uiSessions().find((s) => s.uiSessionId === id)!.audioIn;
};

const last = <T>(voice: Voice, pick: (v: Voice) => import('rxjs').Observable<T>): T => {
  let value!: T;
  pick(voice).subscribe((v) => (value = v)).unsubscribe();
  return value;
};

describe('voice in Node (a scripted source, a recording player)', () => {
  it('frames go out at the wire rate, 4800 samples each, in the user turn (vad)', async () => {
    const sim = await startSim({ profile: 'full' });
    const { h, client, voice, mic } = await voiceOn(sim, { mode: 'vad' });
    await h.waitUntil(() => last(voice, (v) => v.state$) !== undefined, 1_000, 'a view');
    await withTimeout(voice.start(), 2_000, 'start');
    await until(() => last(voice, (v) => v.input$).state === 'recording', 2_000, 'recording in the user turn');
    mic.push(47); // 96,256 samples of 48 kHz → 48,128 of 24 kHz → ten whole frames
    await until(() => audioIn(sim, client).frames === 10, 2_000, 'ten frames at the simulator');
    const audio = audioIn(sim, client);
    expect(audio.samples).toBe(48_000);
    expect(audio.rms).toBeGreaterThan(0.35);
    expect(audio.rms).toBeLessThan(0.36);
    expect(last(voice, (v) => v.input$)).toMatchObject({ chunksStreamed: 10, chunksSuppressed: 0, wireRate: 24_000 });
  });

  it('at 16 kHz, with a smaller chunk size', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client, voice, mic } = await voiceOn(sim, { mode: 'vad', sampleRate: 16_000, chunkSize: 1_600 });
    await withTimeout(voice.start(), 2_000, 'start');
    await until(() => last(voice, (v) => v.input$).state === 'recording', 2_000, 'recording');
    mic.push(24); // 49,152 samples of 48 kHz → 16,384 of 16 kHz → ten frames of 1,600
    await until(() => audioIn(sim, client).frames === 10, 2_000, 'ten frames');
    expect(audioIn(sim, client).samples).toBe(16_000);
  });

  it('stop() resolves once the source is closed; a source still opening is closed as soon as it opens', async () => {
    const sim = await startSim({ profile: 'full' });
    const h = makeClient(sim);
    await h.connect();
    let closedAt = 0;
    let finishOpening!: () => void;
    const slow: AudioSource = {
      open: () =>
        new Promise((resolve) => {
          finishOpening = () => resolve({ sampleRate: 48_000, deviceId: null, close: () => new Promise<void>((done) => setTimeout(() => ((closedAt = Date.now()), done()), 20)) });
        }),
    };
    const voice = createVoice(h.client, { source: slow, player: recordingPlayer().player });
    const started = voice.start();
    const stopped = voice.stop();
    await expect(started).rejects.toMatchObject({ reason: 'aborted' });
    finishOpening();
    await stopped;
    expect(closedAt).toBeGreaterThan(0); // stop() waited for the close of the source that opened late
    voice.dispose();
  });

  it('push-to-talk: nothing goes out until held; the tail goes out on release (none held back)', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client, voice, mic } = await voiceOn(sim, { mode: 'ptt' });
    await withTimeout(voice.start(), 2_000, 'start');
    mic.push(10);
    expect(last(voice, (v) => v.input$)).toMatchObject({ state: 'ready', chunksStreamed: 0 });
    expect(last(voice, (v) => v.input$).chunksSuppressed).toBeGreaterThan(0);
    voice.pushToTalk(true);
    mic.push(5); // 10,240 → 5,120 samples: one frame and 320 samples of a second
    voice.pushToTalk(false);
    await until(() => audioIn(sim, client).frames === 2, 2_000, 'the frame and the tail');
    expect(audioIn(sim, client).samples).toBe(5_120);
  });

  it('serverInputModes: the mode is told once ready (a voice made before connect()), and again after a server restart', async () => {
    const sim = await startSim({ profile: 'full' });
    const h = makeClient(sim);
    const mic = sineSource();
    const voice = createVoice(h.client, { source: mic.source, player: recordingPlayer().player, mode: 'ptt', serverInputModes: true });
    const told = () => sim.control.frames.filter((frame) => frame.direction === 'in' && frame.text?.includes('"set_voice_input_mode"'));
    await h.connect();
    await until(() => told().length === 1, 2_000, 'the mode told at the first ready');
    expect(JSON.parse(told()[0]!.text!)).toEqual({ type: 'set_voice_input_mode', mode: 'ptt' });
    const first = told()[0]!.connection;
    sim.control.restart({ downMs: 50 }); // every UI session forgotten
    await until(() => told().length === 2, 5_000, 'the mode told again after the restart');
    expect(told()[1]!.connection).toBeGreaterThan(first);
    const errors: string[] = [];
    h.client.errors$.subscribe((error) => errors.push(error.reason));
    voice.dispose();
    expect(errors).toEqual([]);
  });

  it('speech comes back at 24 kHz for an OpenAI voice, nothing is played for none, and a cancel stops it and drops the rest', async () => {
    const sim = await startSim({ profile: 'full', deltaMs: 20 });
    const { h, client, voice, speakers } = await voiceOn(sim, { mode: 'off' });
    await client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
    await h.waitForEvent((event) => event.type === 'agent_voice_changed', 2_000);
    void client.sendText('SLOW 200').catch(() => undefined);
    await until(() => speakers.played.length >= 3, 5_000, 'speech played');
    expect(new Set(speakers.played.map((p) => p.rate))).toEqual(new Set([24_000]));
    const before = speakers.played.length;
    const stopsBefore = speakers.stops.length; // the voice change stopped what played (nothing yet)
    const cancelled = client.cancel();
    // the stop happens as the cancel goes out, before the server confirms
    expect(speakers.stops.length).toBe(stopsBefore + 1);
    await withTimeout(cancelled, 2_000, 'cancel');
    await h.waitForEvent((event) => event.type === 'user_turn_start', 3_000);
    const output = last(voice, (v) => v.output$);
    expect(output.isEnabled).toBe(false);
    expect(speakers.played.length).toBe(before); // late frames of the cancelled answer are not played
    // the voice none: frames (if any) are counted, never played
    await client.send({ type: 'set_agent_voice', voice_id: 'none' });
    await h.waitForEvent((event) => event.type === 'agent_voice_changed' && event.voice.voice_id === 'none', 2_000);
    expect(last(voice, (v) => v.output$)).toMatchObject({ skipPlayback: true, voiceModel: { voice_id: 'none' } });
  });

  it('a voice created after the voice was set knows it (none: nothing played)', async () => {
    const sim = await startSim({ profile: 'full' });
    const h = makeClient(sim);
    await h.connect();
    await h.client.setVoice('none');
    const voice = createVoice(h.client, { source: sineSource().source, player: recordingPlayer().player });
    expect(last(voice, (v) => v.output$)).toMatchObject({ skipPlayback: true, isEnabled: false, voiceModel: { voice_id: 'none' } });
    voice.dispose();
  });

  it('dispose() of the client closes the source and completes the voice', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client, voice, mic } = await voiceOn(sim, { mode: 'vad' });
    await withTimeout(voice.start(), 2_000, 'start');
    let completed = false;
    voice.state$.subscribe({ complete: () => (completed = true) });
    client.dispose();
    expect(completed).toBe(true);
    expect(mic.state.closed).toBe(1);
    expect(() => createVoice(client)).toThrow(/disposed|closed/i);
  });

  it('one voice per client; a second one is refused until the first is disposed', async () => {
    const sim = await startSim({ profile: 'full' });
    const { client, voice } = await voiceOn(sim);
    expect(() => createVoice(client, { source: sineSource().source, player: recordingPlayer().player })).toThrow(/already has a voice/);
    voice.dispose();
    const again = createVoice(client, { source: sineSource().source, player: recordingPlayer().player });
    again.dispose();
  });

  it('bad options are named (invalid_options)', async () => {
    const sim = await startSim({ profile: 'full' });
    const h = makeClient(sim);
    expect(() => createVoice(h.client, { mode: 'loud' as never, sampleRate: 44_100 as never, volume: 2 })).toThrow(/mode.*sampleRate.*volume/);
  });
});
