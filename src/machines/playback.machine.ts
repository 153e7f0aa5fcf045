/**
 * Playback of the agent's speech: the audio context's state (autoplay: locked until `unlock()` from
 * a user gesture), whether speech plays, and the interrupt epoch. The speaker itself is an I/O actor
 * (`speaker`, filled by the audio entry) that hears the binary frames on the data plane and plays
 * them gaplessly while its gate is open; PCM never reaches this machine.
 *
 * The gate is shut for the voices that do not speak here (`none`, `avatar`) and from an interrupt
 * (a cancel went out, or the user barged in) until the next interaction starts: the interrupted
 * answer's late frames are dropped, not played.
 */
import { assign, enqueueActions, fromCallback, setup } from 'xstate';
import { DEFAULT_OUTPUT_RATE, type VoiceOutput } from './voice.logic.js';

/** The audio context's state, as the speaker reports it (`none` before it exists). */
export type SpeakerContextState = 'none' | 'suspended' | 'running' | 'closed';

/** What the speaker tells the playback. */
export type SpeakerEvent =
  | { type: 'speaker.context'; state: SpeakerContextState }
  /** Sound is scheduled (the first frame after silence). */
  | { type: 'speaker.playing' }
  /** The last scheduled frame finished, or everything was stopped. */
  | { type: 'speaker.idle' };

/** What the playback tells the speaker. */
export type SpeakerCommand =
  | { type: 'speaker.gate'; open: boolean; sampleRate: number }
  /** Stop every scheduled source at once. */
  | { type: 'speaker.flush' }
  | { type: 'speaker.volume'; volume: number }
  | { type: 'speaker.unlock' };

export type PlaybackEvent =
  /** The current voice changed (or became known). */
  | { type: 'playback.voice'; output: VoiceOutput }
  /** A cancel went out or the user barged in: stop now, and drop the interrupted answer's frames. */
  | { type: 'playback.interrupt' }
  /** A new interaction started: its frames play again. */
  | { type: 'playback.resume' }
  /** Stop what plays now (the user spoke over the tail of a finished answer). */
  | { type: 'playback.flush' }
  | { type: 'playback.volume'; volume: number }
  | { type: 'playback.unlock' }
  | SpeakerEvent;

export interface PlaybackContext {
  readonly output: VoiceOutput;
  readonly volume: number;
  readonly interrupted: boolean;
  readonly contextState: SpeakerContextState;
}

export interface PlaybackInput {
  readonly volume?: number;
  /** The rate of PCM16 voices. @default 24000 */
  readonly outputRate?: number;
}

export const playbackMachine = setup({
  types: { context: {} as PlaybackContext, events: {} as PlaybackEvent, input: {} as PlaybackInput },
  actors: {
    /** Filled by the audio entry (`createVoice`); this one plays nothing. */
    speaker: fromCallback<SpeakerCommand, void, SpeakerEvent>(() => () => undefined),
  },
  actions: {
    noteVoice: assign({ output: ({ context, event }) => (event.type === 'playback.voice' ? event.output : context.output) }),
    noteVolume: assign({ volume: ({ context, event }) => (event.type === 'playback.volume' ? event.volume : context.volume) }),
    noteContext: assign({ contextState: ({ context, event }) => (event.type === 'speaker.context' ? event.state : context.contextState) }),
    interrupt: assign({ interrupted: true }),
    resume: assign({ interrupted: false }),
    /** Tells the speaker whether frames play, and at which rate. */
    gate: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo('speaker', { type: 'speaker.gate', open: context.output.kind !== 'silent' && !context.interrupted, sampleRate: context.output.sampleRate });
    }),
    flush: enqueueActions(({ enqueue }) => enqueue.sendTo('speaker', { type: 'speaker.flush' })),
    sendVolume: enqueueActions(({ context, enqueue }) => enqueue.sendTo('speaker', { type: 'speaker.volume', volume: context.volume })),
    unlock: enqueueActions(({ enqueue }) => enqueue.sendTo('speaker', { type: 'speaker.unlock' })),
  },
}).createMachine({
  id: 'playback',
  context: ({ input }) => ({
    output: { kind: 'unknown', sampleRate: input.outputRate ?? DEFAULT_OUTPUT_RATE },
    volume: input.volume ?? 1,
    interrupted: false,
    contextState: 'none',
  }),
  invoke: { id: 'speaker', src: 'speaker' },
  type: 'parallel',
  entry: ['gate', 'sendVolume'],
  on: {
    'playback.volume': { actions: ['noteVolume', 'sendVolume'] },
    'playback.unlock': { actions: 'unlock' },
    'playback.flush': { actions: 'flush' },
    'playback.voice': { actions: ['noteVoice', 'flush', 'gate'] },
    'speaker.context': { actions: 'noteContext' },
  },
  states: {
    output: {
      description: 'Whether sound is scheduled now.',
      initial: 'silent',
      states: {
        silent: { tags: 'silent', on: { 'speaker.playing': 'playing' } },
        playing: { tags: 'playing', on: { 'speaker.idle': 'silent' } },
      },
    },
    epoch: {
      description: 'The interrupt epoch: after a cancel or a barge-in, frames are dropped until the next interaction starts.',
      initial: 'open',
      states: {
        open: { on: { 'playback.interrupt': { target: 'interrupted', actions: ['interrupt', 'flush', 'gate'] } } },
        interrupted: {
          tags: 'interrupted',
          on: {
            'playback.interrupt': { actions: 'flush' },
            'playback.resume': { target: 'open', actions: ['resume', 'gate'] },
          },
        },
      },
    },
  },
});
