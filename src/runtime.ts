/**
 * The runtime: builds one client's parts from resolved options and injectable dependencies — the
 * token vault, the data plane, the I/O actors (socket, HTTP auth) and the root actor — and starts
 * it. `createClient` (client.ts) is a projection of a runtime; tests build runtimes with a
 * `SimulatedClock`, a fixed seed and their own actors.
 */
import { createActor, fromCallback, fromPromise, type ActorRefFrom, type ActorSystem, type AnyActorLogic } from 'xstate';
import { createAuthActors, type TokenVault } from './actors/auth.actors.js';
import type { Clock } from './actors/clock.js';
import { createDataPlane, type DataPlane } from './data/plane.js';
import { createSocketActor } from './actors/socket.actor.js';
import { awaitTokenLogic, createTokenGetter } from './actors/token.js';
import { ClientError } from './errors.js';
import { authMachine } from './machines/auth.machine.js';
import { clientMachine } from './machines/client.machine.js';
import { avatarMachine } from './machines/avatar.machine.js';
import { createAvatarActor } from './actors/avatar.actor.js';
import { createInspection, type Inspection } from './actors/inspection.js';
import { tappedFetch, type TapPort, type TapSlot } from './data/tap-port.js';
import { connectionMachine } from './machines/connection.machine.js';
import type { conversationMachine } from './machines/conversation.machine.js';
import { replyTimeoutFor } from './machines/outbox.logic.js';
import type { outboxMachine } from './machines/outbox.machine.js';
import { resolveOptions, type ClientOptions, type ResolvedClientOptions } from './options.js';

/** xstate's clock: what every `after` delay of every machine, and every wait of the I/O actors, waits on. */
export type RuntimeClock = Clock;

/** What a runtime may be given instead of the real thing. */
export interface RuntimeDependencies {
  /** The clock of every timer: the machines' delays, the token getter's wait, the wait for a closing socket (xstate's `SimulatedClock` in tests). @default the real timers */
  readonly clock?: RuntimeClock;
  /** Wall-clock time in ms (token expiry, `connectedAt`, the round-trip time). @default Date.now */
  readonly now?: () => number;
  /** Seed of the reconnect jitter. @default random */
  readonly seed?: number;
  /** Actor slots: a socket actor in place of the WebSocket one. The audio and avatar entries fill their own slots. */
  readonly actors?: {
    readonly socket?: AnyActorLogic;
  };
}

/** One client's parts, started. */
export interface Runtime {
  readonly options: ResolvedClientOptions;
  readonly now: () => number;
  readonly vault: TokenVault;
  readonly data: DataPlane;
  readonly root: ActorRefFrom<typeof clientMachine>;
  readonly auth: () => ActorRefFrom<typeof authMachine>;
  readonly connection: () => ActorRefFrom<typeof connectionMachine>;
  readonly conversation: () => ActorRefFrom<typeof conversationMachine>;
  readonly outbox: () => ActorRefFrom<typeof outboxMachine>;
  readonly avatar: () => ActorRefFrom<typeof avatarMachine>;
  /** The inspect callback of every actor (the voice's too), and `inspection$`. */
  readonly inspection: Inspection;
  /** The clock the runtime was given (undefined: the real timers). */
  readonly clock: RuntimeClock | undefined;
  /** Sends a binary frame on the open socket now; `false` when none is open (or the socket slot is a fake). */
  readonly sendBinary: (data: ArrayBuffer) => boolean;
  /** A currently valid token (uploads, the socket). */
  readonly getToken: () => Promise<string>;
  readonly fetch: typeof globalThis.fetch | undefined;
  /** Resolves once every socket the client opened is fully closed. */
  readonly allClosed: () => Promise<void>;
  /** Where a recorder (`agentc-realtime/testing`) listens to the sockets and requests. */
  readonly tap: TapPort;
  /** Disposed: the root reached its final state (or was stopped). */
  isDisposed(): boolean;
}

// ---------------------------------------------------------------------------------------------
// One set of machines for every client. `machine.provide(...)` builds a new tree of state nodes, so
// providing each client's I/O actors to its own copy cost ~80 KB of heap per client (and the CPU
// to build it). The machines are provided once, with slots that run, for each client, the actor
// logic its runtime registered under its actor system.

/** One client's I/O actors (its dependencies bound), found through its actor system. */
interface ClientActors {
  readonly auth: ReturnType<typeof createAuthActors>;
  readonly socket: AnyActorLogic;
  readonly awaitToken: AnyActorLogic;
  readonly adapter: AnyActorLogic | null;
}

const clientActors = new WeakMap<ActorSystem<any>, ClientActors>();

/**
 * A slot: an actor logic that hands its start and every event to the logic `pick` finds for the
 * client whose actor system runs it. `template` (a logic of the same kind, promise or callback)
 * gives what needs no client: the initial snapshot (made while the root actor is created, before
 * its system is registered; for these kinds it holds only the input) and the persisted one.
 */
function slot<T extends AnyActorLogic>(template: T, pick: (actors: ClientActors) => AnyActorLogic): T {
  const logicOf = (scope: { readonly system: ActorSystem<any> }): AnyActorLogic => {
    const actors = clientActors.get(scope.system);
    if (!actors) throw new Error('no runtime');
    return pick(actors);
  };
  return {
    ...template,
    transition: (snapshot, event, scope) => logicOf(scope).transition(snapshot, event, scope),
    start: (snapshot, scope) => logicOf(scope).start?.(snapshot, scope),
  } as T;
}

let sharedMachine: typeof clientMachine | undefined;
const AUTH_ACTORS = ['loadToken', 'login', 'refresh', 'provideToken'] as const;

/** The client machine with every I/O actor a slot (built on first use, then shared). */
function machineWithSlots(): typeof clientMachine {
  if (sharedMachine) return sharedMachine;
  const promise = fromPromise(async () => undefined);
  const callback = fromCallback(() => undefined);
  const noAdapter = avatarMachine.implementations.actors.adapter as AnyActorLogic;
  sharedMachine = clientMachine.provide({
    actors: {
      avatar: avatarMachine.provide({ actors: { adapter: slot(callback, (actors) => actors.adapter ?? noAdapter) as never } }),
      auth: authMachine.provide({
        actors: Object.fromEntries(AUTH_ACTORS.map((name) => [name, slot(promise, (actors) => actors.auth[name])])) as never,
      }),
      connection: connectionMachine.provide({
        actors: {
          socket: slot(callback, (actors) => actors.socket) as never,
          awaitToken: slot(promise, (actors) => actors.awaitToken) as never,
        },
      }),
    },
  });
  return sharedMachine;
}

/** Builds and starts a runtime. @throws {ClientError} `invalid_options`, naming every bad option. */
export function createRuntime(options: ClientOptions, deps: RuntimeDependencies = {}): Runtime {
  const resolved = resolveOptions(options);
  const now = deps.now ?? (() => Date.now());
  const baseFetch = resolved.fetch ?? globalThis.fetch?.bind(globalThis);
  if (!baseFetch && resolved.auth.kind === 'credentials') throw new ClientError('invalid_options', 'fetch: no fetch available; pass options.fetch');
  if (!deps.actors?.socket && !resolved.WebSocket && typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
    throw new ClientError('invalid_options', "WebSocket: this runtime has none (Node 20); pass options.WebSocket, e.g. WebSocket from the 'ws' package");
  }
  const seed = deps.seed ?? Math.floor(Math.random() * 2 ** 32);
  const slot: TapSlot = { current: null, sockets: 0, requests: 0 };
  const fetchImpl = baseFetch && tappedFetch(slot, baseFetch);
  const vault: TokenVault = { token: null, heygenToken: null, loginUiSessionId: null, avatarToken: null };
  // Set right after createActor; nothing below calls it before the actor runs.
  let root!: ActorRefFrom<typeof clientMachine>;
  const data = createDataPlane(now, {
    conversationEvent: (event) => root.send({ type: 'server', event }),
    streamKind: (sessionId, kind) => root.send({ type: 'stream.kind', sessionId, kind }),
  });
  const auth = () => root.system.get('auth') as ActorRefFrom<typeof authMachine>;

  // A token this close to expiry counts as expired. Never more than half the refresh buffer, so a
  // short-lived token (tests, strict servers) is not "expired" from birth.
  const skewMs = Math.min(5_000, Math.floor(resolved.auth.refreshBufferMs / 2));
  const getToken = createTokenGetter({
    vault,
    auth,
    reportExpired: () => root.send({ type: 'token.expired' }),
    reportRefused: () => root.send({ type: 'token.refused' }),
    now,
    skewMs,
    timeoutMs: resolved.connectionTimeout,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const authActors = createAuthActors({ apiBase: resolved.url, fetch: fetchImpl!, auth: resolved.auth, vault, now, skewMs });
  // the WebSocket actor, unless a socket actor was given in its slot
  const sockets = deps.actors?.socket
    ? { logic: deps.actors.socket, allClosed: () => Promise.resolve(), sendBinary: (_data: ArrayBuffer) => false }
    : createSocketActor({
        apiBase: resolved.url,
        getToken,
        refuseToken: getToken.refuse,
        WebSocket: resolved.WebSocket,
        sink: data.sink,
        loginUiSessionId: () => vault.loginUiSessionId,
        tap: slot,
        ...(deps.clock ? { clock: deps.clock } : {}),
      });
  const actors: ClientActors = {
    auth: authActors,
    socket: sockets.logic,
    awaitToken: awaitTokenLogic(getToken),
    adapter: resolved.avatarAdapter ? createAvatarActor(resolved.avatarAdapter, () => vault.avatarToken ?? null) : null,
  };
  const replyTimeoutMs = replyTimeoutFor(resolved.connectionTimeout);
  const inspection = createInspection(resolved.inspect, now);
  root = createActor(machineWithSlots(), {
    id: 'client',
    ...(deps.clock ? { clock: deps.clock as never } : {}),
    inspect: inspection.inspect,
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
        seed,
      },
      conversation: { replyTimeoutMs },
      outbox: { replyTimeoutMs },
      // a hand-over waits this long for the adapter's stream (as long as a reply)
      avatar: { adapter: resolved.avatarAdapter !== undefined, readyTimeoutMs: replyTimeoutMs },
    },
  });
  clientActors.set(root.system, actors);
  root.start();
  // an answer that ended without its end events leaves nothing streaming on the data plane
  const conversation = () => root.system.get('conversation') as ActorRefFrom<typeof conversationMachine>;
  conversation().on('interaction.ended', ({ output }) => {
    if (output.outcome === 'interrupted' && output.sessionId === conversation().getSnapshot().context.sessionId) data.interrupted();
    // a cancelled answer says so in the transcript (the server sends no completion for it)
    else if (output.outcome === 'cancelled' && output.interactionId !== null) data.cancelled(output.interactionId);
  });
  // the avatar hears the cancels that go out, the UI sessions that begin, and whether HeyGen is there
  const avatar = () => root.system.get('avatar') as ActorRefFrom<typeof avatarMachine>;
  data.cancels$.subscribe(() => avatar().send({ type: 'cancel.sent' }));
  data.events$.subscribe((event) => {
    if (event.type === 'ui_session_id_changed') avatar().send({ type: 'ui.reset' });
    else if (event.type === 'avatar_list') {
      const heygen = vault.heygenToken !== null && vault.heygenToken !== 'None' && vault.heygenToken !== '';
      avatar().send({ type: 'heygen.known', available: event.avatars.length > 0 || heygen });
    }
  });
  return {
    options: resolved,
    now,
    vault,
    data,
    root,
    auth,
    connection: () => root.system.get('connection') as ActorRefFrom<typeof connectionMachine>,
    conversation,
    outbox: () => root.system.get('outbox') as ActorRefFrom<typeof outboxMachine>,
    avatar,
    inspection,
    clock: deps.clock,
    sendBinary: sockets.sendBinary,
    getToken,
    fetch: fetchImpl,
    allClosed: () => sockets.allClosed(),
    tap: { slot, seed, options: () => resolved, now },
    isDisposed: () => root.getSnapshot().status !== 'active',
  };
}

