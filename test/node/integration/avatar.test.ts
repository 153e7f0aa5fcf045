/**
 * Avatars and voices on the simulator (faithful `agentc` profile, HeyGen on and off): the avatar
 * statechart's verdicts, the server's sharp edges (a second `set_avatar` fails, no clear event, the
 * spurious "Voice … not found"), and an adapter that hears the session, the cancels and the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AvatarAdapter, AvatarAdapterEvents, AvatarSessionInfo, AvatarView, RealtimeClient } from '../../../src/index.js';
import { ADMIN, cleanup, makeClient, rejection, startSim, until } from './harness.js';
import { createHeyGenAdapter } from '../../../src/heygen.js';
import { WebSocket as WsWebSocket } from 'ws';

afterEach(cleanup);

const view = (client: RealtimeClient): AvatarView => {
  let value!: AvatarView;
  client.avatar$.subscribe((v) => (value = v)).unsubscribe();
  return value;
};

/** An adapter that records what it is asked and lets the test play the stream's part. */
function recordingAdapter() {
  const calls: string[] = [];
  const sessions: AvatarSessionInfo[] = [];
  let events: AvatarAdapterEvents | null = null;
  let open = 0;
  let maxOpen = 0;
  const adapter: AvatarAdapter = {
    connect(session, e) {
      sessions.push(session);
      events = e;
      open++;
      maxOpen = Math.max(maxOpen, open);
      calls.push(`connect ${session.sessionId}`);
    },
    interrupt() {
      calls.push('interrupt');
    },
    close() {
      open--;
      calls.push('close');
    },
  };
  return { adapter, calls, sessions, events: () => events!, open: () => open, maxOpen: () => maxOpen };
}

describe('avatars', () => {
  it('setAvatar: the server makes a session; the adapter connects with its token; ready and speaking show on avatar$', async () => {
    const sim = await startSim();
    const rec = recordingAdapter();
    const h = makeClient(sim, { avatarAdapter: rec.adapter });
    await h.connect();
    const session = await h.client.setAvatar('Ann_Therapist_public', { quality: 'low' });
    expect(session.access_token).toMatch(/./);
    expect(view(h.client)).toMatchObject({ state: 'connected', ready: false, session: { sessionId: session.session_id, origin: 'server' } });
    expect(JSON.stringify(view(h.client))).not.toContain(session.access_token); // the secret stays out of the view
    expect(rec.sessions).toEqual([{ sessionId: session.session_id, accessToken: session.access_token, url: session.url, realtimeEndpoint: session.realtime_endpoint ?? null }]);
    rec.events().ready();
    rec.events().speaking(true);
    expect(view(h.client)).toMatchObject({ state: 'connected', ready: true, speaking: true });
    rec.events().speaking(false);
    expect(view(h.client).speaking).toBe(false);
  });

  it('a second setAvatar on the same UI session is refused before it is sent (the server would fail, §4.7); the first stays', async () => {
    const sim = await startSim();
    const rec = recordingAdapter();
    const h = makeClient(sim, { avatarAdapter: rec.adapter });
    await h.connect();
    await h.client.setAvatar('Ann_Therapist_public');
    const sent = h.status().messagesSent;
    const error = await rejection(h.client.setAvatar('Shawn_Therapist_public'), 2_000, 'the refusal');
    expect(error).toMatchObject({ reason: 'avatar_unavailable' });
    expect(error.message).toMatch(/setAvatarSession/);
    expect(h.status().messagesSent).toBe(sent);
    expect(view(h.client).state).toBe('connected');
    expect(rec.maxOpen()).toBe(1);
  });

  it('no HeyGen on the server: setAvatar says so (avatar_unavailable), nothing is sent', async () => {
    const sim = await startSim({ heygen: false });
    const h = makeClient(sim);
    await h.connect();
    await until(() => h.types().includes('avatar_list'), 2_000, 'the avatar list');
    const sent = h.status().messagesSent;
    const error = await rejection(h.client.setAvatar('Ann_Therapist_public'), 2_000, 'the refusal');
    expect(error).toMatchObject({ reason: 'avatar_unavailable', message: expect.stringMatching(/no HeyGen/) });
    expect(h.status().messagesSent).toBe(sent);
    expect(view(h.client).state).toBe('none');
  });

  it('setAvatarSession: the voice becomes avatar (no local playback); clearAvatar returns the voice to none and ends at none', async () => {
    const sim = await startSim();
    const rec = recordingAdapter();
    const h = makeClient(sim, { avatarAdapter: rec.adapter });
    await h.connect();
    const handedOver = h.client.setAvatarSession('app-made-token', 'app-session-1');
    // the stream opens first: the server is told once the adapter says it is ready (§7.8 B)
    await until(() => rec.sessions.length === 1, 1_000, 'the adapter connecting');
    expect(view(h.client).state).toBe('requesting');
    rec.events().ready();
    await handedOver;
    expect(view(h.client)).toMatchObject({ state: 'connected', session: { sessionId: 'app-session-1', origin: 'app' } });
    let voices!: { current: { voice_id: string } | null };
    h.client.voices$.subscribe((v) => (voices = v)).unsubscribe();
    expect(voices.current?.voice_id).toBe('avatar');
    expect(rec.sessions[0]).toMatchObject({ sessionId: 'app-session-1', accessToken: 'app-made-token' });
    await h.client.clearAvatar();
    expect(view(h.client)).toMatchObject({ state: 'none', session: null });
    h.client.voices$.subscribe((v) => (voices = v)).unsubscribe();
    expect(voices.current?.voice_id).toBe('none');
    expect(rec.calls).toEqual(['connect app-session-1', 'close']);
  });

  it('clearAvatar from none, and from a server-made session (no voice change: set_avatar changed none), ends at none', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect();
    await h.client.clearAvatar();
    expect(view(h.client).state).toBe('none');
    await h.client.setAvatar('Ann_Therapist_public');
    const sent = h.status().messagesSent;
    await h.client.clearAvatar();
    expect(view(h.client).state).toBe('none');
    expect(h.status().messagesSent).toBe(sent);
  });

  it('a cancel interrupts the avatar; the adapter closing by itself fails the avatar with the reason', async () => {
    const sim = await startSim({ deltaMs: 20 });
    const rec = recordingAdapter();
    const h = makeClient(sim, { avatarAdapter: rec.adapter });
    await h.connect();
    await h.client.setAvatar('Ann_Therapist_public');
    void h.client.sendText('SLOW 50').catch(() => undefined);
    await h.waitForEvent((event) => event.type === 'interaction', 2_000);
    await h.client.cancel();
    expect(rec.calls).toContain('interrupt');
    rec.events().closed('the session expired');
    expect(view(h.client)).toMatchObject({ state: 'failed', error: { reason: 'closed', message: expect.stringMatching(/expired/) } });
    expect(rec.open()).toBe(0);
  });

  it('two avatar commands at once: the second is refused avatar_busy; both settle', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect();
    const first = h.client.setAvatarSession('t', 's'); // no adapter: the server is told at once
    const second = rejection(h.client.setAvatar('Ann_Therapist_public'), 2_000, 'the refusal');
    expect(await second).toMatchObject({ reason: 'avatar_busy' });
    await first;
  });
});

describe('voices', () => {
  it('setVoice absorbs the spurious "Voice … not found" and resolves with the voice; voices$ lists them with the current one', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect();
    await until(() => h.types().includes('voice_list'), 2_000, 'the voice list');
    const from = h.timeline.length;
    const voice = await h.client.setVoice('alloy');
    expect(voice).toMatchObject({ voice_id: 'alloy', output_format: 'pcm16' });
    expect(h.types(from)).toContain('system_message'); // the server did send its spurious error
    expect(h.errors(from)).toEqual([]);
    let voices!: { voices: readonly { voice_id: string }[]; current: { voice_id: string } | null };
    h.client.voices$.subscribe((v) => (voices = v)).unsubscribe();
    expect(voices.current?.voice_id).toBe('alloy');
    expect(voices.voices.map((v) => v.voice_id)).toContain('none');
    // and the transcript does not show it
    let texts: string[] = [];
    h.client.messages$.subscribe((messages) => (texts = messages.map((m) => ('text' in m ? String(m.text) : '')))).unsubscribe();
    expect(texts.some((text) => text.includes('not found'))).toBe(false);
  });

  it("setVoice refuses 'avatar' and unknown voices with invalid_options, without sending", async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect();
    await until(() => h.types().includes('voice_list'), 2_000, 'the voice list');
    const sent = h.status().messagesSent;
    expect(await rejection(h.client.setVoice('avatar'), 2_000, 'the refusal')).toMatchObject({ reason: 'invalid_options', message: expect.stringMatching(/setAvatarSession/) });
    expect(await rejection(h.client.setVoice('darth'), 2_000, 'the refusal')).toMatchObject({ reason: 'invalid_options', message: expect.stringMatching(/alloy/) });
    expect(h.status().messagesSent).toBe(sent);
  });
});

describe('avatars end to end: the client, the HeyGen adapter and the simulator\'s fake HeyGen', () => {
  async function heygenClient(options: { deltaMs?: number } = {}) {
    const sim = await startSim(options);
    const h = makeClient(sim, { avatarAdapter: createHeyGenAdapter({ WebSocket: WsWebSocket as never, apiBase: sim.httpUrl }) });
    await h.connect();
    return { sim, h };
  }

  it('setAvatar: the adapter connects to the session the server made; the stream gets ready', async () => {
    const { sim, h } = await heygenClient();
    const session = await h.client.setAvatar('Ann_Therapist_public');
    await until(() => view(h.client).ready, 3_000, 'the stream ready');
    expect(sim.control.heygenSessions()).toEqual([expect.objectContaining({ sessionId: session.session_id, connected: true })]);
  });

  it('setAvatarSession with a session the app made: the server greets through HeyGen, and avatar$ shows the avatar talking, then not', async () => {
    const { sim, h } = await heygenClient();
    // the app makes the session with the login's HeyGen token (as HeyGen's SDK would)
    const login = await fetch(`${sim.httpUrl}/api/rt/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) }).then((r) => r.json() as Promise<{ heygen_token: string }>);
    const made = await fetch(`${sim.httpUrl}/v1/streaming.new`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': login.heygen_token }, body: JSON.stringify({ avatar_id: 'Ann_Therapist_public' }) }).then(
      (r) => r.json() as Promise<{ data: { session_id: string; access_token: string; url: string } }>,
    );
    const talking: boolean[] = [];
    h.client.avatar$.subscribe((v) => {
      if (talking.at(-1) !== v.speaking) talking.push(v.speaking);
    });
    await h.client.setAvatarSession(made.data.access_token, made.data.session_id, { url: made.data.url });
    await until(() => talking.includes(true) && talking.at(-1) === false, 5_000, 'the greeting spoken');
    expect(talking).toEqual([false, true, false]);
    expect(sim.control.heygenSessions()[0]?.said).toEqual(['Avtar bridge connected to avatar session']);
  });

  it('a cancel stops the avatar talking (the adapter interrupts it on HeyGen)', async () => {
    const { sim, h } = await heygenClient({ deltaMs: 20 });
    const session = await h.client.setAvatar('Ann_Therapist_public');
    await until(() => view(h.client).ready, 3_000, 'the stream ready');
    // the app makes the avatar say a long text, as an app driving speech does
    await fetch(`${sim.httpUrl}/v1/streaming.task`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.access_token}` },
      body: JSON.stringify({ session_id: session.session_id, text: 'word '.repeat(200), task_type: 'repeat' }),
    });
    await until(() => view(h.client).speaking, 3_000, 'the avatar talking');
    void h.client.sendText('SLOW 50').catch(() => undefined);
    await h.waitForEvent((event) => event.type === 'interaction', 2_000);
    const asked = Date.now();
    await h.client.cancel();
    await until(() => !view(h.client).speaking, 2_000, 'the avatar silent');
    expect(Date.now() - asked).toBeLessThan(1_000); // 200 words would take 12 s
    expect(sim.control.heygenSessions()[0]?.talking).toBe(false);
  });

  it('clearAvatar closes the stream on the fake; the avatar ends at none', async () => {
    const { sim, h } = await heygenClient();
    await h.client.setAvatar('Ann_Therapist_public');
    await until(() => view(h.client).ready, 3_000, 'the stream ready');
    await h.client.clearAvatar();
    expect(view(h.client).state).toBe('none');
    await until(() => sim.control.heygenSessions().every((s) => !s.connected), 2_000, 'the stream closed');
  });
});
