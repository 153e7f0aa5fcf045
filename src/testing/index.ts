/**
 * `agentc-realtime/testing`: tools for an app's tests (Node only) — a simulator to test against,
 * `record(client)` to capture a live session into a JSON recording (secrets replaced), and
 * `replay(recording)` to play it back against a fresh client on a simulated clock, deterministically.
 *
 * @example
 * import { record, replay, startSimulator } from 'agentc-realtime/testing';
 */
export { startSimulator } from './simulator.js';
export { record } from './record.js';
export { replay } from './replay.js';
export { parseRecording, RecordingError, RECORDING_FORMAT } from './recording.js';
export type { RecordOptions, Recorder } from './record.js';
export type { Divergence, ReplayedResult, ReplayOptions, ReplayResult } from './replay.js';
export type { RecordedCommand, RecordedOptions, Recording, RecordingErrorReason, RecordingEvent } from './recording.js';
export type { Simulator, SimulatorControl, SimulatorOptions } from '../sim/index.js';
