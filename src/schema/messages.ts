/**
 * Chat messages in the two vendor formats the server stores and replays (docs/protocol.md §6.1):
 * Anthropic `MessageParam` with content blocks, and OpenAI `ChatCompletionMessageParam`.
 *
 * Known content blocks are validated; block types we do not know (vendors add new ones) are kept
 * as loose objects with a string `type`, so a new block type never makes a session unreadable.
 */
import * as v from 'valibot';
import { jsonObject, nullableString } from './common.js';

const cacheControl = v.nullish(v.looseObject({ type: v.string(), ttl: nullableString }));

const anthropicText = v.looseObject({
  type: v.literal('text'),
  text: v.string(),
  citations: v.nullish(v.array(v.unknown())),
  cache_control: cacheControl,
});
const anthropicImage = v.looseObject({ type: v.literal('image'), source: jsonObject, cache_control: cacheControl });
const anthropicDocument = v.looseObject({
  type: v.literal('document'),
  source: jsonObject,
  title: nullableString,
  context: nullableString,
  cache_control: cacheControl,
});
const anthropicThinking = v.looseObject({ type: v.literal('thinking'), thinking: v.string(), signature: nullableString });
const anthropicRedactedThinking = v.looseObject({ type: v.literal('redacted_thinking'), data: v.string() });
/** `input` is usually the raw JSON text of the arguments, not an object (docs/protocol.md §5.2). */
const anthropicToolUse = v.looseObject({
  type: v.literal('tool_use'),
  id: v.string(),
  name: v.string(),
  input: v.nullish(v.union([jsonObject, v.string()])),
});
const anthropicServerToolUse = v.looseObject({
  type: v.literal('server_tool_use'),
  id: v.string(),
  name: v.string(),
  input: v.nullish(v.union([jsonObject, v.string()])),
});
const anthropicToolResult = v.looseObject({
  type: v.literal('tool_result'),
  tool_use_id: v.string(),
  content: v.nullish(v.union([v.string(), v.array(v.unknown())])),
  is_error: v.nullish(v.boolean()),
});

const KNOWN_ANTHROPIC_BLOCKS = new Set([
  'text', 'image', 'document', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use', 'tool_result',
]);
const otherBlock = v.looseObject({
  type: v.pipe(
    v.string(),
    v.check((type) => !KNOWN_ANTHROPIC_BLOCKS.has(type), 'A known block type must have that block\'s fields'),
  ),
});

/** One Anthropic content block (text, image, document, thinking, tool use or result, or another type kept as is). */
export const anthropicContentBlockSchema = v.union([
  v.variant('type', [
    anthropicText,
    anthropicImage,
    anthropicDocument,
    anthropicThinking,
    anthropicRedactedThinking,
    anthropicToolUse,
    anthropicServerToolUse,
    anthropicToolResult,
  ]),
  otherBlock,
]);

/** An Anthropic message: `role` user or assistant, content a string or a list of blocks. */
export const anthropicMessageSchema = v.looseObject({
  role: v.picklist(['user', 'assistant']),
  content: v.union([v.string(), v.array(anthropicContentBlockSchema)]),
});

/** An OpenAI tool call as stored in chat history: `{id, type:"function", function:{name, arguments}}`. */
export const openAIToolCallSchema = v.looseObject({
  id: v.string(),
  type: v.nullish(v.string(), 'function'),
  function: v.looseObject({ name: v.string(), arguments: v.string() }),
});

const KNOWN_OPENAI_PARTS = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);

/** One OpenAI content part; known part types are validated, others kept as they are. */
export const openAIContentPartSchema = v.union([
  v.variant('type', [
    v.looseObject({ type: v.literal('text'), text: v.string() }),
    v.looseObject({
      type: v.literal('image_url'),
      image_url: v.looseObject({ url: v.string(), detail: nullableString }),
    }),
    v.looseObject({
      type: v.literal('input_audio'),
      input_audio: v.looseObject({ data: v.string(), format: v.string() }),
    }),
    v.looseObject({ type: v.literal('file'), file: jsonObject }),
    v.looseObject({ type: v.literal('refusal'), refusal: v.string() }),
  ]),
  v.looseObject({
    type: v.pipe(
      v.string(),
      v.check((type) => !KNOWN_OPENAI_PARTS.has(type), 'A known part type must have that part\'s fields'),
    ),
  }),
]);

/** An OpenAI chat message (developer, system, user, assistant, tool or function role). */
export const openAIMessageSchema = v.looseObject({
  role: v.picklist(['developer', 'system', 'user', 'assistant', 'tool', 'function']),
  content: v.nullish(v.union([v.string(), v.array(openAIContentPartSchema)])),
  name: nullableString,
  refusal: nullableString,
  tool_calls: v.nullish(v.array(openAIToolCallSchema)),
  tool_call_id: nullableString,
  function_call: v.nullish(jsonObject),
  audio: v.nullish(jsonObject),
});

/** A message in either vendor format (the session's `vendor` tells which one applies). */
export const vendorMessageSchema = v.union([anthropicMessageSchema, openAIMessageSchema]);

/** One content block of an Anthropic message (`text`, `thinking`, `tool_use`, `tool_result`, …; unknown block types are kept). */
export type AnthropicContentBlock = v.InferOutput<typeof anthropicContentBlockSchema>;
/** A chat message in the Anthropic format: a role and a string or content blocks. */
export type AnthropicMessage = v.InferOutput<typeof anthropicMessageSchema>;
/** A chat message in the OpenAI format. */
export type OpenAIMessage = v.InferOutput<typeof openAIMessageSchema>;
/** A tool call inside an OpenAI assistant message. */
export type OpenAIToolCall = v.InferOutput<typeof openAIToolCallSchema>;
/** A stored chat message in either vendor format (docs/protocol.md §6.1). */
export type VendorMessage = v.InferOutput<typeof vendorMessageSchema>;
