/**
 * Fault injection and inspection through `sim.control`, and the reconnect-over-live-socket quirk
 * (PROTOCOL.md §1.8, §1.9).
 */
import { describe, expect, it } from 'vitest';
import { connect, connectRefused, jwtParts, login, refreshToken } from '../../helpers/sim-client.js';
import {
  PROFILES,
  allowBinaryOut,
  allowMalformed,
  clearFramesChecked,
  connectReady,
  interact,
  kinds,
  startSim,
  useSimulators,
  waitDetached,
} from './harness.js';
import { INIT_BURST } from '../../helpers/sequences.js';

useSimulators();

/** How long a test waits before concluding that a frame did not arrive (only where no pong can bound it). */
const SILENCE_MS = 250;

async function expectNoPong(client: Awaited<ReturnType<typeof connect>>): Promise<void> {
  const from = client.cursor;
  client.send({ type: 'ping' });
  await expect(client.next('pong', SILENCE_MS)).rejects.toThrow(/timed out/);
  client.cursor = from;
}

describe.each(PROFILES)('faults (profile %s)', (profile) => {
  describe('sockets', () => {
    it('dropSocket kills the socket without a close frame (1006) and keeps the UI session for a short reconnect', async () => {
      const sim = await startSim({ profile });
      const { client, token, uiSessionId } = await connectReady(sim);
      expect(sim.control.dropSocket()).toBe(1);
      expect((await client.closed).code).toBe(1006);
      await waitDetached(sim, uiSessionId);
      const again = await connect(sim, { token, uiSessionId });
      expect((await again.until('user_turn_start')).map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
    });

    it('dropSocket with a target drops only that UI session', async () => {
      const sim = await startSim({ profile });
      const a = await connectReady(sim);
      const b = await connectReady(sim);
      expect(sim.control.dropSocket({ uiSessionId: a.uiSessionId })).toBe(1);
      expect((await a.client.closed).code).toBe(1006);
      expect(await b.client.sync()).toStrictEqual([]);
    });

    it('dropAfterFrames(n) kills the socket after exactly n more frames', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      const from = client.received.length;
      sim.control.dropAfterFrames(3);
      client.send({ type: 'text_input', text: 'Hello' });
      expect((await client.closed).code).toBe(1006);
      expect(client.eventsSince(from).map((e) => e.type)).toStrictEqual(['user_turn_end', 'chat_session_added', 'anthropic_user_message']);
    });

    it('dropAtEvent(type) kills the socket instead of sending the next event of that type', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      const from = client.received.length;
      sim.control.dropAtEvent('completion');
      client.send({ type: 'text_input', text: 'Hello' });
      expect((await client.closed).code).toBe(1006);
      expect(kinds(client.eventsSince(from))).toStrictEqual(['user_turn_end', 'chat_session_added', 'anthropic_user_message', 'interaction:start', 'system_prompt']);
    });

    it('halfOpen: the socket stays open but a ping gets no pong; healing it makes a new ping answered', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      sim.control.halfOpen(true);
      await expectNoPong(client);
      expect(client.open).toBe(true);
      sim.control.halfOpen(false);
      client.send({ type: 'ping' });
      await client.next('pong');
    });

    it('halfOpen with a target affects only that UI session', async () => {
      const sim = await startSim({ profile });
      const a = await connectReady(sim);
      const b = await connectReady(sim);
      sim.control.halfOpen(true, { uiSessionId: a.uiSessionId });
      await expectNoPong(a.client);
      expect(await b.client.sync()).toStrictEqual([]);
    });

    it('setLatency delays every sent frame by about the latency and keeps their order', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      sim.control.setLatency(150);
      const sent = performance.now();
      client.send({ type: 'ping' });
      client.send({ type: 'get_voices' });
      client.send({ type: 'ping' });
      const first = await client.next('pong');
      expect(performance.now() - sent).toBeGreaterThanOrEqual(140);
      expect(first).toStrictEqual({ type: 'pong' });
      await client.next('pong');
      expect(client.eventsSince(client.received.length - 3).map((e) => e.type)).toStrictEqual(['pong', 'voice_list', 'pong']);
    });

    it('setLatency with jitter still delivers frames in the order they were sent', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim, { agentKey: 'firehose' });
      const connection = sim.control.frames.find((f) => f.direction === 'out')!.connection;
      sim.control.setLatency(20, 15);
      await interact(client, 'stream 200 deltas', 5000);
      const sentTexts = sim.control.frames.filter((f) => f.direction === 'out' && f.connection === connection && f.kind === 'text').map((f) => f.text);
      const receivedTexts = client.received.flatMap((f) => (f.kind === 'binary' ? [] : [f.text]));
      expect(receivedTexts).toStrictEqual(sentTexts);
    });

    it('sendMalformed(text) sends that text as is; the socket keeps working', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      const bad = 'this is {not json';
      allowMalformed(sim, bad);
      sim.control.sendMalformed(bad);
      await client.waitForFrame((f) => f.kind === 'raw', 3000, 'the malformed frame');
      expect(client.raws).toStrictEqual([bad]);
      expect(await client.sync()).toStrictEqual([]);
    });

    it('sendMalformed() by default sends a text frame that is not JSON', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      sim.control.sendMalformed();
      const frame = await client.waitForFrame((f) => f.kind === 'raw', 3000, 'the malformed frame');
      expect(frame.kind).toBe('raw');
      const text = (frame as { text: string }).text;
      allowMalformed(sim, text);
      expect(() => JSON.parse(text)).toThrow();
    });

    it('sendMalformed(bytes) sends a binary frame, only to the targeted UI session', async () => {
      const sim = await startSim({ profile });
      const a = await connectReady(sim);
      const b = await connectReady(sim);
      allowBinaryOut(sim, 1);
      sim.control.sendMalformed(new Uint8Array([1, 2, 3]), { uiSessionId: a.uiSessionId });
      const frame = await a.client.waitForFrame((f) => f.kind === 'binary', 3000, 'the binary frame');
      expect(frame.kind === 'binary' && frame.data.length).toBe(3);
      await b.client.sync();
      expect(b.client.binaries).toStrictEqual([]);
    });

    it('stall(type, ms) delays that handler, and a later ping waits behind it', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      sim.control.stall('get_voices', 300);
      const sent = performance.now();
      client.send({ type: 'get_voices' });
      const events = await client.sync();
      expect(performance.now() - sent).toBeGreaterThanOrEqual(290);
      expect(events.map((e) => e.type)).toStrictEqual(['voice_list']);
    });

    it('restart closes every socket with 1012 and forgets UI sessions: the same ui_session_id gets the full burst again; chat sessions persist', async () => {
      const sim = await startSim({ profile });
      const { client, token, uiSessionId, chatSessionId } = await connectReady(sim);
      await interact(client, 'persist me');
      sim.control.restart();
      expect((await client.closed).code).toBe(1012);
      expect(sim.control.uiSessions()).toStrictEqual([]);
      const again = await connect(sim, { token, uiSessionId });
      const burst = await again.until('user_turn_start');
      expect(burst.map((e) => e.type)).toStrictEqual([...INIT_BURST]);
      expect(burst[0]?.ui_session_id).toBe(uiSessionId);
      again.send({ type: 'get_user_sessions' });
      const list = await again.next('get_user_sessions_response');
      expect(list.sessions.chat_sessions.map((s: { session_id: string }) => s.session_id)).toContain(chatSessionId);
    });

    it('clearFaults undoes latency, stalls and half-open', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      sim.control.setLatency(500);
      sim.control.stall('ping', 500);
      sim.control.clearFaults();
      const sent = performance.now();
      expect(await client.sync()).toStrictEqual([]);
      expect(performance.now() - sent).toBeLessThan(300);
      sim.control.halfOpen(true);
      sim.control.clearFaults();
      expect(await client.sync()).toStrictEqual([]);
    });
  });

  describe('tokens', () => {
    it('revokeTokens: refresh answers 401 "Invalid token", the socket refuses the token; a new login works', async () => {
      const sim = await startSim({ profile });
      const { agent_c_token: token } = await login(sim);
      sim.control.revokeTokens();
      const result = await refreshToken(sim, token);
      expect(result.status).toBe(401);
      expect(result.body).toStrictEqual({ detail: 'Invalid token' });
      expect((await connectRefused(sim, { token })).status).toBeGreaterThanOrEqual(400);
      const fresh = await login(sim);
      expect((await refreshToken(sim, fresh.agent_c_token)).status).toBe(200);
      await connectReady(sim, { token: fresh.agent_c_token });
    });

    it('expireTokens: refresh answers 401 "Invalid token" and the socket refuses; tokens issued afterwards work', async () => {
      const sim = await startSim({ profile });
      const old = sim.control.issueToken();
      sim.control.expireTokens();
      expect((await refreshToken(sim, old)).status).toBe(401);
      expect((await connectRefused(sim, { token: old })).status).toBeGreaterThanOrEqual(400);
      await connectReady(sim, { token: sim.control.issueToken() });
    });

    it('setTokenTtl sets the lifetime of tokens issued afterwards; issueToken accepts its own ttl', async () => {
      const sim = await startSim({ profile });
      sim.control.setTokenTtl(60_000);
      const { agent_c_token: token } = await login(sim);
      const claims = jwtParts(token).claims as { exp: number; iat: number; sub: string };
      expect(claims.exp - claims.iat).toBe(60);
      const own = jwtParts(sim.control.issueToken('admin', 120_000)).claims as { exp: number; iat: number };
      expect(own.exp - own.iat).toBe(120);
    });

    it('a tokenTtlMs option is the lifetime of issued tokens', async () => {
      const sim = await startSim({ profile, tokenTtlMs: 30_000 });
      const claims = jwtParts((await login(sim)).agent_c_token).claims as { exp: number; iat: number };
      expect(claims.exp - claims.iat).toBe(30);
    });

    it('failRefresh(status, detail) makes refresh_token fail that way until failRefresh(false)', async () => {
      const sim = await startSim({ profile });
      const token = sim.control.issueToken();
      sim.control.failRefresh(503, 'Service down');
      const failed = await refreshToken(sim, token);
      expect(failed.status).toBe(503);
      expect(failed.body).toStrictEqual({ detail: 'Service down' });
      sim.control.failRefresh(false);
      expect((await refreshToken(sim, token)).status).toBe(200);
      sim.control.failRefresh(500, 'boom');
      sim.control.clearFaults();
      expect((await refreshToken(sim, token)).status).toBe(200);
    });

    it('issueToken issues a valid token for another user', async () => {
      const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret', userId: 'u-bob' }] });
      const token = sim.control.issueToken('bob');
      expect(jwtParts(token).claims.sub).toBe('u-bob');
      const { burst } = await connectReady(sim, { token });
      expect(burst.find((e) => e.type === 'chat_user_data')?.user.user_id).toBe('u-bob');
    });
  });

  describe('inspection', () => {
    it('records every frame both ways with direction, kind, UI session and connection; clearFrames forgets them', async () => {
      const sim = await startSim({ profile });
      const { client, uiSessionId } = await connectReady(sim);
      client.sendRaw(Buffer.alloc(480));
      await client.sync();
      const frames = sim.control.frames;
      const ping = frames.find((f) => f.direction === 'in' && f.kind === 'text' && f.text !== undefined && JSON.parse(f.text).type === 'ping');
      const pong = frames.find((f) => f.direction === 'out' && f.kind === 'text' && f.text !== undefined && JSON.parse(f.text).type === 'pong');
      const audio = frames.find((f) => f.direction === 'in' && f.kind === 'binary');
      expect(ping).toMatchObject({ uiSessionId, connection: 1 });
      expect(pong).toMatchObject({ uiSessionId, connection: 1 });
      expect(audio).toMatchObject({ bytes: 480, uiSessionId });
      const out = frames.filter((f) => f.direction === 'out');
      expect(out.length).toBe(client.received.length);
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.at).toBeGreaterThanOrEqual(frames[i - 1]!.at);
      clearFramesChecked(sim);
      expect(sim.control.frames).toStrictEqual([]);
    });

    it('uiSessions reports the running interaction and the attachment', async () => {
      const sim = await startSim({ profile, deltaMs: 60 });
      const { client, uiSessionId, chatSessionId } = await connectReady(sim);
      expect(sim.control.uiSessions()).toStrictEqual([{ uiSessionId, userId: 'admin', chatSessionId, connected: true, interactionRunning: false, audioIn: { frames: 0, samples: 0, rms: 0, zeroCrossings: 0 } }]);
      client.send({ type: 'text_input', text: 'Hello' });
      await client.next('text_delta');
      expect(sim.control.uiSessions()[0]?.interactionRunning).toBe(true);
      await client.until('user_turn_start', 5000);
      expect(sim.control.uiSessions()[0]?.interactionRunning).toBe(false);
      await client.close();
      await waitDetached(sim, uiSessionId);
    });
  });

  describe('reconnect over a live socket (§1.9)', () => {
    it('quirk on (default): the old socket is closed with 1000; the new one gets the short burst, then goes silent (a ping gets no pong)', async () => {
      const sim = await startSim({ profile });
      const first = await connectReady(sim);
      const second = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
      expect((await first.client.closed).code).toBe(1000);
      expect((await second.until('user_turn_start')).map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
      await expectNoPong(second);
      expect(second.open).toBe(true);
      // Its frames are still read.
      const pings = sim.control.frames.filter((f) => f.direction === 'in' && f.text?.includes('"ping"'));
      expect(pings.length).toBeGreaterThanOrEqual(1);
    });

    it('quirk on: a muted socket still has its frames processed (a text_input runs an interaction nobody sees)', async () => {
      const sim = await startSim({ profile, deltaMs: 60 });
      const first = await connectReady(sim);
      const second = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
      await second.until('user_turn_start');
      second.send({ type: 'text_input', text: 'Anyone there?' });
      await expect.poll(() => sim.control.uiSessions()[0]?.interactionRunning, { timeout: 2000 }).toBe(true);
      const from = second.received.length;
      await expectNoPong(second);
      expect(second.received.length).toBe(from);
    });

    it('quirk on: closing the muted socket and reconnecting after the close completed works again', async () => {
      const sim = await startSim({ profile });
      const first = await connectReady(sim);
      const second = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
      await second.until('user_turn_start');
      await second.close();
      await waitDetached(sim, first.uiSessionId);
      const third = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
      expect((await third.until('user_turn_start')).map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
      expect(await third.sync()).toStrictEqual([]);
    });

    it('quirk on: a reconnect while the old connection is half-open mutes the new socket once the old connection is noticed dead', async () => {
      const sim = await startSim({ profile });
      const first = await connectReady(sim);
      sim.control.halfOpen(true, { uiSessionId: first.uiSessionId });
      const second = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
      expect((await second.until('user_turn_start')).map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
      // "It just takes until the ASGI server notices" (§1.9): the client gives the old connection up,
      // and once the path works again the server reads its end.
      await first.client.terminate();
      sim.control.halfOpen(false, { uiSessionId: first.uiSessionId });
      await waitDetached(sim, first.uiSessionId);
      await expectNoPong(second);
      expect(second.open).toBe(true);
    });

    it('quirk off: the old socket is closed with 1000 and the new one keeps working', async () => {
      const sim = await startSim({ profile, quirks: { reconnectOverLiveSocketMutes: false } });
      const first = await connectReady(sim);
      const second = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
      expect((await first.client.closed).code).toBe(1000);
      expect((await second.until('user_turn_start')).map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
      expect(await second.sync()).toStrictEqual([]);
      const events = await interact(second, 'Still there?');
      expect(kinds(events).slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
    });
  });
});
