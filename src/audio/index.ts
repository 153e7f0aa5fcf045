/**
 * `agentc-realtime/audio`: the voice of a client (microphone capture, playback of the agent's
 * speech, push-to-talk, voice activity and barge-in) and the DSP helpers it is built on. The core
 * entry never imports this one: a text-only app never loads it. It imports cleanly in Node too
 * (browser APIs are touched only when used), so the DSP helpers serve there.
 *
 * @module
 */
export { createVoice } from './voice.js';
export type { AudioSource, InputMode, Voice, VoiceInputState, VoiceInputView, VoiceOptions, VoiceOutputView, VoiceStateView } from './voice.js';
export { createResampler, floatToPcm16, pcm16ToFloat } from './dsp.js';
export type { Resampler } from './dsp.js';
export { AudioProcessorError, AudioProcessorErrorCode } from './errors.js';
export type { AudioProcessorErrorDetails } from './errors.js';
export type { CaptureHandlers } from './capture.js';
export type { Player, PlayerStatus } from './player.js';
