/**
 * `createClient`: a projection of a runtime (runtime.ts) in the style of zag's `connect`: it
 * validates a command's arguments, hands it to the outbox with an id, and awaits the outbox's
 * settlement; its views are read from the machines' snapshots. The outbound policy (what waits, what
 * is refused, when a text goes out, how it ends) is the outbox's (machines/outbox.*).
 */
import { EMPTY, Observable, Subscription } from 'rxjs';
import type { ActorRefFrom, SnapshotFrom } from 'xstate';
import { combineLatest, defer, distinctUntilChanged, filter, just, map, shareLatest, snapshots, switchMap, takeUntil, takeWhileInclusive } from './actors/rx.js';
import type { Catalog } from './data/plane.js';
import { connectionProblem, firstAttempt, firstVerdict } from './actors/settle.js';
import { createCommands, type ReplyVerdict, type SessionCommands } from './data/commands.js';
import { uploadFile, uploadFiles, type UploadInput, type UploadOptions } from './actors/upload.js';
import type { UploadResponse } from './schema/http.js';
import type { ChatSession, ChatSessionIndexEntry } from './schema/session.js';
import { ClientError } from './errors.js';
import type { clientMachine } from './machines/client.machine.js';
import type { connectionMachine } from './machines/connection.machine.js';
import { interactionActorId } from './machines/conversation.machine.js';
import type { interactionMachine } from './machines/interaction.machine.js';
import { REFUSALS, summarize } from './machines/outbox.logic.js';
import type { Settled, TextOutcome } from './machines/outbox.machine.js';
import type { turnMachine } from './machines/turn.machine.js';
import type { TranscriptMessage } from './data/transcript/index.js';
import type { ClientOptions } from './options.js';
import type { InspectionRecord } from './actors/inspection.js';
import { watchMetrics, type ClientMetrics } from './data/metrics.js';
import { createAvatarCommands, type AvatarSessionOptions, type SetAvatarOptions } from './data/avatar.js';
import type { avatarMachine, AvatarSessionView } from './machines/avatar.machine.js';
import type { HeygenSession, Voice } from './schema/catalog.js';
import { createVoicePort, VOICE_PORT, type WithVoicePort } from './data/voice-port.js';
import { TAP_PORT, type WithTapPort } from './data/tap-port.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { ChatUser } from './schema/catalog.js';
import type { ClientEvent } from './schema/client.js';
import { encodeClientEvent } from './schema/codec.js';
import { isIgnoredText } from './schema/text.js';
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
  /** `requested` until the server starts it, then `streaming`; `suspended` while the socket is lost (the server runs it on). */
  readonly state: 'requested' | 'streaming' | 'suspended';
  /** What is streaming now: `waiting`, `text`, `thought`, `toolSelection`, `toolCall`. */
  readonly streaming: string | null;
}

/** How `sendText` ended: the interaction's outcome, or `command` for a `!command` (no interaction). */
export type SendTextResult = TextOutcome;

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
  /** Whose turn it is: `user`, `agent`, or `unknown` after a connection loss until the server says. */
  readonly turn$: Observable<Turn>;
  /** The top-level interaction in flight (`requested`, `streaming` with what streams, `suspended`), or null. */
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
  /**
   * Every actor's events and snapshots as serialisable records (actor id, event, state value,
   * context), secrets removed: offline inspection, no viewer needed. Completes on `dispose()`.
   */
  readonly inspection$: Observable<InspectionRecord>;
  /**
   * Time in each connection state and the latencies: connect stages, reconnect → ready, text → first
   * delta, cancel → confirmed and → silence (the answer's end). Completes on `dispose()`.
   */
  readonly metrics$: Observable<ClientMetrics>;
  /** The root XState actor (for inspection and advanced use). */
  readonly actor: ActorRefFrom<typeof clientMachine>;
  /** `{ connection, auth, turn, disposed }`: the state of every region; the last value says `disposed: true`. */
  readonly state$: Observable<ClientStateView>;
  /** The connection: its state, attempts, last error, round-trip time, session ids, message and byte counts. */
  readonly connection$: Observable<ConnectionStatus>;
  /** Every validated server event, typed and narrowed by `type` (a stream: no current value). */
  readonly events$: Observable<ServerEvent>;
  /** Every problem as a `ClientError` with its `reason` (a stream: no current value). */
  readonly errors$: Observable<ClientError>;
  /** The user of `chat_user_data` (without the password hash), or null before it came. */
  readonly user$: Observable<ChatUser | null>;
  /** `{ agents, avatars, voices, tools }` as the server last listed them. */
  readonly catalog$: Observable<Catalog>;
  /** The voices the server listed, and the agent's current voice (null until the server says). */
  readonly voices$: Observable<VoicesView>;
  /** The avatar: its state, its session (no secret), whether it talks, and why it failed. */
  readonly avatar$: Observable<AvatarView>;
  /** Asks the server for a HeyGen avatar session; resolves with it. See README, "Add an avatar". */
  setAvatar(avatarId: string, options?: SetAvatarOptions): Promise<HeygenSession>;
  /** Hands the server a HeyGen session your app made (with the login's HeyGen token). */
  setAvatarSession(accessToken: string, sessionId: string, options?: AvatarSessionOptions): Promise<void>;
  /** Ends the avatar here (`avatar$` ends at `none`). */
  clearAvatar(): Promise<void>;
  /** Sets the agent's voice: `none` or a voice of `voice_list`. */
  setVoice(voiceId: string): Promise<Voice>;
}

/** What `voices$` emits. */
export interface VoicesView {
  readonly voices: readonly Voice[];
  readonly current: Voice | null;
}

/** What `avatar$` emits. */
export interface AvatarView {
  readonly state: 'none' | 'requesting' | 'connected' | 'closing' | 'failed';
  /** The session (its access token is not here: it is a secret). */
  readonly session: AvatarSessionView | null;
  /** The adapter said the stream is ready. */
  readonly ready: boolean;
  /** The adapter said the avatar talks. */
  readonly speaking: boolean;
  readonly error: { readonly reason: string; readonly message: string } | null;
}

/** The avatar's state from its tags. */
function avatarState(snapshot: SnapshotFrom<typeof avatarMachine>): AvatarView['state'] {
  for (const tag of ['requesting', 'connected', 'closing', 'failed'] as const) if (snapshot.hasTag(tag)) return tag;
  return 'none';
}

/** The connection's state from its tags (never its state names). */
function connectionState(snapshot: SnapshotFrom<typeof connectionMachine>): ConnectionState {
  if (snapshot.hasTag('ready')) return 'ready';
  if (snapshot.hasTag('opening')) return snapshot.context.attempt > 0 ? 'reconnecting' : 'connecting';
  if (snapshot.hasTag('initializing')) return 'initializing';
  if (snapshot.hasTag('reconnecting')) return 'reconnecting';
  if (snapshot.hasTag('failed')) return 'failed';
  if (snapshot.hasTag('closed')) return 'closed';
  return 'idle';
}

/** What streams now, from the interaction's tags. */
const STREAMING_KINDS = ['waiting', 'text', 'thought', 'toolSelection', 'toolCall'] as const;

function stateName(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0] ?? '';
}

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

/** The error a refused command rejects with. */
const refusal = (settled: Extract<Settled, { ok: false }>) => new ClientError(settled.reason, settled.message);

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
  return connectClient(createRuntime(options));
}

/** The client of a runtime (tests build runtimes with a simulated clock, a seed or their own socket actor). */
export function connectClient(runtime: Runtime): RealtimeClient {
  const { root, data, now, isDisposed } = runtime;
  const resolved = runtime.options;
  const disposed$ = data.disposed$.pipe(filter(Boolean));
  const connection = runtime.connection;
  const conversation = runtime.conversation;
  const turnActor = () => root.system.get('turn') as ActorRefFrom<typeof turnMachine>;
  /** The top-level interaction actor in flight, if any. */
  const topInteraction = () => {
    const { sessionId, live } = conversation().getSnapshot().context;
    if (!sessionId || !live.includes(sessionId)) return undefined;
    return conversation().getSnapshot().children[interactionActorId(sessionId)] as ActorRefFrom<typeof interactionMachine> | undefined;
  };

  // ---------------------------------------------------------------- commands: an id each, settled by the outbox
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: ClientError) => void; sent?: () => void }>();
  const settledSubscription = runtime.outbox().on('settled', (settled) => {
    const entry = waiting.get(settled.id);
    if (!entry) return;
    waiting.delete(settled.id);
    if (settled.ok) entry.resolve(settled.value);
    else entry.reject(refusal(settled));
  });
  const sentSubscription = runtime.outbox().on('sent', ({ id }) => waiting.get(id)?.sent?.());
  const closedError = () => new ClientError(REFUSALS.disposed.reason, REFUSALS.disposed.message);
  /** Hands a command to the outbox; the promise settles when the outbox settles it. */
  function submit<T>(make: (id: number) => Parameters<typeof root.send>[0], sent?: () => void): Promise<T> {
    if (isDisposed()) return Promise.reject(closedError());
    const id = nextId++;
    const settled = new Promise<T>((resolve, reject) => waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, ...(sent ? { sent } : {}) }));
    root.send(make(id));
    return settled;
  }

  // ---------------------------------------------------------------- observables
  let connectedAt: number | null = null;
  const connectionSnapshot$ = snapshots(connection()).pipe(takeUntil(disposed$), shareLatest());
  const authSnapshot$ = snapshots(runtime.auth()).pipe(takeUntil(disposed$), shareLatest());
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
    shareLatest(),
  );
  const turn$ = snapshots(turnActor()).pipe(
    map((snapshot) => snapshot.value as Turn),
    distinctUntilChanged(),
    takeUntil(disposed$),
    shareLatest(),
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
              return {
                sessionId: snapshot.context.sessionId,
                interactionId: snapshot.context.interactionId,
                state: snapshot.hasTag('requested') ? 'requested' : snapshot.hasTag('suspended') ? 'suspended' : 'streaming',
                streaming: snapshot.hasTag('streaming') ? (STREAMING_KINDS.find((kind) => snapshot.hasTag(kind)) ?? null) : null,
              };
            }),
          )
        : just(null),
    ),
    distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
    takeUntil(disposed$),
    shareLatest(),
  );
  const state$ = combineLatest([connectionSnapshot$, authSnapshot$, turn$, data.disposed$]).pipe(
    map(([c, a, turn, d]): ClientStateView => ({ connection: connectionState(c), auth: stateName(a.value), turn, disposed: d })),
    distinctUntilChanged((a, b) => a.connection === b.connection && a.auth === b.auth && a.turn === b.turn && a.disposed === b.disposed),
    takeWhileInclusive((view) => !view.disposed), // the last value says disposed: true
    shareLatest(),
  );

  const avatar$ = defer(() => (isDisposed() ? EMPTY : snapshots(runtime.avatar()))).pipe(
    map(
      (snapshot): AvatarView => ({
        state: avatarState(snapshot),
        session: snapshot.context.session,
        ready: snapshot.context.ready,
        speaking: snapshot.context.speaking,
        error: snapshot.context.error,
      }),
    ),
    distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
    takeUntil(disposed$),
    shareLatest(),
  );

  // ---------------------------------------------------------------- metrics$: a fold over what the client sees
  const metrics = watchMetrics({
    now,
    events$: data.events$,
    cancels$: data.cancels$,
    textsSent: (listener) => runtime.outbox().on('sent', listener),
    answersEnded: (listener) =>
      conversation().on('interaction.ended', ({ output }) => {
        if (output.sessionId === conversation().getSnapshot().context.sessionId) listener();
      }),
  });

  // ---------------------------------------------------------------- errors$ and connectedAt (views of the machines)
  let lastReported: string | null = null;
  const subscriptions: Subscription[] = [
    new Subscription(() => settledSubscription.unsubscribe()),
    new Subscription(() => sentSubscription.unsubscribe()),
    connectionSnapshot$.subscribe((snapshot) => {
      metrics.connection(connectionState(snapshot));
      if (connectionState(snapshot) === 'ready' && connectedAt === null) connectedAt = now();
      else if (connectionState(snapshot) !== 'ready') connectedAt = null;
      const problem = snapshot.context.lastError;
      const key = problem ? `${snapshot.context.attempt}:${problem.reason}:${problem.message}` : null;
      if (problem && key !== lastReported) data.errors.next(new ClientError(problem.reason, problem.message));
      lastReported = key;
    }),
    authSnapshot$.subscribe((snapshot) => {
      const problem = snapshot.context.lastError;
      if (problem && (snapshot.matches('authRequired') || snapshot.matches('waitingToRetry'))) {
        data.errors.next(new ClientError(problem.reason === 'network' ? 'network' : problem.reason, problem.message));
      }
    }),
  ];

  if (resolved.debug) {
    // opt-in diagnostics: state changes and errors, never tokens (errors are redacted at the edge)
    subscriptions.push(
      state$.subscribe((view) => console.debug('[agentc-realtime] state', view)),
      data.errors$.subscribe((error) => console.debug('[agentc-realtime] error', error.toJSON())),
    );
  }

  const currentState = (): ConnectionState => connectionState(connection().getSnapshot());

  // ---------------------------------------------------------------- the voice slot (filled by agentc-realtime/audio)
  const voice = createVoicePort({
    audio$: data.audio$,
    cancels$: data.cancels$,
    sendAudio: (bytes) => !isDisposed() && runtime.sendBinary(bytes),
    clock: runtime.clock,
    inspect: runtime.inspection.inspect,
    isDisposed,
  });

  /** Resolves at the next `ready`; rejects when the connection fails, is closed (after this call), or the client is disposed. */
  const ready = (): Promise<void> => {
    if (isDisposed()) return Promise.reject(closedError());
    const initial = currentState();
    return firstVerdict(
      connectionSnapshot$,
      (snapshot) => {
        const state = connectionState(snapshot);
        if (state === 'ready') return null;
        if (state === 'failed') return connectionProblem(snapshot);
        if (state === 'closed' && initial !== 'closed') return new ClientError('closed', 'The connection was closed');
        return undefined;
      },
      closedError,
    );
  };

  /** Encodes (validates) a raw event: a malformed one is the caller's `protocol` error. */
  const encode = (event: ClientEvent): string => {
    try {
      return encodeClientEvent(event);
    } catch (error) {
      throw new ClientError('protocol', error instanceof ProtocolError ? error.message : String(error), { cause: error });
    }
  };

  /** Asks: the outbox sends the request when its gates allow, and settles it when `match` finds the answer. */
  function ask(event: ClientEvent, match: (reply: ServerEvent) => ReplyVerdict): Promise<void> {
    let encoded: string;
    try {
      encoded = encode(event);
    } catch (error) {
      return Promise.reject(error);
    }
    let failure: ClientError | undefined;
    let replies: Subscription | undefined;
    const settled = submit<void>((id) => {
      // listen before sending: the reply may come back at once; only a reply to a sent request counts (the outbox knows)
      replies = data.events$.subscribe((reply) => {
        const verdict = match(reply);
        if (!verdict) return;
        if ('error' in verdict) {
          failure = verdict.error;
          root.send({ type: 'command.failed', id, reason: verdict.error.reason, message: verdict.error.message });
        } else root.send({ type: 'command.answered', id });
      });
      return { type: 'command.send', id, event: summarize(event), data: encoded, reply: true };
    });
    return settled.then(
      () => replies?.unsubscribe(),
      (error: ClientError) => {
        replies?.unsubscribe();
        throw failure && error.reason === failure.reason && error.message === failure.message ? failure : error;
      },
    );
  }

  /** Validates a text and hands it to the outbox; resolves with the outcome of the answer it starts. */
  function sendText(text: string, given?: SendTextOptions): Promise<SendTextResult> {
    if (isDisposed()) return Promise.reject(closedError());
    try {
      if (typeof text !== 'string') throw new ClientError('invalid_options', `text: expected a string, got ${text === null ? 'null' : typeof text}`);
      // Python's strip, as the server tests it: text it empties gets no answer at all (§13 item 13)
      if (isIgnoredText(text)) throw new ClientError('invalid_options', 'text: must not be empty or white space only (the server ignores it without an answer)');
      const options = checkTextOptions(given);
      const fileIds = [...(options.fileIds ?? [])];
      if (fileIds.length > resolved.maxFilesPerMessage) {
        throw new ClientError('too_many_files', `Too many files: ${fileIds.length} (at most ${resolved.maxFilesPerMessage} per message)`);
      }
      const event: ClientEvent = { type: 'text_input', text, file_ids: fileIds };
      const encoded = encode(event);
      // the local echo shows the user's text once it is on the wire (not while it waits, nor if refused)
      return submit<SendTextResult>(
        (id) => ({ type: 'command.text', id, event: summarize(event), data: encoded, interrupt: options.interrupt === true }),
        () => data.echoUserText(text, fileIds),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  const uploads = {
    apiBase: resolved.url,
    fetch: runtime.fetch,
    getToken: runtime.getToken,
    uiSessionId: () => connection().getSnapshot().context.uiSessionId,
    maxUploadSize: resolved.maxUploadSize,
    allowedMimeTypes: resolved.allowedMimeTypes,
    maxFilesPerMessage: resolved.maxFilesPerMessage,
  };

  const client: RealtimeClient & WithVoicePort & WithTapPort = {
    [VOICE_PORT]: voice.port,
    [TAP_PORT]: runtime.tap,
    uploadFile: (file, options) => (isDisposed() ? Promise.reject(closedError()) : uploadFile(uploads, file, options)),
    uploadFiles: (files, options) => (isDisposed() ? Promise.reject(closedError()) : uploadFiles(uploads, files, options)),
    ...createCommands({
      send: (event) => client.send(event),
      ask,
      currentSession: data.currentSession,
      forgetSession: data.forgetSession,
      renameListedSession: data.renameListedSession,
    }),
    sessions$: data.sessions$,
    currentSession$: data.currentSession$,
    actor: root,
    turn$,
    interaction$,
    messages$: data.messages$,
    streaming$: data.streaming$,
    sendText,
    cancel: () => submit<void>((id) => ({ type: 'command.cancel', id })).then(() => undefined),
    state$,
    connection$,
    // the data plane's subjects complete on dispose(); no extra operator on the hot path
    events$: data.events$,
    errors$: data.errors$,
    user$: data.user$,
    catalog$: data.catalog$,
    inspection$: runtime.inspection.inspection$,
    metrics$: metrics.metrics$,
    voices$: data.voices$,
    avatar$,
    ...createAvatarCommands({
      avatar: runtime.avatar,
      ask,
      keepAvatarToken: (token) => {
        runtime.vault.avatarToken = token;
      },
      avatarToken: () => runtime.vault.avatarToken ?? null,
      voices: data.voices,
      isDisposed,
    }),

    connect() {
      if (isDisposed()) return Promise.reject(closedError());
      if (currentState() === 'ready') return Promise.resolve();
      root.send({ type: 'connect' }); // leaves failed/closed/idle at once
      return firstAttempt(connectionSnapshot$); // this attempt's outcome; reconnection goes on
    },

    async disconnect() {
      if (isDisposed()) return;
      root.send({ type: 'disconnect' });
      await runtime.allClosed(); // resolves once the socket's close handshake is done
    },

    ready,

    send(event: ClientEvent): Promise<void> {
      let encoded: string;
      try {
        if (isDisposed()) throw closedError();
        encoded = encode(event);
      } catch (error) {
        return Promise.reject(error);
      }
      return submit<unknown>((id) => ({ type: 'command.send', id, event: summarize(event), data: encoded, reply: false })).then(() => undefined);
    },

    dispose() {
      if (isDisposed()) return;
      voice.dispose(); // the microphone and the speakers are released first
      root.send({ type: 'dispose' }); // the outbox settles every command still waiting, then the root stops
      root.stop();
      for (const entry of waiting.values()) entry.reject(closedError());
      waiting.clear();
      data.complete(); // state$ emits disposed: true, then every observable completes
      runtime.inspection.complete();
      metrics.dispose();
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
  return client;
}
