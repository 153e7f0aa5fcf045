/**
 * The data plane: every decoded frame fanned out to events$, errors$, user$, catalog$, sessions$ and
 * the transcript (messages$, streaming$), without becoming machine context; the control plane hears
 * only the events it acts on, and the edges of the streaming kind.
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { ClientError } from '../errors.js';
import type { NonEventFrame } from '../schema/codec.js';
import type { Avatar, ChatUser, ToolInfo, Voice } from '../schema/catalog.js';
import type { AgentCatalogEntry } from '../schema/agent.js';
import type { ServerEvent, ServerEventOf } from '../schema/server/index.js';
import type { ChatSession, ChatSessionIndexEntry } from '../schema/session.js';
import { CONVERSATION_EVENT_TYPES } from '../machines/conversation.machine.js';
import { CATALOG_LISTS } from '../machines/outbox.logic.js';
import { createTranscript, type TranscriptMessage } from './transcript/index.js';
import { combineLatest, createHub, defer, distinctUntilChanged, map } from '../actors/rx.js';
import type { FrameSink, SentKind } from '../actors/socket.actor.js';

/**
 * The server events the root hears: the conversation's, and the outbox's: the catalogue lists (it
 * asks again for those missing), `cancelled` (it matches each with its cancel) and
 * `delete_chat_session` (it leaves a session deleted elsewhere).
 */
const CONTROL_PLANE_TYPES: ReadonlySet<string> = new Set([...CONVERSATION_EVENT_TYPES, ...Object.keys(CATALOG_LISTS), 'cancelled', 'delete_chat_session']);

/** What the data plane tells the control plane: conversation events, and edges of the streaming kind. */
export interface ControlHooks {
  conversationEvent(event: ServerEvent): void;
  streamKind(sessionId: string, kind: 'text' | 'thought' | 'toolSelection' | 'toolCall'): void;
}

const KIND_OF: Readonly<Record<string, 'text' | 'thought' | 'toolCall' | undefined>> = { assistant: 'text', thought: 'thought', tool_call: 'toolCall' };

/** What the server lists for choosing: agents, avatars, voices, toolsets. */
export interface Catalog {
  readonly agents: readonly AgentCatalogEntry[];
  readonly avatars: readonly Avatar[];
  readonly voices: readonly Voice[];
  readonly tools: readonly ToolInfo[];
}

/** Traffic counters, updated per frame (read them, do not observe them per frame). */
export interface TrafficStats {
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  roundTripTime: number | null;
  pingSentAt: number | null;
}

const EMPTY_CATALOG: Catalog = Object.freeze({ agents: [], avatars: [], voices: [], tools: [] });

/** The field of {@link Catalog} each catalogue list fills (the outbox knows the requests, outbox.logic.ts). */
const LISTS = {
  agent_list: 'agents',
  avatar_list: 'avatars',
  voice_list: 'voices',
  tool_catalog: 'tools',
} as const satisfies Record<keyof typeof CATALOG_LISTS, keyof Catalog>;

/** The data plane of one client. */
export function createDataPlane(
  now: () => number,
  control?: ControlHooks,
  options: { /** @internal Tests only: `false` folds every delta the general way. */ fastDeltas?: boolean } = {},
) {
  const transcript = createTranscript(options);
  const messages = new BehaviorSubject<readonly TranscriptMessage[]>(transcript.messages);
  const streaming = createHub<TranscriptMessage | null>(null);
  let lastKind: string | undefined;
  let lastKindSession: string | undefined;
  /**
   * The transcript folds only once something needs it (messages$, streaming$, sendText): an app
   * that reads events$ alone does not pay for it. Until then the events since the last resync are
   * kept, deltas excepted (each round's `history_delta` carries its text), and replayed at start.
   */
  let folding = false;
  const backlog: ServerEvent[] = [];
  const applyToTranscript = (event: ServerEvent): void => {
    const change = transcript.apply(event);
    if (change.messagesChanged) messages.next(transcript.messages);
    if (change.streamingChanged) {
      const current = transcript.streaming;
      streaming.next(current);
      // edges only: the kind of output streaming in a session changed
      const kind = current ? (current.kind === 'tool_call' && current.status === 'selected' ? 'toolSelection' : KIND_OF[current.kind]) : undefined;
      const session = current && kind ? current.sessionId : undefined;
      if (kind !== lastKind || session !== lastKindSession) {
        lastKind = kind;
        lastKindSession = session;
        if (current && kind) control?.streamKind(current.sessionId, kind);
      }
    }
  };
  const startFolding = (): void => {
    if (folding) return;
    folding = true;
    for (const event of backlog.splice(0)) applyToTranscript(event);
  };
  const events = createHub<ServerEvent>();
  const errors = new Subject<ClientError>();
  const audio = createHub<Int16Array>();
  const cancels = createHub<void>();
  const user = new BehaviorSubject<ChatUser | null>(null);
  const catalog = new BehaviorSubject<Catalog>(EMPTY_CATALOG);
  const disposed = new BehaviorSubject<boolean>(false);
  const sessions = new BehaviorSubject<readonly ChatSessionIndexEntry[]>([]);
  const currentSession = new BehaviorSubject<ChatSession | null>(null);
  /** The agent's voice, once the server said it (the init burst does not, §6.8). */
  const voice = new BehaviorSubject<Voice | null>(null);
  const stats: TrafficStats = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, roundTripTime: null, pingSentAt: null };

  /** Sessions deleted while this client ran: gone from `sessions$` for good. */
  const deleted = new Set<string>();
  const forget = (sessionId: string): void => {
    deleted.add(sessionId);
    sessions.next(sessions.value.filter((entry) => entry.session_id !== sessionId));
  };
  const fold = (event: ServerEvent): void => {
    switch (event.type) {
      case 'chat_user_data':
        user.next(event.user);
        break;
      case 'agent_list':
      case 'avatar_list':
      case 'voice_list':
      case 'tool_catalog': {
        const key = LISTS[event.type];
        catalog.next({ ...catalog.value, [key]: (event as unknown as Catalog)[key] });
        break;
      }
      case 'chat_session_changed':
        currentSession.next(event.chat_session);
        break;
      case 'agent_voice_changed':
        voice.next(event.voice);
        break;
      case 'agent_configuration_changed':
        if (currentSession.value) currentSession.next({ ...currentSession.value, agent_config: event.agent_config });
        break;
      case 'session_metadata_changed':
        if (currentSession.value) currentSession.next({ ...currentSession.value, metadata: event.meta });
        break;
      case 'chat_session_name_changed': {
        const id = event.session_id ?? currentSession.value?.session_id;
        if (currentSession.value && id === currentSession.value.session_id) currentSession.next({ ...currentSession.value, session_name: event.session_name });
        sessions.next(sessions.value.map((entry) => (entry.session_id === id ? { ...entry, session_name: event.session_name } : entry)));
        break;
      }
      case 'get_user_sessions_response':
        sessions.next(event.sessions.chat_sessions);
        break;
      case 'chat_session_added': {
        // a session saved again as a tab left it after it was deleted (§4.13) stays deleted here
        if (deleted.has(event.chat_session.session_id)) break;
        // an upsert (§5.1), newest first
        const rest = sessions.value.filter((entry) => entry.session_id !== event.chat_session.session_id);
        sessions.next([event.chat_session, ...rest]);
        break;
      }
      case 'delete_chat_session':
      case 'chat_session_deleted':
        if (event.session_id) forget(event.session_id);
        break;
      case 'pong':
        if (stats.pingSentAt !== null) stats.roundTripTime = now() - stats.pingSentAt;
        stats.pingSentAt = null;
        break;
      case 'error':
        errors.next(new ClientError('server_error', event.message, { cause: event }));
        break;
      default:
        break;
    }
  };

  /**
   * The per-delta path: nothing to fold into the catalogue, nothing for the control plane, and no
   * backlog (each round's history_delta carries its text); a delta that continues the streaming
   * message leaves its kind and session as they were, so no edge to report either.
   */
  const delta = (event: ServerEventOf<'text_delta' | 'thought_delta'>, bytes: number): void => {
    stats.messagesReceived++;
    stats.bytesReceived += bytes;
    if (folding) {
      const continued = transcript.continueStream(event);
      if (continued !== null) streaming.next(continued);
      else applyToTranscript(event);
    }
    events.next(event);
  };

  const sink: FrameSink = {
    event(event: ServerEvent, bytes: number) {
      const type = event.type;
      if (type === 'text_delta' || type === 'thought_delta') return delta(event, bytes);
      stats.messagesReceived++;
      stats.bytesReceived += bytes;
      fold(event);
      if (folding) applyToTranscript(event);
      else if (type === 'chat_session_changed') backlog.splice(0, backlog.length, event);
      else backlog.push(event);
      if (control && CONTROL_PLANE_TYPES.has(type)) control.conversationEvent(event);
      events.next(event);
    },
    delta,
    other(frame: NonEventFrame, bytes: number) {
      stats.messagesReceived++;
      stats.bytesReceived += bytes;
      switch (frame.kind) {
        case 'audio':
          audio.next(frame.pcm);
          break;
        case 'invalid':
          errors.next(
            new ClientError('protocol', `Invalid frame from the server (${frame.reason}${frame.type ? `, type ${frame.type}` : ''}): ${frame.issues[0]?.message ?? ''}`, {
              cause: frame,
            }),
          );
          break;
        case 'unknown':
          break; // a newer server's event: not an error; it is not on events$ (which is typed)
      }
    },
    sent(bytes: number, kind: SentKind) {
      stats.messagesSent++;
      stats.bytesSent += bytes;
      if (kind === 'ping') stats.pingSentAt = now();
      else if (kind === 'cancel') cancels.next(undefined);
    },
  };

  return {
    sink,
    stats,
    events$: events.observable,
    errors: errors,
    errors$: errors.asObservable(),
    audio$: audio.observable,
    /** A `client_wants_cancel` went on the wire (whoever asked: `cancel()`, an interrupt, a raw send). */
    cancels$: cancels.observable,
    user$: user.pipe(distinctUntilChanged()),
    messages$: defer(() => {
      startFolding();
      return messages;
    }),
    sessions$: sessions.pipe(distinctUntilChanged()),
    currentSession$: currentSession.pipe(distinctUntilChanged()),
    /** The current chat session, as last reported. */
    currentSession: () => currentSession.value,
    /** Renames a session in the list (the server confirms a rename of another session to nobody here). */
    renameListedSession(sessionId: string, name: string): void {
      sessions.next(sessions.value.map((entry) => (entry.session_id === sessionId ? { ...entry, session_name: name } : entry)));
    },
    /** Drops a session from the list (after a delete the server confirms only to other tabs). */
    forgetSession: forget,
    streaming$: defer(() => {
      startFolding();
      return streaming.observable;
    }),
    /** Starts the transcript (interaction$ reads the streaming kind it reports). */
    startTranscript: startFolding,
    /** The answer in flight ended without its end events (the connection ended, the server restarted): what streamed is committed, marked incomplete. */
    interrupted(): void {
      if (!folding || !transcript.interrupt()) return;
      messages.next(transcript.messages);
      streaming.next(transcript.streaming);
    },
    /** The interaction ended cancelled: its answer is marked so (`stopReason: 'cancelled'`) where the server said nothing. */
    cancelled(interactionId: string): void {
      if (!folding || !transcript.markCancelled(interactionId)) return;
      messages.next(transcript.messages);
    },
    /** A local echo of the user's text, shown before the server confirms it. */
    echoUserText(text: string, fileIds: readonly string[]): void {
      startFolding();
      transcript.addLocalUserMessage(text, fileIds);
      messages.next(transcript.messages);
    },

    catalog$: catalog.pipe(distinctUntilChanged()),
    /** The voices the server listed. */
    voices: () => catalog.value.voices,
    /** The voices the server listed, and the agent's current one (null until the server says). */
    voices$: combineLatest([catalog, voice]).pipe(
      map(([value, current]) => ({ voices: value.voices, current })),
      distinctUntilChanged((a, b) => a.voices === b.voices && a.current === b.current),
    ),
    /** `true` once the client is disposed (emitted, then completed). */
    disposed$: disposed.asObservable(),
    /** Completes every stream (dispose), after telling `disposed$`. */
    complete(): void {
      disposed.next(true);
      for (const stream of [events, errors, audio, cancels, user, catalog, voice, messages, streaming, sessions, currentSession, disposed] as { complete(): void }[]) stream.complete();
    },
  };
}

export type DataPlane = ReturnType<typeof createDataPlane>;
