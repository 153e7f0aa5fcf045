/**
 * Auth that recovers from a refused handshake (issue 10, defect 1 and part of 7; PROTOCOL.md §1.3,
 * §1.8, §2.3, §13 items 11 and 12), against the simulator on 127.0.0.1 with the real `ws`:
 * a token the server refuses is renewed (refresh → login → the app's provider → `authRequired`),
 * never used for another attempt, and the error says the upgrade was refused; `connect()` settles
 * with the first attempt's real cause.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createClient } from '../../../src/client.js';
import type { ClientError } from '../../../src/errors.js';
import { fixture } from '../../helpers/fixtures.js';
import { ADMIN, cleanup, makeClient, quietPeriod, rejection, startSim, until } from './harness.js';

afterEach(cleanup);

/** A `fetch` that counts the login and refresh calls (and their statuses). */
function countingFetch() {
  const calls: { route: 'login' | 'refresh_token'; status: number }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/login')) calls.push({ route: 'login', status: response.status });
    if (url.endsWith('/refresh_token')) calls.push({ route: 'refresh_token', status: response.status });
    return response;
  };
  return { fetch, calls, count: (route: 'login' | 'refresh_token') => calls.filter((c) => c.route === route).length };
}

/** The auth states the client went through (state$), without repeats. */
function authStates(client: { state$: { subscribe(next: (view: { auth: string }) => void): unknown } }): string[] {
  const states: string[] = [];
  client.state$.subscribe((view) => {
    if (states.at(-1) !== view.auth) states.push(view.auth);
  });
  return states;
}

describe('a refused token is renewed, never retried', () => {
  it('credentials: after revokeTokens and a drop, it logs in again and is ready again; the revoked token is tried once', async () => {
    const sim = await startSim();
    const http = countingFetch();
    const h = makeClient(sim, { fetch: http.fetch });
    const auth = authStates(h.client);
    await h.connect();
    expect(http.count('login')).toBe(1);
    const revoked = h.spy.param('token', 0);

    sim.control.revokeTokens();
    const from = h.timeline.length;
    sim.control.dropSocket();
    await h.waitForState('ready', 5000, from);

    expect(http.count('login')).toBe(2); // a second login, seen by the simulator
    expect(http.calls.find((c) => c.route === 'refresh_token')?.status).toBe(401); // refresh first: the revoked token is dead
    // the revoked token was used for one attempt only (the one the server refused)
    const withRevoked = h.spy.sockets.filter((s) => new URL(s.url).searchParams.get('token') === revoked);
    expect(withRevoked).toHaveLength(2); // the first connection, and the refused reconnect
    expect(h.spy.param('token')).not.toBe(revoked);
    // auth left `valid` for the refused token, and the error said why
    expect(auth.slice(auth.lastIndexOf('valid', auth.length - 2))).toContain('verifying');
    const errors = h.errors(from).map((e) => e.message);
    expect(errors.some((m) => m.includes('refused') && m.includes('HTTP 500'))).toBe(true);
    expect(errors.some((m) => m.includes('code 1000'))).toBe(false);
    await h.roundTrip();
  });

  it('provider: after revokeTokens and a drop, getToken is called again and the client is ready again', async () => {
    const sim = await startSim();
    let calls = 0;
    const h = makeClient(sim, { auth: { getToken: async () => (calls++, sim.control.issueToken()) } });
    await h.connect();
    expect(calls).toBe(1);
    sim.control.revokeTokens();
    const from = h.timeline.length;
    sim.control.dropSocket();
    await h.waitForState('ready', 5000, from);
    expect(calls).toBeGreaterThanOrEqual(2);
    await h.roundTrip();
  });

  it('static token: after revokeTokens and a drop, authRequired; ready(), a waiting request and connect() reject auth_required', async () => {
    const sim = await startSim();
    const token = sim.control.issueToken();
    const http = countingFetch();
    const h = makeClient(sim, { auth: { token }, fetch: http.fetch });
    await h.connect();
    sim.control.revokeTokens();
    sim.control.dropSocket();
    await h.waitForState('reconnecting');
    const ready = h.client.ready();
    const waiting = h.client.send({ type: 'get_agents' }); // waits for ready: must settle
    expect((await rejection(ready, 5000, 'ready()')).reason).toBe('auth_required');
    expect((await rejection(waiting, 1000, 'the waiting request')).reason).toBe('auth_required');
    expect(h.status().state).toBe('failed');
    let auth = '';
    h.client.state$.subscribe((view) => (auth = view.auth)).unsubscribe();
    expect(auth).toBe('authRequired');
    expect(http.count('refresh_token')).toBe(1); // it tried to refresh the refused token first

    // connecting again does not try the refused token
    const sockets = h.spy.sockets.length;
    const again = await rejection(h.client.connect(), 5000, 'connect()');
    expect(again.reason).toBe('auth_required');
    expect(h.spy.sockets).toHaveLength(sockets);
  });

  it('expireTokens and a drop: the expired token is refused (HTTP 500), then renewed by a login', async () => {
    const sim = await startSim();
    const http = countingFetch();
    const h = makeClient(sim, { fetch: http.fetch });
    await h.connect();
    sim.control.expireTokens();
    const from = h.timeline.length;
    sim.control.dropSocket();
    await h.waitForState('ready', 5000, from);
    expect(http.count('refresh_token') + http.count('login')).toBeGreaterThanOrEqual(2);
    expect(http.count('login')).toBe(2);
    expect(h.errors(from).some((e) => e.reason === 'refused' && e.message.includes('HTTP 500'))).toBe(true);
    await h.roundTrip();
  });

  it('a handshake refused again after the token was renewed (an unknown agent_key) ends in failed `refused` instead of looping', async () => {
    const sim = await startSim();
    const http = countingFetch();
    const h = makeClient(sim, { fetch: http.fetch, agentKey: 'no-such-agent' });
    const error = await rejection(h.client.connect(), 5000, 'connect()');
    expect(error.reason).toBe('refused');
    expect(error.message).toContain('HTTP 500');
    expect(h.status().state).toBe('failed');
    const attempts = h.spy.sockets.length;
    expect(attempts).toBe(2); // the first token, then one renewed token
    expect(http.count('refresh_token')).toBe(1); // the refused token was renewed once
    await quietPeriod(300);
    expect(h.spy.sockets).toHaveLength(attempts);
  });
});

describe('connect() settles with the first attempt\'s real cause', () => {
  it('an unreachable server (a closed port): connect() rejects `network` with ECONNREFUSED well before connectionTimeout', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const connectionTimeout = 20_000;
    const client = createClient({ url: `http://127.0.0.1:${port}`, auth: { token: 'static-token' }, WebSocket, connectionTimeout, reconnection: { initialDelay: 50, maxDelay: 200 } });
    try {
      const halfway = new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), connectionTimeout / 2).unref());
      const outcome = await Promise.race([rejection(client.connect(), connectionTimeout, 'connect()'), halfway]);
      expect(outcome).not.toBe('still waiting');
      const error = outcome as ClientError;
      expect(error.reason).toBe('network');
      expect(error.message).toContain('ECONNREFUSED');
    } finally {
      client.dispose();
    }
  });

  it('a scripted server that closes with 1008 is not retried with the same token', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const tokens: string[] = [];
    server.on('connection', (socket: WebSocket, req) => {
      tokens.push(new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? '');
      socket.send(fixture('ui_session_id_changed').text);
      socket.close(1008, 'policy');
    });
    const { port } = server.address() as AddressInfo;
    // the refresh route answers 401: the refused token is dead, and it is a static one
    const fetch: typeof globalThis.fetch = async () => Response.json({ detail: 'Invalid token' }, { status: 401 });
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${part({ alg: 'HS256' })}.${part({ sub: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
    const client = createClient({ url: `http://127.0.0.1:${port}`, auth: { token }, fetch, WebSocket, connectionTimeout: 2000, reconnection: { initialDelay: 50, maxDelay: 200 } });
    try {
      const error = await rejection(client.connect(), 5000, 'connect()');
      expect(error.reason).toBe('auth_required');
      await quietPeriod(500);
      expect(tokens).toEqual([token]); // one attempt with it, none after the 1008
    } finally {
      client.dispose();
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a refused first attempt with credentials still resolves connect() once the new token is in (the renewal is part of the attempt)', async () => {
    const sim = await startSim();
    const http = countingFetch();
    // a stored token that the server has since revoked
    const stale = sim.control.issueToken();
    sim.control.revokeTokens();
    const storage = { get: () => stale, set: () => undefined, clear: () => undefined };
    const h = makeClient(sim, { fetch: http.fetch, auth: { ...ADMIN, storage } });
    await h.connect(5000);
    expect(http.count('login')).toBe(1);
    await until(() => h.spy.sockets.length === 2, 100, 'two sockets');
    expect(h.spy.param('token', 0)).toBe(stale);
    expect(h.spy.param('token', 1)).not.toBe(stale);
  });
});
