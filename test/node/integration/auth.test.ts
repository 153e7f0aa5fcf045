/**
 * createClient and tokens: a refreshed token is used by the next connection, and a token that can no
 * longer be refreshed is never used to connect (README "auth"; PROTOCOL.md §2.3, §2.4).
 *
 * The first test of each pair uses the timings of the issue (tokens of 3–4 s). The second uses
 * tokens that live longer than the client's 5 s validity margin, so that the behaviour itself is
 * still checked while the first one fails on that margin (see the report of these tests).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, cleanup, firstMatch, makeClient, rejection, startSim, tokenExpiry, until, withTimeout } from './harness.js';

afterEach(cleanup);

interface TokenCall {
  readonly route: 'login' | 'refresh_token';
  readonly status: number;
  readonly token: string | null;
  readonly at: number;
}

/** A `fetch` that records each login and refresh with the token it returned. */
function recordingFetch(): { fetch: typeof globalThis.fetch; calls: TokenCall[] } {
  const calls: TokenCall[] = [];
  const recording: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    const route = url.endsWith('/refresh_token') ? 'refresh_token' : url.endsWith('/login') ? 'login' : null;
    if (route) {
      const body = (await response.clone().json().catch(() => null)) as { agent_c_token?: string } | null;
      calls.push({ route, status: response.status, token: response.ok ? (body?.agent_c_token ?? null) : null, at: Date.now() });
    }
    return response;
  };
  return { fetch: recording, calls };
}

/** The last token the client obtained at or before `time`. */
function tokenAt(calls: readonly TokenCall[], time: number): string | null {
  return calls.filter((c) => c.token !== null && c.at <= time).at(-1)?.token ?? null;
}

describe('token refresh', () => {
  async function refreshThenReconnect(tokenTtlMs: number, refreshBufferMs: number): Promise<void> {
    const sim = await startSim({ tokenTtlMs });
    const recorder = recordingFetch();
    const h = makeClient(sim, { fetch: recorder.fetch, auth: { ...ADMIN, refreshBufferMs } });

    await h.connect(3000);
    const firstToken = h.spy.param('token', 0)!;
    expect(firstToken).toBe(recorder.calls.find((c) => c.route === 'login')?.token);

    await until(() => recorder.calls.some((c) => c.route === 'refresh_token' && c.token !== null), tokenTtlMs, 'a successful refresh');
    expect(h.status().state).toBe('ready'); // a refresh never touches the socket
    expect(h.spy.sockets).toHaveLength(1);

    const from = h.timeline.length;
    sim.control.dropSocket();
    await h.waitForState('ready', 3000, from);

    const socket = h.spy.sockets.at(-1)!;
    const used = h.spy.param('token')!;
    expect(used).not.toBe(firstToken);
    expect(recorder.calls.filter((c) => c.route === 'refresh_token').map((c) => c.token)).toContain(used);
    expect(used).toBe(tokenAt(recorder.calls, socket.createdAt)); // the newest token at that moment
    expect(tokenExpiry(used)).toBeGreaterThan(socket.createdAt);
    await h.roundTrip(2000);
  }

  it('token expiry → refresh → the next connection uses the refreshed token (4 s tokens, refreshBufferMs 2000)', async () => {
    await refreshThenReconnect(4000, 2000);
  });

  it('token expiry → refresh → the next connection uses the refreshed token (8 s tokens, refreshBufferMs 6000)', async () => {
    await refreshThenReconnect(8000, 6000);
  });

  it('after a refresh, an upload carries the refreshed token, and succeeds once the first token has expired (the old SDK kept the old one, reference-sdk.md §4A item 10)', async () => {
    const sim = await startSim({ tokenTtlMs: 6000 });
    const recorder = recordingFetch();
    const uploadTokens: string[] = [];
    const fetchImpl: typeof globalThis.fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/upload_file')) uploadTokens.push(String(new Headers(init?.headers).get('authorization')).replace(/^Bearer /, ''));
      return recorder.fetch(input, init);
    };
    const h = makeClient(sim, { fetch: fetchImpl, auth: { ...ADMIN, refreshBufferMs: 4000 } });
    await h.connect(3000);
    const firstToken = h.spy.param('token', 0)!;

    await until(() => recorder.calls.some((c) => c.route === 'refresh_token' && c.token !== null), 6000, 'a successful refresh');
    const refreshed = recorder.calls.filter((c) => c.route === 'refresh_token' && c.token !== null).at(-1)!.token!;
    await until(() => Date.now() > tokenExpiry(firstToken)! + 50, 6000, 'the first token expired');

    const answer = await h.client.uploadFile(new File(['hello'], 'hello.txt', { type: 'text/plain' }));
    expect(answer.id).toBeTruthy();
    expect(uploadTokens).toHaveLength(1);
    expect(uploadTokens[0]).not.toBe(firstToken);
    expect(recorder.calls.filter((c) => c.route === 'refresh_token').map((c) => c.token)).toContain(uploadTokens[0]);
    expect(tokenExpiry(uploadTokens[0]!)).toBeGreaterThanOrEqual(tokenExpiry(refreshed)!);
    expect(h.spy.sockets).toHaveLength(1); // and the refresh never touched the socket
  }, 20_000);
});

describe('refresh failure', () => {
  async function refreshFailsThenDrop(ttlMs: number, refreshBufferMs: number): Promise<void> {
    const sim = await startSim();
    sim.control.failRefresh(401);
    const token = sim.control.issueToken('admin', ttlMs);
    const h = makeClient(sim, { auth: { token, refreshBufferMs } });

    await h.connect(3000);
    expect(h.spy.param('token', 0)).toBe(token);

    await firstMatch(h.client.state$, (s) => s.auth === 'authRequired', ttlMs, "state$.auth 'authRequired'");
    await h.waitForError((e) => e.reason === 'auth_required' || e.reason === 'auth_failed', 1000);

    // a token that is still valid may be used; drop once it has really expired
    const expiresAt = tokenExpiry(token)!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 50)));
    const socketsBefore = h.spy.sockets.length;
    const from = h.timeline.length;
    sim.control.dropSocket();
    const status = await h.waitForState('failed', 4000, from);

    expect(status.lastError?.reason).toBe('auth_required');
    expect(h.status().state).toBe('failed');
    // no connection attempt with an expired token
    for (const socket of h.spy.sockets.slice(socketsBefore)) {
      const used = new URL(socket.url).searchParams.get('token')!;
      expect(tokenExpiry(used), `token of ${socket.url}`).toBeGreaterThan(socket.createdAt);
    }
    for (const socket of h.spy.sockets) {
      const used = new URL(socket.url).searchParams.get('token')!;
      expect(tokenExpiry(used)).toBeGreaterThan(socket.createdAt);
    }
    await expect(h.client.ready()).rejects.toMatchObject({ reason: 'auth_required' });
  }

  it('refresh refused (401) → authRequired; after the drop no connection with an expired token, failed with auth_required (3 s token, refreshBufferMs 2000)', async () => {
    await refreshFailsThenDrop(3000, 2000);
  });

  it('refresh refused (401) → authRequired; after the drop no connection with an expired token, failed with auth_required (8 s token, refreshBufferMs 6000)', async () => {
    await refreshFailsThenDrop(8000, 6000);
  });
});

describe('login server unreachable at connect time', () => {
  it('a login that fails on the network is a network problem the connection retries (not authRequired): ready once the login server answers', async () => {
    const sim = await startSim();
    let logins = 0;
    // the first login finds no server (as fetch reports a refused connection); later ones go through
    const flakyFetch: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/api/rt/login') && ++logins === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const h = makeClient(sim, { fetch: flakyFetch, connectionTimeout: 500 });
    // connect() settles with the first attempt's outcome (no token yet: the login server is
    // unreachable; the attempt's connectionTimeout and the token getter's end at about the same time)
    expect(['network', 'timeout']).toContain((await rejection(h.client.connect(), 5_000, 'connect()')).reason);
    await withTimeout(h.client.ready(), 15_000, 'ready()');

    expect(logins).toBeGreaterThanOrEqual(2);
    const states = h.states();
    expect(states).not.toContain('failed');
    expect(states).toContain('reconnecting');
    const reasons = h.errors().map((error) => error.reason);
    expect(reasons).toContain('network');
    expect(reasons).not.toContain('auth_required');
  }, 20_000);
});
