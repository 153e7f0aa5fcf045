/**
 * Catalogue shapes: voices, avatars, the tool catalogue, HeyGen sessions, workspaces and users
 * (docs/protocol.md §6.6–§6.10, §5.1).
 */
import * as v from 'valibot';
import { jsonObject, nullableString, optionalFieldsObject, stringList } from './common.js';

/** A voice model (`voice_list`, `agent_voice_changed`). */
export const voiceSchema = v.looseObject({
  voice_id: v.string(),
  vendor: v.string(),
  description: v.nullish(v.string(), ''),
  output_format: v.string(),
});

/** A HeyGen avatar (`avatar_list`). */
export const avatarSchema = v.looseObject({
  avatar_id: v.string(),
  created_at: v.nullish(v.number()),
  default_voice: nullableString,
  is_public: v.nullish(v.boolean()),
  normal_preview: nullableString,
  pose_name: nullableString,
  status: nullableString,
});

/** An OpenAI-style function schema as listed in the tool catalogue. */
export const toolFunctionSchema = v.looseObject({
  type: v.nullish(v.string(), 'function'),
  function: v.looseObject({ name: v.string(), description: nullableString, parameters: v.nullish(jsonObject) }),
});

/** One toolset of `tool_catalog`. `schemas` is an array (docs/protocol.md §6.10). */
export const toolInfoSchema = v.looseObject({
  name: v.string(),
  description: v.nullish(v.string(), ''),
  schemas: v.nullish(v.array(toolFunctionSchema), () => []),
});

/** The request the server sent to HeyGen `streaming.new` (§6.9). */
export const heygenSessionRequestSchema = optionalFieldsObject({
  avatar_id: nullableString,
  quality: nullableString,
  voice: v.nullish(jsonObject),
  language: nullableString,
  version: nullableString,
  video_encoding: nullableString,
  source: nullableString,
  stt_settings: v.nullish(jsonObject),
  ia_is_livekit_transport: v.nullish(v.boolean()),
  knowledge_base: nullableString,
  knowledge_base_id: nullableString,
  disable_idle_timeout: v.nullish(v.boolean()),
  activity_idle_timeout: v.nullish(v.number()),
});

/** The HeyGen streaming session the server created (§6.9). */
export const heygenSessionSchema = v.looseObject({
  session_id: v.string(),
  url: v.string(),
  access_token: v.string(),
  session_duration_limit: v.nullish(v.number()),
  is_paid: v.nullish(v.boolean()),
  realtime_endpoint: nullableString,
  sdp: v.nullish(v.unknown()),
  ice_servers: v.nullish(v.array(v.unknown())),
  ice_servers2: v.nullish(v.array(v.unknown())),
});

/** A workspace (`workspace_added`). */
export const workspaceSchema = v.looseObject({
  name: v.string(),
  path_or_bucket: nullableString,
  description: nullableString,
  type: nullableString,
  read_only: v.nullish(v.boolean()),
  prefix: nullableString,
});

/**
 * The chat user (`chat_user_data.user`). The server leaks the bcrypt `password_hash`; it is removed
 * here, during decode, so it never reaches application code (docs/protocol.md §5.1).
 */
export const chatUserSchema = v.pipe(
  v.looseObject({
    version: v.nullish(v.number()),
    user_id: v.string(),
    user_name: v.string(),
    email: nullableString,
    first_name: nullableString,
    last_name: nullableString,
    created_at: nullableString,
    updated_at: nullableString,
    deleted_at: nullableString,
    roles: stringList,
    groups: stringList,
    meta: v.nullish(jsonObject),
    is_active: v.nullish(v.boolean(), true),
    last_login: nullableString,
    password_hash: v.nullish(v.unknown()),
  }),
  v.transform(({ password_hash: _secret, ...user }) => user),
);

/** A voice of `voice_list` (docs/protocol.md §6.8): `none`, `avatar`, or an OpenAI voice that speaks PCM16. */
export type Voice = v.InferOutput<typeof voiceSchema>;
/** A HeyGen avatar of `avatar_list` (docs/protocol.md §6.9). */
export type Avatar = v.InferOutput<typeof avatarSchema>;
/** A toolset of `tool_catalog`, with its function schemas (docs/protocol.md §6.10). */
export type ToolInfo = v.InferOutput<typeof toolInfoSchema>;
/** What the server asked HeyGen for in `set_avatar` (`avatar_connection_changed.avatar_session_request`, docs/protocol.md §6.9). */
export type HeygenSessionRequest = v.InferOutput<typeof heygenSessionRequestSchema>;
/** A HeyGen streaming session (`avatar_connection_changed.avatar_session`, docs/protocol.md §6.9); `access_token` is a secret. */
export type HeygenSession = v.InferOutput<typeof heygenSessionSchema>;
/** A workspace entry of `workspace_added` (sent after the `!alw` chat command). */
export type Workspace = v.InferOutput<typeof workspaceSchema>;
/** The user of `chat_user_data` (docs/protocol.md §6.6), without the password hash the server sends (removed during decode). */
export type ChatUser = v.InferOutput<typeof chatUserSchema>;
