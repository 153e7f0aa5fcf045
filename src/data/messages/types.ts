/**
 * The types of the message helpers: the Anthropic block shapes the guards narrow to, and the runtime
 * {@link Message} a UI renders (docs/protocol.md §5.2, §6.1).
 */
import type { AnthropicContentBlock, OpenAIMessage } from '../../schema/messages.js';
import type { ChatSession } from '../../schema/session.js';

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

/** A content part of an OpenAI message. */
export type OpenAIContentPart = Exclude<NonNullable<OpenAIMessage['content']>, string>[number];
