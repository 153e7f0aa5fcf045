/**
 * createClient over many connect/disconnect cycles: nothing accumulates (listeners, subscriptions,
 * sockets), and a new connection is not opened over a socket the server still holds (PROTOCOL.md §1.9).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { CLOSED, cleanup, makeClient, startSim, until } from './harness.js';

afterEach(cleanup);

/** How many observers an actor has (xstate keeps them in `observers`). */
const observerCount = (actor: AnyActorRef | undefined): number => {
  const observers = (actor as unknown as { observers?: Set<unknown> } | undefined)?.observers;
  if (!observers) throw new Error('the actor has no observers set (xstate internals changed?)');
  return observers.size;
};

describe('connect/disconnect cycles', () => {
  it('listener and subscription counts stay flat over 50 connect/disconnect cycles', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    const actors = {
      root: () => h.client.actor as AnyActorRef,
      connection: () => h.client.actor.system.get('connection') as AnyActorRef,
      auth: () => h.client.actor.system.get('auth') as AnyActorRef,
    };
    const counts: string[] = [];

    for (let cycle = 0; cycle < 50; cycle++) {
      await h.connect(3000);
      const live = h.spy.live();
      expect(live, `live sockets in cycle ${cycle}`).toHaveLength(1);
      const ws = live[0]!.ws;
      expect(ws.listenerCount('message'), `message listeners in cycle ${cycle}`).toBe(1);
      expect(ws.listenerCount('open'), `open listeners in cycle ${cycle}`).toBeLessThanOrEqual(2); // the client's and the spy's
      // partysocket's, and the client's socket tracker (which waits for a close before reconnecting)
      expect(ws.listenerCount('close'), `close listeners in cycle ${cycle}`).toBe(2);
      counts.push(`${observerCount(actors.root())}/${observerCount(actors.connection())}/${observerCount(actors.auth())}`);
      await h.client.disconnect();
      expect(h.status().state).toBe('closed');
    }

    expect(h.spy.sockets).toHaveLength(50);
    expect(h.spy.maxLive).toBe(1);
    expect(new Set(counts).size, `observer counts root/connection/auth per cycle: ${counts.join(' ')}`).toBe(1);
    await until(() => h.spy.sockets.every((s) => s.ws.readyState === CLOSED), 3000, 'every socket is closed');
    for (const [index, socket] of h.spy.sockets.entries()) {
      expect(socket.ws.listenerCount('message'), `message listeners left on socket #${index}`).toBe(0);
    }
  });

  it('connect() right after disconnect() waits until the old socket is closed, so the server does not mute the new one (§1.9)', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    const failures: string[] = [];

    const STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
    for (let cycle = 0; cycle < 10; cycle++) {
      await h.connect(3000);
      const attached = sim.control.uiSessions()[0]?.connected;
      const previous = h.spy.sockets.at(-1)!.previousStateAtCreation;
      try {
        await h.roundTrip(500);
      } catch {
        failures.push(
          `cycle ${cycle}: ready, but get_agents unanswered; at ready the simulator saw the UI session ${attached ? 'attached' : 'detached (muted)'}; ` +
            `the previous socket was ${previous === null ? 'none' : STATES[previous]} when the new one was constructed`,
        );
      }
      await h.client.disconnect();
    }

    expect(failures).toEqual([]);
  });
});

describe('clients side by side', () => {
  it('share one set of machine definitions, each running its own I/O actors (its own server, its own token)', async () => {
    const [simA, simB] = await Promise.all([startSim(), startSim()]);
    const logins = { a: 0, b: 0 };
    const counting = (key: keyof typeof logins): typeof fetch => (input, init) => {
      if (String(input).endsWith('/login')) logins[key]++;
      return fetch(input, init);
    };
    const a = makeClient(simA, { fetch: counting('a') });
    const b = makeClient(simB, { fetch: counting('b'), auth: { token: simB.control.issueToken('admin') } });
    await Promise.all([a.connect(), b.connect()]);
    // no machine tree built per client (providing each client's actors to its own copy cost ~80 KB of heap per client)
    const logicOf = (client: typeof a.client) => (client.actor as unknown as { logic: unknown }).logic;
    expect(logicOf(a.client)).toBe(logicOf(b.client));
    // …yet each reached its own server, with its own auth: a logged in, b used the token it was given
    expect(simA.control.uiSessions().filter((session) => session.connected)).toHaveLength(1);
    expect(simB.control.uiSessions().filter((session) => session.connected)).toHaveLength(1);
    expect(logins).toEqual({ a: 1, b: 0 });
    a.client.dispose();
    await until(() => simA.control.uiSessions().every((session) => !session.connected), 2_000, 'a gone');
    // b is untouched by a's dispose
    await b.client.sendText('still here?');
    expect(simB.control.uiSessions().filter((session) => session.connected)).toHaveLength(1);
  });
});
