/** Conversion between the Anthropic and OpenAI message formats. */
import type { AnthropicMessage, OpenAIMessage, OpenAIToolCall, VendorMessage } from '../../schema/messages.js';
import { isRecord, stringOf, type JsonRecord } from '../json.js';
import { hasOpenAIMarkers, isOpenAIMessage } from './guards.js';
import { blockToOpenAIPart, openAIPartToBlock, toolArguments, toolCallsToBlocks } from './parts.js';
import type { OpenAIContentPart } from './types.js';

/** An OpenAI message (of any role) as an Anthropic message, or `null` when it has no Anthropic form. */
export function openAIToAnthropic(m: JsonRecord): AnthropicMessage | null {
  const { role, content } = m;
  if (role === 'tool') {
    const toolCallId = stringOf(m.tool_call_id);
    if (toolCallId === undefined) return null;
    const resultContent =
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? content.map(openAIPartToBlock).filter((block) => block !== undefined)
          : '';
    return { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolCallId, content: resultContent }] };
  }
  if (role !== 'user' && role !== 'assistant') return null;
  const toolUses = role === 'assistant' ? toolCallsToBlocks(m.tool_calls) : [];
  const refusal = stringOf(m.refusal);
  if (typeof content === 'string') {
    if (toolUses.length === 0) return { role, content };
    return { role, content: content === '' ? toolUses : [{ type: 'text', text: content }, ...toolUses] };
  }
  if (Array.isArray(content)) {
    const blocks = content.map(openAIPartToBlock).filter((block) => block !== undefined);
    if (blocks.length === 0 && toolUses.length === 0 && content.length > 0) return null;
    return { role, content: [...blocks, ...toolUses] };
  }
  if (toolUses.length > 0) return { role, content: toolUses };
  return { role, content: refusal ?? '' };
}

/** An Anthropic message as OpenAI messages: tool results become `tool` messages, placed first. */
export function anthropicToOpenAI(m: JsonRecord): OpenAIMessage[] {
  const role = m.role === 'assistant' ? 'assistant' : 'user';
  const { content } = m;
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content)) return [];
  const results: OpenAIMessage[] = [];
  const parts: OpenAIContentPart[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (block.type === 'tool_result') {
      const toolCallId = stringOf(block.tool_use_id);
      if (toolCallId === undefined) continue;
      const result = block.content;
      results.push({
        role: 'tool',
        tool_call_id: toolCallId,
        content:
          typeof result === 'string'
            ? result
            : Array.isArray(result)
              ? result.map((item) => blockToOpenAIPart(item, true)).filter((part) => part !== undefined)
              : '',
      });
    } else if (block.type === 'tool_use' && role === 'assistant') {
      const id = stringOf(block.id);
      const name = stringOf(block.name);
      if (id === undefined || name === undefined) continue;
      toolCalls.push({ id, type: 'function', function: { name, arguments: toolArguments(block.input) } });
    } else {
      const part = blockToOpenAIPart(block, role === 'user');
      if (part) parts.push(part);
    }
  }
  if (role === 'assistant') {
    if (parts.length === 0 && toolCalls.length === 0) return results;
    const message: OpenAIMessage = { role, content: parts.length > 0 ? parts : null };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return [...results, message];
  }
  return parts.length > 0 ? [...results, { role, content: parts }] : results;
}

/** True when the message reads as Anthropic (no OpenAI-only marker, and string or block content). */
export function readsAsAnthropic(m: JsonRecord): boolean {
  return !hasOpenAIMarkers(m) && (typeof m.content === 'string' || Array.isArray(m.content));
}

/**
 * The message in Anthropic format, or `null` when it has no Anthropic form.
 *
 * An Anthropic message is returned as it is. OpenAI tool calls become `tool_use` blocks after the text,
 * their `input` the parsed `arguments` (`{}` when empty, the raw text when it is not a JSON object);
 * a `tool` message becomes a user message with one `tool_result`; `image_url` parts become image blocks
 * and refusals text. `null` for system, developer and function messages, a tool message without
 * `tool_call_id`, and content made only of audio, files or unknown parts.
 *
 * @example
 * toAnthropicMessage({ role: 'tool', tool_call_id: 'c1', content: 'ok' });
 * // { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'ok' }] }
 * toAnthropicMessage({ role: 'system', content: 'Be brief.' }); // null
 */
export function toAnthropicMessage(message: VendorMessage): AnthropicMessage | null {
  const m: unknown = message;
  if (!isRecord(m)) return null;
  if (readsAsAnthropic(m)) return message as AnthropicMessage;
  return openAIToAnthropic(m);
}

/**
 * The message in OpenAI format, as one or more messages (`[]` when nothing converts).
 *
 * An OpenAI message is returned as it is. Each `tool_result` block becomes its own `tool` message,
 * placed before the rest; `tool_use` blocks become `tool_calls` (an object `input` as JSON text, a
 * string `input` as is); user images become `image_url` parts (data URLs for base64). Left out: thinking,
 * server tool blocks, documents, assistant images, unknown blocks, and `is_error` (OpenAI has none).
 *
 * @example
 * toOpenAIMessages({ role: 'user', content: [
 *   { type: 'tool_result', tool_use_id: 'a', content: '1' }, { type: 'tool_result', tool_use_id: 'b', content: '2' } ] });
 * // [{ role: 'tool', tool_call_id: 'a', content: '1' }, { role: 'tool', tool_call_id: 'b', content: '2' }]
 */
export function toOpenAIMessages(message: VendorMessage): OpenAIMessage[] {
  const m: unknown = message;
  if (!isRecord(m)) return [];
  if (readsAsAnthropic(m)) return anthropicToOpenAI(m);
  return isOpenAIMessage(message) ? [message] : [];
}

/**
 * The message in OpenAI format, or `null` when it makes no single OpenAI message.
 *
 * Converts as {@link toOpenAIMessages}; `null` when that gives no message (e.g. only thinking blocks)
 * or several (several tool results, or tool results with text: use `toOpenAIMessages` for those).
 *
 * @example
 * toOpenAIMessage({ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'ls', input: { path: '/' } }] });
 * // { role: 'assistant', content: null,
 * //   tool_calls: [{ id: 't1', type: 'function', function: { name: 'ls', arguments: '{"path":"/"}' } }] }
 */
export function toOpenAIMessage(message: VendorMessage): OpenAIMessage | null {
  const messages = toOpenAIMessages(message);
  return messages.length === 1 ? messages[0]! : null;
}
