/**
 * `agentc-realtime/testing`: test your integration with the Agent C Realtime API.
 *
 * Formally modeled integration testing: {@link createModelPaths} turns the library's conversation
 * model into paths (events and the client states they lead to) you run against the embedded
 * simulator or your own server; each run drives a real client and checks what it shows after every
 * step. The command `agentc-model-paths --url <api base>` runs them all and prints one line per path.
 *
 * Node only.
 *
 * @example
 * import { createModelPaths } from 'agentc-realtime/testing';
 * for (const path of createModelPaths()) {
 *   const { status, reason } = await path.run({ url: 'http://127.0.0.1:8000' });
 *   console.log(status, path.description, reason ?? '');
 * }
 *
 * @module
 */
export { createModelPaths } from './paths.js';
export { conversationModel } from './model.js';
export { createFaultProxy } from './proxy.js';
export type { ModelCapability, ModelPath, ModelPathResult, ModelPathsOptions, ModelStateName, ModelStep, ModelTarget } from './paths.js';
export type { ModelContext, ModelEvent } from './model.js';
export type { FaultProxy } from './proxy.js';
