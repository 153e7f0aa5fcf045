/**
 * `agentc-realtime`: the client. This release ships the wire layer (`agentc-realtime/protocol`);
 * `createClient` and the observables arrive with the client-core milestone (see CHANGELOG.md).
 */

/** The library's version (matches package.json). */
export const VERSION = '0.1.0';
