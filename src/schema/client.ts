/**
 * Client → server events (docs/protocol.md §3.1, §4): all 28 names, strict, with the server's defaults.
 *
 * Strict objects reject unknown keys: the server ignores extra fields, so a misspelt field would
 * otherwise be dropped silently.
 */
import * as v from 'valibot';
import { jsonObject, outbound } from './common.js';
import { workspaceSchema } from './catalog.js';

const id = v.pipe(v.string(), v.minLength(1, 'must not be empty'));
const nullableId = v.optional(v.nullable(id), null);

export const pingEventSchema = outbound('ping', {});
/** Starts an interaction. Sent while one runs, it hard-cancels that one on the server (§1.5 rule 6). */
export const textInputEventSchema = outbound('text_input', {
  text: v.string(),
  file_ids: v.optional(v.array(id), () => []),
});
/** Graceful cancel; the only command besides `ping`/`pong` that does not pre-empt. */
export const clientWantsCancelEventSchema = outbound('client_wants_cancel', {});
export const getAgentsEventSchema = outbound('get_agents', {});
export const setAgentEventSchema = outbound('set_agent', { agent_key: id });
export const getAvatarsEventSchema = outbound('get_avatars', {});
/** HeyGen accepts `low|medium|high` and `H264|VP8`; the server's defaults are `medium` and `H264`. */
export const setAvatarEventSchema = outbound('set_avatar', {
  avatar_id: id,
  quality: v.optional(v.string(), 'medium'),
  video_encoding: v.optional(v.string(), 'H264'),
});
export const setAvatarSessionEventSchema = outbound('set_avatar_session', {
  access_token: id,
  avatar_session_id: id,
});
export const setAgentVoiceEventSchema = outbound('set_agent_voice', { voice_id: id });
export const getVoicesEventSchema = outbound('get_voices', {});
export const getToolCatalogEventSchema = outbound('get_tool_catalog', {});
export const setAgentToolsEventSchema = outbound('set_agent_tools', { tools: v.optional(v.array(id), () => []) });
/** `agent_key: null` keeps the current agent. */
export const newChatSessionEventSchema = outbound('new_chat_session', { agent_key: nullableId });
export const resumeChatSessionEventSchema = outbound('resume_chat_session', { session_id: id });
/** `session_id: null` renames the current session. */
export const setChatSessionNameEventSchema = outbound('set_chat_session_name', {
  session_name: v.string(),
  session_id: nullableId,
});
/** `session_id: null` deletes the current session (which the server mishandles, §4.16). */
export const deleteChatSessionEventSchema = outbound('delete_chat_session', { session_id: nullableId });
export const getUserSessionsEventSchema = outbound('get_user_sessions', {
  offset: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 50),
});
/** Replaces the whole metadata object of the current session. */
export const setSessionMetadataEventSchema = outbound('set_session_metadata', { meta: jsonObject });
export const setSessionMessagesEventSchema = outbound('set_session_messages', {
  messages: v.optional(v.array(jsonObject), () => []),
});
/** Base64 PCM in JSON; accepted and ignored by the server. Binary frames are the real audio path. */
export const audioInputDeltaEventSchema = outbound('audio_input_delta', {
  content: v.string(),
  content_type: v.optional(v.string(), 'audio/L16'),
});
export const setVoiceInputModeEventSchema = outbound('set_voice_input_mode', {
  mode: v.picklist(['ptt', 'vad', 'realtime']),
});
export const addWorkspaceEventSchema = outbound('add_workspace', { entry: workspaceSchema });
export const removeWorkspaceEventSchema = outbound('remove_workspace', { name: id });
export const listWorkspacesEventSchema = outbound('list_workspaces', {});
/** Parsed but unhandled by the server (answered with a warning); only send it to answer a server `ping`. */
export const pongEventSchema = outbound('pong', {});
/** Unknown to this server (answered with a warning); kept for servers that implement push-to-talk. */
export const pttStartEventSchema = outbound('ptt_start', {});
export const pttEndEventSchema = outbound('ptt_end', {});
/** Unknown to this server (answered with a warning). */
export const clearAvatarSessionEventSchema = outbound('clear_avatar_session', { session_id: nullableId });

const allClientEventSchemas = [
  pingEventSchema,
  textInputEventSchema,
  clientWantsCancelEventSchema,
  getAgentsEventSchema,
  setAgentEventSchema,
  getAvatarsEventSchema,
  setAvatarEventSchema,
  setAvatarSessionEventSchema,
  setAgentVoiceEventSchema,
  getVoicesEventSchema,
  getToolCatalogEventSchema,
  setAgentToolsEventSchema,
  newChatSessionEventSchema,
  resumeChatSessionEventSchema,
  setChatSessionNameEventSchema,
  deleteChatSessionEventSchema,
  getUserSessionsEventSchema,
  setSessionMetadataEventSchema,
  setSessionMessagesEventSchema,
  audioInputDeltaEventSchema,
  setVoiceInputModeEventSchema,
  addWorkspaceEventSchema,
  removeWorkspaceEventSchema,
  listWorkspacesEventSchema,
  pongEventSchema,
  pttStartEventSchema,
  pttEndEventSchema,
  clearAvatarSessionEventSchema,
] as const;

/** Any client event, discriminated by `type`. */
export const clientEventSchema = v.variant('type', allClientEventSchemas);

/** A client event as you write it: fields with a server default may be left out. */
export type ClientEvent = v.InferInput<typeof clientEventSchema>;
/** A client event with every default filled in, exactly as it goes on the wire. */
export type ClientEventOutput = v.InferOutput<typeof clientEventSchema>;
/** Every client event type name. */
export type ClientEventType = ClientEvent['type'];
/** The client event with the given `type`. */
export type ClientEventOf<T extends ClientEventType> = Extract<ClientEvent, { type: T }>;

type ClientEventSchema = (typeof allClientEventSchemas)[number];

/** Schema per type name. */
export const clientEventSchemaByType: ReadonlyMap<string, ClientEventSchema> = new Map(
  allClientEventSchemas.map((schema) => [schema.entries.type.literal, schema]),
);

/** Every client event type name (28, docs/protocol.md §3.1). */
export const clientEventTypes: readonly ClientEventType[] = Object.freeze(
  allClientEventSchemas.map((schema) => schema.entries.type.literal),
);

/**
 * Client events the server handles inline without cancelling a running interaction; every other
 * JSON event hard-cancels it (docs/protocol.md §1.5 rule 6).
 */
export const nonPreemptingClientEventTypes: ReadonlySet<ClientEventType> = new Set([
  'ping',
  'pong',
  'client_wants_cancel',
]);
