/**
 * Chat sessions as the server serialises them (docs/protocol.md §6.1–§6.3, §6.11).
 */
import * as v from 'valibot';
import { agentConfigurationSchema } from './agent.js';
import { nullableString, optionalFieldsObject } from './common.js';
import { vendorMessageSchema } from './messages.js';

/** An uploaded file's entry in `metadata.uploaded_files` (§6.11). */
export const fileMetadataSchema = v.looseObject({
  id: v.string(),
  filename: nullableString,
  original_filename: nullableString,
  mime_type: nullableString,
  size: v.nullish(v.number()),
  upload_time: nullableString,
  session_id: nullableString,
  extracted_text: nullableString,
  processed: v.nullish(v.boolean()),
  processing_error: nullableString,
  processing_status: nullableString,
});

/** Session metadata: free-form, with a few keys the server itself uses. */
export const sessionMetadataSchema = optionalFieldsObject({
  active_workspace: nullableString,
  uploaded_files: v.nullish(v.record(v.string(), fileMetadataSchema)),
});

/** A full chat session with its message history in the vendor's format (§6.1). */
export const chatSessionSchema = v.looseObject({
  version: v.nullish(v.number()),
  session_id: v.string(),
  token_count: v.nullish(v.number(), 0),
  context_window_size: v.nullish(v.number(), 0),
  session_name: nullableString,
  created_at: nullableString,
  updated_at: nullableString,
  deleted_at: nullableString,
  user_id: nullableString,
  metadata: v.nullish(sessionMetadataSchema, () => ({})),
  messages: v.nullish(v.array(vendorMessageSchema), () => []),
  agent_config: v.nullish(agentConfigurationSchema),
  vendor: v.nullish(v.string(), 'none'),
  display_name: nullableString,
});

/** A session-list entry (`chat_session_added`, `get_user_sessions_response`) (§6.2). */
export const chatSessionIndexEntrySchema = v.looseObject({
  session_id: v.string(),
  session_name: nullableString,
  created_at: nullableString,
  updated_at: nullableString,
  user_id: nullableString,
  agent_key: nullableString,
  agent_name: nullableString,
});

/** One page of the session list (§6.3). There is no `limit` field. */
export const chatSessionQueryResponseSchema = v.looseObject({
  chat_sessions: v.array(chatSessionIndexEntrySchema),
  total_sessions: v.number(),
  offset: v.nullish(v.number(), 0),
});

/** An uploaded file in `metadata.uploaded_files` of a chat session (docs/protocol.md §6.11). */
export type FileMetadata = v.InferOutput<typeof fileMetadataSchema>;
/** A chat session with its messages, as `chat_session_changed` carries it (docs/protocol.md §6.1). */
export type ChatSession = v.InferOutput<typeof chatSessionSchema>;
/** One entry of the session list (`chat_session_added`, `get_user_sessions_response`; docs/protocol.md §6.2). */
export type ChatSessionIndexEntry = v.InferOutput<typeof chatSessionIndexEntrySchema>;
/** A page of the session list: `{ chat_sessions, total_sessions, offset }` (docs/protocol.md §6.3). */
export type ChatSessionQueryResponse = v.InferOutput<typeof chatSessionQueryResponseSchema>;
