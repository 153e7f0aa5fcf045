/**
 * Helpers for chat messages and sessions: which vendor a model belongs to, type guards for the two
 * vendor message formats (Anthropic `MessageParam`, OpenAI `ChatCompletionMessageParam`), conversion
 * between them, and the runtime {@link Message} shape a UI renders (PROTOCOL.md §5.2, §6.1).
 *
 * Every function is pure and total: odd server input (unknown block types, `null` content, tool
 * inputs sent as JSON text, missing ids) makes a smaller result, never an exception. What each
 * conversion leaves out is written on the function.
 */
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  OpenAIMessage,
  OpenAIToolCall,
  VendorMessage,
} from './schema/messages.js';
import type { ChatSession } from './schema/session.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** An Anthropic `text` content block. */
export type AnthropicTextBlock = Extract<AnthropicContentBlock, { type: 'text' }>;
/** An Anthropic `tool_use` content block (`input` may be an object or the raw JSON text). */
export type AnthropicToolUseBlock = Extract<AnthropicContentBlock, { type: 'tool_use' }>;
/** An Anthropic `tool_result` content block. */
export type AnthropicToolResultBlock = Extract<AnthropicContentBlock, { type: 'tool_result' }>;
/** An Anthropic extended-thinking (`thinking`) content block. */
export type AnthropicThinkingBlock = Extract<AnthropicContentBlock, { type: 'thinking' }>;

/** Who a runtime {@link Message} is from; `'assistant (thought)'` is the model's visible reasoning. */
export type MessageRole = 'user' | 'assistant' | 'system' | 'assistant (thought)';

/** A piece of text. */
export interface TextContentPart {
  type: 'text';
  text: string;
}

/** Where an image's bytes are: inline base64 data or a URL. */
export type ImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

/** An image. */
export interface ImageContentPart {
  type: 'image';
  source: ImageSource;
}

/** A tool call made by the assistant. `input` is the parsed arguments, or their raw text when that text is not a JSON object. */
export interface ToolUseContentPart {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown> | string;
}

/** The result of a tool call, matched to it by `tool_use_id`. */
export interface ToolResultContentPart {
  type: 'tool_result';
  tool_use_id: string;
  content: string | Array<TextContentPart | ImageContentPart>;
  is_error?: boolean;
}

/** One part of a multi-part runtime message. */
export type ContentPart = TextContentPart | ImageContentPart | ToolUseContentPart | ToolResultContentPart;

/** A runtime message's content: text, a list of parts, or `null` when it has nothing to show. */
export type MessageContent = string | ContentPart[] | null;

/** A source cited by the assistant; `metadata` keeps the vendor's citation object as it was. */
export interface Citation {
  quote?: string;
  source?: string;
  metadata?: Record<string, unknown>;
}

/**
 * A chat message as a UI shows it, whatever the vendor format it was stored in.
 * This is a presentation type of this library, not a wire shape.
 */
export interface Message {
  role: MessageRole;
  content: MessageContent;
  timestamp?: string;
  format?: 'text' | 'markdown';
  citations?: Citation[] | null;
  model_id?: string;
  name?: string;
}

/**
 * `T` without the keys `K`. Unlike `Omit`, it keeps the known keys of a type that also has an index
 * signature (every loose wire object does; `Omit` would leave only the index signature).
 */
type OmitKnown<T, K extends PropertyKey> = { [P in keyof T as Exclude<P, K>]: T[P] };

/** A chat session whose `messages` are runtime {@link Message}s instead of vendor-format messages. */
export type RuntimeChatSession = OmitKnown<ChatSession, 'messages'> & { messages: Message[] };

type JsonRecord = Record<string, unknown>;
type OpenAIContentPart = Exclude<NonNullable<OpenAIMessage['content']>, string>[number];

// ---------------------------------------------------------------------------------------------
// Vendors
// ---------------------------------------------------------------------------------------------

const ANTHROPIC_MODEL_PREFIXES = ['claude', 'bedrock', 'anthropic'] as const;
const OPENAI_MODEL_PREFIXES = ['gpt', 'o1', 'o3', 'o4', 'chatgpt', 'openai'] as const;

/**
 * The vendor serving a model, from its id (case-insensitive prefix); `'none'` when unknown or absent.
 *
 * @example
 * getVendorFromModelId('claude-sonnet-4-20250514'); // 'anthropic'
 * getVendorFromModelId('gpt-4.1'); // 'openai'
 * getVendorFromModelId(null); // 'none'
 */
export function getVendorFromModelId(modelId?: string | null): 'anthropic' | 'openai' | 'none' {
  if (typeof modelId !== 'string') return 'none';
  const id = modelId.trim().toLowerCase();
  if (ANTHROPIC_MODEL_PREFIXES.some((prefix) => id.startsWith(prefix))) return 'anthropic';
  if (OPENAI_MODEL_PREFIXES.some((prefix) => id.startsWith(prefix))) return 'openai';
  return 'none';
}

/**
 * The message format a `vendor` string stands for; accepts `"open_ai"`, the spelling of `tool_call` events.
 *
 * @example
 * getMessageFormat('open_ai'); // 'openai'
 * getMessageFormat('none'); // 'unknown'
 */
export function getMessageFormat(vendor: string): 'anthropic' | 'openai' | 'unknown' {
  if (typeof vendor !== 'string') return 'unknown';
  const name = vendor.trim().toLowerCase();
  if (name === 'anthropic') return 'anthropic';
  if (name === 'openai' || name === 'open_ai') return 'openai';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------------

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

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The `type` of a block or part, when it is an object with a string `type`. */
function typeOf(value: unknown): string | undefined {
  return isRecord(value) ? stringOf(value.type) : undefined;
}

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
function hasOpenAIMarkers(m: JsonRecord): boolean {
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

// ---------------------------------------------------------------------------------------------
// Pieces shared by the conversions
// ---------------------------------------------------------------------------------------------

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * Tool arguments as an object: an object is kept, JSON text of an object is parsed, an empty or
 * missing input is `{}`, and any other text (invalid or non-object JSON) is kept as the raw string.
 */
function parseToolInput(input: unknown): Record<string, unknown> | string {
  if (isRecord(input)) return input;
  if (input == null) return {};
  if (typeof input !== 'string') return safeStringify(input) ?? {};
  if (input.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(input);
    return isRecord(parsed) ? parsed : input;
  } catch {
    return input;
  }
}

/** Tool arguments as the JSON text OpenAI wants; raw text is passed through unchanged. */
function toolArguments(input: unknown): string {
  if (typeof input === 'string') return input.trim() === '' ? '{}' : input;
  if (input == null) return '{}';
  return safeStringify(input) ?? '{}';
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageSourceFromUrl(url: string): ImageSource {
  const match = DATA_URL.exec(url);
  return match ? { type: 'base64', media_type: match[1]!, data: match[2]! } : { type: 'url', url };
}

function imageSourceToUrl(source: ImageSource): string {
  return source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.url;
}

/** An Anthropic image `source`, when it is a base64 or URL source; other sources (e.g. `file`) are not usable. */
function imageSourceOf(source: unknown): ImageSource | undefined {
  if (!isRecord(source)) return undefined;
  if (source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') {
    return { type: 'base64', media_type: source.media_type, data: source.data };
  }
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'url', url: source.url };
  return undefined;
}

/** An Anthropic text or image block as a runtime part. */
function simplePartOf(block: JsonRecord): TextContentPart | ImageContentPart | undefined {
  if (block.type === 'text' && typeof block.text === 'string') return { type: 'text', text: block.text };
  if (block.type === 'image') {
    const source = imageSourceOf(block.source);
    return source && { type: 'image', source };
  }
  return undefined;
}

function simpleBlocksToParts(blocks: readonly unknown[]): Array<TextContentPart | ImageContentPart> {
  const parts: Array<TextContentPart | ImageContentPart> = [];
  for (const block of blocks) {
    const part = isRecord(block) ? simplePartOf(block) : undefined;
    if (part) parts.push(part);
  }
  return parts;
}

/**
 * A `tool_use` block or part (the same fields on both sides): id, name and the input parsed;
 * `undefined` without an id or a name.
 */
function toolUseOf(record: JsonRecord): { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> | string } | undefined {
  const id = stringOf(record.id);
  const name = stringOf(record.name);
  return id !== undefined && name !== undefined ? { type: 'tool_use', id, name, input: parseToolInput(record.input) } : undefined;
}

/**
 * A `tool_result` block or part (the same fields on both sides): text content kept, a list of
 * content turned into simple parts and then into the target's form by `convert`; `undefined`
 * without a `tool_use_id`.
 */
function toolResultOf<C>(
  record: JsonRecord,
  convert: (parts: Array<TextContentPart | ImageContentPart>) => C[],
): { type: 'tool_result'; tool_use_id: string; content: string | C[]; is_error?: boolean } | undefined {
  const toolUseId = stringOf(record.tool_use_id);
  if (toolUseId === undefined) return undefined;
  const { content } = record;
  const result: { type: 'tool_result'; tool_use_id: string; content: string | C[]; is_error?: boolean } = {
    type: 'tool_result',
    tool_use_id: toolUseId,
    content: typeof content === 'string' ? content : Array.isArray(content) ? convert(simpleBlocksToParts(content)) : '',
  };
  if (typeof record.is_error === 'boolean') result.is_error = record.is_error;
  return result;
}

/** An Anthropic block as a runtime part; blocks with no runtime counterpart give `undefined`. */
function partOf(block: JsonRecord): ContentPart | undefined {
  switch (block.type) {
    case 'tool_use':
    case 'server_tool_use':
      return toolUseOf(block);
    case 'tool_result':
      return toolResultOf(block, (parts) => parts);
    default:
      return simplePartOf(block);
  }
}

/** An Anthropic citation as a {@link Citation}. */
function citationOf(raw: unknown): Citation | undefined {
  if (!isRecord(raw)) return undefined;
  const citation: Citation = { metadata: raw };
  const quote = stringOf(raw.cited_text);
  const source = stringOf(raw.url) ?? stringOf(raw.source) ?? stringOf(raw.document_title) ?? stringOf(raw.title);
  if (quote !== undefined) citation.quote = quote;
  if (source !== undefined) citation.source = source;
  return citation;
}

function simplePartToBlock(part: TextContentPart | ImageContentPart): AnthropicContentBlock {
  return part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image', source: { ...part.source } };
}

/** A runtime part as an Anthropic block; a malformed part gives `undefined`. */
function partToBlock(part: unknown): AnthropicContentBlock | undefined {
  if (!isRecord(part)) return undefined;
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' ? { type: 'text', text: part.text } : undefined;
    case 'image': {
      const source = imageSourceOf(part.source);
      return source && { type: 'image', source };
    }
    case 'tool_use':
      return toolUseOf(part);
    case 'tool_result':
      return toolResultOf(part, (parts) => parts.map(simplePartToBlock));
    default:
      return undefined;
  }
}

/** An OpenAI content part as an Anthropic block; audio, files and unknown parts give `undefined`. */
function openAIPartToBlock(part: unknown): AnthropicContentBlock | undefined {
  if (!isRecord(part)) return undefined;
  if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
  if (part.type === 'refusal' && typeof part.refusal === 'string') return { type: 'text', text: part.refusal };
  if (part.type === 'image_url' && isRecord(part.image_url) && typeof part.image_url.url === 'string') {
    return { type: 'image', source: imageSourceFromUrl(part.image_url.url) };
  }
  return undefined;
}

/** An Anthropic text or image block as an OpenAI part; other blocks give `undefined`. */
function blockToOpenAIPart(block: unknown, allowImages: boolean): OpenAIContentPart | undefined {
  if (!isRecord(block)) return undefined;
  if (block.type === 'text' && typeof block.text === 'string') return { type: 'text', text: block.text };
  if (allowImages && block.type === 'image') {
    const source = imageSourceOf(block.source);
    return source && { type: 'image_url', image_url: { url: imageSourceToUrl(source) } };
  }
  return undefined;
}

/** OpenAI tool calls as `tool_use` blocks. Also reads the flat `{id, name, arguments}` shape of `tool_call` events. */
function toolCallsToBlocks(toolCalls: unknown): AnthropicContentBlock[] {
  if (!Array.isArray(toolCalls)) return [];
  const blocks: AnthropicContentBlock[] = [];
  for (const call of toolCalls) {
    if (!isRecord(call)) continue;
    const fn = isRecord(call.function) ? call.function : call;
    const id = stringOf(call.id);
    const name = stringOf(fn.name);
    if (id === undefined || name === undefined) continue;
    blocks.push({ type: 'tool_use', id, name, input: parseToolInput(fn.arguments) });
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Anthropic <-> OpenAI
// ---------------------------------------------------------------------------------------------

/** An OpenAI message (of any role) as an Anthropic message, or `null` when it has no Anthropic form. */
function openAIToAnthropic(m: JsonRecord): AnthropicMessage | null {
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
function anthropicToOpenAI(m: JsonRecord): OpenAIMessage[] {
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
function readsAsAnthropic(m: JsonRecord): boolean {
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

// ---------------------------------------------------------------------------------------------
// Vendor format <-> runtime Message
// ---------------------------------------------------------------------------------------------

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
function runtimeToVendor(message: Message, format: 'anthropic' | 'openai'): VendorMessage[] {
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

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

/**
 * The name to show for a session, as the server computes `display_name`.
 *
 * Its `session_name`, else `"New chat with <agent name>"`, else its `display_name`, else `"New chat"`.
 * Empty strings count as absent.
 *
 * @example
 * getDisplayName({ session_name: null, agent_config: { name: 'Domo' } }); // 'New chat with Domo'
 */
export function getDisplayName(session: {
  session_name?: string | null;
  display_name?: string | null;
  agent_config?: { name?: string } | null;
}): string {
  if (!isRecord(session)) return 'New chat';
  const sessionName = stringOf(session.session_name);
  if (sessionName) return sessionName;
  const agentName = isRecord(session.agent_config) ? stringOf(session.agent_config.name) : undefined;
  if (agentName) return `New chat with ${agentName}`;
  return stringOf(session.display_name) || 'New chat';
}

/**
 * A session as the server sends it, with its messages as runtime {@link Message}s.
 *
 * One runtime message per server message ({@link unifiedMessageParamToMessage}). Every other field is
 * kept; an empty `vendor` is computed from `agent_config.model_id`, an empty `display_name` with
 * {@link getDisplayName}. A missing message list gives `[]`.
 *
 * @example
 * const frame = decodeServerFrame(text);
 * if (frame.kind === 'event' && frame.event.type === 'chat_session_changed')
 *   render(serverChatSessionToRuntimeSession(frame.event.chat_session).messages);
 */
export function serverChatSessionToRuntimeSession(session: ChatSession): RuntimeChatSession {
  const messages = Array.isArray(session.messages) ? session.messages.map(unifiedMessageParamToMessage) : [];
  return {
    ...session,
    messages,
    vendor: stringOf(session.vendor) || getVendorFromModelId(session.agent_config?.model_id),
    display_name: stringOf(session.display_name) || getDisplayName(session),
  };
}

/**
 * A runtime session back in the server's shape, its messages in the vendor's format.
 *
 * The format is that of `vendor`, else of `agent_config.model_id`, else Anthropic. Messages convert as
 * {@link messageToUnifiedMessageParam}, except that for Anthropic system messages are left out (its
 * history has no system role) and for OpenAI each tool result becomes its own `tool` message.
 *
 * @example
 * const server = runtimeSessionToServerChatSession(session);
 * await client.send({ type: 'set_session_messages', messages: server.messages });
 */
export function runtimeSessionToServerChatSession(session: RuntimeChatSession): ChatSession {
  let format = getMessageFormat(session.vendor ?? '');
  if (format === 'unknown') format = getMessageFormat(getVendorFromModelId(session.agent_config?.model_id));
  const target = format === 'openai' ? 'openai' : 'anthropic';
  const runtime = Array.isArray(session.messages) ? session.messages : [];
  const messages = runtime
    .filter((message) => target === 'openai' || message?.role !== 'system')
    .flatMap((message) => runtimeToVendor(message, target));
  return { ...session, messages };
}
