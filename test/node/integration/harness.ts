/**
 * Shared set-up of the client integration tests: simulators and clients that `cleanup()` closes and
 * disposes, a recording `WebSocket` subclass (URLs, live instances, overlap), a timeline of what
 * each client emitted (connection states, server events, errors, in one order), and waits with
 * explicit timeouts that fail with a message saying what they waited for and what happened instead.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { filter, firstValueFrom, take, timeout, type Observable } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import { createClient, type ConnectionState, type ConnectionStatus, type RealtimeClient } from '../../../src/client.js';
import type { ClientError } from '../../../src/errors.js';
import type { ClientOptions } from '../../../src/options.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { createSimulator } from '../../../src/sim/index.js';
import { withTimeout } from '../../helpers/client.js';
import { fixture } from '../../helpers/fixtures.js';
import type { Simulator, SimulatorOptions } from '../../../src/sim/types.js';

// ---------------------------------------------------------------------------------------------
// lifetimes

const sims: Simulator[] = [];
const clients: RealtimeClient[] = [];
const scripted: Scripted[] = [];

/** Starts a simulator that `cleanup()` closes. */
export async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await createSimulator({ deltaMs: 0, seed: 1, ...options });
  sims.push(sim);
  return sim;
}

/** Disposes every client and closes every simulator (for `afterEach`). */
export async function cleanup(): Promise<void> {
  for (const client of clients.splice(0)) client.dispose();
  await Promise.all([...sims.splice(0).map((sim) => sim.close()), ...scripted.splice(0).map((server) => server.close())]);
}

/** A client of a scripted server (a static unsigned token, `ws`), that `cleanup()` disposes. */
export function scriptedClient(server: Scripted, overrides: Partial<ClientOptions> = {}): RealtimeClient {
  const client = createClient({ url: server.url, auth: { token: unsignedToken() }, WebSocket, ...overrides });
  clients.push(client);
  return client;
}

// ---------------------------------------------------------------------------------------------
// a scripted server, for what the simulator does not do

/** An unsigned JWT that expires in an hour (the client reads `exp`; a scripted server checks nothing). */
export function unsignedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 })}.signature`;
}

export interface Scripted {
  /** The API base to give the client. */
  readonly url: string;
  /** Every client frame received, parsed. */
  readonly received: { type: string }[];
  close(): Promise<void>;
}

/**
 * A real `ws` server on 127.0.0.1 (closed by `cleanup()`) that opens each connection with the short burst
 * (`ui_session_id_changed`, `chat_session_changed` and `user_turn_start`, from the fixtures), then
 * calls `onFrame` with each client frame and a `send` for raw text or objects.
 */
export async function scriptedServer(onFrame: (frame: { type: string }, send: (frame: object | string) => void) => void): Promise<Scripted> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const received: { type: string }[] = [];
  server.on('connection', (socket: WebSocket) => {
    const send = (frame: object | string) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    for (const name of ['ui_session_id_changed', 'chat_session_changed']) send(fixture(name).text);
    send({ type: 'user_turn_start' });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      received.push(frame);
      onFrame(frame, send);
    });
  });
  const { port } = server.address() as AddressInfo;
  const result: Scripted = {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
  scripted.push(result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// a WebSocket that records what the client does with it

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

export interface SocketRecord {
  readonly url: string;
  readonly ws: WebSocket;
  /** Date.now() when the client constructed it. */
  readonly createdAt: number;
  /** How many sockets (this one included) were CONNECTING or OPEN right after it was constructed. */
  readonly liveAtCreation: number;
  /** The readyState of the socket constructed before this one, at this one's construction (null for the first). */
  readonly previousStateAtCreation: number | null;
}

/** A `ws` WebSocket subclass per test that records every instance the client constructs. */
export interface SocketSpy {
  readonly WebSocket: new (url: string, protocols?: string | string[]) => WebSocket;
  readonly sockets: SocketRecord[];
  /** Instances whose readyState is CONNECTING or OPEN now. */
  live(): SocketRecord[];
  /** The largest number of live instances seen at once (checked at every construction and open). */
  readonly maxLive: number;
  /** The URL's query parameter of a socket (default: the last one). */
  param(name: string, index?: number): string | null;
}

export function socketSpy(): SocketSpy {
  const sockets: SocketRecord[] = [];
  let maxLive = 0;
  const live = () => sockets.filter((s) => s.ws.readyState === CONNECTING || s.ws.readyState === OPEN);
  const measure = () => {
    maxLive = Math.max(maxLive, live().length);
  };
  class RecordingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      const before = live().length;
      const previous = sockets.at(-1);
      sockets.push({ url, ws: this, createdAt: Date.now(), liveAtCreation: before + 1, previousStateAtCreation: previous ? previous.ws.readyState : null });
      measure();
      this.on('open', measure);
    }
  }
  return {
    WebSocket: RecordingWebSocket,
    sockets,
    live,
    get maxLive() {
      return maxLive;
    },
    param(name, index = sockets.length - 1) {
      const record = sockets[index];
      return record ? new URL(record.url).searchParams.get(name) : null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// clients

/** Small timings so that every failure mode is seen within a second or two. */
export const FAST = {
  connectionTimeout: 2000,
  pingInterval: 300,
  pongTimeout: 300,
  reconnection: { initialDelay: 50, maxDelay: 200 },
} as const;

export const ADMIN = { username: 'admin', password: 'changeme' } as const;

/** One entry of a client's timeline, in the order the client emitted them. */
export type TimelineEntry =
  | { readonly kind: 'state'; readonly state: ConnectionState; readonly status: ConnectionStatus; readonly at: number }
  | { readonly kind: 'event'; readonly event: ServerEvent; readonly at: number }
  | { readonly kind: 'error'; readonly error: ClientError; readonly at: number };

export interface Harness {
  readonly client: RealtimeClient;
  readonly spy: SocketSpy;
  /** Everything the client emitted since it was created (state entries only when the state changes). */
  readonly timeline: TimelineEntry[];
  /** The server events, in order. */
  events(from?: number): ServerEvent[];
  /** The event types, in order. */
  types(from?: number): string[];
  /** The connection states, in order, without repeats. */
  states(from?: number): ConnectionState[];
  errors(from?: number): ClientError[];
  /** The latest `connection$` value. */
  status(): ConnectionStatus;
  /**
   * Waits for a connection state: the current one counts, or, with `from`, the first entry at
   * timeline index ≥ `from` (states passed through since then count).
   */
  waitForState(state: ConnectionState, ms?: number, from?: number): Promise<ConnectionStatus>;
  /** Waits for the first event at timeline index ≥ `from` matching `predicate` (events already seen count). */
  waitForEvent(predicate: (event: ServerEvent) => boolean, ms?: number, from?: number, what?: string): Promise<ServerEvent>;
  /** Waits for a timeline entry at index ≥ `from` matching `predicate`. */
  waitForEntry(predicate: (entry: TimelineEntry) => boolean, ms: number, from: number, what: string): Promise<TimelineEntry>;
  waitForError(predicate: (error: ClientError) => boolean, ms?: number, from?: number): Promise<ClientError>;
  /** `connect()` within `ms`; on failure the message shows the timeline and the auth state. */
  connect(ms?: number): Promise<void>;
  /** The timeline since `from`, in short (`[state]`, event types, `!reason` of errors). */
  describe(from?: number): string;
  /** Waits until `condition` holds, re-checked whenever the client emits something. */
  waitUntil(condition: () => boolean, ms: number, what: string): Promise<void>;
  /** Sends `get_agents` and waits for the `agent_list` answering it. */
  roundTrip(ms?: number): Promise<void>;
}

/** Creates a client against `sim` (FAST timings, admin credentials, a recording WebSocket) that `cleanup()` disposes. */
export function makeClient(sim: Simulator, overrides: Partial<ClientOptions> = {}, spy: SocketSpy = socketSpy()): Harness {
  const client = createClient({ url: sim.httpUrl, auth: { ...ADMIN }, WebSocket: spy.WebSocket, ...FAST, ...overrides });
  clients.push(client);
  const timeline: TimelineEntry[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  let last: ConnectionStatus | undefined;
  client.connection$.subscribe((status) => {
    const changed = last === undefined || last.state !== status.state;
    last = status;
    if (changed) timeline.push({ kind: 'state', state: status.state, status, at: Date.now() });
    notify();
  });
  client.events$.subscribe((event) => {
    timeline.push({ kind: 'event', event, at: Date.now() });
    notify();
  });
  client.errors$.subscribe((error) => {
    timeline.push({ kind: 'error', error, at: Date.now() });
    notify();
  });

  let auth = '';
  client.state$.subscribe((view) => {
    auth = view.auth;
  });
  const describe = (from = 0) =>
    timeline
      .slice(from)
      .map((e) => (e.kind === 'state' ? `[${e.state}]` : e.kind === 'event' ? e.event.type : `!${e.error.reason}`))
      .slice(-60)
      .join(' ');

  const waitForEntry = (predicate: (entry: TimelineEntry) => boolean, ms: number, from: number, what: string) =>
    new Promise<TimelineEntry>((resolve, reject) => {
      // each entry is looked at once (looking at all of them again per new entry is quadratic: a long
      // stream then blocks the event loop, and the server slows down through backpressure)
      let next = from;
      const check = () => {
        for (; next < timeline.length; next++) {
          const entry = timeline[next]!;
          if (predicate(entry)) {
            done();
            resolve(entry);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; timeline since #${from}: ${describe(from)}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const harness: Harness = {
    client,
    spy,
    timeline,
    events: (from = 0) => timeline.slice(from).flatMap((e) => (e.kind === 'event' ? [e.event] : [])),
    types: (from = 0) => harness.events(from).map((e) => e.type),
    states: (from = 0) => timeline.slice(from).flatMap((e) => (e.kind === 'state' ? [e.state] : [])),
    errors: (from = 0) => timeline.slice(from).flatMap((e) => (e.kind === 'error' ? [e.error] : [])),
    status: () => last!,
    async waitForState(state, ms = 5000, from) {
      if (from === undefined && last?.state === state) return last;
      const start = from ?? timeline.length;
      const entry = await waitForEntry((e) => e.kind === 'state' && e.state === state, ms, start, `connection state "${state}"`);
      return (entry as Extract<TimelineEntry, { kind: 'state' }>).status;
    },
    async waitForEvent(predicate, ms = 3000, from = 0, what = 'a matching event') {
      const entry = await waitForEntry((e) => e.kind === 'event' && predicate(e.event), ms, from, what);
      return (entry as Extract<TimelineEntry, { kind: 'event' }>).event;
    },
    async waitForError(predicate, ms = 3000, from = 0) {
      const entry = await waitForEntry((e) => e.kind === 'error' && predicate(e.error), ms, from, 'a matching error');
      return (entry as Extract<TimelineEntry, { kind: 'error' }>).error;
    },
    describe,
    waitForEntry,
    async connect(ms = 3000) {
      try {
        await withTimeout(client.connect(), ms, 'connect()');
      } catch (error) {
        const reason = error instanceof Error ? `${(error as Partial<ClientError>).reason ?? ''} ${error.message}` : String(error);
        throw new Error(`connect() did not resolve (${reason.trim()}); auth state '${auth}'; timeline: ${describe()}`, { cause: error });
      }
    },
    async waitUntil(condition, ms, what) {
      await waitForEntry(() => condition(), ms, Math.max(0, timeline.length - 1), what);
    },
    async roundTrip(ms = 1500) {
      const from = timeline.length;
      await client.send({ type: 'get_agents' });
      await harness.waitForEvent((e) => e.type === 'agent_list', ms, from, 'the agent_list answering get_agents');
    },
  };
  return harness;
}

// ---------------------------------------------------------------------------------------------
// waiting

/** The first value of `source` matching `predicate`, within `ms`. */
export function firstMatch<T>(source: Observable<T>, predicate: (value: T) => boolean, ms: number, what: string): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(predicate),
      take(1),
      timeout({ first: ms, with: () => Promise.reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }),
    ),
  );
}

/** Polls `condition` every 10 ms until it holds, or fails after `ms` (for state only a poll can see, e.g. the simulator's). */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits `ms` on purpose: only to show that something does NOT happen within that time. */
export const quietPeriod = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `exp` claim of a JWT in ms since the epoch. */
export function tokenExpiry(token: string): number {
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
  return claims.exp * 1000;
}

export { INIT_BURST } from '../../helpers/sequences.js';
export { rejection, withTimeout } from '../../helpers/client.js';

export { CLOSED, CONNECTING, OPEN };

