/**
 * `agentc-realtime`: a statechart-driven client for the Agent C Realtime API.
 *
 * @example
 * import { createClient } from 'agentc-realtime';
 * const client = createClient({ url: 'http://localhost:8000', auth: { username: 'admin', password: 'changeme' } });
 * client.events$.subscribe((event) => console.log(event.type));
 * await client.connect();
 *
 * @module
 */
export { createClient } from './client.js';
export { ClientError, clientErrorReasons } from './errors.js';
export { localStorageTokenStorage, memoryTokenStorage } from './actors/storage.js';
/** The vendor message helpers (conversions, guards, sessions) and their types. */
export * from './data/messages/index.js';

export type {
  AvatarView,
  ClientStateView,
  ConnectionState,
  ConnectionStatus,
  InteractionView,
  RealtimeClient,
  SendTextOptions,
  SendTextResult,
  Turn,
  VoicesView,
} from './client.js';
export type { InspectionRecord } from './actors/inspection.js';
export type { ClientMetrics, Latency } from './data/metrics.js';
export type { AvatarSessionOptions, SetAvatarOptions } from './data/avatar.js';
export type { AvatarAdapter, AvatarAdapterEvents, AvatarSessionInfo } from './avatar/adapter.js';
export type { AvatarOrigin, AvatarSessionView } from './machines/avatar.machine.js';
export type { InteractionOutcome, InteractionOutput } from './machines/interaction.machine.js';
export type { NormalizedStopReason } from './schema/stop-reason.js';
export type { SubSession, TranscriptMessage } from './data/transcript/index.js';
export type { UploadInput, UploadOptions, UploadProgress } from './actors/upload.js';
export type { UploadResponse } from './schema/http.js';
export type { Catalog } from './data/plane.js';
export type { ClientErrorReason } from './errors.js';
export type {
  AuthOptions,
  ClientOptions,
  CredentialsAuthOptions,
  GetTokenAuthOptions,
  InspectOption,
  TokenAuthOptions,
  TokenStorage,
  WebSocketConstructor,
  WebSocketLike,
} from './options.js';
export type { ReconnectionPolicy } from './machines/connection.logic.js';
export type { ChatUser, ServerEvent, ClientEvent, ChatSession, VendorMessage, AnthropicMessage, OpenAIMessage } from './protocol.js';

/** The library's version (matches package.json). */
export const VERSION = '0.1.0';
