/**
 * Server → client session events (docs/protocol.md §5.2): everything the agent runtime, tools and the
 * bridge emit about an interaction. Each carries the §1.6 envelope.
 */
import * as v from 'valibot';
import { jsonObject, nullableString, sessionEvent, textFormat } from '../common.js';
import { vendorMessageSchema } from '../messages.js';
import { toolCallSchema, toolResultSchema } from '../tools.js';

/** Severity of a notice; the server's default is `error`. */
export const severities = ['info', 'warning', 'error'] as const;

/** Start (`started:true`) or end of one agent run in one session id. */
export const interactionSchema = sessionEvent('interaction', { started: v.boolean(), id: v.string() });
/**
 * Start (`running:true`) or end of one LLM call. `stop_reason` is the vendor's raw value
 * (`end_turn`, `tool_use`, …) or a framework value (`client_cancel`, `exception`, `overload`).
 */
export const completionSchema = sessionEvent('completion', {
  running: v.boolean(),
  completion_options: v.nullish(jsonObject, () => ({})),
  stop_reason: nullableString,
  input_tokens: v.nullish(v.number(), 0),
  output_tokens: v.nullish(v.number(), 0),
});
/** A piece of answer text (role `assistant`, `tool` or `system`). */
export const textDeltaSchema = sessionEvent('text_delta', { content: v.string(), format: textFormat });
/** A piece of a thought (role ends in ` (thought)`). */
export const thoughtDeltaSchema = sessionEvent('thought_delta', { content: v.string(), format: textFormat });
/** A thought block ended; for the `think` tool it carries only the last fragment (§5.2). */
export const completeThoughtSchema = sessionEvent('complete_thought', { content: v.string(), format: textFormat });
/** The tool calls selected so far in this LLM call; arguments may still be incomplete. */
export const toolSelectDeltaSchema = sessionEvent('tool_select_delta', { tool_calls: v.array(toolCallSchema) });
/** Tools about to run (`active:true`) or finished (`active:false`, with results). */
export const toolCallEventSchema = sessionEvent('tool_call', {
  active: v.boolean(),
  vendor: v.string(),
  tool_calls: v.array(toolCallSchema),
  tool_results: v.nullish(v.array(toolResultSchema)),
});
/** The assistant message of one LLM call in the vendor's format (never contains client tool_use blocks). */
export const historyDeltaSchema = sessionEvent('history_delta', {
  vendor: v.string(),
  messages: v.array(vendorMessageSchema),
});
export const systemPromptSchema = sessionEvent('system_prompt', { content: v.string(), format: textFormat });
/** The user turn as sent to Claude; arrives before `interaction` started. */
export const anthropicUserMessageSchema = sessionEvent('anthropic_user_message', {
  vendor: v.nullish(v.string(), 'anthropic'),
  message: vendorMessageSchema,
});
/** The user turn as sent to OpenAI; the server really spells it `open_a_i_user_message`. */
export const openAIUserMessageSchema = sessionEvent('open_a_i_user_message', {
  vendor: v.nullish(v.string(), 'openai'),
  message: vendorMessageSchema,
});
/** A notice to show (not part of the chat history). */
export const systemMessageSchema = sessionEvent('system_message', {
  content: v.string(),
  format: textFormat,
  severity: v.nullish(v.picklist(severities), 'error'),
});
/**
 * Media to show inline. `foreign_content:true` marks third-party content: keep it as data and
 * sanitise or sandbox it before display.
 */
export const renderMediaSchema = sessionEvent('render_media', {
  content_type: v.string(),
  url: nullableString,
  name: nullableString,
  content: nullableString,
  content_bytes: v.nullish(v.unknown()),
  sent_by_class: nullableString,
  sent_by_function: nullableString,
  foreign_content: v.nullish(v.boolean(), false),
});
/** A delegation opened a sub-session; its own id appears on the nested events that follow. */
export const subsessionStartedSchema = sessionEvent('subsession_started', {
  sub_session_type: v.string(),
  sub_agent_type: v.string(),
  prime_agent_key: v.string(),
  sub_agent_key: v.string(),
});
export const subsessionEndedSchema = sessionEvent('subsession_ended', {});
/** A complete message from a tool (rare). */
export const messageSchema = sessionEvent('message', { content: v.string(), format: textFormat });
/** Base64 audio from an audio-capable OpenAI model (rare). */
export const audioDeltaSchema = sessionEvent('audio_delta', {
  id: nullableString,
  content: v.string(),
  content_type: v.nullish(v.string(), 'audio/L16'),
});

export const runtimeEventSchemas = [
  interactionSchema,
  completionSchema,
  textDeltaSchema,
  thoughtDeltaSchema,
  completeThoughtSchema,
  toolSelectDeltaSchema,
  toolCallEventSchema,
  historyDeltaSchema,
  systemPromptSchema,
  anthropicUserMessageSchema,
  openAIUserMessageSchema,
  systemMessageSchema,
  renderMediaSchema,
  subsessionStartedSchema,
  subsessionEndedSchema,
  messageSchema,
  audioDeltaSchema,
] as const;
