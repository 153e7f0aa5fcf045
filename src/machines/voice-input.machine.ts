/**
 * The input mode: push-to-talk (held or released), voice activity (quiet or speaking) or off. It
 * tells its parent the mode and the user's intent to speak (the button held, or speech heard),
 * which the voice turns into the microphone's gate and into barge-in.
 */
import { enqueueActions, setup } from 'xstate';
import type { InputMode } from './voice.logic.js';

export type VoiceInputEvent =
  | { type: 'mode.set'; mode: InputMode }
  | { type: 'ptt.press' }
  | { type: 'ptt.release' }
  /** The microphone's energy gate opened or closed. */
  | { type: 'input.speech'; speaking: boolean };

/** What it tells its parent. */
export type VoiceInputNotice = { type: 'input.changed'; mode: InputMode; intent: boolean };

export interface VoiceInputInput {
  readonly mode: InputMode;
}

export const voiceInputMachine = setup({
  types: { events: {} as VoiceInputEvent, input: {} as VoiceInputInput, context: {} as VoiceInputInput },
  guards: {
    toPtt: ({ event }) => event.type === 'mode.set' && event.mode === 'ptt',
    toVad: ({ event }) => event.type === 'mode.set' && event.mode === 'vad',
    startsPtt: ({ context }) => context.mode === 'ptt',
    startsVad: ({ context }) => context.mode === 'vad',
    speaking: ({ event }) => event.type === 'input.speech' && event.speaking,
    quiet: ({ event }) => event.type === 'input.speech' && !event.speaking,
  },
  actions: {
    tell: enqueueActions(({ enqueue, self }, params: VoiceInputNotice) => {
      if (self._parent) enqueue.sendTo(self._parent, params);
    }),
  },
}).createMachine({
  id: 'voiceInput',
  context: ({ input }) => ({ mode: input.mode }),
  initial: 'choosing',
  on: {
    'mode.set': [{ guard: 'toPtt', target: '.ptt' }, { guard: 'toVad', target: '.vad' }, { target: '.off' }],
  },
  states: {
    choosing: {
      description: 'The mode the voice was created with.',
      always: [
        { guard: 'startsPtt', target: 'ptt' },
        { guard: 'startsVad', target: 'vad' },
        { target: 'off' },
      ],
    },
    off: {
      description: 'The microphone may be open, but nothing goes out.',
      entry: { type: 'tell', params: { type: 'input.changed', mode: 'off', intent: false } },
    },
    ptt: {
      description: 'Push-to-talk: frames go out while the button is held (and the user holds the turn).',
      initial: 'released',
      states: {
        released: {
          entry: { type: 'tell', params: { type: 'input.changed', mode: 'ptt', intent: false } },
          on: { 'ptt.press': 'pressed' },
        },
        pressed: {
          tags: 'intent',
          entry: { type: 'tell', params: { type: 'input.changed', mode: 'ptt', intent: true } },
          on: { 'ptt.release': 'released' },
        },
      },
    },
    vad: {
      description: "Voice activity: every frame of the user's turn goes out (the server finds the utterance's end); speech heard while the agent talks is barge-in.",
      initial: 'quiet',
      states: {
        quiet: {
          entry: { type: 'tell', params: { type: 'input.changed', mode: 'vad', intent: false } },
          on: { 'input.speech': { guard: 'speaking', target: 'speaking' } },
        },
        speaking: {
          tags: 'intent',
          entry: { type: 'tell', params: { type: 'input.changed', mode: 'vad', intent: true } },
          on: { 'input.speech': { guard: 'quiet', target: 'quiet' } },
        },
      },
    },
  },
});
