/**
 * The session and agent commands: each hands one request to the outbox and resolves with the
 * server's reply, or rejects with a `ClientError` (the server's `error`, a lost connection, or no
 * reply within the outbox's `replyTimeout`). The server answers strictly in order (docs/protocol.md §1.5
 * rule 1), so the first matching reply after the request is the answer to it.
 */
import { ClientError } from '../errors.js';
import type { AgentCatalogEntry, AgentConfiguration } from '../schema/agent.js';
import type { ClientEvent } from '../schema/client.js';
import type { ServerEvent } from '../schema/server/index.js';
import type { ChatSession, ChatSessionQueryResponse } from '../schema/session.js';

/** What a reply matcher says of a server event: the answer, a refusal, or nothing (not the reply). */
export type ReplyVerdict = { readonly answer: true } | { readonly error: ClientError } | undefined;

export interface CommandDependencies {
  /** The client's `send` (validation, then the outbox's policy). */
  send(event: ClientEvent): Promise<void>;
  /** Hands a request to the outbox; `match` judges the server's events until it settles. Resolves once answered. */
  ask(event: ClientEvent, match: (reply: ServerEvent) => ReplyVerdict): Promise<void>;
  currentSession(): ChatSession | null;
  forgetSession(sessionId: string): void;
  renameListedSession(sessionId: string, name: string): void;
}

/**
 * Sends `event` and resolves with what `pick` finds in the first matching reply. An `error` whose
 * `source` is the event's type rejects it (`server_error`); `fail` names other errors that answer it
 * (most of the server's errors carry `source: null`, §4).
 */
function request<T>(deps: CommandDependencies, event: ClientEvent, pick: (reply: ServerEvent) => T | undefined, fail?: (reply: ServerEvent) => boolean): Promise<T> {
  let value: T | undefined;
  return deps
    .ask(event, (reply) => {
      if (reply.type === 'error' && (reply.source === event.type || fail?.(reply))) return { error: new ClientError('server_error', reply.message, { cause: reply }) };
      const found = pick(reply);
      if (found === undefined) return undefined;
      value = found;
      return { answer: true };
    })
    .then(() => value as T);
}

const errorFrom = (source: string) => (reply: ServerEvent) => reply.type === 'error' && reply.source === source;
const errorMentions = (text: string) => (reply: ServerEvent) => reply.type === 'error' && reply.message.includes(text);

/** Creates the commands. */
export function createCommands(deps: CommandDependencies) {
  const currentId = () => deps.currentSession()?.session_id ?? null;

  const commands = {
    /** Switches the current session's agent; resolves at once when it already is that agent (the server sends nothing then). */
    async setAgent(agentKey: string): Promise<AgentConfiguration> {
      const current = deps.currentSession()?.agent_config;
      if (current && current.key === agentKey) return current;
      return request(
        deps,
        { type: 'set_agent', agent_key: agentKey },
        (reply) => (reply.type === 'agent_configuration_changed' && reply.agent_config.key === agentKey ? reply.agent_config : undefined),
        errorMentions(`Agent ${agentKey} not found`),
      );
    },

    /** Reloads the agent catalogue (`agent_list`). */
    refreshAgents(): Promise<readonly AgentCatalogEntry[]> {
      return request(deps, { type: 'get_agents' }, (reply) => (reply.type === 'agent_list' ? reply.agents : undefined));
    },

    /** Replaces the agent's toolsets; resolves with the configuration the server settled on (it may drop unknown ones). */
    setAgentTools(tools: readonly string[]): Promise<AgentConfiguration> {
      return request(deps, { type: 'set_agent_tools', tools: [...tools] }, (reply) => (reply.type === 'agent_configuration_changed' ? reply.agent_config : undefined));
    },

    /** Starts a new chat session (with another agent, if given); resolves with it. */
    newSession(agentKey?: string): Promise<ChatSession> {
      const before = currentId();
      return request(
        deps,
        { type: 'new_chat_session', agent_key: agentKey ?? null },
        (reply) => (reply.type === 'chat_session_changed' && reply.chat_session.session_id !== before ? reply.chat_session : undefined),
        agentKey === undefined ? undefined : errorMentions(`Agent ${agentKey} not found`),
      );
    },

    /** Resumes a saved chat session; resolves with it (with its history). */
    resumeSession(sessionId: string): Promise<ChatSession> {
      return request(
        deps,
        { type: 'resume_chat_session', session_id: sessionId },
        (reply) => (reply.type === 'chat_session_changed' && reply.chat_session.session_id === sessionId ? reply.chat_session : undefined),
      );
    },

    /** Renames a chat session (the current one by default). */
    async renameSession(name: string, sessionId?: string): Promise<void> {
      const target = sessionId ?? currentId();
      if (target === currentId()) {
        await request(
          deps,
          { type: 'set_chat_session_name', session_name: name, session_id: sessionId ?? null },
          (reply) => (reply.type === 'chat_session_name_changed' ? true : undefined),
        );
        return;
      }
      // the server confirms a rename of another session only to the tabs on it (§4.15): send it, then
      // a ping; its error (unknown session) would come before the pong
      await deps.send({ type: 'set_chat_session_name', session_name: name, session_id: target });
      await request(deps, { type: 'ping' }, (reply) => (reply.type === 'pong' ? true : undefined), errorFrom('set_chat_session_name'));
      deps.renameListedSession(target!, name);
    },

    /**
     * Deletes a saved chat session (the current one by default). The server mishandles deleting the
     * current session (§4.16), so the client first moves to a new session, then deletes the old one.
     */
    async deleteSession(sessionId?: string): Promise<void> {
      let target = sessionId ?? currentId();
      if (!target) throw new ClientError('not_ready', 'No chat session to delete');
      const wasCurrent = target === currentId();
      if (wasCurrent) await commands.newSession();
      target = target!;
      try {
        await request(
          deps,
          { type: 'delete_chat_session', session_id: target },
          (reply) => (reply.type === 'system_message' && reply.content === `Chat Session ${target} deleted` ? true : undefined),
        );
      } catch (error) {
        // the session we just left was empty, so never saved, and the server forgot it when we left
        // (§4.13): "not found" then means it is already gone
        if (!(wasCurrent && error instanceof ClientError && error.reason === 'server_error')) throw error;
      }
      deps.forgetSession(target);
    },

    /** One page of the saved sessions, newest first (also updates `sessions$`). */
    listSessions(page: { offset?: number; limit?: number } = {}): Promise<ChatSessionQueryResponse> {
      return request(deps, { type: 'get_user_sessions', offset: page.offset ?? 0, limit: page.limit ?? 50 }, (reply) =>
        reply.type === 'get_user_sessions_response' ? reply.sessions : undefined,
      );
    },

    /** Replaces the current session's metadata (the whole object). */
    setSessionMetadata(meta: Readonly<Record<string, unknown>>): Promise<Readonly<Record<string, unknown>>> {
      return request(deps, { type: 'set_session_metadata', meta: { ...meta } }, (reply) => (reply.type === 'session_metadata_changed' ? reply.meta : undefined));
    },
  };
  return commands;
}

export type SessionCommands = ReturnType<typeof createCommands>;
