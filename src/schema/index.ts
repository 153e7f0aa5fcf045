/**
 * Every wire schema and the types inferred from them. Internal barrel: the public subset is
 * re-exported by `src/protocol.ts`.
 */
export * from './agent.js';
export * from './catalog.js';
export * from './client.js';
export * from './codec.js';
export * from './http.js';
export * from './messages.js';
export * from './protocol-error.js';
export * from './redact.js';
export * from './server/index.js';
export * from './session.js';
export * from './tools.js';
