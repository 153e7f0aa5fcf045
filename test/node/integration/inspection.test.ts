/**
 * Offline inspection (`client.inspection$`): every actor is seen by its id, and no secret the test
 * handed out or the server issued appears anywhere in the serialised stream — tokens, JWTs, the
 * password, HeyGen tokens, avatar access tokens, the raw JSON of outbound commands. The app's own
 * inspector gets the same events with their payloads redacted.
 */
import { afterEach, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createVoice, type Player } from '../../../src/audio/index.js';
import type { InspectionRecord } from '../../../src/index.js';
import { createInspection } from '../../../src/actors/inspection.js';
import { ADMIN, cleanup, makeClient, startSim, until } from './harness.js';

afterEach(cleanup);

it('sees every actor by its id, and no secret anywhere in the serialised stream', async () => {
  const sim = await startSim({ deltaMs: 0 });
  // every token the server issues to this client, as its fetch sees them
  const issued: string[] = [];
  const fetchSpy: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const copy = response.clone();
    copy
      .json()
      .then((body: Record<string, unknown>) => {
        for (const key of ['agent_c_token', 'heygen_token']) if (typeof body[key] === 'string' && body[key] !== 'None') issued.push(body[key] as string);
      })
      .catch(() => undefined);
    return response;
  };
  const userEvents: InspectionEvent[] = [];
  const h = makeClient(sim, { fetch: fetchSpy, inspect: (event) => userEvents.push(event) });
  const records: InspectionRecord[] = [];
  h.client.inspection$.subscribe((record) => records.push(record));
  await h.connect();
  const player: Player = {
    play: () => undefined,
    stop: () => undefined,
    setVolume: () => undefined,
    unlock: () => Promise.resolve(),
    contextState: () => 'none',
    onContextState: () => () => undefined,
    status: () => ({ isPlaying: false, chunksReceived: 0, chunksPlayed: 0, chunksSkipped: 0, queueLength: 0, volume: 1, bufferedMs: 0 }),
    onIdle: () => () => undefined,
    close: () => Promise.resolve(),
  };
  const voice = createVoice(h.client, { player, source: { open: async () => ({ sampleRate: 48_000, deviceId: null, close: () => undefined }) } });
  await voice.start();
  await h.client.sendText('hello there');
  const appToken = 'app-heygen-access-7f3c9a1e5b';
  await h.client.setAvatarSession(appToken, 'app-session-1');
  await h.client.clearAvatar();
  const serverSession = await h.client.setAvatar('Ann_Therapist_public');
  await until(() => issued.length >= 2, 2_000, 'the login tokens');
  voice.dispose();

  const ids = new Set(records.map((record) => record.actorId));
  for (const id of ['client', 'auth', 'connection', 'conversation', 'turn', 'outbox', 'avatar', 'voice', 'capture', 'playback', 'voiceInput']) expect(ids, id).toContain(id);
  expect([...ids].some((id) => id.startsWith('interaction:'))).toBe(true);
  expect(records.some((record) => record.kind === 'snapshot' && record.actorId === 'connection')).toBe(true);

  const stream = JSON.stringify(records);
  const secrets = [...issued, ADMIN.password, appToken, serverSession.access_token];
  expect(secrets.length).toBeGreaterThanOrEqual(5);
  for (const secret of secrets) expect(stream.includes(secret), `the stream holds ${secret.slice(0, 12)}…`).toBe(false);
  expect(stream).not.toMatch(/ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\./); // no JWT at all
  // the outbound command is there, without its secret
  expect(stream).toContain('set_avatar_session');

  // the app's inspector: the same events, their payloads and snapshot contexts redacted too
  const userStream = JSON.stringify(userEvents.map((event) => [(event as { event?: unknown }).event ?? null, event.type === '@xstate.snapshot' ? event.snapshot : null]));
  for (const secret of secrets) expect(userStream.includes(secret), `the app's inspector got ${secret.slice(0, 12)}…`).toBe(false);
  expect(userStream).toContain('"context"'); // snapshots serialised (toJSON kept), not dropped
  // a machine's snapshot keeps its methods (an inspector may call them)
  const machineSnapshots = userEvents.flatMap((event) => (event.type === '@xstate.snapshot' && 'machine' in event.snapshot ? [event.snapshot] : []));
  expect(machineSnapshots.length).toBeGreaterThan(10);
  expect(machineSnapshots.every((snapshot) => typeof (snapshot as { matches?: unknown }).matches === 'function')).toBe(true);
  expect(userEvents.length).toBeGreaterThan(records.length / 2);
});

it('inspection$ completes on dispose', async () => {
  const sim = await startSim();
  const h = makeClient(sim);
  let completed = false;
  h.client.inspection$.subscribe({ complete: () => (completed = true) });
  await h.connect();
  h.client.dispose();
  expect(completed).toBe(true);
});

it("the app's inspector gets a snapshot's context redacted, and the snapshot keeps its methods", () => {
  // no context holds a secret today (the token vault is outside the machines); this is the guard for the day one does
  const userEvents: InspectionEvent[] = [];
  const inspection = createInspection((event) => userEvents.push(event), () => 0);
  const secret = 'heygen-access-4d2b8e91c7';
  const snapshot = {
    status: 'active',
    value: 'ready',
    context: { token: secret, queue: [{ data: JSON.stringify({ type: 'set_avatar_session', access_token: secret, avatar_session_id: 's1' }) }] },
    matches: (value: string) => value === 'ready',
  };
  const actorRef = { id: 'outbox' };
  inspection.inspect({ type: '@xstate.snapshot', actorRef, rootId: 'client', snapshot, event: { type: 'x', access_token: secret } } as unknown as InspectionEvent);
  expect(userEvents).toHaveLength(1);
  const given = userEvents[0] as InspectionEvent & { snapshot: typeof snapshot };
  expect(JSON.stringify(given).includes(secret)).toBe(false);
  expect(JSON.stringify(given.snapshot.context)).toContain('set_avatar_session');
  expect(given.snapshot.matches('ready')).toBe(true);
  expect(given.actorRef).toBe(actorRef);
  expect(snapshot.context.token).toBe(secret); // the actor's own snapshot is left alone
});
