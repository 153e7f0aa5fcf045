/**
 * `agentc-realtime/testing`: test your integration with the Agent C Realtime API (Node only).
 *
 * - {@link startSimulator}: a simulator of the Agent C server to test against (as `createSimulator`).
 * - {@link record} and {@link replay}: capture a live session into a JSON recording (secrets replaced
 *   by stand-ins), then play it back against a fresh client on a simulated clock, deterministically
 *   and in a fraction of the recorded time.
 * - {@link createModelPaths}: formally modeled integration testing — the library's conversation model
 *   turned into paths (events and the client states they lead to) you run against the simulator or
 *   your own server; each run drives a real client and checks what it shows after every step. The
 *   command `agentc-model-paths --url <api base>` runs them all and prints one line per path.
 *
 * @example
 * import { createModelPaths, record, replay, startSimulator } from 'agentc-realtime/testing';
 *
 * @module
 */
export { startSimulator } from './simulator.js';
export { record } from './record.js';
export { replay } from './replay.js';
export { parseRecording, RecordingError, RECORDING_FORMAT } from './recording.js';
export { createModelPaths } from './paths.js';
export { conversationModel } from './model.js';
export { createFaultProxy } from './proxy.js';
export type { RecordOptions, Recorder } from './record.js';
export type { Divergence, ReplayedResult, ReplayOptions, ReplayResult } from './replay.js';
export type { RecordedCommand, RecordedOptions, Recording, RecordingErrorReason, RecordingEvent } from './recording.js';
export type { Simulator, SimulatorControl, SimulatorOptions } from '../sim/index.js';
export type { ModelCapability, ModelPath, ModelPathResult, ModelPathsOptions, ModelStateName, ModelStep, ModelTarget } from './paths.js';
export type { ModelContext, ModelEvent } from './model.js';
export type { FaultProxy } from './proxy.js';
