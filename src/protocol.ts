/**
 * `agentc-realtime/protocol`: the wire layer on its own, for any runtime.
 *
 * Decode what the server sends, encode what you send, with every frame validated against the
 * protocol's schemas.
 *
 * @example
 * import { decodeServerFrame, encodeClientEvent } from 'agentc-realtime/protocol';
 * socket.onmessage = (m) => {
 *   const frame = decodeServerFrame(m.data);
 *   if (frame.kind === 'event' && frame.event.type === 'text_delta') write(frame.event.content);
 * };
 * socket.send(encodeClientEvent({ type: 'text_input', text: 'Hello' }));
 *
 * @module
 */
export { decodeServerFrame, encodeClientEvent } from './schema/codec.js';
export { clientEventTypes } from './schema/client.js';
export { serverEventTypes } from './schema/server/index.js';
export { ProtocolError } from './schema/protocol-error.js';

export type { DecodedFrame, DecodeOptions, InvalidFrameReason } from './schema/codec.js';
export type { ProtocolIssue } from './schema/protocol-error.js';
export type { ClientEvent, ClientEventOf, ClientEventOutput, ClientEventType } from './schema/client.js';
export type { ServerEvent, ServerEventOf, ServerEventType } from './schema/server/index.js';
export type { AgentCatalogEntry, AgentConfiguration, AgentConfigurationV1, AgentConfigurationV2, CompletionParams } from './schema/agent.js';
export type { Avatar, ChatUser, HeygenSession, HeygenSessionRequest, ToolInfo, Voice, Workspace } from './schema/catalog.js';
export type { ChatSession, ChatSessionIndexEntry, ChatSessionQueryResponse, FileMetadata } from './schema/session.js';
export type { AnthropicContentBlock, AnthropicMessage, OpenAIMessage, OpenAIToolCall, VendorMessage } from './schema/messages.js';
export type { ToolCall, ToolResult } from './schema/tools.js';
export type { LoginResponse, RefreshResponse, UploadResponse, HttpError } from './schema/http.js';
