/**
 * `createClient`: validates the options, builds the root actor with its I/O actors bound to their
 * dependencies, and exposes commands and observables. The machines decide; this file only wires.
 */
import { combineLatest, defer, EMPTY, distinctUntilChanged, filter, map, Observable, of, shareReplay, Subscription, switchMap, takeUntil, takeWhile } from 'rxjs';
import { createActor, waitFor, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { createAuthActors, type TokenVault } from './actors/auth.actors.js';
import { createDataPlane, snapshots, type Catalog } from './actors/rx.js';
import { firstAttempt } from './actors/settle.js';
import { createSocketActor } from './actors/socket.actor.js';
import { awaitTokenLogic, createTokenGetter } from './actors/token.js';
import { createCommands, type SessionCommands } from './commands.js';
import { uploadFile, uploadFiles, type UploadInput, type UploadOptions } from './actors/upload.js';
import type { UploadResponse } from './schema/http.js';
import type { ChatSession, ChatSessionIndexEntry } from './schema/session.js';
import { ClientError } from './errors.js';
import { authMachine } from './machines/auth.machine.js';
import { clientMachine } from './machines/client.machine.js';
import { connectionMachine } from './machines/connection.machine.js';
import { interactionActorId, type conversationMachine } from './machines/conversation.machine.js';
import { NO_REPLY_REASON, type InteractionOutput, type interactionMachine } from './machines/interaction.machine.js';
import type { turnMachine } from './machines/turn.machine.js';
import { nonPreemptingClientEventTypes } from './schema/client.js';
import type { TranscriptMessage } from './transcript.logic.js';
import { resolveOptions, type ClientOptions } from './options.js';
import type { ChatUser } from './schema/catalog.js';
import type { ClientEvent } from './schema/client.js';
import { encodeClientEvent } from './schema/codec.js';
import { isChatCommand, isIgnoredText } from './schema/text.js';
import { ProtocolError } from './schema/protocol-error.js';
import type { ServerEvent } from './schema/server/index.js';

/** The connection's state, as `connection$` reports it. */
export type ConnectionState = 'idle' | 'connecting' | 'initializing' | 'ready' | 'reconnecting' | 'failed' | 'closed';

/** What `connection$` emits. */
export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Attempts since the last stable connection. */
  readonly attempts: number;
  readonly lastError: { readonly reason: string; readonly message: string } | null;
  /** Of the last ping, in ms. */
  readonly roundTripTime: number | null;
  /** When the connection last became ready (ms since the epoch). */
  readonly connectedAt: number | null;
  readonly uiSessionId: string | null;
  readonly chatSessionId: string | null;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** What `state$` emits: a serialisable view of every region. */
export interface ClientStateView {
  readonly connection: ConnectionState;
  /** The auth machine's state: `loading`, `valid`, `refreshing`, `authRequired`, … */
  readonly auth: string;
  /** The conversation's turn (as `turn$`). */
  readonly turn: Turn;
  readonly disposed: boolean;
}

/** Whose turn it is (`unknown` while disconnected, until the server says). */
export type Turn = 'unknown' | 'user' | 'agent';

/** The top-level interaction in flight, as `interaction$` reports it (null when none). */
export interface InteractionView {
  readonly sessionId: string;
  readonly interactionId: string | null;
  /** `requested` until the server starts it, then `streaming`. */
  readonly state: 'requested' | 'streaming';
  /** What is streaming now: `waiting`, `text`, `thought`, `toolSelection`, `toolCall`. */
  readonly streaming: string | null;
}

/** How `sendText` ended: the interaction's outcome, or `command` for a `!command` (no interaction). */
export type SendTextResult = InteractionOutput | { readonly outcome: 'command' };

/** Options of `sendText`. */
export interface SendTextOptions {
  /** Ids of files uploaded to the current chat session. */
  readonly fileIds?: readonly string[];
  /** When an answer is streaming: cancel it first (`client_wants_cancel`), wait for the turn, then send. */
  readonly interrupt?: boolean;
}

/** A client. */
export interface RealtimeClient extends SessionCommands {
  /** The saved chat sessions, newest first (from `listSessions` and the server's broadcasts). */
  readonly sessions$: Observable<readonly ChatSessionIndexEntry[]>;
  /** The current chat session (with its agent configuration and metadata), or null before the first. */
  readonly currentSession$: Observable<ChatSession | null>;
  /**
   * Uploads a file to the current chat session (`POST /api/rt/upload_file`), checking `maxUploadSize`
   * and `allowedMimeTypes` first; use the returned `id` in `sendText(text, { fileIds: [id] })`.
   */
  uploadFile(file: UploadInput, options?: UploadOptions): Promise<UploadResponse>;
  /** Uploads several files one after the other (at most `maxFilesPerMessage`); progress is over all. */
  uploadFiles(files: readonly UploadInput[], options?: UploadOptions): Promise<UploadResponse[]>;
  /**
   * Sends the user's text and resolves when the interaction it starts has ended, with its outcome.
   * Rejects `interaction_in_progress` while an answer streams, unless `{ interrupt: true }`.
   */
  sendText(text: string, options?: SendTextOptions): Promise<SendTextResult>;
  /** Asks the server to stop the running answer gracefully; resolves once the server confirmed (`cancelled`). */
  cancel(): Promise<void>;
  readonly turn$: Observable<Turn>;
  readonly interaction$: Observable<InteractionView | null>;
  /** The ordered messages of the current chat session. */
  readonly messages$: Observable<readonly TranscriptMessage[]>;
  /** The message being built (a new object at every delta), or null. */
  readonly streaming$: Observable<TranscriptMessage | null>;
  /**
   * Connects (if not already) and resolves when this attempt is ready; rejects with its real cause
   * (`network`, `refused`, `auth_required`, `timeout`…) while reconnection goes on in the background.
   */
  connect(): Promise<void>;
  /** Closes the connection on purpose; resolves once closed. */
  disconnect(): Promise<void>;
  /** Resolves at the next `ready` (at once when ready); rejects if the connection fails or the client is disposed. */
  ready(): Promise<void>;
  /** Sends a raw protocol event (validated); see README for what waits for `ready`. */
  send(event: ClientEvent): Promise<void>;
  /** Stops everything and completes every observable. */
  dispose(): void;
  /** The root XState actor (for inspection and advanced use). */
  readonly actor: ActorRefFrom<typeof clientMachine>;
  readonly state$: Observable<ClientStateView>;
  readonly connection$: Observable<ConnectionStatus>;
  readonly events$: Observable<ServerEvent>;
  readonly errors$: Observable<ClientError>;
  readonly user$: Observable<ChatUser | null>;
  readonly catalog$: Observable<Catalog>;
}

/**
 * Requests that are safe to send late: they wait for `ready` instead of failing (README, outbound
 * policy). Everything else is refused with `not_ready` until the connection is ready.
 */
const WAITS_FOR_READY: ReadonlySet<string> = new Set(['get_agents', 'get_avatars', 'get_voices', 'get_tool_catalog', 'get_user_sessions', 'ping']);
/** States in which a connection is on its way (a queued request will go out when it is ready). */
const UNDER_WAY: ReadonlySet<ConnectionState> = new Set(['connecting', 'initializing', 'reconnecting']);

function connectionState(snapshot: SnapshotFrom<typeof connectionMachine>): ConnectionState {
  const value = snapshot.value;
  if (typeof value === 'string') return value === 'retrying' || value === 'awaitingToken' ? 'reconnecting' : (value as ConnectionState);
  const phase = value.attempt.phase;
  if (phase === 'ready') return 'ready';
  if (typeof phase === 'object' && phase.starting === 'opening') return snapshot.context.attempt > 0 ? 'reconnecting' : 'connecting';
  return 'initializing';
}

function stateName(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0] ?? '';
}

/** How long a request waits for the server's answer: three connection timeouts, at least 10 s. */
const replyTimeoutMs = (connectionTimeout: number) => Math.max(10_000, connectionTimeout * 3);

/** Checks `sendText`'s options (a caller may pass anything from plain JavaScript); `null` means none. */
function checkTextOptions(options: unknown): SendTextOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new ClientError('invalid_options', 'sendText options: expected an object like { fileIds, interrupt }');
  const { fileIds, interrupt } = options as Record<string, unknown>;
  if (fileIds !== undefined && (!Array.isArray(fileIds) || !fileIds.every((id) => typeof id === 'string' && id !== ''))) {
    throw new ClientError('invalid_options', 'sendText options.fileIds: expected an array of file ids (non-empty strings) from uploadFile');
  }
  if (interrupt !== undefined && typeof interrupt !== 'boolean') throw new ClientError('invalid_options', 'sendText options.interrupt: expected true or false');
  return options as SendTextOptions;
}

/**
 * Creates a client. Nothing happens on the network until `connect()`.
 *
 * @throws {ClientError} `invalid_options`, naming every bad option.
 * @example
 * const client = createClient({ url: 'http://localhost:8000', auth: { username: 'admin', password: 'changeme' }, WebSocket });
 * await client.connect();
 * client.events$.subscribe((event) => console.log(event.type));
 */
export function createClient(options: ClientOptions): RealtimeClient {
  const resolved = resolveOptions(options);
  const now = () => Date.now();
  const fetchImpl = resolved.fetch ?? globalThis.fetch?.bind(globalThis);
  if (!fetchImpl && resolved.auth.kind === 'credentials') throw new ClientError('invalid_options', 'fetch: no fetch available; pass options.fetch');
  if (!resolved.WebSocket && typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
    throw new ClientError('invalid_options', "WebSocket: this runtime has none (Node 20); pass options.WebSocket, e.g. WebSocket from the 'ws' package");
  }
  const vault: TokenVault = { token: null, heygenToken: null, loginUiSessionId: null };
  /**
   * For every `client_wants_cancel` sent, whether an answer was running then. The server answers
   * every cancel with `cancelled`, in order; one sent while idle must not mark the next answer
   * cancelled (the server resets its flag when the next interaction starts).
   */
  const cancelTargets: boolean[] = [];
  const data = createDataPlane(now, {
    conversationEvent: (event) => {
      if (event.type === 'cancelled' && !cancelTargets.shift()) return;
      root.send({ type: 'server', event });
    },
    streamKind: (sessionId, kind) => root.send({ type: 'stream.kind', sessionId, kind }),
  });
  const disposed$ = data.disposed$.pipe(filter(Boolean));

  // Set right after createActor; the socket actor only asks for a token once the actor runs.
  let root!: ActorRefFrom<typeof clientMachine>;
  const auth = () => root.system.get('auth') as ActorRefFrom<typeof authMachine>;
  const connection = () => root.system.get('connection') as ActorRefFrom<typeof connectionMachine>;
  /** Disposed: the root machine reached its final `disposed` state (or was stopped). The one source of it. */
  const isDisposed = () => root.getSnapshot().status !== 'active';
  const conversation = () => root.system.get('conversation') as ActorRefFrom<typeof conversationMachine>;
  const turnActor = () => root.system.get('turn') as ActorRefFrom<typeof turnMachine>;
  /** The top-level interaction actor in flight, if any. */
  const topInteraction = () => {
    const { sessionId, live } = conversation().getSnapshot().context;
    if (!sessionId || !live.includes(sessionId)) return undefined;
    return conversation().getSnapshot().children[interactionActorId(sessionId)] as ActorRefFrom<typeof interactionMachine> | undefined;
  };
  /**
   * Whether the server is busy with an answer: an interaction in flight, or the turn still the
   * agent's. The server's task runs until `user_turn_start` (it saves the session after the
   * interaction ended), and anything pre-empting sent before then would kill it (§1.5 rule 6).
   */
  const interactionRunning = () => topInteraction()?.getSnapshot().status === 'active' || turnActor().getSnapshot().value === 'agent';

  // A token this close to expiry counts as expired. Never more than half the refresh buffer, so a
  // short-lived token (tests, strict servers) is not "expired" from birth.
  const skewMs = Math.min(5_000, Math.floor(resolved.auth.refreshBufferMs / 2));

  /** A currently valid token for the next connection attempt (never an expired one). */
  const getToken = createTokenGetter({
    vault,
    auth,
    reportExpired: () => root.send({ type: 'token.expired' }),
    reportRefused: () => root.send({ type: 'token.refused' }),
    now,
    skewMs,
    timeoutMs: resolved.connectionTimeout,
  });

  const authActors = createAuthActors({ apiBase: resolved.url, fetch: fetchImpl!, auth: resolved.auth, vault, now, skewMs });
  const sockets = createSocketActor({ apiBase: resolved.url, getToken, refuseToken: getToken.refuse, WebSocket: resolved.WebSocket, sink: data.sink, loginUiSessionId: () => vault.loginUiSessionId });
  const socket = sockets.logic;
  // each child machine gets its I/O actors bound to this client's dependencies
  const provided = clientMachine.provide({
    actors: {
      auth: authMachine.provide({ actors: authActors }),
      connection: connectionMachine.provide({ actors: { socket, awaitToken: awaitTokenLogic(getToken) } }),
    },
  });
  const inspect = resolved.inspect;
  root = createActor(provided, {
    input: {
      auth: {
        mode: resolved.auth.kind === 'credentials' ? 'credentials' : resolved.auth.kind === 'token' ? 'token' : 'provider',
        refreshBufferMs: resolved.auth.refreshBufferMs,
        retryDelayMs: 5_000,
      },
      connection: {
        reconnection: resolved.reconnection,
        autoReconnect: resolved.autoReconnect,
        connectionTimeout: resolved.connectionTimeout,
        pingInterval: resolved.pingInterval,
        pongTimeout: resolved.pongTimeout,
        stableAfter: 5_000,
        maxMessageSize: resolved.maxMessageSize,
        agentKey: resolved.agentKey ?? null,
        chatSessionId: resolved.chatSessionId ?? null,
        uiSessionId: resolved.uiSessionId ?? null,
        seed: Math.floor(Math.random() * 2 ** 32),
      },
      conversation: { replyTimeoutMs: replyTimeoutMs(resolved.connectionTimeout) },
    },
    ...(inspect ? { inspect: inspect as never } : {}),
  });
  root.start();

  // ---------------------------------------------------------------- observables
  let connectedAt: number | null = null;
  const connectionSnapshot$ = snapshots(connection()).pipe(takeUntil(disposed$), shareReplay({ bufferSize: 1, refCount: false }));
  const authSnapshot$ = snapshots(auth()).pipe(takeUntil(disposed$), shareReplay({ bufferSize: 1, refCount: false }));
  const status = (snapshot: SnapshotFrom<typeof connectionMachine>): ConnectionStatus => {
    const state = connectionState(snapshot);
    return {
      state,
      attempts: snapshot.context.attempt,
      lastError: snapshot.context.lastError,
      roundTripTime: data.stats.roundTripTime,
      connectedAt,
      uiSessionId: snapshot.context.uiSessionId,
      chatSessionId: snapshot.context.chatSessionId,
      messagesSent: data.stats.messagesSent,
      messagesReceived: data.stats.messagesReceived,
      bytesSent: data.stats.bytesSent,
      bytesReceived: data.stats.bytesReceived,
    };
  };
  const connection$ = connectionSnapshot$.pipe(
    map(status),
    distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
    shareReplay({ bufferSize: 1, refCount: false }),
  );
  const turn$ = snapshots(turnActor()).pipe(
    map((snapshot) => snapshot.value as Turn),
    distinctUntilChanged(),
    takeUntil(disposed$),
    shareReplay({ bufferSize: 1, refCount: false }),
  );
  const interaction$ = defer(() => {
    if (isDisposed()) return EMPTY; // the actors are gone; like every other stream, it has completed
    data.startTranscript(); // the streaming kind comes from the transcript
    return snapshots(conversation());
  }).pipe(
    map(() => topInteraction()),
    distinctUntilChanged(),
    switchMap((actor) =>
      actor
        ? snapshots(actor).pipe(
            map((snapshot): InteractionView | null => {
              if (snapshot.status !== 'active') return null;
              const value = snapshot.value;
              return {
                sessionId: snapshot.context.sessionId,
                interactionId: snapshot.context.interactionId,
                state: value === 'requested' ? 'requested' : 'streaming',
                streaming: typeof value === 'object' ? value.streaming : null,
              };
            }),
          )
        : of(null),
    ),
    distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
    takeUntil(disposed$),
    shareReplay({ bufferSize: 1, refCount: false }),
  );
  const state$ = combineLatest([connectionSnapshot$, authSnapshot$, turn$, data.disposed$]).pipe(
    map(([c, a, turn, d]): ClientStateView => ({ connection: connectionState(c), auth: stateName(a.value), turn, disposed: d })),
    distinctUntilChanged((a, b) => a.connection === b.connection && a.auth === b.auth && a.turn === b.turn && a.disposed === b.disposed),
    takeWhile((view) => !view.disposed, true), // the last value says disposed: true
    shareReplay({ bufferSize: 1, refCount: false }),
  );

  // ---------------------------------------------------------------- reactions
  const queue: { data: string; resolve: () => void; reject: (error: ClientError) => void }[] = [];
  /** Commands held while an answer streams (they would pre-empt it); sent at the next user turn. */
  const held: { data: string; resolve: () => void; reject: (error: ClientError) => void }[] = [];
  const rejectHeld = (error: ClientError) => {
    for (const item of held.splice(0)) item.reject(error);
  };
  const toSubscription = (listener: { unsubscribe(): void }) => new Subscription(() => listener.unsubscribe());
  /** Sends the held commands once the connection is ready and the server no longer busy. */
  const releaseHeld = () => {
    if (held.length === 0 || isDisposed() || currentState() !== 'ready' || interactionRunning()) return;
    for (const item of held.splice(0)) {
      root.send({ type: 'outbound', data: item.data });
      item.resolve();
    }
  };
  const rejectQueue = (error: ClientError) => {
    for (const item of queue.splice(0)) item.reject(error);
  };
  let previous: ConnectionState = 'idle';
  let lastReported: string | null = null;
  const subscriptions: Subscription[] = [];
  subscriptions.push(
    connectionSnapshot$.subscribe((snapshot) => {
      const state = connectionState(snapshot);
      if (state === 'ready' && previous !== 'ready') {
        connectedAt = now();
        for (const item of queue.splice(0)) {
          root.send({ type: 'outbound', data: item.data });
          item.resolve();
        }
        // a short reconnect (or a burst cut short) sends no lists: ask for those never received (§7.2)
        for (const request of data.missingLists()) root.send({ type: 'outbound', data: JSON.stringify({ type: request }) });
        releaseHeld(); // held across a reconnect: the burst's user_turn_start may come before ready
      }
      if ((state === 'reconnecting' || state === 'failed' || state === 'closed') && (previous === 'ready' || previous === 'initializing')) {
        root.send({ type: 'connection.lost' });
        // the loss ends every interaction; a `cancelled` for a cancel sent before it has nothing left
        // to end, and must not be matched with a later cancel
        cancelTargets.length = 0;
      }
      if ((state === 'failed' || state === 'closed') && previous !== state) {
        rejectHeld(new ClientError(state === 'failed' ? (snapshot.context.lastError?.reason ?? 'network') : 'closed', 'The connection ended before the command could be sent'));
        rejectQueue(new ClientError(state === 'failed' ? (snapshot.context.lastError?.reason ?? 'network') : 'closed', 'The connection ended before the request could be sent'));
      }
      const problem = snapshot.context.lastError;
      const key = problem ? `${snapshot.context.attempt}:${problem.reason}:${problem.message}` : null;
      if (problem && key !== lastReported) data.errors.next(new ClientError(problem.reason, problem.message));
      lastReported = key;
      previous = state;
    }),
    // turn events are advisory (§9 item 3): held commands go out once the server is no longer busy,
    // whether the turn came back or the interaction ended without any turn event
    turn$.subscribe(() => releaseHeld()),
    // (after the conversation machine has finished the step that ended the interaction)
    toSubscription(conversation().on('interaction.ended', () => queueMicrotask(releaseHeld))),
    authSnapshot$.subscribe((snapshot) => {
      const problem = snapshot.context.lastError;
      if (problem && (snapshot.matches('authRequired') || snapshot.matches('waitingToRetry'))) {
        data.errors.next(new ClientError(problem.reason === 'network' ? 'network' : problem.reason, problem.message));
      }
    }),
  );

  if (resolved.debug) {
    // opt-in diagnostics: state changes and errors, never tokens (errors are redacted at the edge)
    subscriptions.push(
      state$.subscribe((view) => console.debug('[agentc-realtime] state', view)),
      data.errors$.subscribe((error) => console.debug('[agentc-realtime] error', error.toJSON())),
    );
  }

  const currentState = (): ConnectionState => connectionState(connection().getSnapshot());
  const closedError = () => new ClientError('closed', 'The client was disposed');

  const ready = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (isDisposed()) return reject(closedError());
      const snapshot = connection().getSnapshot();
      const state = connectionState(snapshot);
      if (state === 'ready') return resolve();
      if (state === 'failed') return reject(new ClientError(snapshot.context.lastError?.reason ?? 'network', snapshot.context.lastError?.message ?? 'The connection failed'));
      let settled = false;
      let subscription: Subscription | undefined;
      const finish = (error?: ClientError) => {
        if (settled) return;
        settled = true;
        subscription?.unsubscribe();
        if (error) reject(error);
        else resolve();
      };
      subscription = connectionSnapshot$.subscribe({
        next: (s) => {
          const next = connectionState(s);
          if (next === 'ready') finish();
          else if (next === 'failed') finish(new ClientError(s.context.lastError?.reason ?? 'network', s.context.lastError?.message ?? 'The connection failed'));
          else if (next === 'closed' && state !== 'closed') finish(new ClientError('closed', 'The connection was closed'));
        },
        complete: () => finish(closedError()),
      });
      if (settled) subscription.unsubscribe();
    });

  /** Resolves with the next end of a top-level interaction. */
  const nextEnd = (sessionId: string): Promise<InteractionOutput> =>
    new Promise((resolve, reject) => {
      let stop: Subscription | undefined = undefined;
      const subscription = conversation().on('interaction.ended', ({ output }) => {
        if (output.sessionId !== sessionId) return;
        subscription.unsubscribe();
        stop?.unsubscribe();
        resolve(output);
      });
      stop = disposed$.subscribe(() => {
        subscription.unsubscribe();
        reject(closedError());
      });
    });

  /** The next server event of a type; rejects if the connection is lost or the client disposed first. */
  const nextEvent = (type: ServerEvent['type']): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const subscriptions: Subscription[] = [];
      const finish = (error?: ClientError) => {
        for (const subscription of subscriptions) subscription.unsubscribe();
        if (error) reject(error);
        else resolve();
      };
      subscriptions.push(
        data.events$.pipe(filter((event) => event.type === type)).subscribe(() => finish()),
        lost$.subscribe((error) => finish(error)),
      );
    });

  /** Resolves once the turn is no longer the agent's (the server finished its task), or the connection is lost. */
  const turnBack = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const subscriptions: Subscription[] = [];
      const finish = (error?: ClientError) => {
        queueMicrotask(() => {
          for (const subscription of subscriptions) subscription.unsubscribe();
        });
        if (error) reject(error);
        else resolve();
      };
      subscriptions.push(
        turn$.pipe(filter((turn) => turn !== 'agent')).subscribe(() => finish()),
        disposed$.subscribe(() => finish(closedError())),
      );
    });

  const sendCancel = () => {
    cancelTargets.push(interactionRunning());
    root.send({ type: 'outbound', data: JSON.stringify({ type: 'client_wants_cancel' }) });
  };

  /** Cancel the running answer and wait until the server gave the turn back. */
  async function cancelAndWait(): Promise<void> {
    if (!interactionRunning()) return;
    // the interaction may not even have started on the server yet (the turn still reads `user`):
    // wait for it to end, then for the turn to come back
    const running = topInteraction();
    const ended = running ? nextEnd(running.getSnapshot().context.sessionId) : Promise.resolve();
    sendCancel();
    await ended;
    await turnBack();
  }

  const lost$ = new Observable<ClientError>((subscriber) => {
    let wasReady = false;
    const subscriptions = [
      connection$.subscribe((status) => {
        if (status.state === 'ready') wasReady = true;
        else if (wasReady) {
          wasReady = false;
          subscriber.next(
            status.state === 'closed' || status.state === 'failed'
              ? new ClientError('closed', 'The connection ended before the server answered')
              : new ClientError('network', 'The connection was lost before the server answered'),
          );
        }
      }),
      disposed$.subscribe(() => subscriber.next(closedError())),
    ];
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
  });

  /** sendText calls go through one at a time until their text is sent (see sendText). */
  let sendLock: Promise<void> = Promise.resolve();

  /** Validates, waits for the turn when interrupting, sends; resolves with a waiter for the answer. */
  async function prepareText(text: string, given: unknown): Promise<() => Promise<SendTextResult>> {
    if (isDisposed()) throw closedError();
    if (typeof text !== 'string') throw new ClientError('invalid_options', `text: expected a string, got ${text === null ? 'null' : typeof text}`);
    // Python's strip, as the server tests it: text it empties gets no answer at all (§13 item 13)
    if (isIgnoredText(text)) throw new ClientError('invalid_options', 'text: must not be empty or white space only (the server ignores it without an answer)');
    const options = checkTextOptions(given);
    const fileIds = [...(options.fileIds ?? [])];
    if (fileIds.length > resolved.maxFilesPerMessage) {
      throw new ClientError('too_many_files', `Too many files: ${fileIds.length} (at most ${resolved.maxFilesPerMessage} per message)`);
    }
    if (currentState() !== 'ready') throw new ClientError('not_ready', `Cannot send text while the connection is ${currentState()}; wait for client.ready()`);
    while (interactionRunning()) {
      if (!options.interrupt) throw new ClientError('interaction_in_progress', 'An answer is streaming; pass { interrupt: true } to cancel it first, or wait for it to end');
      await cancelAndWait();
      // the connection may have been lost while waiting: the text would go nowhere
      if (isDisposed()) throw closedError();
      if (currentState() !== 'ready') throw new ClientError('not_ready', 'The connection was lost while waiting for the turn; the text was not sent');
    }
    const encoded = encodeClientEvent({ type: 'text_input', text, file_ids: fileIds });
    if (isChatCommand(text)) {
      root.send({ type: 'outbound', data: encoded }); // a chat command: answered inline, no interaction
      return () => Promise.resolve({ outcome: 'command' as const });
    }
    const sessionId = conversation().getSnapshot().context.sessionId;
    if (!sessionId) throw new ClientError('not_ready', 'No chat session yet');
    const ended = nextEnd(sessionId);
    data.echoUserText(text, fileIds);
    root.send({ type: 'text.requested' });
    root.send({ type: 'outbound', data: encoded });
    return async () => {
      const output = await ended;
      if (output.outcome === 'failed' && output.reason === NO_REPLY_REASON) {
        throw new ClientError('timeout', `sendText: ${NO_REPLY_REASON}; the client is free for the next text`);
      }
      // resolve once the server gave the turn back: only then may the next command go out safely
      if (output.outcome !== 'interrupted') await turnBack();
      return output;
    };
  }

  const uploads = {
    apiBase: resolved.url,
    fetch: fetchImpl,
    getToken,
    uiSessionId: () => connection().getSnapshot().context.uiSessionId,
    maxUploadSize: resolved.maxUploadSize,
    allowedMimeTypes: resolved.allowedMimeTypes,
    maxFilesPerMessage: resolved.maxFilesPerMessage,
  };

  const client: RealtimeClient = {
    uploadFile: (file, options) => (isDisposed() ? Promise.reject(closedError()) : uploadFile(uploads, file, options)),
    uploadFiles: (files, options) => (isDisposed() ? Promise.reject(closedError()) : uploadFiles(uploads, files, options)),
    ...createCommands({
      send: (event) => client.send(event),
      events$: data.events$,
      lost$,
      currentSession: data.currentSession,
      forgetSession: data.forgetSession,
      renameListedSession: data.renameListedSession,
      timeoutMs: replyTimeoutMs(resolved.connectionTimeout),
    }),
    sessions$: data.sessions$,
    currentSession$: data.currentSession$,
    actor: root,
    turn$,
    interaction$,
    messages$: data.messages$,
    streaming$: data.streaming$,

    sendText(text: string, options?: SendTextOptions): Promise<SendTextResult> {
      // one at a time until each text is on the wire: two interrupting calls must not both wait for
      // the same turn and then both send (the second would pre-empt the first on the server)
      const sent = sendLock.then(() => prepareText(text, options));
      sendLock = sent.then(
        () => undefined,
        () => undefined,
      );
      return sent.then((answer) => answer());
    },

    async cancel() {
      if (isDisposed()) throw closedError();
      if (currentState() !== 'ready') throw new ClientError('not_ready', 'Cannot cancel while not connected');
      const confirmed = nextEvent('cancelled');
      sendCancel();
      await confirmed;
    },
    state$,
    connection$,
    // the data plane's subjects complete on dispose(); no extra operator on the hot path
    events$: data.events$,
    errors$: data.errors$,
    user$: data.user$,
    catalog$: data.catalog$,

    connect() {
      if (isDisposed()) return Promise.reject(closedError());
      if (currentState() === 'ready') return Promise.resolve();
      root.send({ type: 'connect' }); // leaves failed/closed/idle at once
      return firstAttempt(connectionSnapshot$); // this attempt's outcome; reconnection goes on
    },

    async disconnect() {
      if (isDisposed()) return;
      root.send({ type: 'disconnect' });
      await sockets.allClosed(); // resolves once the socket's close handshake is done
    },

    ready,

    async send(event: ClientEvent) {
      if (isDisposed()) throw closedError();
      let encoded: string;
      try {
        encoded = encodeClientEvent(event);
      } catch (error) {
        throw new ClientError('protocol', error instanceof ProtocolError ? error.message : String(error), { cause: error });
      }
      const state = currentState();
      if (state === 'ready') {
        const preempts =
          !nonPreemptingClientEventTypes.has(event.type) &&
          !(event.type === 'resume_chat_session' && event.session_id === conversation().getSnapshot().context.sessionId);
        if (preempts && interactionRunning()) {
          if (event.type === 'text_input') {
            throw new ClientError('interaction_in_progress', 'An answer is streaming; use sendText(text, { interrupt: true }) or wait for it to end');
          }
          // held until the server gives the turn back, so it does not kill the answer (§1.5 rule 6)
          return new Promise<void>((resolve, reject) => held.push({ data: encoded, resolve, reject }));
        }
        if (event.type === 'text_input' && !isChatCommand(event.text)) root.send({ type: 'text.requested' }); // a chat command starts no interaction
        root.send({ type: 'outbound', data: encoded });
        return;
      }
      if (WAITS_FOR_READY.has(event.type) && UNDER_WAY.has(state)) {
        return new Promise<void>((resolve, reject) => queue.push({ data: encoded, resolve, reject }));
      }
      throw new ClientError('not_ready', `Cannot send ${event.type} while the connection is ${state}; wait for client.ready()`);
    },

    dispose() {
      if (isDisposed()) return;
      rejectQueue(closedError());
      rejectHeld(closedError());
      root.send({ type: 'dispose' });
      root.stop();
      data.complete(); // state$ emits disposed: true, then every observable completes
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
  return client;
}
