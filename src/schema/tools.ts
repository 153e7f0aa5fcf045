/**
 * Tool calls and tool results as carried by `tool_select_delta` and `tool_call` (docs/protocol.md §5.2).
 *
 * Claude (`vendor:"anthropic"`) sends `{type:"tool_use", id, name, input}` where `input` is usually
 * the raw JSON text of the arguments; OpenAI (`vendor:"open_ai"`) sends flat `{id, name, arguments}`.
 */
import * as v from 'valibot';
import { jsonObject, nullableString } from './common.js';

/** A tool call in either vendor's shape. */
export const toolCallSchema = v.looseObject({
  id: v.string(),
  name: v.string(),
  type: nullableString,
  // Anthropic: an object, or (usually) the JSON text of the arguments.
  input: v.nullish(v.union([jsonObject, v.string()])),
  // OpenAI: the JSON text of the arguments.
  arguments: v.nullish(v.union([v.string(), jsonObject])),
});

/** Anthropic tool result block. */
export const anthropicToolResultSchema = v.looseObject({
  type: v.literal('tool_result'),
  tool_use_id: v.string(),
  content: v.nullish(v.union([v.string(), v.array(v.unknown())])),
  is_error: v.nullish(v.boolean()),
});

/** OpenAI tool message used as a result. */
export const openAIToolResultSchema = v.looseObject({
  role: v.literal('tool'),
  tool_call_id: v.string(),
  name: nullableString,
  content: v.nullish(v.union([v.string(), v.array(v.unknown())])),
});

/** A tool result in either vendor's shape. */
export const toolResultSchema = v.union([anthropicToolResultSchema, openAIToolResultSchema]);

/** A tool call in either vendor format, as `tool_select_delta` and `tool_call` carry it (docs/protocol.md §5.2). */
export type ToolCall = v.InferOutput<typeof toolCallSchema>;
/** A tool result in either vendor format, as `tool_call {active: false}` carries it (docs/protocol.md §5.2). */
export type ToolResult = v.InferOutput<typeof toolResultSchema>;
