/**
 * `agentc-realtime/heygen`: an avatar adapter for HeyGen's streaming API (its streaming WebSocket
 * events `stream_ready`, `avatar_start_talking`, `avatar_stop_talking`, and its `streaming.task` /
 * `streaming.interrupt` calls). The core entry never imports it, and it depends on no package.
 *
 * @example
 * import { createHeyGenAdapter } from 'agentc-realtime/heygen';
 * import { WebSocket } from 'ws'; // Node 20 only
 * const avatar = createHeyGenAdapter({ WebSocket });
 *
 * @module
 */
export { createHeyGenAdapter } from './avatar/heygen.js';
export type { HeyGenAdapterOptions, HeyGenSocket, HeyGenSocketConstructor } from './avatar/heygen.js';
export type { AvatarAdapter, AvatarAdapterEvents, AvatarSessionInfo } from './avatar/adapter.js';
