/**
 * The voice statecharts (capture, playback, input mode, and their composition) with fake
 * microphone and speaker actors that record what they are told: the gate follows the turn and the
 * mode, barge-in cancels then streams, the interrupt epoch drops the interrupted answer's frames, and
 * every final state of the capture has released the microphone.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock, type ActorRefFrom, type AnyActorRef } from 'xstate';
import { captureMachine, type MicrophoneCommand, type MicrophoneEvent } from '../../../src/machines/capture.machine.js';
import { playbackMachine, type SpeakerCommand, type SpeakerEvent } from '../../../src/machines/playback.machine.js';
import { voiceMachine } from '../../../src/machines/voice.machine.js';
import { mayStream, voiceOutput } from '../../../src/machines/voice.logic.js';

/** A fake microphone: records the gate and whether it is alive; `emit` plays the device's part. */
function fakeMicrophone() {
  const state = { alive: 0, opened: 0, gate: [] as boolean[], emit: null as ((event: MicrophoneEvent) => void) | null };
  const logic = fromCallback<MicrophoneCommand, void, MicrophoneEvent>(({ sendBack, receive }) => {
    state.alive++;
    state.opened++;
    state.emit = sendBack;
    receive((command) => state.gate.push(command.on));
    return () => {
      state.alive--;
      state.emit = null;
    };
  });
  return { state, logic };
}

function fakeSpeaker() {
  const state = { commands: [] as SpeakerCommand[], emit: null as ((event: SpeakerEvent) => void) | null };
  const logic = fromCallback<SpeakerCommand, void, SpeakerEvent>(({ sendBack, receive }) => {
    state.emit = sendBack;
    receive((command) => state.commands.push(command));
    return () => undefined;
  });
  return { state, logic };
}

function voice(options: { mode?: 'ptt' | 'vad' | 'off'; bargeIn?: boolean; cancel?: () => Promise<void> } = {}) {
  const mic = fakeMicrophone();
  const speaker = fakeSpeaker();
  const cancels: number[] = [];
  const clock = new SimulatedClock();
  const actor = createActor(
    voiceMachine.provide({
      actors: {
        capture: captureMachine.provide({ actors: { microphone: mic.logic } }),
        playback: playbackMachine.provide({ actors: { speaker: speaker.logic } }),
        cancelAnswer: fromPromise(() => {
          cancels.push(cancels.length + 1);
          return options.cancel ? options.cancel() : Promise.resolve();
        }),
      },
    }),
    {
      clock,
      input: { mode: options.mode ?? 'ptt', respectTurnState: true, bargeIn: options.bargeIn ?? true, bargeInTimeoutMs: 5_000, playback: {} },
    },
  ).start();
  const capture = actor.system.get('capture') as ActorRefFrom<typeof captureMachine>;
  const playback = actor.system.get('playback') as ActorRefFrom<typeof playbackMachine>;
  const gateNow = () => mic.state.gate.at(-1) ?? false;
  const lastSpeakerGate = () => speaker.state.commands.filter((c) => c.type === 'speaker.gate').at(-1) as Extract<SpeakerCommand, { type: 'speaker.gate' }> | undefined;
  const flushes = () => speaker.state.commands.filter((c) => c.type === 'speaker.flush').length;
  return { actor, capture, playback, mic, speaker, cancels, clock, gateNow, lastSpeakerGate, flushes };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const tags = (actor: AnyActorRef) => [...(actor.getSnapshot() as { tags: Set<string> }).tags].sort();

describe('mayStream (the gate rule)', () => {
  it('opens only in the user turn, for vad always, for ptt while held, never when off', () => {
    expect(mayStream({ mode: 'vad', intent: false, turn: 'user', respectTurnState: true })).toBe(true);
    expect(mayStream({ mode: 'vad', intent: true, turn: 'agent', respectTurnState: true })).toBe(false);
    expect(mayStream({ mode: 'vad', intent: true, turn: 'unknown', respectTurnState: true })).toBe(false);
    expect(mayStream({ mode: 'ptt', intent: false, turn: 'user', respectTurnState: true })).toBe(false);
    expect(mayStream({ mode: 'ptt', intent: true, turn: 'user', respectTurnState: true })).toBe(true);
    expect(mayStream({ mode: 'ptt', intent: true, turn: 'agent', respectTurnState: false })).toBe(true);
    expect(mayStream({ mode: 'off', intent: true, turn: 'user', respectTurnState: false })).toBe(false);
  });
  it('voiceOutput: none and avatar are silent, PCM16 voices speak at the output rate, unknown plays', () => {
    expect(voiceOutput({ voice_id: 'none', output_format: 'none' }).kind).toBe('silent');
    expect(voiceOutput({ voice_id: 'avatar', output_format: 'special' }).kind).toBe('silent');
    expect(voiceOutput({ voice_id: 'alloy', output_format: 'pcm16' }, 16_000)).toEqual({ kind: 'pcm', sampleRate: 16_000 });
    expect(voiceOutput(null).kind).toBe('unknown');
  });
});

describe('capture machine', () => {
  it('goes idle → requestingPermission → ready ⇄ recording and releases the microphone on stop', () => {
    const { actor, capture, mic } = voice({ mode: 'vad' });
    expect(tags(capture)).toEqual(['idle']);
    actor.send({ type: 'voice.start' });
    expect(tags(capture)).toEqual(['requestingPermission']);
    expect(mic.state.alive).toBe(1);
    mic.state.emit!({ type: 'mic.ready', sampleRate: 48_000, deviceId: 'default' });
    expect(tags(capture)).toEqual(['ready']);
    expect(capture.getSnapshot().context.sampleRate).toBe(48_000);
    actor.send({ type: 'turn.changed', turn: 'user' });
    expect(tags(capture)).toEqual(['recording']);
    actor.send({ type: 'turn.changed', turn: 'agent' });
    expect(tags(capture)).toEqual(['ready']);
    actor.send({ type: 'voice.stop' });
    expect(tags(capture)).toEqual(['idle']);
    expect(mic.state.alive).toBe(0);
  });

  it('a denied microphone ends in permissionDenied with the reason, released; start asks again', () => {
    const { actor, capture, mic } = voice();
    actor.send({ type: 'voice.start' });
    mic.state.emit!({ type: 'mic.failed', code: 'MICROPHONE_ACCESS_ERROR', message: 'denied', denied: true });
    expect(tags(capture)).toEqual(['permissionDenied']);
    expect(capture.getSnapshot().context.problem).toEqual({ code: 'MICROPHONE_ACCESS_ERROR', message: 'denied' });
    expect(mic.state.alive).toBe(0);
    actor.send({ type: 'voice.start' });
    expect(tags(capture)).toEqual(['requestingPermission']);
    expect(capture.getSnapshot().context.problem).toBeNull();
    expect(mic.state.opened).toBe(2);
  });

  it('other failures and a lost device end in failed with the code, released', () => {
    const { actor, capture, mic } = voice();
    actor.send({ type: 'voice.start' });
    mic.state.emit!({ type: 'mic.failed', code: 'WORKLET_LOAD_ERROR', message: 'no worklet', denied: false });
    expect(tags(capture)).toEqual(['failed']);
    expect(mic.state.alive).toBe(0);
    actor.send({ type: 'voice.start' });
    mic.state.emit!({ type: 'mic.ready', sampleRate: 44_100, deviceId: 'a' });
    mic.state.emit!({ type: 'mic.deviceChanged', deviceId: 'b' });
    expect(capture.getSnapshot().context.deviceId).toBe('b');
    expect(tags(capture)).toEqual(['ready']);
    mic.state.emit!({ type: 'mic.lost', code: 'MICROPHONE_ACCESS_ERROR', message: 'unplugged' });
    expect(tags(capture)).toEqual(['failed']);
    expect(capture.getSnapshot().context.problem?.message).toBe('unplugged');
    expect(mic.state.alive).toBe(0);
  });

  it('a gate opened while the microphone opens is kept: it records once ready', () => {
    const { actor, capture, mic } = voice({ mode: 'vad' });
    actor.send({ type: 'turn.changed', turn: 'user' });
    actor.send({ type: 'voice.start' });
    mic.state.emit!({ type: 'mic.ready', sampleRate: 48_000, deviceId: null });
    expect(tags(capture)).toEqual(['recording']);
  });
});

describe('voice: the gate and the modes', () => {
  it('ptt: frames go out only while held in the user turn', () => {
    const v = voice({ mode: 'ptt' });
    v.actor.send({ type: 'voice.start' });
    v.mic.state.emit!({ type: 'mic.ready', sampleRate: 48_000, deviceId: null });
    v.actor.send({ type: 'turn.changed', turn: 'user' });
    expect(v.gateNow()).toBe(false);
    v.actor.send({ type: 'ptt', pressed: true });
    expect(v.gateNow()).toBe(true);
    v.actor.send({ type: 'ptt', pressed: false });
    expect(v.gateNow()).toBe(false);
    v.actor.send({ type: 'mode.set', mode: 'off' });
    v.actor.send({ type: 'ptt', pressed: true }); // ignored in off
    expect(v.gateNow()).toBe(false);
    expect(v.actor.getSnapshot().context.mode).toBe('off');
  });

  it('a connection loss (turn unknown) shuts the gate', () => {
    const v = voice({ mode: 'vad' });
    v.actor.send({ type: 'voice.start' });
    v.mic.state.emit!({ type: 'mic.ready', sampleRate: 48_000, deviceId: null });
    v.actor.send({ type: 'turn.changed', turn: 'user' });
    expect(v.gateNow()).toBe(true);
    v.actor.send({ type: 'turn.changed', turn: 'unknown' });
    expect(v.gateNow()).toBe(false);
  });
});

describe('voice: barge-in', () => {
  it('speech while the agent talks: playback stops, the cancel goes out, and frames flow once the server gives the turn', async () => {
    const v = voice({ mode: 'vad' });
    v.actor.send({ type: 'voice.start' });
    v.mic.state.emit!({ type: 'mic.ready', sampleRate: 48_000, deviceId: null });
    v.actor.send({ type: 'turn.changed', turn: 'agent' });
    v.actor.send({ type: 'interaction.changed', live: true });
    expect(v.gateNow()).toBe(false);
    v.mic.state.emit!({ type: 'mic.speech', speaking: true });
    expect(v.actor.getSnapshot().hasTag('bargingIn')).toBe(true);
    expect(v.flushes()).toBeGreaterThan(0);
    expect(v.lastSpeakerGate()?.open).toBe(false); // the interrupted answer's late frames are dropped
    expect(v.gateNow()).toBe(false); // nothing streams before the server gives the turn
    await tick();
    expect(v.cancels).toEqual([1]);
    v.actor.send({ type: 'interaction.changed', live: false });
    v.actor.send({ type: 'turn.changed', turn: 'user' });
    expect(v.actor.getSnapshot().value).toBe('listening');
    expect(v.gateNow()).toBe(true);
    // the next answer plays again
    v.actor.send({ type: 'interaction.changed', live: true });
    expect(v.lastSpeakerGate()?.open).toBe(true);
  });

  it('speech that began before the agent took the turn is not barge-in (only its rising edge counts)', () => {
    const v = voice({ mode: 'vad' });
    v.actor.send({ type: 'voice.start' });
    v.mic.state.emit!({ type: 'mic.ready', sampleRate: 48_000, deviceId: null });
    v.actor.send({ type: 'turn.changed', turn: 'user' });
    v.mic.state.emit!({ type: 'mic.speech', speaking: true });
    v.actor.send({ type: 'turn.changed', turn: 'agent' });
    expect(v.actor.getSnapshot().value).toBe('agentTalking');
    expect(v.cancels).toEqual([]);
  });

  it('push-to-talk pressed while the agent talks is barge-in; bargeIn: false only shuts the gate', async () => {
    const v = voice({ mode: 'ptt' });
    v.actor.send({ type: 'turn.changed', turn: 'agent' });
    v.actor.send({ type: 'ptt', pressed: true });
    expect(v.actor.getSnapshot().hasTag('bargingIn')).toBe(true);
    const quiet = voice({ mode: 'ptt', bargeIn: false });
    quiet.actor.send({ type: 'turn.changed', turn: 'agent' });
    quiet.actor.send({ type: 'ptt', pressed: true });
    expect(quiet.actor.getSnapshot().value).toBe('agentTalking');
    await tick();
    expect(quiet.cancels).toEqual([]);
  });

  it('a failed cancel gives up with the reason; a server that never gives the turn times out', async () => {
    const failing = voice({ mode: 'ptt', cancel: () => Promise.reject(Object.assign(new Error('not ready'), { reason: 'not_ready' })) });
    failing.actor.send({ type: 'turn.changed', turn: 'agent' });
    failing.actor.send({ type: 'ptt', pressed: true });
    await tick();
    expect(failing.actor.getSnapshot().value).toBe('agentTalking');
    expect(failing.actor.getSnapshot().context.lastError).toEqual({ reason: 'not_ready', message: 'not ready' });

    const stuck = voice({ mode: 'ptt' });
    stuck.actor.send({ type: 'turn.changed', turn: 'agent' });
    stuck.actor.send({ type: 'ptt', pressed: true });
    await tick();
    stuck.clock.increment(5_000);
    expect(stuck.actor.getSnapshot().value).toBe('agentTalking');
    expect(stuck.actor.getSnapshot().context.lastError?.reason).toBe('timeout');
  });

  it('speaking over the tail of a finished answer (the user turn) stops playback without a cancel', async () => {
    const v = voice({ mode: 'vad' });
    v.actor.send({ type: 'turn.changed', turn: 'user' });
    const before = v.flushes();
    v.actor.send({ type: 'input.speech', speaking: true });
    expect(v.flushes()).toBe(before + 1);
    await tick();
    expect(v.cancels).toEqual([]);
  });
});

describe('playback machine', () => {
  it('the voices none and avatar shut the gate; a PCM voice opens it at its rate', () => {
    const v = voice();
    v.actor.send({ type: 'voice.changed', output: voiceOutput({ voice_id: 'none', output_format: 'none' }) });
    expect(v.lastSpeakerGate()?.open).toBe(false);
    v.actor.send({ type: 'voice.changed', output: voiceOutput({ voice_id: 'alloy', output_format: 'pcm16' }, 24_000) });
    expect(v.lastSpeakerGate()).toEqual({ type: 'speaker.gate', open: true, sampleRate: 24_000 });
    v.actor.send({ type: 'voice.changed', output: voiceOutput({ voice_id: 'avatar', output_format: 'special' }) });
    expect(v.lastSpeakerGate()?.open).toBe(false);
  });

  it('a cancel that went out (from anywhere) stops playback and drops frames until the next interaction', () => {
    const v = voice();
    v.actor.send({ type: 'interaction.changed', live: true });
    v.speaker.state.emit!({ type: 'speaker.playing' });
    expect(v.playback.getSnapshot().hasTag('playing')).toBe(true);
    v.actor.send({ type: 'cancel.sent' });
    expect(v.flushes()).toBe(1);
    expect(v.lastSpeakerGate()?.open).toBe(false);
    expect(v.playback.getSnapshot().hasTag('interrupted')).toBe(true);
    v.speaker.state.emit!({ type: 'speaker.idle' });
    v.actor.send({ type: 'interaction.changed', live: false });
    expect(v.lastSpeakerGate()?.open).toBe(false); // the interrupted answer's end does not reopen it
    v.actor.send({ type: 'interaction.changed', live: true });
    expect(v.lastSpeakerGate()?.open).toBe(true);
  });

  it('volume, unlock and the context state reach the speaker and the context', () => {
    const v = voice();
    v.actor.send({ type: 'voice.volume', volume: 0.25 });
    v.actor.send({ type: 'voice.unlock' });
    v.speaker.state.emit!({ type: 'speaker.context', state: 'running' });
    expect(v.speaker.state.commands).toContainEqual({ type: 'speaker.volume', volume: 0.25 });
    expect(v.speaker.state.commands).toContainEqual({ type: 'speaker.unlock' });
    expect(v.playback.getSnapshot().context).toMatchObject({ volume: 0.25, contextState: 'running' });
  });
});
