/**
 * `agentc-realtime/inspect`: the local viewer. {@link startViewer} (and the `agentc-inspect` command)
 * serves a page that shows a client's actors, states, events and context live; {@link connectInspector}
 * is the `createClient({ inspect })` that sends them there, secrets removed.
 *
 * `startViewer` needs Node (`node:http`); a browser app imports only `connectInspector` (bundlers
 * drop the rest: the package has no side effects).
 *
 * @module
 */
export { connectInspector, stateTreeOf, type ConnectInspectorOptions, type StateTree, type ViewerInspector, type ViewerMessage, type ViewerRecord } from './connect.js';
export { startViewer, type Viewer, type ViewerOptions } from './viewer.js';
