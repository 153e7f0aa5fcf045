/** Conversion between either vendor format and the runtime {@link Message} a UI renders. */
import type { OpenAIMessage, VendorMessage } from '../../schema/messages.js';
import { isRecord, stringOf, typeOf, type JsonRecord } from '../json.js';
import { anthropicToOpenAI, openAIToAnthropic, readsAsAnthropic } from './convert.js';
import { citationOf, partOf, partToBlock, simpleBlocksToParts } from './parts.js';
import type { Citation, ContentPart, Message, MessageContent, TextContentPart } from './types.js';
import { getMessageFormat } from './vendors.js';

function anthropicToRuntime(m: JsonRecord): Message {
  const role = m.role === 'assistant' ? 'assistant' : 'user';
  const { content } = m;
  if (typeof content === 'string') return { role, content };
  if (!Array.isArray(content)) return { role, content: null };
  const parts: ContentPart[] = [];
  const thoughts: TextContentPart[] = [];
  const citations: Citation[] = [];
  let onlyThinking = content.length > 0;
  for (const block of content) {
    const type = typeOf(block);
    if (type === 'thinking' || type === 'redacted_thinking') {
      const thinking = stringOf((block as JsonRecord).thinking);
      if (thinking !== undefined) thoughts.push({ type: 'text', text: thinking });
      continue;
    }
    onlyThinking = false;
    if (!isRecord(block)) continue;
    const part = partOf(block);
    if (part) parts.push(part);
    if (type === 'text' && Array.isArray(block.citations)) {
      for (const raw of block.citations) {
        const citation = citationOf(raw);
        if (citation) citations.push(citation);
      }
    }
  }
  if (role === 'assistant' && onlyThinking) return { role: 'assistant (thought)', content: thoughts };
  const message: Message = { role, content: parts };
  if (citations.length > 0) message.citations = citations;
  return message;
}

/** OpenAI content of a system message: text and text parts only. */
function systemContent(content: unknown): MessageContent {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  return simpleBlocksToParts(content).filter((part) => part.type === 'text');
}

function openAIToRuntime(m: JsonRecord): Message {
  let message: Message;
  if (m.role === 'system' || m.role === 'developer') {
    message = { role: 'system', content: systemContent(m.content) };
  } else {
    const anthropic = openAIToAnthropic(m);
    message = anthropic
      ? anthropicToRuntime(anthropic)
      : { role: m.role === 'assistant' ? 'assistant' : 'user', content: typeof m.content === 'string' ? m.content : null };
  }
  const name = stringOf(m.name);
  if (name !== undefined) message.name = name;
  return message;
}

/**
 * A message in either vendor format (told apart by its shape) as a runtime {@link Message}.
 *
 * Blocks become parts: tool inputs parsed as in {@link toAnthropicMessage}, `server_tool_use` shown as a
 * `tool_use` part, base64 and URL images kept. System and developer messages become `system`; an OpenAI
 * `tool` message becomes a `user` message with one `tool_result` part (as Anthropic stores it), its
 * `name` kept. An assistant message of thinking blocks only becomes `'assistant (thought)'` with the
 * thoughts as text parts; elsewhere thinking is left out, as are redacted thinking, documents, other
 * image sources and unknown blocks. Text-block citations go to `citations`. Unusable content is `null`.
 *
 * @example
 * unifiedMessageParamToMessage({ role: 'assistant', content: [{ type: 'text', text: 'Hi', citations: null }] });
 * // { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }
 */
export function unifiedMessageParamToMessage(param: VendorMessage): Message {
  const m: unknown = param;
  if (!isRecord(m)) return { role: 'user', content: null };
  return readsAsAnthropic(m) ? anthropicToRuntime(m) : openAIToRuntime(m);
}

/** The text of a runtime message's content, for a role whose vendor form holds text only. */
function textParts(content: unknown): TextContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter(
    (part): part is TextContentPart => isRecord(part) && part.type === 'text' && typeof part.text === 'string',
  );
}

/** A runtime message in Anthropic form; a system message keeps the neutral `{role: 'system'}` form. */
function runtimeToAnthropic(message: Message): VendorMessage {
  const { role, content } = message;
  if (role === 'system') {
    return { role: 'system', content: Array.isArray(content) ? textParts(content).map((p) => ({ type: 'text', text: p.text })) : (content ?? '') };
  }
  if (role === 'assistant (thought)') {
    return { role: 'assistant', content: textParts(content).map((part) => ({ type: 'thinking', thinking: part.text })) };
  }
  const anthropicRole = role === 'assistant' ? 'assistant' : 'user';
  if (typeof content === 'string') return { role: anthropicRole, content };
  if (!Array.isArray(content)) return { role: anthropicRole, content: '' };
  return { role: anthropicRole, content: content.map(partToBlock).filter((block) => block !== undefined) };
}

/** A runtime message as vendor-format messages (several only for OpenAI tool results). */
export function runtimeToVendor(message: Message, format: 'anthropic' | 'openai'): VendorMessage[] {
  if (!isRecord(message)) return [];
  if (format === 'anthropic') return [runtimeToAnthropic(message)];
  const { role } = message;
  let messages: OpenAIMessage[];
  if (role === 'system') {
    messages = [runtimeToAnthropic(message) as OpenAIMessage];
  } else if (role === 'assistant (thought)') {
    messages = [{ role: 'assistant', content: textParts(message.content).map((p) => p.text).join('\n\n') }];
  } else {
    messages = anthropicToOpenAI(runtimeToAnthropic(message));
    if (messages.length === 0) messages = [{ role: role === 'assistant' ? 'assistant' : 'user', content: '' }];
  }
  const name = stringOf(message.name);
  return name === undefined ? messages : messages.map((m) => ({ ...m, name }));
}

/**
 * A runtime {@link Message} in the format of `vendor` (Anthropic for a vendor that is not OpenAI).
 *
 * Parts become blocks as {@link toAnthropicMessage} makes them, then OpenAI messages as
 * {@link toOpenAIMessage} does (`name` kept for OpenAI). Anthropic has no system role, so a system
 * message keeps the `{role: 'system'}` form; a thought becomes thinking blocks without signature
 * (Anthropic) or plain assistant text (OpenAI). For OpenAI, a message of several tool results gives
 * only the first: {@link runtimeSessionToServerChatSession} keeps them all. `null` content is `''`.
 *
 * @example
 * messageToUnifiedMessageParam({ role: 'user', content: 'Hello' }, 'anthropic');
 * // { role: 'user', content: 'Hello' }
 */
export function messageToUnifiedMessageParam(message: Message, vendor: string): VendorMessage {
  const format = getMessageFormat(vendor) === 'openai' ? 'openai' : 'anthropic';
  return runtimeToVendor(message, format)[0] ?? { role: 'user', content: '' };
}
