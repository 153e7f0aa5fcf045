/**
 * Property 6 at the facade: the waits `createClient().connect()` makes (one `ready()` subscription
 * each) are released once `disconnect()` has closed the connection, over random
 * connect/disconnect/drop/open cycles, and no WebSocket stays open.
 *
 * The client is the real one (partysocket, the real socket and auth actors) with a static token and
 * a fake WebSocket class; only real time is left alone (nothing here waits for a timer). A
 * `connect()` promise that has not settled is a `ready()` subscription still held on
 * `connection$` (it unsubscribes exactly when it settles).
 *
 * Against 0612012 it failed with [connect, disconnect, connect, disconnect]: `connect()` called
 * `ready()` while `closed`, and `ready()` ignores `closed` when it started there, so the second
 * promise (and its subscription) waited until a later `ready`. 5fbbf19 sends `connect` first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient, type RealtimeClient } from '../../../src/index.js';
import { flush } from './harness.js';

type Listener = (event: unknown) => void;

/** Records every WebSocket the client opens; the test fires its events. */
class FakeWebSocket {
  static readonly all: FakeWebSocket[] = [];
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 0;
  binaryType = 'blob';
  readonly listeners = new Map<string, Set<Listener>>();
  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }
  addEventListener(type: string, listener: Listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: Listener) {
    this.listeners.get(type)?.delete(listener);
  }
  fire(type: string, event: object) {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener({ type, target: this, ...event });
  }
  send() {}
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire('close', { code, reason, wasClean: true });
  }
  /** The server side: the handshake succeeds. */
  open() {
    this.readyState = 1;
    this.fire('open', {});
  }
  /** The server side: the connection is lost. */
  drop(code: number) {
    this.readyState = 3;
    this.fire('close', { code, reason: '', wasClean: false });
  }
}

interface World {
  readonly client: RealtimeClient;
  /** connect() promises and whether each has settled. */
  readonly waits: { settled: boolean }[];
  readonly sockets: FakeWebSocket[];
}

interface Model {
  /** A fake WebSocket of this client is not closed. */
  socket: 'none' | 'connecting' | 'open';
}

const current = (w: World) => w.sockets.filter((s) => s.readyState !== 3).at(-1);

function sync(m: Model, w: World) {
  const socket = current(w);
  m.socket = socket === undefined ? 'none' : socket.readyState === 1 ? 'open' : 'connecting';
}

abstract class Step implements fc.AsyncCommand<Model, World> {
  abstract check(m: Readonly<Model>): boolean;
  abstract act(w: World): Promise<void> | void;
  abstract toString(): string;
  async run(m: Model, w: World) {
    await this.act(w);
    await flush();
    sync(m, w);
  }
}

class Connect extends Step {
  check = () => true;
  act(w: World) {
    const wait = { settled: false };
    w.waits.push(wait);
    const settle = () => {
      wait.settled = true;
    };
    w.client.connect().then(settle, settle);
  }
  toString = () => 'connect';
}

class Disconnect extends Step {
  check = () => true;
  async act(w: World) {
    await w.client.disconnect();
    await flush();
    const unsettled = w.waits.flatMap((wait, i) => (wait.settled ? [] : [i]));
    expect(current(w), 'a WebSocket is still open after disconnect()').toBeUndefined();
    expect(unsettled, 'connect() calls (by index) still waiting after disconnect() closed the connection').toEqual([]);
  }
  toString = () => 'disconnect';
}

class Open extends Step {
  check = (m: Readonly<Model>) => m.socket === 'connecting';
  act(w: World) {
    current(w)!.open();
  }
  toString = () => 'socket opens';
}

class Drop extends Step {
  constructor(readonly code: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.socket !== 'none';
  act(w: World) {
    current(w)!.drop(this.code);
  }
  toString = () => `socket drops (${this.code})`;
}

const commandArbs: fc.Arbitrary<fc.AsyncCommand<Model, World>>[] = [
  fc.constant(new Connect()),
  fc.constant(new Connect()),
  fc.constant(new Disconnect()),
  fc.constant(new Disconnect()),
  fc.constant(new Open()),
  fc.constantFrom(1000, 1006, 1011, 4000).map((code) => new Drop(code)),
];

describe('client facade properties', () => {
  it('6b. every connect() settles, and no WebSocket stays open, once disconnect() has closed the connection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commandArbs, { maxCommands: 100, size: 'max' }), async (commands) => {
        const first = FakeWebSocket.all.length;
        const client = createClient({
          url: 'http://localhost:1',
          auth: { token: 'a-static-token' },
          WebSocket: FakeWebSocket as never,
          reconnection: { initialDelay: 600_000, maxDelay: 600_000 }, // no reconnect fires during a run
        });
        const w: World = {
          client,
          waits: [],
          get sockets() {
            return FakeWebSocket.all.slice(first);
          },
        };
        try {
          await fc.asyncModelRun(() => ({ model: { socket: 'none' } as Model, real: w }), commands);
        } finally {
          client.dispose();
        }
      }),
      { numRuns: 50 },
    );
  });
});
