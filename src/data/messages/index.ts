/**
 * Helpers for chat messages and sessions: which vendor a model belongs to, type guards for the two
 * vendor message formats (Anthropic `MessageParam`, OpenAI `ChatCompletionMessageParam`), conversion
 * between them, and the runtime {@link Message} shape a UI renders (docs/protocol.md §5.2, §6.1).
 *
 * Every function is pure and total: odd server input (unknown block types, `null` content, tool
 * inputs sent as JSON text, missing ids) makes a smaller result, never an exception. What each
 * conversion leaves out is written on the function.
 */
export { getMessageFormat, getVendorFromModelId } from './vendors.js';
export {
  isAnthropicMessage,
  isOpenAIMessage,
  isTextBlock,
  isThinkingBlock,
  isToolResultBlock,
  isToolUseBlock,
} from './guards.js';
export { toAnthropicMessage, toOpenAIMessage, toOpenAIMessages } from './convert.js';
export { messageToUnifiedMessageParam, unifiedMessageParamToMessage } from './runtime.js';
export { getDisplayName, runtimeSessionToServerChatSession, serverChatSessionToRuntimeSession } from './sessions.js';

export type { ContentPart, Message, MessageContent, MessageRole, RuntimeChatSession } from './types.js';
