/**
 * The voice: capture, playback and the input mode composed with the client's turn-taking and
 * outbox. It owns the microphone's gate (frames go out only while the user holds the turn, and the
 * mode says so) and barge-in: speaking while the agent talks stops playback at once, cancels the
 * answer through the client (the outbox sends the cancel), and opens the gate once the server gives
 * the user the turn.
 *
 * The turn, the interaction in flight, the current voice and every cancel that went out are told to
 * it by the audio entry (from the client's observables); it never reads another actor's snapshot.
 */
import { and, assign, enqueueActions, fromPromise, not, setup } from 'xstate';
import { captureMachine } from './capture.machine.js';
import { playbackMachine, type PlaybackInput } from './playback.machine.js';
import { voiceInputMachine, type VoiceInputNotice } from './voice-input.machine.js';
import { mayStream, type InputMode, type VoiceOutput, type VoiceTurn } from './voice.logic.js';

export interface VoiceInput {
  readonly mode: InputMode;
  /** Frames go out only while the user holds the turn. @default true */
  readonly respectTurnState: boolean;
  /** Speaking while the agent talks cancels its answer. @default true */
  readonly bargeIn: boolean;
  /** How long barge-in waits for the server to give the turn back before it gives up. */
  readonly bargeInTimeoutMs: number;
  readonly playback: PlaybackInput;
}

export interface VoiceContext {
  readonly mode: InputMode;
  readonly intent: boolean;
  readonly turn: VoiceTurn;
  /** An interaction of the current session runs. */
  readonly live: boolean;
  readonly respectTurnState: boolean;
  readonly bargeIn: boolean;
  readonly bargeInTimeoutMs: number;
  /** Why the last barge-in did not get the turn, if it failed. */
  readonly lastError: { readonly reason: string; readonly message: string } | null;
  readonly playback: PlaybackInput;
}

export type VoiceEvent =
  | { type: 'voice.start' }
  | { type: 'voice.stop' }
  | { type: 'mode.set'; mode: InputMode }
  | { type: 'ptt'; pressed: boolean }
  | { type: 'voice.unlock' }
  | { type: 'voice.volume'; volume: number }
  /** From the client: whose turn it is. */
  | { type: 'turn.changed'; turn: VoiceTurn }
  /** From the client: an interaction of the current session runs (`live`), with its id when known. */
  | { type: 'interaction.changed'; live: boolean }
  /** From the client: the current voice. */
  | { type: 'voice.changed'; output: VoiceOutput }
  /** From the client's data plane: a cancel went on the wire. */
  | { type: 'cancel.sent' }
  /** From the capture: the energy gate's edges. */
  | { type: 'input.speech'; speaking: boolean }
  | VoiceInputNotice;

export const voiceMachine = setup({
  types: { context: {} as VoiceContext, events: {} as VoiceEvent, input: {} as VoiceInput },
  actors: {
    capture: captureMachine,
    playback: playbackMachine,
    voiceInput: voiceInputMachine,
    /** Cancels the running answer through the client (filled by the audio entry). */
    cancelAnswer: fromPromise<void>(async () => undefined),
  },
  delays: {
    bargeInTimeout: ({ context }) => context.bargeInTimeoutMs,
  },
  guards: {
    agentHasTurn: ({ context }) => context.turn === 'agent',
    /** The user starts to speak (the intent's rising edge: speech that began before the agent's turn is not barge-in). */
    startsSpeaking: ({ context, event }) => event.type === 'input.changed' && event.intent && !context.intent,
    bargeInAllowed: ({ context }) => context.bargeIn,
  },
  actions: {
    noteTurn: assign({ turn: ({ context, event }) => (event.type === 'turn.changed' ? event.turn : context.turn) }),
    noteInteraction: assign({ live: ({ context, event }) => (event.type === 'interaction.changed' ? event.live : context.live) }),
    noteInput: assign(({ event }) => (event.type === 'input.changed' ? { mode: event.mode, intent: event.intent } : {})),
    noteBargeInFailure: assign({
      lastError: ({ event }) => {
        const error = (event as { error?: { reason?: unknown; message?: unknown } }).error;
        return { reason: typeof error?.reason === 'string' ? error.reason : 'cancel_failed', message: typeof error?.message === 'string' ? error.message : String(error) };
      },
    }),
    noteBargeInTimeout: assign({ lastError: { reason: 'timeout', message: 'barge-in: the server did not give the turn back in time' } }),
    clearError: assign({ lastError: null }),
    /** Tells the capture whether frames may go out now (idempotent; sent after every change it weighs). */
    gate: enqueueActions(({ context, enqueue }) => enqueue.sendTo('capture', { type: 'capture.stream', on: mayStream(context) })),
    shutGate: enqueueActions(({ enqueue }) => enqueue.sendTo('capture', { type: 'capture.stream', on: false })),
    startCapture: enqueueActions(({ enqueue }) => enqueue.sendTo('capture', { type: 'capture.start' })),
    stopCapture: enqueueActions(({ enqueue }) => enqueue.sendTo('capture', { type: 'capture.stop' })),
    forwardToInput: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'mode.set') enqueue.sendTo('voiceInput', event);
      else if (event.type === 'ptt') enqueue.sendTo('voiceInput', { type: event.pressed ? 'ptt.press' : 'ptt.release' });
      else if (event.type === 'input.speech') enqueue.sendTo('voiceInput', event);
    }),
    interruptPlayback: enqueueActions(({ enqueue }) => enqueue.sendTo('playback', { type: 'playback.interrupt' })),
    flushPlayback: enqueueActions(({ enqueue }) => enqueue.sendTo('playback', { type: 'playback.flush' })),
    resumePlayback: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'interaction.changed' && event.live) enqueue.sendTo('playback', { type: 'playback.resume' });
    }),
    forwardToPlayback: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'voice.changed') enqueue.sendTo('playback', { type: 'playback.voice', output: event.output });
      else if (event.type === 'voice.volume') enqueue.sendTo('playback', { type: 'playback.volume', volume: event.volume });
      else if (event.type === 'voice.unlock') enqueue.sendTo('playback', { type: 'playback.unlock' });
    }),
  },
}).createMachine({
  id: 'voice',
  context: ({ input }) => ({
    mode: input.mode,
    intent: false,
    turn: 'unknown',
    live: false,
    respectTurnState: input.respectTurnState,
    bargeIn: input.bargeIn,
    bargeInTimeoutMs: input.bargeInTimeoutMs,
    lastError: null,
    playback: input.playback,
  }),
  invoke: [
    { id: 'capture', systemId: 'capture', src: 'capture' },
    { id: 'playback', systemId: 'playback', src: 'playback', input: ({ context }) => context.playback },
    { id: 'voiceInput', systemId: 'voiceInput', src: 'voiceInput', input: ({ context }) => ({ mode: context.mode }) },
  ],
  on: {
    'voice.start': { actions: ['startCapture', 'gate'] },
    'voice.stop': { actions: 'stopCapture' },
    'mode.set': { actions: 'forwardToInput' },
    ptt: { actions: 'forwardToInput' },
    'input.speech': { actions: 'forwardToInput' },
    'voice.changed': { actions: 'forwardToPlayback' },
    'voice.volume': { actions: 'forwardToPlayback' },
    'voice.unlock': { actions: 'forwardToPlayback' },
    'cancel.sent': { actions: 'interruptPlayback' },
    'interaction.changed': { actions: ['noteInteraction', 'resumePlayback'] },
    'turn.changed': { actions: ['noteTurn', 'gate'] },
  },
  initial: 'listening',
  states: {
    listening: {
      description: "The user's turn (or nobody's yet): the gate follows the mode. Speaking over the tail of a finished answer stops its playback.",
      always: { guard: 'agentHasTurn', target: 'agentTalking' },
      on: {
        'input.changed': [
          { guard: 'startsSpeaking', actions: ['noteInput', 'gate', 'flushPlayback'] },
          { actions: ['noteInput', 'gate'] },
        ],
      },
    },
    agentTalking: {
      description: 'The agent holds the turn: the gate is shut; the user speaking is barge-in.',
      always: { guard: not('agentHasTurn'), target: 'listening' },
      on: {
        'input.changed': [
          { guard: and(['startsSpeaking', 'bargeInAllowed']), target: 'bargingIn', actions: ['noteInput', 'gate'] },
          { actions: ['noteInput', 'gate'] },
        ],
      },
    },
    bargingIn: {
      description: "The user spoke over the agent: playback stopped, the answer's cancel went out through the outbox; the gate opens once the server gives the turn.",
      tags: 'bargingIn',
      entry: ['clearError', 'interruptPlayback', 'shutGate'],
      always: { guard: not('agentHasTurn'), target: 'listening' },
      on: { 'input.changed': { actions: ['noteInput', 'gate'] } },
      initial: 'cancelling',
      states: {
        cancelling: {
          invoke: {
            id: 'cancel',
            src: 'cancelAnswer',
            onDone: 'waitingForTurn',
            onError: { target: '#voice.agentTalking', actions: 'noteBargeInFailure' },
          },
        },
        waitingForTurn: {},
      },
      after: { bargeInTimeout: { target: 'agentTalking', actions: 'noteBargeInTimeout' } },
    },
  },
});
