/** Type guards for the two vendor message formats and for Anthropic content blocks. */
import type { AnthropicContentBlock, AnthropicMessage, OpenAIMessage, VendorMessage } from '../../schema/messages.js';
import { isRecord, typeOf, type JsonRecord } from '../json.js';
import type { AnthropicTextBlock, AnthropicThinkingBlock, AnthropicToolResultBlock, AnthropicToolUseBlock } from './types.js';

/** Every content block type Anthropic defines (a block of another type makes neither guard true). */
const ANTHROPIC_BLOCK_TYPES: ReadonlySet<string> = new Set([
  'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use',
  'tool_result', 'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result',
  'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result', 'tool_search_tool_result',
  'mcp_tool_use', 'mcp_tool_result', 'container_upload',
]);
/** Every content part type OpenAI chat messages use. */
const OPENAI_PART_TYPES: ReadonlySet<string> = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);
/** Part types only OpenAI has. */
const OPENAI_ONLY_PART_TYPES: ReadonlySet<string> = new Set(['image_url', 'input_audio', 'file', 'refusal']);
const OPENAI_ROLES: ReadonlySet<string> = new Set(['developer', 'system', 'user', 'assistant', 'tool', 'function']);
/** Fields only OpenAI messages have. */
const OPENAI_ONLY_FIELDS = ['tool_calls', 'tool_call_id', 'name', 'refusal', 'function_call', 'audio'] as const;

/**
 * True when the message has the Anthropic shape.
 *
 * That is: role `user` or `assistant`, none of the OpenAI-only fields (`tool_calls`, `tool_call_id`,
 * `name`, `refusal`, `function_call`, `audio`), and content that is a string or a list of blocks whose
 * types Anthropic defines. Text only (a string, or text blocks) is valid in both formats, so both
 * guards are true for a plain `{ role: 'user', content: 'hi' }`; a block of an unknown type makes both false.
 *
 * @example
 * isAnthropicMessage({ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'ls', input: {} }] }); // true
 * isAnthropicMessage({ role: 'tool', tool_call_id: 'c1', content: 'ok' }); // false
 */
export function isAnthropicMessage(message: VendorMessage): message is AnthropicMessage {
  const m: unknown = message;
  if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) return false;
  if (OPENAI_ONLY_FIELDS.some((field) => m[field] != null)) return false;
  const { content } = m;
  if (typeof content === 'string') return true;
  return Array.isArray(content) && content.every((block) => ANTHROPIC_BLOCK_TYPES.has(typeOf(block) ?? ''));
}

/**
 * True when the message has the OpenAI shape.
 *
 * That is: an OpenAI role (`developer`, `system`, `user`, `assistant`, `tool`, `function`), content that
 * is absent, a string or a list of OpenAI parts (`text`, `image_url`, `input_audio`, `file`, `refusal`),
 * and `tool_calls`, if present, a list. Text only is valid in both formats, so both guards are true for
 * a plain `{ role: 'user', content: 'hi' }`.
 *
 * @example
 * isOpenAIMessage({ role: 'tool', tool_call_id: 'c1', content: 'ok' }); // true
 * isOpenAIMessage({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1' }] }); // false
 */
export function isOpenAIMessage(message: VendorMessage): message is OpenAIMessage {
  const m: unknown = message;
  if (!isRecord(m) || typeof m.role !== 'string' || !OPENAI_ROLES.has(m.role)) return false;
  if (m.tool_calls != null && !Array.isArray(m.tool_calls)) return false;
  const { content } = m;
  if (content == null || typeof content === 'string') return true;
  return Array.isArray(content) && content.every((part) => OPENAI_PART_TYPES.has(typeOf(part) ?? ''));
}

/** True when the message can only be OpenAI: an OpenAI-only role, field or part type. */
export function hasOpenAIMarkers(m: JsonRecord): boolean {
  if (m.role !== 'user' && m.role !== 'assistant') return true;
  if (OPENAI_ONLY_FIELDS.some((field) => m[field] != null)) return true;
  return Array.isArray(m.content) && m.content.some((part) => OPENAI_ONLY_PART_TYPES.has(typeOf(part) ?? ''));
}

/**
 * True for an Anthropic `text` block.
 *
 * @example
 * const text = blocks.filter(isTextBlock).map((block) => block.text).join('');
 */
export function isTextBlock(block: AnthropicContentBlock): block is AnthropicTextBlock {
  return isRecord(block) && block.type === 'text' && typeof block.text === 'string';
}

/**
 * True for an Anthropic `tool_use` block (a call of a client tool; `server_tool_use` is not one).
 *
 * @example
 * const calls = blocks.filter(isToolUseBlock).map((block) => block.name);
 */
export function isToolUseBlock(block: AnthropicContentBlock): block is AnthropicToolUseBlock {
  return isRecord(block) && block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string';
}

/**
 * True for an Anthropic `tool_result` block.
 *
 * @example
 * const answered = new Set(blocks.filter(isToolResultBlock).map((block) => block.tool_use_id));
 */
export function isToolResultBlock(block: AnthropicContentBlock): block is AnthropicToolResultBlock {
  return isRecord(block) && block.type === 'tool_result' && typeof block.tool_use_id === 'string';
}

/**
 * True for an Anthropic `thinking` block (not `redacted_thinking`, which has no readable text).
 *
 * @example
 * const thoughts = blocks.filter(isThinkingBlock).map((block) => block.thinking);
 */
export function isThinkingBlock(block: AnthropicContentBlock): block is AnthropicThinkingBlock {
  return isRecord(block) && block.type === 'thinking' && typeof block.thinking === 'string';
}
