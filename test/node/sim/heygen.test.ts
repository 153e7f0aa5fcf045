/**
 * The simulator's fake HeyGen (src/sim/heygen.ts): the streaming API on the simulator's own port
 * (`POST /v1/streaming.*`, the `/v1/ws/streaming.chat` socket), with the keys a login hands out as
 * `heygen_token`, and the bridge's `set_avatar` / `set_avatar_session` going through it
 * (PROTOCOL.md §4.7, §4.8, §7.8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Simulator } from '../../../src/sim/types.js';
import { http, login, type Ev } from '../../helpers/sim-client.js';
import { connectReady, poll, sleep, startSim, useSimulators } from './harness.js';

useSimulators();

/** A recording client on a streaming socket. */
interface Stream {
  readonly ws: WebSocket;
  readonly events: (Ev & { at: number })[];
  readonly closed: Promise<{ code: number; reason: string }>;
  next(type: string, timeoutMs?: number): Promise<Ev & { at: number }>;
}

const opened = new Set<WebSocket>();

function streamUrl(base: string, sessionId: string, token: string): string {
  const url = new URL('/v1/ws/streaming.chat', base.replace(/^http/, 'ws'));
  url.searchParams.set('session_id', sessionId);
  url.searchParams.set('session_token', token);
  return url.toString();
}

/** Opens the streaming socket; resolves once open, rejects with the HTTP status of a refusal. */
function openStream(base: string, sessionId: string, token: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(streamUrl(base, sessionId, token));
    opened.add(ws);
    const events: (Ev & { at: number })[] = [];
    let cursor = 0;
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString() })));
    ws.on('message', (data) => events.push({ ...(JSON.parse(data.toString()) as Ev), at: performance.now() }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        events,
        closed,
        async next(type, timeoutMs = 3000) {
          await poll(() => events.slice(cursor).some((e) => e.type === type), `a "${type}" on the stream (got ${events.map((e) => e.type).join(', ')})`, timeoutMs, 2);
          const index = events.findIndex((e, i) => i >= cursor && e.type === type);
          cursor = index + 1;
          return events[index]!;
        },
      }),
    );
  });
}

afterEach(() => {
  for (const ws of opened) ws.terminate();
  opened.clear();
});

function post(sim: Simulator, path: string, json: unknown, headers: Record<string, string> = {}) {
  return http(sim, 'POST', path, { json, headers });
}

/** Logs in and makes a session with the login's heygen_token. */
async function newSession(sim: Simulator): Promise<{ key: string; data: Record<string, any> }> {
  const { heygen_token: key } = await login(sim);
  const made = await post(sim, '/v1/streaming.new', { avatar_id: 'Ann_Therapist_public', quality: 'medium', version: 'v2' }, { 'x-api-key': key });
  expect(made.status).toBe(200);
  return { key, data: made.body.data };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('simulator: fake HeyGen', () => {
  it('streaming.new with the login heygen_token (x-api-key or Bearer) makes a session whose url is the simulator', async () => {
    const sim = await startSim();
    const { key, data } = await newSession(sim);
    expect(Object.keys(data).sort()).toStrictEqual(
      ['access_token', 'ice_servers', 'ice_servers2', 'is_paid', 'realtime_endpoint', 'sdp', 'session_duration_limit', 'session_id', 'url'].sort(),
    );
    expect(data.url).toBe(`ws://127.0.0.1:${sim.port}`);
    expect(data.realtime_endpoint).toContain(data.session_id);
    const second = await post(sim, '/v1/streaming.new', {}, bearer(key));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ code: 100, message: 'success' });
    expect(second.body.data.session_id).not.toBe(data.session_id);
    expect(sim.control.heygenSessions().map((s) => s.sessionId)).toStrictEqual([data.session_id, second.body.data.session_id]);
    // a refreshed heygen_token is a key too
    const refreshed = await http(sim, 'GET', '/api/rt/refresh_token', { token: sim.control.issueToken() });
    expect((await post(sim, '/v1/streaming.new', {}, bearer(refreshed.body.heygen_token))).status).toBe(200);
  });

  it('streaming.new answers 401 {code, message} without a key or with a wrong one; unknown /v1 routes are 404', async () => {
    const sim = await startSim();
    await login(sim);
    for (const headers of [{}, { 'x-api-key': 'sim-heygen-not-a-key' }, bearer('nope')] as Record<string, string>[]) {
      const refused = await post(sim, '/v1/streaming.new', {}, headers);
      expect(refused.status).toBe(401);
      expect(refused.body).toStrictEqual({ code: 401, message: 'Unauthorized' });
    }
    expect((await http(sim, 'GET', '/v1/streaming.new')).status).toBe(404);
    expect((await post(sim, '/v1/streaming.list', {})).body).toStrictEqual({ code: 404, message: 'Not Found' });
  });

  it('the streaming socket opens with the session token, gets stream_ready {detail: {session_id}}, and is refused with 401 otherwise', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    await expect(openStream(sim.httpUrl, data.session_id, 'wrong-token')).rejects.toThrow('HTTP 401');
    await expect(openStream(sim.httpUrl, 'no-such-session', data.access_token)).rejects.toThrow('HTTP 401');
    const stream = await openStream(data.url, data.session_id, data.access_token);
    expect(await stream.next('stream_ready')).toMatchObject({ type: 'stream_ready', detail: { session_id: data.session_id } });
    expect(sim.control.heygenSessions()).toStrictEqual([{ sessionId: data.session_id, connected: true, talking: false, said: [] }]);
  });

  it('streaming.task: avatar_start_talking, then avatar_stop_talking after ~60 ms a word', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const stream = await openStream(data.url, data.session_id, data.access_token);
    await stream.next('stream_ready');
    const text = 'one two three four five six seven eight nine ten';
    const sent = performance.now();
    const reply = await post(sim, '/v1/streaming.task', { session_id: data.session_id, text, task_type: 'repeat', task_mode: 'async' }, bearer(data.access_token));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ code: 100, data: { duration_ms: 600 } });
    const start = await stream.next('avatar_start_talking');
    expect(start.detail).toMatchObject({ session_id: data.session_id });
    expect(sim.control.heygenSessions()[0]).toMatchObject({ talking: true, said: [text] });
    const stop = await stream.next('avatar_stop_talking');
    expect(stop.at - sent).toBeGreaterThanOrEqual(550);
    expect(sim.control.heygenSessions()[0]!.talking).toBe(false);
    // a one-word task still talks for the minimum
    await post(sim, '/v1/streaming.task', { session_id: data.session_id, text: 'hi' }, bearer(data.access_token));
    const shortStart = await stream.next('avatar_start_talking');
    const shortStop = await stream.next('avatar_stop_talking');
    expect(shortStop.at - shortStart.at).toBeGreaterThanOrEqual(80);
  });

  it('streaming.task in sync mode answers once the avatar stopped; a task while talking is queued (one start, one stop)', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const stream = await openStream(data.url, data.session_id, data.access_token);
    await stream.next('stream_ready');
    await post(sim, '/v1/streaming.task', { session_id: data.session_id, text: 'a b c' }, bearer(data.access_token));
    const synced = await post(sim, '/v1/streaming.task', { session_id: data.session_id, text: 'd e f', task_mode: 'sync' }, bearer(data.access_token));
    expect(synced.status).toBe(200);
    expect(stream.events.map((e) => e.type)).toStrictEqual(['stream_ready', 'avatar_start_talking', 'avatar_stop_talking']);
    expect(stream.events[2]!.at - stream.events[1]!.at).toBeGreaterThanOrEqual(330);
  });

  it('streaming.task refuses a bad body (400), a wrong token (401), an unknown session (404 with a key)', async () => {
    const sim = await startSim();
    const { key, data } = await newSession(sim);
    const task = (body: unknown, headers: Record<string, string>) => post(sim, '/v1/streaming.task', body, headers);
    expect((await task({ session_id: data.session_id }, bearer(data.access_token))).status).toBe(400);
    expect((await task({ session_id: data.session_id, text: 'x', task_type: 'sing' }, bearer(data.access_token))).status).toBe(400);
    expect((await task({ text: 'x' }, bearer(data.access_token))).status).toBe(400);
    expect(await task({ session_id: data.session_id, text: 'x' }, bearer('wrong'))).toMatchObject({ status: 401, body: { code: 401, message: 'Unauthorized' } });
    expect(await task({ session_id: 'nobody', text: 'x' }, bearer(data.access_token))).toMatchObject({ status: 401 });
    expect(await task({ session_id: 'nobody', text: 'x' }, { 'x-api-key': key })).toMatchObject({ status: 404, body: { code: 404, message: 'Session not found' } });
    expect((await task({ session_id: data.session_id, text: 'x' }, { 'x-api-key': key })).status).toBe(200);
    expect((await post(sim, '/v1/streaming.start', { session_id: data.session_id }, bearer(data.access_token))).status).toBe(200);
  });

  it('streaming.interrupt stops the avatar at once (the pending stop is cancelled)', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const stream = await openStream(data.url, data.session_id, data.access_token);
    await stream.next('stream_ready');
    await post(sim, '/v1/streaming.task', { session_id: data.session_id, text: 'word '.repeat(50) }, bearer(data.access_token)); // 3 s
    await stream.next('avatar_start_talking');
    const asked = performance.now();
    expect((await post(sim, '/v1/streaming.interrupt', { session_id: data.session_id }, bearer(data.access_token))).status).toBe(200);
    const stop = await stream.next('avatar_stop_talking');
    expect(stop.at - asked).toBeLessThan(200);
    expect(sim.control.heygenSessions()[0]!.talking).toBe(false);
    // not talking: an interrupt is answered and changes nothing
    expect((await post(sim, '/v1/streaming.interrupt', { session_id: data.session_id }, bearer(data.access_token))).status).toBe(200);
    await sleep(50);
    expect(stream.events.map((e) => e.type)).toStrictEqual(['stream_ready', 'avatar_start_talking', 'avatar_stop_talking']);
  });

  it('streaming.stop closes the session: its socket closes with 1000, later calls and connections are refused', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const stream = await openStream(data.url, data.session_id, data.access_token);
    await stream.next('stream_ready');
    await post(sim, '/v1/streaming.task', { session_id: data.session_id, text: 'word '.repeat(50) }, bearer(data.access_token));
    expect((await post(sim, '/v1/streaming.stop', { session_id: data.session_id }, bearer(data.access_token))).status).toBe(200);
    expect((await stream.closed).code).toBe(1000);
    expect(sim.control.heygenSessions()).toStrictEqual([]);
    expect((await post(sim, '/v1/streaming.task', { session_id: data.session_id, text: 'x' }, bearer(data.access_token))).status).toBe(401);
    await expect(openStream(data.url, data.session_id, data.access_token)).rejects.toThrow('HTTP 401');
  });

  it("set_avatar's avatar_session works with the fake: url is the simulator, the token opens its socket, tasks make it talk", async () => {
    const sim = await startSim();
    const { client, burst } = await connectReady(sim);
    client.send({ type: 'set_avatar', avatar_id: burst.find((e) => e.type === 'avatar_list')!.avatars[0].avatar_id });
    const { avatar_session: session } = await client.next('avatar_connection_changed');
    expect(session.url).toBe(`ws://127.0.0.1:${sim.port}`);
    expect(session.realtime_endpoint).toMatch(/^wss:\/\/webrtc-signaling\.heygen\.example\//);
    const stream = await openStream(session.url, session.session_id, session.access_token);
    await stream.next('stream_ready');
    await post(sim, '/v1/streaming.task', { session_id: session.session_id, text: 'hello there' }, bearer(session.access_token));
    await stream.next('avatar_start_talking');
    await stream.next('avatar_stop_talking');
    // a second set_avatar closes the server-made session first (its socket closes), then fails (§4.7 bug)
    client.send({ type: 'set_avatar', avatar_id: 'Ann_Therapist_public' });
    expect((await client.sync()).map((e) => e.type)).toStrictEqual(['error']);
    expect((await stream.closed).code).toBe(1000);
    expect(sim.control.heygenSessions()).toStrictEqual([]);
  });

  it('set_avatar_session with a session the fake knows: the avatar says the greeting, and no error', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const stream = await openStream(data.url, data.session_id, data.access_token);
    await stream.next('stream_ready');
    const { client } = await connectReady(sim);
    client.send({ type: 'set_avatar_session', access_token: data.access_token, avatar_session_id: data.session_id });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['agent_voice_changed', 'text_delta']);
    expect(events[1]!.content).toBe('Avtar bridge connected to avatar session');
    await stream.next('avatar_start_talking');
    expect(sim.control.heygenSessions()[0]!.said).toStrictEqual(['Avtar bridge connected to avatar session']);
    const stop = await stream.next('avatar_stop_talking');
    expect(stop.at - stream.events[1]!.at).toBeGreaterThanOrEqual(300); // 6 words
  });

  it('set_avatar_session with an unknown session or a wrong token: the 401 error as before', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const { client } = await connectReady(sim);
    for (const [token, id] of [['tok', 'sess-1'], ['wrong', data.session_id]] as const) {
      client.send({ type: 'set_avatar_session', access_token: token, avatar_session_id: id });
      expect((await client.sync()).map((e) => (e.type === 'error' ? `error: ${e.message}` : e.type))).toStrictEqual([
        'agent_voice_changed',
        'error: Failed to send message to avatar: 401 Unauthorized',
        'text_delta',
      ]);
    }
    expect(sim.control.heygenSessions()[0]!.said).toStrictEqual([]);
  });

  it('heygen: false: no fake (404 on /v1, the streaming socket refused), heygen_token "None", set_avatar_session errors as before', async () => {
    const sim = await startSim({ heygen: false });
    expect((await login(sim)).heygen_token).toBe('None');
    expect(await post(sim, '/v1/streaming.new', {}, { 'x-api-key': 'None' })).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    await expect(openStream(sim.httpUrl, 'x', 'y')).rejects.toThrow('HTTP 404');
    expect(sim.control.heygenSessions()).toStrictEqual([]);
    const { client } = await connectReady(sim);
    client.send({ type: 'set_avatar_session', access_token: 'tok', avatar_session_id: 'sess-1' });
    expect((await client.sync()).map((e) => (e.type === 'error' ? `error: ${e.message}` : e.type))).toStrictEqual([
      'agent_voice_changed',
      'error: Failed to send message to avatar: 401 Unauthorized',
      'text_delta',
    ]);
  });

  it('close() ends the streaming sockets too', async () => {
    const sim = await startSim();
    const { data } = await newSession(sim);
    const stream = await openStream(data.url, data.session_id, data.access_token);
    await sim.close();
    expect((await stream.closed).code).toBe(1001);
  });
});
