/**
 * The simulated server's memory: accounts, issued tokens, and chat sessions ("on disk": they
 * survive a simulated restart). UI sessions live in the bridges (bridge.ts).
 */
import { signToken, verifySignature } from './jwt.js';
import { agentConfig, findAgent, sessionTools, vendorOf, type AgentDefinition } from './catalog.js';
import { slug } from './random.js';
import type { SimulatorUser } from './types.js';

/** An account. */
export interface UserRecord {
  readonly userId: string;
  readonly username: string;
  readonly password: string;
  readonly isActive: boolean;
  readonly createdAt: string;
  lastLogin: string | null;
}

/** A chat session as the server keeps it. */
export interface ChatSessionRecord {
  readonly sessionId: string;
  readonly userId: string;
  sessionName: string | null;
  readonly createdAt: string;
  updatedAt: string;
  agent: AgentDefinition;
  tools: string[];
  metadata: Record<string, unknown>;
  messages: Record<string, unknown>[];
  tokenCount: number;
}

/** Why a token was refused. */
export type TokenProblem = 'invalid' | 'expired';

const DEV_USER: SimulatorUser = { username: 'admin', password: 'changeme', userId: 'admin' };

export class Store {
  readonly users = new Map<string, UserRecord>();
  /** Chat sessions by id (all users). */
  readonly chatSessions = new Map<string, ChatSessionRecord>();
  /** Issue order of every token this store signed, to expire or revoke "every token issued so far". */
  private readonly issued = new Map<string, number>();
  private issueCount = 0;
  private expiredUpTo = 0;
  private revokedUpTo = 0;

  constructor(
    private readonly secret: string,
    public tokenTtlMs: number,
    private readonly random: () => number,
    private readonly now: () => number,
    users: readonly SimulatorUser[],
  ) {
    for (const user of [DEV_USER, ...users]) {
      this.users.set(user.username, {
        userId: user.userId ?? user.username,
        username: user.username,
        password: user.password,
        isActive: user.isActive ?? true,
        createdAt: isoTime(now() - 86_400_000),
        lastLogin: null,
      });
    }
  }

  userById(userId: string): UserRecord | undefined {
    for (const user of this.users.values()) if (user.userId === userId) return user;
    return undefined;
  }

  /** Signs a token for a user. */
  issueToken(user: UserRecord, ttlMs = this.tokenTtlMs): string {
    const iat = Math.floor(this.now() / 1000);
    const token = signToken(
      {
        sub: user.userId,
        user: {
          user_id: user.userId,
          user_name: user.username,
          email: `${user.username}@example.com`,
          first_name: null,
          last_name: null,
          is_active: user.isActive,
          roles: user.userId === 'admin' ? ['admin'] : ['user'],
          groups: [],
          created_at: user.createdAt,
          last_login: user.lastLogin,
        },
        exp: Math.floor((this.now() + ttlMs) / 1000),
        iat,
      },
      this.secret,
    );
    this.issued.set(token, ++this.issueCount);
    return token;
  }

  /** The user a token stands for, or why it is refused. */
  verifyToken(token: string): { user: UserRecord } | { problem: TokenProblem } {
    const claims = verifySignature(token, this.secret);
    const order = this.issued.get(token) ?? 0;
    if (!claims || (order > 0 && order <= this.revokedUpTo)) return { problem: 'invalid' };
    if (claims.exp * 1000 <= this.now() || (order > 0 && order <= this.expiredUpTo)) return { problem: 'expired' };
    const user = this.userById(claims.sub);
    return user ? { user } : { problem: 'invalid' };
  }

  expireAll(): void {
    this.expiredUpTo = this.issueCount;
  }

  revokeAll(): void {
    this.revokedUpTo = this.issueCount;
  }

  /** A new chat session id, `<user_id>-<word>-<word>`. */
  newChatSessionId(userId: string): string {
    let id: string;
    do id = `${userId}-${slug(this.random, 2)}`;
    while (this.chatSessions.has(id));
    return id;
  }

  createChatSession(userId: string, agent: AgentDefinition, sessionId = this.newChatSessionId(userId)): ChatSessionRecord {
    const at = isoTime(this.now());
    const session: ChatSessionRecord = {
      sessionId,
      userId,
      sessionName: null,
      createdAt: at,
      updatedAt: at,
      agent,
      tools: sessionTools(agent),
      metadata: {},
      messages: [],
      tokenCount: 0,
    };
    this.chatSessions.set(sessionId, session);
    return session;
  }

  /** A session of this user that is on disk (has messages), or undefined. */
  persistedSession(userId: string, sessionId: string): ChatSessionRecord | undefined {
    const session = this.chatSessions.get(sessionId);
    return session && session.userId === userId && session.messages.length > 0 ? session : undefined;
  }

  /** A user's persisted sessions, newest first (§4.17). */
  listSessions(userId: string): ChatSessionRecord[] {
    return [...this.chatSessions.values()]
      .filter((s) => s.userId === userId && s.messages.length > 0)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt));
  }

  touch(session: ChatSessionRecord): void {
    session.updatedAt = isoTime(this.now());
  }
}

/** Python-style ISO time without a zone, with microseconds (`2025-09-08T10:28:41.107352`). */
export function isoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/** The display name the server computes (§6.1). */
export function displayName(session: ChatSessionRecord): string {
  return session.sessionName ?? `New chat with ${session.agent.name}`;
}

/** A full ChatSession as serialised in `chat_session_changed` (§6.1). */
export function serializeSession(session: ChatSessionRecord): Record<string, unknown> {
  return {
    version: 1,
    session_id: session.sessionId,
    token_count: session.tokenCount,
    context_window_size: 200_000,
    session_name: session.sessionName,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    deleted_at: null,
    user_id: session.userId,
    metadata: session.metadata,
    messages: session.messages,
    agent_config: agentConfig(session.agent, session.tools),
    vendor: vendorOf(session.agent.modelId),
    display_name: displayName(session),
  };
}

/** A session-list entry (§6.2). */
export function indexEntry(session: ChatSessionRecord): Record<string, unknown> {
  return {
    session_id: session.sessionId,
    session_name: displayName(session),
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    user_id: session.userId,
    agent_key: session.agent.key,
    agent_name: session.agent.name,
  };
}

export { findAgent };
