/**
 * The pieces the conversions share: tool inputs and arguments, image sources, and single blocks or
 * parts between the Anthropic, OpenAI and runtime forms.
 */
import type { AnthropicContentBlock } from '../../schema/messages.js';
import { isRecord, stringOf, type JsonRecord } from '../json.js';
import type { Citation, ContentPart, ImageContentPart, ImageSource, OpenAIContentPart, TextContentPart } from './types.js';

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
export function toolArguments(input: unknown): string {
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

export function simpleBlocksToParts(blocks: readonly unknown[]): Array<TextContentPart | ImageContentPart> {
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
export function partOf(block: JsonRecord): ContentPart | undefined {
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
export function citationOf(raw: unknown): Citation | undefined {
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
export function partToBlock(part: unknown): AnthropicContentBlock | undefined {
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
export function openAIPartToBlock(part: unknown): AnthropicContentBlock | undefined {
  if (!isRecord(part)) return undefined;
  if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
  if (part.type === 'refusal' && typeof part.refusal === 'string') return { type: 'text', text: part.refusal };
  if (part.type === 'image_url' && isRecord(part.image_url) && typeof part.image_url.url === 'string') {
    return { type: 'image', source: imageSourceFromUrl(part.image_url.url) };
  }
  return undefined;
}

/** An Anthropic text or image block as an OpenAI part; other blocks give `undefined`. */
export function blockToOpenAIPart(block: unknown, allowImages: boolean): OpenAIContentPart | undefined {
  if (!isRecord(block)) return undefined;
  if (block.type === 'text' && typeof block.text === 'string') return { type: 'text', text: block.text };
  if (allowImages && block.type === 'image') {
    const source = imageSourceOf(block.source);
    return source && { type: 'image_url', image_url: { url: imageSourceToUrl(source) } };
  }
  return undefined;
}

/** OpenAI tool calls as `tool_use` blocks. Also reads the flat `{id, name, arguments}` shape of `tool_call` events. */
export function toolCallsToBlocks(toolCalls: unknown): AnthropicContentBlock[] {
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
