/**
 * Pure rules of the voice (no xstate): when microphone frames may go out, what the current voice
 * means for playback, and the defaults.
 */
import type { Voice } from '../schema/catalog.js';

/** How the user hands speech over: push-to-talk, voice activity, or not at all. */
export type InputMode = 'ptt' | 'vad' | 'off';

/** Whose turn it is, as the client's `turn$` says. */
export type VoiceTurn = 'unknown' | 'user' | 'agent';

/** The wire rate of microphone frames by default (docs/protocol.md §8). */
export const DEFAULT_WIRE_RATE = 24_000;
/** The rate of the server's speech when the voice does not say (OpenAI voices: PCM16 at 24 kHz). */
export const DEFAULT_OUTPUT_RATE = 24_000;
/** Samples per microphone frame on the wire by default (200 ms at 24 kHz, as the seeds' `bufferSize`). */
export const DEFAULT_CHUNK_SIZE = 4_800;

/** What the gate of the microphone frames weighs. */
export interface GateInput {
  readonly mode: InputMode;
  /** Push-to-talk held, or speech heard (voice activity). */
  readonly intent: boolean;
  readonly turn: VoiceTurn;
  /** Frames go out only while the user holds the turn (`respectTurnState`). */
  readonly respectTurnState: boolean;
}

/**
 * Whether microphone frames go out now. In `vad` mode every frame of the user's turn goes out (the
 * server finds the end of the utterance); in `ptt` mode only while the button is held; never in
 * `off`. With `respectTurnState`, never outside the user's turn: frames then are dropped and
 * counted, never kept to be sent late.
 */
export function mayStream({ mode, intent, turn, respectTurnState }: GateInput): boolean {
  if (mode === 'off') return false;
  if (respectTurnState && turn !== 'user') return false;
  return mode === 'vad' || intent;
}

/** What the current voice means for local playback. */
export type VoiceOutput =
  /** Nothing is known yet (the init burst does not say, docs/protocol.md §6.8): play what comes. */
  | { readonly kind: 'unknown'; readonly sampleRate: number }
  /** A voice that speaks PCM16 at `sampleRate`. */
  | { readonly kind: 'pcm'; readonly sampleRate: number }
  /** `none` (text only) or `avatar` (the avatar speaks): nothing is played here. */
  | { readonly kind: 'silent'; readonly sampleRate: number };

/** The playback a voice asks for; `outputRate` is the rate of PCM16 voices (24 kHz for OpenAI's). */
export function voiceOutput(voice: Pick<Voice, 'voice_id' | 'output_format'> | null, outputRate = DEFAULT_OUTPUT_RATE): VoiceOutput {
  if (!voice) return { kind: 'unknown', sampleRate: outputRate };
  if (voice.voice_id === 'none' || voice.voice_id === 'avatar' || voice.output_format !== 'pcm16') return { kind: 'silent', sampleRate: outputRate };
  return { kind: 'pcm', sampleRate: outputRate };
}
