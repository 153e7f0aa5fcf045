/**
 * `agentc-realtime/messages`: the chat message and session helpers on their own: which vendor a
 * model belongs to, type guards and conversions for the Anthropic and OpenAI message formats, the
 * runtime {@link Message} shape a UI renders, and chat-session conversions. Pure functions with no
 * dependency, for apps that render or convert messages without a client (a server, a worker).
 *
 * The core entry (`agentc-realtime`) exports the same functions too, for compatibility; an app
 * that imports them from either entry ships only the ones it uses.
 *
 * @example
 * import { getVendorFromModelId, toOpenAIMessages } from 'agentc-realtime/messages';
 * getVendorFromModelId('claude-sonnet-4-5'); // 'anthropic'
 *
 * @module
 */
export * from './data/messages/index.js';
export type { AnthropicMessage, ChatSession, OpenAIMessage, VendorMessage } from './protocol.js';
