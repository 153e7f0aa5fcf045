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
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly createdAt: string;
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

const DEV_USER: SimulatorUser = { username: 'admin', password: 'changeme', userId: 'admin', firstName: 'Admin', lastName: 'User' };

export class Store {
  readonly users = new Map<string, UserRecord>();
  /** Chat sessions by id (all users). */
  readonly chatSessions = new Map<string, ChatSessionRecord>();
  /**
   * How far the server's clock for token checks has moved past the real one: `expireTokens` moves
   * it beyond the `exp` of every token issued so far, so they are expired by their own claim.
   */
  private clockSkewMs = 0;
  /** The latest `exp` (ms) of any token issued so far. */
  private latestExpMs = 0;
  /** Bumped by `revokeTokens`: a rotated signing secret, so every earlier token is invalid. */
  private secretGeneration = 0;

  constructor(
    private readonly baseSecret: string,
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
        firstName: user.firstName ?? null,
        lastName: user.lastName ?? null,
        createdAt: isoTime(now() - 86_400_000),
      });
    }
  }

  userById(userId: string): UserRecord | undefined {
    for (const user of this.users.values()) if (user.userId === userId) return user;
    return undefined;
  }

  /** The signing secret in force. */
  private get secret(): string {
    return this.secretGeneration === 0 ? this.baseSecret : `${this.baseSecret}#rotated-${this.secretGeneration}`;
  }

  /** The server's time for tokens (ms): the real clock plus the skew `expireTokens` added. */
  tokenNow(): number {
    return this.now() + this.clockSkewMs;
  }

  /** Signs a token for a user. */
  issueToken(user: UserRecord, ttlMs = this.tokenTtlMs): string {
    const now = this.tokenNow();
    const iat = Math.floor(now / 1000);
    const token = signToken(
      {
        sub: user.userId,
        user: {
          user_id: user.userId,
          user_name: user.username,
          email: `${user.username}@example.com`,
          first_name: user.firstName,
          last_name: user.lastName,
          is_active: user.isActive,
          roles: user.userId === 'admin' ? ['admin'] : ['user'],
          groups: [],
          created_at: user.createdAt,
          last_login: null, // the login updates a detached copy that is never saved (§13 item 5)
        },
        exp: Math.floor((now + ttlMs) / 1000),
        iat,
      },
      this.secret,
    );
    this.latestExpMs = Math.max(this.latestExpMs, Math.floor((now + ttlMs) / 1000) * 1000);
    return token;
  }

  /** The user a token stands for, or why it is refused. */
  verifyToken(token: string): { user: UserRecord } | { problem: TokenProblem } {
    const claims = verifySignature(token, this.secret);
    if (!claims) return { problem: 'invalid' };
    if (claims.exp * 1000 <= this.tokenNow()) return { problem: 'expired' };
    const user = this.userById(claims.sub);
    return user ? { user } : { problem: 'invalid' };
  }

  /**
   * Every token issued so far expires by its own `exp`: the token clock moves one second past the
   * latest of them. Tokens issued afterwards count from the moved clock, so they are valid.
   */
  expireAll(): void {
    const skew = this.latestExpMs + 1000 - this.now();
    if (skew > this.clockSkewMs) this.clockSkewMs = skew;
  }

  /** Every token issued so far becomes invalid, as after a revocation or a rotated secret. */
  revokeAll(): void {
    this.secretGeneration += 1;
  }

  /** A new chat session id, `<user_id>-<word>-<word>`. */
  newChatSessionId(userId: string): string {
    return this.uniqueId(userId, (id) => this.chatSessions.has(id));
  }

  /**
   * `<prefix>-<word>-<word>` not `taken`. Two words give only ~2,000 ids, so after a few draws that
   * are all taken a number is added (`<prefix>-<word>-<word>-2`, `-3`, ...): a long-running
   * simulator with thousands of sessions of one user still finds an id.
   */
  uniqueId(prefix: string, taken: (id: string) => boolean): string {
    for (let draw = 0; draw < 20; draw++) {
      const id = `${prefix}-${slug(this.random, 2)}`;
      if (!taken(id)) return id;
    }
    const base = `${prefix}-${slug(this.random, 2)}`;
    let n = 2;
    while (taken(`${base}-${n}`)) n++;
    return `${base}-${n}`;
  }

  /**
   * A new chat session. `tools` defaults to the agent's toolsets plus BridgeTools (what
   * `new_chat_session` loads); the session made at socket connect passes the agent's own (§13 item 3).
   */
  createChatSession(userId: string, agent: AgentDefinition, sessionId = this.newChatSessionId(userId), tools = sessionTools(agent)): ChatSessionRecord {
    const at = isoTime(this.now());
    const session: ChatSessionRecord = {
      sessionId,
      userId,
      sessionName: null,
      createdAt: at,
      updatedAt: at,
      agent,
      tools,
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
    context_window_size: 0, // a fresh session's, and never updated by the server (§13 item 10)
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
