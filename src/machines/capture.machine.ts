/**
 * Microphone capture: idle → requesting permission → ready ⇄ recording, or permission denied /
 * failed with the seeds' `AudioProcessorErrorCode` as the reason. The microphone itself is an I/O
 * actor (`microphone`, filled by the audio entry) invoked while the capture is open: leaving `open`
 * by any path stops it, which releases the microphone and the audio context.
 *
 * Data plane apart: PCM never reaches this machine. It only says whether frames may go out
 * (`mic.stream`), and hears the microphone's edges: ready, failed, lost, a device change, and speech
 * starting or stopping (the energy gate's edges, never its levels).
 */
import { assign, fromCallback, not, sendParent, sendTo, setup } from 'xstate';

/** What the microphone actor tells the capture. */
export type MicrophoneEvent =
  | { type: 'mic.ready'; sampleRate: number; deviceId: string | null }
  /** It could not open: `code` is an `AudioProcessorErrorCode`; `denied` when the user or the browser refused the microphone. */
  | { type: 'mic.failed'; code: string; message: string; denied: boolean }
  /** The device went away and none could replace it. */
  | { type: 'mic.lost'; code: string; message: string }
  /** Another device now feeds the same capture (nothing reconnects). */
  | { type: 'mic.deviceChanged'; deviceId: string | null }
  /** Speech started or stopped (the energy gate's edges, with hysteresis and hangover). */
  | { type: 'mic.speech'; speaking: boolean };

/** What the capture tells the microphone actor: whether its frames may go out now. */
export type MicrophoneCommand = { type: 'mic.stream'; on: boolean };

export type CaptureEvent =
  | { type: 'capture.start' }
  | { type: 'capture.stop' }
  /** The voice's gate: frames may go out (the user's turn, and the mode says so). */
  | { type: 'capture.stream'; on: boolean }
  | MicrophoneEvent;

/** A named failure. */
export interface CaptureProblem {
  readonly code: string;
  readonly message: string;
}

export interface CaptureContext {
  /** The voice's gate, as last told (kept while the microphone opens). */
  readonly wanted: boolean;
  readonly sampleRate: number | null;
  readonly deviceId: string | null;
  readonly problem: CaptureProblem | null;
}

/** The states of the capture as tags (what `input$` reads). */
export type CaptureTag = 'idle' | 'requestingPermission' | 'ready' | 'recording' | 'permissionDenied' | 'failed';

export const captureMachine = setup({
  types: { context: {} as CaptureContext, events: {} as CaptureEvent },
  actors: {
    /** Filled by the audio entry (`createVoice`); this one never opens anything. */
    microphone: fromCallback<MicrophoneCommand, void, MicrophoneEvent>(() => () => undefined),
  },
  guards: {
    wantsStream: ({ context }) => context.wanted,
    denied: ({ event }) => event.type === 'mic.failed' && event.denied,
  },
  actions: {
    noteWanted: assign({ wanted: ({ event }) => (event.type === 'capture.stream' ? event.on : false) }),
    noteReady: assign(({ event }) => (event.type === 'mic.ready' ? { sampleRate: event.sampleRate, deviceId: event.deviceId, problem: null } : {})),
    noteDevice: assign({ deviceId: ({ context, event }) => (event.type === 'mic.deviceChanged' ? event.deviceId : context.deviceId) }),
    noteProblem: assign({
      problem: ({ event }) => (event.type === 'mic.failed' || event.type === 'mic.lost' ? { code: event.code, message: event.message } : null),
    }),
    clearProblem: assign({ problem: null }),
    forgetDevice: assign({ sampleRate: null, deviceId: null }),
    streamOn: sendTo('microphone', { type: 'mic.stream', on: true }),
    streamOff: sendTo('microphone', { type: 'mic.stream', on: false }),
    tellSpeech: sendParent(({ event }) => ({ type: 'input.speech', speaking: event.type === 'mic.speech' && event.speaking })),
  },
}).createMachine({
  id: 'capture',
  context: { wanted: false, sampleRate: null, deviceId: null, problem: null },
  initial: 'idle',
  on: { 'capture.stream': { actions: 'noteWanted' } },
  states: {
    idle: {
      description: 'No microphone is open.',
      tags: 'idle',
      entry: 'forgetDevice',
      on: { 'capture.start': 'open' },
    },
    open: {
      description: 'The microphone actor runs: leaving this state by any path releases the microphone and its audio context.',
      invoke: { id: 'microphone', src: 'microphone' },
      initial: 'acquiring',
      entry: 'clearProblem',
      on: {
        'capture.stop': 'idle',
        'mic.lost': { target: 'failed', actions: 'noteProblem' },
        'mic.deviceChanged': { actions: 'noteDevice' },
        'mic.speech': { actions: 'tellSpeech' },
      },
      states: {
        acquiring: {
          description: 'Asking for the microphone (the browser may show a permission prompt), then loading the worklet.',
          tags: 'requestingPermission',
          on: {
            'mic.ready': { target: 'ready', actions: 'noteReady' },
            'mic.failed': [
              { guard: 'denied', target: '#capture.permissionDenied', actions: 'noteProblem' },
              { target: '#capture.failed', actions: 'noteProblem' },
            ],
          },
        },
        ready: {
          description: 'The microphone is open; its frames are dropped (and counted) because the gate is shut.',
          tags: 'ready',
          entry: 'streamOff',
          always: { guard: 'wantsStream', target: 'recording' },
        },
        recording: {
          description: 'Frames go out as they are captured.',
          tags: 'recording',
          entry: 'streamOn',
          exit: 'streamOff',
          always: { guard: not('wantsStream'), target: 'ready' },
        },
      },
    },
    permissionDenied: {
      description: 'The user or the browser refused the microphone (MICROPHONE_ACCESS_ERROR); nothing is held. `start` asks again.',
      tags: 'permissionDenied',
      on: { 'capture.start': 'open', 'capture.stop': 'idle' },
    },
    failed: {
      description: 'The microphone could not open or was lost, with the reason; nothing is held. `start` tries again.',
      tags: 'failed',
      on: { 'capture.start': 'open', 'capture.stop': 'idle' },
    },
  },
});
