/**
 * Server → client control events (docs/protocol.md §5.1): initialization, catalogues, chat-session
 * management, turn signals, errors. None of these carry the session envelope, except the two whose
 * own fields include `session_id`.
 */
import * as v from 'valibot';
import { agentCatalogEntrySchema, agentConfigurationSchema } from '../agent.js';
import {
  avatarSchema,
  chatUserSchema,
  heygenSessionRequestSchema,
  heygenSessionSchema,
  toolInfoSchema,
  voiceSchema,
  workspaceSchema,
} from '../catalog.js';
import { inbound, nullableString } from '../common.js';
import {
  chatSessionIndexEntrySchema,
  chatSessionQueryResponseSchema,
  chatSessionSchema,
  sessionMetadataSchema,
} from '../session.js';

export const uiSessionIdChangedSchema = inbound('ui_session_id_changed', { ui_session_id: v.string() });
export const chatUserDataSchema = inbound('chat_user_data', { user: chatUserSchema });
export const avatarListSchema = inbound('avatar_list', { avatars: v.array(avatarSchema) });
export const voiceListSchema = inbound('voice_list', { voices: v.array(voiceSchema) });
export const agentListSchema = inbound('agent_list', { agents: v.array(agentCatalogEntrySchema) });
export const toolCatalogSchema = inbound('tool_catalog', { tools: v.array(toolInfoSchema) });
export const chatSessionChangedSchema = inbound('chat_session_changed', { chat_session: chatSessionSchema });
export const chatSessionAddedSchema = inbound('chat_session_added', { chat_session: chatSessionIndexEntrySchema });
export const chatSessionNameChangedSchema = inbound('chat_session_name_changed', {
  session_name: v.string(),
  session_id: nullableString,
});
/** The server's (imperative) name for "a chat session was deleted"; routing-filtered (§4.16). */
export const deleteChatSessionSchema = inbound('delete_chat_session', { session_id: nullableString });
export const sessionMetadataChangedSchema = inbound('session_metadata_changed', { meta: sessionMetadataSchema });
export const getUserSessionsResponseSchema = inbound('get_user_sessions_response', {
  sessions: chatSessionQueryResponseSchema,
});
export const agentConfigurationChangedSchema = inbound('agent_configuration_changed', {
  agent_config: agentConfigurationSchema,
});
export const avatarConnectionChangedSchema = inbound('avatar_connection_changed', {
  avatar_session_request: heygenSessionRequestSchema,
  avatar_session: heygenSessionSchema,
});
export const agentVoiceChangedSchema = inbound('agent_voice_changed', { voice: voiceSchema });
/** The server is ready for input: end of init burst, of reconnect, and of every interaction. */
export const userTurnStartSchema = inbound('user_turn_start', {});
/** First event of every interaction. */
export const userTurnEndSchema = inbound('user_turn_end', {});
export const pongSchema = inbound('pong', {});
export const cancelledSchema = inbound('cancelled', {});
/** A failure. `message` may contain a Python traceback; `source` names the command for a few of them. */
export const errorSchema = inbound('error', { message: v.string(), source: nullableString });
export const workspaceAddedSchema = inbound('workspace_added', { entry: workspaceSchema });

export const controlEventSchemas = [
  uiSessionIdChangedSchema,
  chatUserDataSchema,
  avatarListSchema,
  voiceListSchema,
  agentListSchema,
  toolCatalogSchema,
  chatSessionChangedSchema,
  chatSessionAddedSchema,
  chatSessionNameChangedSchema,
  deleteChatSessionSchema,
  sessionMetadataChangedSchema,
  getUserSessionsResponseSchema,
  agentConfigurationChangedSchema,
  avatarConnectionChangedSchema,
  agentVoiceChangedSchema,
  userTurnStartSchema,
  userTurnEndSchema,
  pongSchema,
  cancelledSchema,
  errorSchema,
  workspaceAddedSchema,
] as const;
