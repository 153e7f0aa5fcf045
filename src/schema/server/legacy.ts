/**
 * Names the docs or the old SDK use that this server never sends (docs/protocol.md §3.2, §10). They are
 * understood so that a client works against servers or recordings that do use them; their shapes
 * are the documented ones, validated loosely (the envelope is optional).
 */
import * as v from 'valibot';
import { inbound, jsonObject, nullableString } from '../common.js';
import { vendorMessageSchema } from '../messages.js';

const optionalEnvelope = {
  session_id: nullableString,
  role: nullableString,
  parent_session_id: nullableString,
  user_session_id: nullableString,
} as const;

const userMessageEntries = {
  ...optionalEnvelope,
  vendor: nullableString,
  message: vendorMessageSchema,
} as const;

/** Full history after each round; the real server swallows it. */
export const historySchema = inbound('history', {
  ...optionalEnvelope,
  vendor: nullableString,
  messages: v.array(vendorMessageSchema),
});
export const voiceInputSupportedSchema = inbound('voice_input_supported', { modes: v.nullish(v.array(v.string())) });
export const serverListeningSchema = inbound('server_listening', {});
/** The old SDK's name for `delete_chat_session`. */
export const chatSessionDeletedSchema = inbound('chat_session_deleted', { session_id: nullableString });
export const workspaceListSchema = inbound('workspace_list', { workspaces: v.nullish(v.array(v.unknown())) });
export const userMessageSchema = inbound('user_message', userMessageEntries);
/** The old SDK's spelling of `open_a_i_user_message`. */
export const openaiUserMessageSchema = inbound('openai_user_message', userMessageEntries);
/** The core docs' spelling of `open_a_i_user_message`. */
export const openAiUserMessageSchema = inbound('open_ai_user_message', userMessageEntries);
export const userRequestSchema = inbound('user_request', { ...optionalEnvelope, data: v.nullish(jsonObject) });
export const agentTurnStartSchema = inbound('agent_turn_start', {});
export const agentTurnEndSchema = inbound('agent_turn_end', {});
/** A server-originated ping (this server never pings; a client answers with `pong` anyway). */
export const serverPingSchema = inbound('ping', {});

export const legacyEventSchemas = [
  historySchema,
  voiceInputSupportedSchema,
  serverListeningSchema,
  chatSessionDeletedSchema,
  workspaceListSchema,
  userMessageSchema,
  openaiUserMessageSchema,
  openAiUserMessageSchema,
  userRequestSchema,
  agentTurnStartSchema,
  agentTurnEndSchema,
  serverPingSchema,
] as const;
