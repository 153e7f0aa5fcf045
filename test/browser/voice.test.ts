/**
 * The voice end to end in headless Chromium: Chromium's fake microphone (a 440 Hz sine at 0.5, see
 * vitest.config.ts) → the worklet → `createVoice` → the socket → the simulator (`full` profile),
 * which reports what it received; its synthesized speech comes back and is played into a tap on
 * the output. Also: the real server's profile (no voice pipeline), permission denied, device loss.
 */
import { afterEach, expect, inject, it } from 'vitest';
import { AudioContext } from 'standardized-audio-context';
import { createClient, type RealtimeClient } from '../../src/index.js';
import { VOICE_PORT, type WithVoicePort } from '../../src/data/voice-port.js';
import { AudioProcessorError, createVoice, type Voice, type VoiceInputView, type VoiceOptions, type VoiceOutputView, type VoiceStateView } from '../../src/audio/index.js';
import { Recorder, simSessions, untilSimSession, within, type SimName } from './client-helpers.js';
import { createTap, RAW, ScriptedDevices, sleep, unplug, type Tap } from './audio/helpers.js';

const CREDENTIALS = { username: 'admin', password: 'changeme' } as const;
const controlUrl = () => inject('simControlUrl');

interface Opened {
  readonly client: RealtimeClient;
  readonly voice: Voice;
  readonly tap: Tap;
  readonly context: AudioContext;
  readonly input: Recorder<VoiceInputView>;
  readonly output: Recorder<VoiceOutputView>;
  readonly state: Recorder<VoiceStateView>;
  readonly uiSessionId: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A connected client on a voice simulator, with a voice whose playback goes into a tap. */
async function openVoice(sim: 'voice' | 'voiceAgentc', options: VoiceOptions = {}): Promise<Opened> {
  const client = createClient({ url: inject(sim === 'voice' ? 'simVoiceHttpUrl' : 'simVoiceAgentcHttpUrl'), auth: { ...CREDENTIALS }, reconnection: { initialDelay: 50, maxDelay: 200 } });
  cleanups.push(() => client.dispose());
  await within(client.connect(), 'connect');
  const context = new AudioContext();
  const tap = await createTap(context);
  cleanups.push(async () => {
    tap.close();
    await context.close();
  });
  const voice = createVoice(client, { ...RAW, audioContext: context, destination: tap.node, ...options });
  const input = new Recorder(voice.input$, (view) => `${view.state}:${view.chunksStreamed}/${view.chunksSuppressed}`);
  const output = new Recorder(voice.output$, (view) => `${view.isPlaying ? 'playing' : 'silent'}:${view.chunksPlayed}/${view.chunksReceived}`);
  const state = new Recorder(voice.state$, (view) => `${view.input}/${view.output}${view.bargingIn ? '/barging' : ''}`);
  cleanups.push(() => {
    for (const recorder of [input, output, state]) recorder.unsubscribe();
  });
  let uiSessionId = '';
  const subscription = client.connection$.subscribe((status) => (uiSessionId = status.uiSessionId ?? uiSessionId));
  subscription.unsubscribe();
  return { client, voice, tap, context, input, output, state, uiSessionId };
}

async function audioIn(sim: SimName, uiSessionId: string) {
  const session = (await simSessions(controlUrl(), sim)).find((s) => s.uiSessionId === uiSessionId);
  if (!session) throw new Error(`the simulator holds no UI session ${uiSessionId}`);
  return session.audioIn;
}

/** The seconds of sound (above a small floor) in a recording, and the longest silent run inside it, in samples. */
function sound(samples: Float32Array) {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]!) > 1e-3) {
      if (first < 0) first = i;
      last = i;
      count++;
    }
  }
  return { first, last, count };
}

/** The silent runs (no sample above the floor) of at least 2 ms in a stretch of sound, in ms. */
function silentRuns(samples: Float32Array, rate: number): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const sample of samples) {
    if (Math.abs(sample) > 1e-3) {
      if (run >= rate * 0.002) runs.push(Math.round((run / rate) * 1000));
      run = 0;
    } else run++;
  }
  return runs;
}

it('capture → the simulator receives the microphone at the wire rate, with its energy and its pitch (vad, the user turn)', async () => {
  const { client, voice, input, uiSessionId } = await openVoice('voice', { mode: 'vad' });
  await within(
    new Promise<void>((resolve) => {
      const s = client.turn$.subscribe((turn) => turn === 'user' && resolve());
      cleanups.push(() => s.unsubscribe());
    }),
    'the user turn',
  );
  await within(voice.start(), 'the microphone');
  const started = performance.now();
  await input.next((view) => view.state === 'recording' && view.chunksStreamed >= 8, 'eight frames streamed', { timeoutMs: 8_000 });
  const seconds = (performance.now() - started) / 1000;
  const received = await untilSimSession(controlUrl(), uiSessionId, (s) => (s?.audioIn.frames ?? 0) >= 8, 'eight frames at the simulator', 5_000, 'voice');
  const audio = received!.audioIn;
  // every frame is 4800 samples of 24 kHz (200 ms): the wire rate
  expect(audio.samples).toBe(audio.frames * 4800);
  expect(audio.samples / 24_000).toBeGreaterThan(seconds * 0.6);
  expect(audio.samples / 24_000).toBeLessThan(seconds * 1.4 + 0.5);
  // the sine at 0.5 has an RMS of 0.354; its 440 Hz cross zero 880 times a second
  expect(audio.rms).toBeGreaterThan(0.3);
  expect(audio.rms).toBeLessThan(0.4);
  const hz = audio.zeroCrossings / 2 / (audio.samples / 24_000);
  expect(hz).toBeGreaterThan(420);
  expect(hz).toBeLessThan(460);
  await voice.stop();
});

it('push-to-talk: an utterance makes the simulator answer, and its speech plays into the output without a gap', async () => {
  const { client, voice, tap, context, output, input, uiSessionId } = await openVoice('voice', { mode: 'ptt', serverInputModes: true });
  const events = new Recorder(client.events$, (event) => event.type);
  cleanups.push(() => events.unsubscribe());
  await within(client.send({ type: 'set_agent_voice', voice_id: 'alloy' }), 'set_agent_voice');
  await events.next((event) => event.type === 'agent_voice_changed', 'the voice changed');
  // what the server sent, as the voice hears it (the client's voice port)
  const received: Int16Array[] = [];
  const frames = (client as unknown as WithVoicePort)[VOICE_PORT].audio$.subscribe((pcm) => received.push(pcm));
  cleanups.push(() => frames.unsubscribe());
  await within(voice.start(), 'the microphone');
  voice.pushToTalk(true);
  await input.next((view) => view.chunksStreamed >= 4, 'four frames streamed while held', { timeoutMs: 8_000 });
  voice.pushToTalk(false);
  await events.next((event) => event.type === 'interaction' && event.started, 'the voice turn started an interaction', { timeoutMs: 8_000 });
  await output.next((view) => view.chunksPlayed >= 12, 'twelve speech frames played (1.2 s)', { timeoutMs: 15_000 });
  const heard = tap.recording().samples;
  const { first, last } = sound(heard);
  expect(first).toBeGreaterThanOrEqual(0);
  // The synthesized speech is one tone per word with 60 ms of silence between words. Played without
  // a gap, the output has the silences the server's audio has over the same stretch, and no other:
  // a gap between chunks (or a held-back tail) would add silent runs where the server sent sound.
  const heardSeconds = (last - first + 1) / context.sampleRate;
  const sent = new Float32Array(received.reduce((n, pcm) => n + pcm.length, 0));
  let at = 0;
  for (const pcm of received) for (const sample of pcm) sent[at++] = sample / 32_768;
  const sentSound = sound(sent);
  const sentStretch = sent.subarray(sentSound.first, sentSound.first + Math.round(heardSeconds * 24_000));
  const heardGaps = silentRuns(heard.subarray(first, last + 1), context.sampleRate);
  const sentGaps = silentRuns(sentStretch, 24_000);
  expect(heardGaps.length).toBeGreaterThan(2); // several words were heard
  expect(Math.abs(heardGaps.length - sentGaps.length), `gaps heard ${heardGaps.join(',')} ms; sent ${sentGaps.join(',')} ms`).toBeLessThanOrEqual(1);
  expect(Math.max(...heardGaps)).toBeLessThan(Math.max(...sentGaps) + 5);
  expect((await audioIn('voice', uiSessionId)).frames).toBeGreaterThanOrEqual(4);
  await voice.stop();
});

it('cancel during playback: the output is silent within one render quantum, and the late frames are dropped', async () => {
  const { client, tap, context, output, state } = await openVoice('voice', { mode: 'off' });
  const events = new Recorder(client.events$, (event) => event.type);
  cleanups.push(() => events.unsubscribe());
  await within(client.send({ type: 'set_agent_voice', voice_id: 'alloy' }), 'set_agent_voice');
  await events.next((event) => event.type === 'agent_voice_changed', 'the voice changed');
  void client.sendText('SLOW 200').catch(() => undefined);
  await output.next((view) => view.chunksPlayed >= 2 && view.isPlaying, 'speech playing', { timeoutMs: 10_000 });
  // playback stops as the cancel goes out, inside cancel(): read the audio clock right after it, so a
  // main thread slowed by a busy machine before the call does not count against the stop
  const cancelled = client.cancel();
  const cancelledAtFrame = Math.round(context.currentTime * context.sampleRate);
  await within(cancelled, 'cancel');
  await state.next((view) => view.output === 'interrupted', 'playback interrupted');
  await sleep(300);
  const { start, samples } = tap.recording();
  const after = samples.subarray(Math.max(0, cancelledAtFrame - start + 128 * 3));
  // currentTime moves in render quanta and the cancel is sent from this thread: allow the quantum in
  // flight when it was read, the one that rendered the stop, and one of slack
  expect(sound(after).count).toBe(0);
  const view = output.last!;
  expect(view.isEnabled).toBe(false);
  expect(view.chunksSkipped).toBeGreaterThan(0);
});

it('frames outside the user turn are suppressed (counted), never sent late', async () => {
  const { client, voice, input, uiSessionId } = await openVoice('voice', { mode: 'vad', bargeIn: false });
  const turns = new Recorder(client.turn$);
  cleanups.push(() => turns.unsubscribe());
  await turns.next((turn) => turn === 'user', 'the user turn');
  await within(voice.start(), 'the microphone');
  await input.next((view) => view.chunksStreamed >= 2, 'frames streamed in the user turn', { timeoutMs: 8_000 });
  void client.sendText('SLOW 200').catch(() => undefined);
  await turns.next((turn) => turn === 'agent', 'the agent turn');
  await sleep(250); // a frame being captured when the turn changed may still be on its way
  const before = await audioIn('voice', uiSessionId);
  const suppressedBefore = input.last!.chunksSuppressed;
  await input.next((view) => view.chunksSuppressed >= suppressedBefore + 3, 'frames suppressed in the agent turn', { timeoutMs: 8_000 });
  const during = await audioIn('voice', uiSessionId);
  expect(during.frames).toBe(before.frames);
  expect(input.last!.state).toBe('ready');
  await within(client.cancel(), 'cancel');
  await turns.next((turn) => turn === 'user', 'the user turn again', { from: turns.values.length - 1 });
  const streamedAgain = input.last!.chunksStreamed;
  await input.next((view) => view.chunksStreamed >= streamedAgain + 2, 'frames flow again', { timeoutMs: 8_000 });
  // nothing suppressed was flushed late: the simulator got only frames streamed in user turns
  const after = await untilSimSession(controlUrl(), uiSessionId, (s) => (s?.audioIn.frames ?? 0) >= input.last!.chunksStreamed, 'the streamed frames', 5_000, 'voice');
  expect(after!.audioIn.frames).toBe(input.last!.chunksStreamed);
});

it('barge-in: push-to-talk while the agent answers cancels the answer, then streams once the server gives the turn', async () => {
  const { client, voice, input, state, uiSessionId } = await openVoice('voice', { mode: 'ptt' });
  const events = new Recorder(client.events$, (event) => event.type);
  cleanups.push(() => events.unsubscribe());
  await within(voice.start(), 'the microphone');
  const answer = client.sendText('SLOW 200');
  await events.next((event) => event.type === 'interaction' && event.started, 'the answer started');
  voice.pushToTalk(true);
  await state.next((view) => view.bargingIn, 'barging in');
  await events.next((event) => event.type === 'cancelled', 'the server confirmed the cancel');
  await expect(within(answer, 'the answer')).resolves.toMatchObject({ outcome: 'cancelled' });
  await state.next((view) => !view.bargingIn && view.streaming, 'streaming after the barge-in', { timeoutMs: 8_000 });
  await input.next((view) => view.chunksStreamed >= 2, 'frames streamed after the barge-in', { timeoutMs: 8_000 });
  await untilSimSession(controlUrl(), uiSessionId, (s) => (s?.audioIn.frames ?? 0) >= 2, 'frames at the simulator', 5_000, 'voice');
  voice.pushToTalk(false);
});

it('the real server profile: voice input streams without an event it does not know, and text chat still works', async () => {
  const { client, voice, input, uiSessionId } = await openVoice('voiceAgentc', { mode: 'vad' });
  const events = new Recorder(client.events$, (event) => event.type);
  cleanups.push(() => events.unsubscribe());
  await within(voice.start(), 'the microphone');
  voice.setMode('ptt');
  voice.pushToTalk(true);
  await input.next((view) => view.chunksStreamed >= 2, 'frames streamed', { timeoutMs: 8_000 });
  voice.pushToTalk(false);
  await untilSimSession(controlUrl(), uiSessionId, (s) => (s?.audioIn.frames ?? 0) >= 2, 'frames at the simulator', 5_000, 'voiceAgentc');
  await expect(within(client.sendText('hello'), 'a text answer')).resolves.toMatchObject({ outcome: 'done' });
  // the server would answer an event it does not handle with a warning system_message
  const warnings = events.values.filter((event) => event.type === 'system_message' || event.type === 'error');
  expect(warnings.map((event) => JSON.stringify(event))).toEqual([]);
});

it('permission denied ends in permissionDenied with the reason and nothing held; start() rejects', async () => {
  const devices = new ScriptedDevices();
  devices.failures = [new DOMException('denied by the test', 'NotAllowedError')];
  const { voice, input } = await openVoice('voice', { mediaDevices: devices });
  const started = voice.start();
  await expect(within(started, 'start')).rejects.toBeInstanceOf(AudioProcessorError);
  await expect(started).rejects.toMatchObject({ code: 'MICROPHONE_ACCESS_ERROR' });
  expect(input.last).toMatchObject({ state: 'permissionDenied', error: { code: 'MICROPHONE_ACCESS_ERROR' } });
  expect(devices.tracks()).toEqual([]);
});

it('device loss with no other microphone ends in failed with the microphone released', async () => {
  const devices = new ScriptedDevices();
  const { voice, input } = await openVoice('voice', { mediaDevices: devices, mode: 'vad' });
  await within(voice.start(), 'the microphone');
  devices.failures = [new DOMException('no device', 'NotFoundError')];
  const [track] = devices.tracks();
  unplug(track!);
  await input.next((view) => view.state === 'failed', 'failed after the device went away');
  expect(input.last!.error?.code).toBe('MICROPHONE_ACCESS_ERROR');
  expect(devices.tracks().every((t) => t.readyState === 'ended')).toBe(true);
});

it('dispose() of the client releases the microphone and completes the voice observables', async () => {
  const devices = new ScriptedDevices();
  const { client, voice, input, state } = await openVoice('voice', { mediaDevices: devices });
  await within(voice.start(), 'the microphone');
  client.dispose();
  await state.complete('the voice completed');
  expect(state.last!.disposed).toBe(true);
  expect(input.completed).toBe(true);
  await sleep(50);
  expect(devices.tracks().every((t) => t.readyState === 'ended')).toBe(true);
  await expect(voice.start()).rejects.toMatchObject({ reason: 'closed' });
});

it('createVoice refuses what is not a client of createClient, with invalid_options', () => {
  expect(() => createVoice({} as RealtimeClient)).toThrow(expect.objectContaining({ reason: 'invalid_options', message: expect.stringMatching(/createClient/) }));
});
