/**
 * `agentc-realtime/inspect` for browsers (the `browser` export condition): `connectInspector`,
 * without the viewer's server (it needs Node's `node:http`; run `npx agentc-inspect` instead).
 *
 * @module
 */
export { connectInspector, stateTreeOf, type ConnectInspectorOptions, type StateTree, type ViewerInspector, type ViewerMessage, type ViewerRecord } from './connect.js';

/** The viewer's server runs in Node only: start it with `npx agentc-inspect`. */
export function startViewer(): never {
  throw new Error('startViewer needs Node (it serves the viewer over node:http); run `npx agentc-inspect` and pass its ws URL to connectInspector({ url })');
}
