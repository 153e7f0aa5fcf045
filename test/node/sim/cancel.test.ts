/**
 * Cancellation (PROTOCOL.md §4.3, §7.4) over the socket and over HTTP (§2.6).
 */
import { describe, expect, it } from 'vitest';
import { cancelHttp, type Ev, type SimClient } from '../../helpers/sim-client.js';
import { PROFILES, connectReady, interact, kinds, startSim, useSimulators } from './harness.js';

useSimulators();

const DELTA_MS = 30;
const NOTICE = 'Interaction cancelled by user, waiting for runtime to exit..';

async function startStreaming(client: SimClient): Promise<string> {
  client.send({ type: 'text_input', text: 'Tell me a long story' });
  const started = await client.waitFor((e) => e.type === 'interaction' && e.started === true, 3000, 'interaction start');
  await client.next('text_delta');
  return started.id as string;
}

function expectNotice(event: Ev | undefined, chatSessionId: string): void {
  expect(event).toMatchObject({
    type: 'system_message',
    role: 'system',
    severity: 'info',
    format: 'markdown',
    content: NOTICE,
    session_id: chatSessionId,
  });
}

describe.each(PROFILES)('cancellation (profile %s)', (profile) => {
  it('client_wants_cancel mid-stream: cancelled + notice first, then interaction end, chat_session_added, user_turn_start, and no completion end', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client, chatSessionId } = await connectReady(sim);
    const id = await startStreaming(client);
    client.send({ type: 'client_wants_cancel' });
    const rest = await client.until('user_turn_start', 5000);
    const significant = rest.filter((e) => e.type !== 'text_delta');
    expect(kinds(significant)).toStrictEqual(['cancelled', 'system_message', 'interaction:end', 'chat_session_added', 'user_turn_start']);
    expect(significant[0]).toStrictEqual({ type: 'cancelled' });
    expectNotice(significant[1], chatSessionId);
    expect(significant[2]?.id).toBe(id);
    expect(client.events.some((e) => e.type === 'completion' && e.running === false), 'no completion {running:false}').toBe(false);
    expect(client.events.some((e) => e.type === 'history_delta')).toBe(false);
    expect(await client.sync()).toStrictEqual([]);
  });

  it('client_wants_cancel when idle: exactly cancelled and the notice', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'client_wants_cancel' });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['cancelled', 'system_message']);
    expectNotice(events[1], chatSessionId);
  });

  it('a text_input after a cancelled interaction runs normally to its end (the cancel flag is cleared)', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client } = await connectReady(sim);
    await startStreaming(client);
    client.send({ type: 'client_wants_cancel' });
    await client.until('user_turn_start', 5000);
    const events = await interact(client, 'Again please', 5000);
    expect(kinds(events)).toContain('completion:end');
    expect(kinds(events).slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
    expect(events.some((e) => e.type === 'cancelled')).toBe(false);
  });

  it('cancel while idle, then a text_input: the stale cancel does not affect the new interaction', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'client_wants_cancel' });
    await client.sync();
    const events = await interact(client, 'Hello');
    expect(kinds(events)).toContain('completion:end');
    expect(kinds(events).slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
  });

  it('POST /api/rt/cancel when idle: 200 with the success body, and the socket gets cancelled + the notice', async () => {
    const sim = await startSim({ profile });
    const { client, token, uiSessionId, chatSessionId } = await connectReady(sim);
    const result = await cancelHttp(sim, { token, uiSessionId });
    expect(result.status).toBe(200);
    expect(result.body).toStrictEqual({ status: 'success', message: `Cancellation signal sent for session: ${uiSessionId}` });
    const events = await client.until('system_message');
    expect(events).toHaveLength(2);
    expect(events[0]).toStrictEqual({ type: 'cancelled' });
    expectNotice(events[1], chatSessionId);
    expect(await client.sync()).toStrictEqual([]);
  });

  it('POST /api/rt/cancel mid-stream ends the interaction like client_wants_cancel', async () => {
    const sim = await startSim({ profile, deltaMs: DELTA_MS });
    const { client, token, uiSessionId } = await connectReady(sim);
    const id = await startStreaming(client);
    expect((await cancelHttp(sim, { token, uiSessionId })).status).toBe(200);
    const rest = await client.until('user_turn_start', 5000);
    const significant = rest.filter((e) => e.type !== 'text_delta');
    expect(kinds(significant)).toStrictEqual(['cancelled', 'system_message', 'interaction:end', 'chat_session_added', 'user_turn_start']);
    expect(significant[2]?.id).toBe(id);
    expect(client.events.some((e) => e.type === 'completion' && e.running === false)).toBe(false);
  });

  it('POST /api/rt/cancel answers 404 "Session not found" for an unknown or another user\'s UI session, 401 without auth', async () => {
    const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret' }] });
    const { token, uiSessionId } = await connectReady(sim);
    const unknown = await cancelHttp(sim, { token, uiSessionId: 'no-such-ui-session' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toStrictEqual({ detail: 'Session not found' });
    const foreign = await cancelHttp(sim, { token: sim.control.issueToken('bob'), uiSessionId });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toStrictEqual({ detail: 'Session not found' });
    const anonymous = await cancelHttp(sim, { uiSessionId });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toStrictEqual({ detail: 'Missing authorization' });
  });
});
