/** Chat sessions between the server's shape (vendor-format messages) and the runtime one. */
import type { ChatSession } from '../../schema/session.js';
import { isRecord, stringOf } from '../json.js';
import { runtimeToVendor, unifiedMessageParamToMessage } from './runtime.js';
import type { RuntimeChatSession } from './types.js';
import { getMessageFormat, getVendorFromModelId } from './vendors.js';

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
