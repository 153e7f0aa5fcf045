/**
 * Properties of the voice statechart over random sequences of what the client and the user do
 * (turn changes, interactions, modes, push-to-talk, speech edges, cancels, voices, start and stop),
 * with fake microphone and speaker actors on a simulated clock:
 * - the microphone's gate is open exactly when the rule says (`mayStream`), after every step: never
 *   outside the user's turn, never in `off`, in `ptt` only while held;
 * - barge-in never opens the gate while the agent holds the turn, and each barge-in sends at most
 *   one cancel;
 * - the speaker's gate is shut for the voices that do not speak here, and from an interrupt until
 *   the next interaction starts;
 * - the microphone actor runs only while the capture is open (released in every other state).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock, type ActorRefFrom } from 'xstate';
import { captureMachine, type MicrophoneCommand, type MicrophoneEvent } from '../../../src/machines/capture.machine.js';
import { playbackMachine, type SpeakerCommand, type SpeakerEvent } from '../../../src/machines/playback.machine.js';
import { voiceMachine, type VoiceEvent } from '../../../src/machines/voice.machine.js';
import { mayStream, voiceOutput } from '../../../src/machines/voice.logic.js';

type Step =
  | { kind: 'event'; event: VoiceEvent }
  | { kind: 'mic'; event: MicrophoneEvent }
  | { kind: 'tick'; ms: number }
  | { kind: 'settle' };

const voices = [
  { voice_id: 'none', output_format: 'none' },
  { voice_id: 'avatar', output_format: 'special' },
  { voice_id: 'alloy', output_format: 'pcm16' },
] as const;

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom<VoiceEvent['type']>('turn.changed').chain(() => fc.constantFrom('user', 'agent', 'unknown').map((turn): Step => ({ kind: 'event', event: { type: 'turn.changed', turn } }))),
  fc.boolean().map((live): Step => ({ kind: 'event', event: { type: 'interaction.changed', live } })),
  fc.constantFrom('ptt', 'vad', 'off').map((mode): Step => ({ kind: 'event', event: { type: 'mode.set', mode } })),
  fc.boolean().map((pressed): Step => ({ kind: 'event', event: { type: 'ptt', pressed } })),
  fc.boolean().map((speaking): Step => ({ kind: 'mic', event: { type: 'mic.speech', speaking } })),
  fc.constant<Step>({ kind: 'event', event: { type: 'cancel.sent' } }),
  fc.constantFrom(...voices).map((voice): Step => ({ kind: 'event', event: { type: 'voice.changed', output: voiceOutput(voice) } })),
  fc.constant<Step>({ kind: 'event', event: { type: 'voice.start' } }),
  fc.constant<Step>({ kind: 'event', event: { type: 'voice.stop' } }),
  fc.constant<Step>({ kind: 'mic', event: { type: 'mic.ready', sampleRate: 48_000, deviceId: null } }),
  fc.constant<Step>({ kind: 'mic', event: { type: 'mic.failed', code: 'MICROPHONE_ACCESS_ERROR', message: 'no', denied: true } }),
  fc.constant<Step>({ kind: 'mic', event: { type: 'mic.lost', code: 'MICROPHONE_ACCESS_ERROR', message: 'gone' } }),
  fc.integer({ min: 1, max: 6_000 }).map((ms): Step => ({ kind: 'tick', ms })),
  fc.constant<Step>({ kind: 'settle' }),
);

function run(steps: readonly Step[], cancelOutcome: 'resolve' | 'reject') {
  const mic = { alive: 0, gate: false, emit: null as ((event: MicrophoneEvent) => void) | null };
  const speaker = { open: true };
  let cancels = 0;
  const clock = new SimulatedClock();
  const actor = createActor(
    voiceMachine.provide({
      actors: {
        capture: captureMachine.provide({
          actors: {
            microphone: fromCallback<MicrophoneCommand, void, MicrophoneEvent>(({ sendBack, receive }) => {
              mic.alive++;
              mic.gate = false;
              mic.emit = sendBack;
              receive((command) => (mic.gate = command.on));
              return () => {
                mic.alive--;
                mic.gate = false;
                mic.emit = null;
              };
            }),
          },
        }),
        playback: playbackMachine.provide({
          actors: {
            speaker: fromCallback<SpeakerCommand, void, SpeakerEvent>(({ receive }) => {
              receive((command) => {
                if (command.type === 'speaker.gate') speaker.open = command.open;
              });
              return () => undefined;
            }),
          },
        }),
        cancelAnswer: fromPromise(() => {
          cancels++;
          return cancelOutcome === 'resolve' ? Promise.resolve() : Promise.reject(new Error('refused'));
        }),
      },
    }),
    { clock, input: { mode: 'ptt', respectTurnState: true, bargeIn: true, bargeInTimeoutMs: 5_000, playback: {} } },
  ).start();
  const capture = actor.system.get('capture') as ActorRefFrom<typeof captureMachine>;
  const playback = actor.system.get('playback') as ActorRefFrom<typeof playbackMachine>;

  let bargeIns = 0;
  let wasBarging = false;
  const check = (where: string) => {
    const { context } = actor.getSnapshot();
    const recording = capture.getSnapshot().hasTag('recording');
    const open = capture.getSnapshot().matches('open');
    // the gate the microphone was told, where a microphone runs, equals the rule
    if (open) expect(mic.gate, `${where}: microphone gate`).toBe(mayStream(context) && capture.getSnapshot().context.sampleRate !== null);
    expect(recording, `${where}: recording iff the rule says so`).toBe(open && capture.getSnapshot().context.sampleRate !== null && mayStream(context));
    if (context.turn !== 'user') expect(mic.gate, `${where}: never outside the user turn`).toBe(false);
    // released in every state but open
    expect(mic.alive, `${where}: microphone actors alive`).toBe(open ? 1 : 0);
    // the speaker's gate
    const pb = playback.getSnapshot().context;
    expect(speaker.open, `${where}: speaker gate`).toBe(pb.output.kind !== 'silent' && !pb.interrupted);
    const barging = actor.getSnapshot().hasTag('bargingIn');
    if (barging) expect(context.turn, `${where}: barging in only over the agent`).toBe('agent');
    if (barging && !wasBarging) bargeIns++;
    wasBarging = barging;
  };
  return {
    async play() {
      check('start');
      for (const [index, s] of steps.entries()) {
        if (s.kind === 'event') actor.send(s.event);
        else if (s.kind === 'mic') mic.emit?.(s.event);
        else if (s.kind === 'tick') clock.increment(s.ms);
        else await new Promise((resolve) => setTimeout(resolve, 0));
        check(`step ${index} ${JSON.stringify(s)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
      check('end');
      expect(cancels).toBeLessThanOrEqual(bargeIns);
      actor.stop();
      expect(mic.alive).toBe(0);
    },
  };
}

describe('voice properties', () => {
  it('the gates follow the rules after every step; barge-in cancels at most once and only over the agent; the microphone runs only while open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.constantFrom<'resolve' | 'reject'>('resolve', 'reject'), async (steps, outcome) => {
        await run(steps, outcome).play();
      }),
      { numRuns: 300 },
    );
  });
});
