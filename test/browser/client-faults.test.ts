/**
 * The client in a real headless Chromium under the faults of the Node integration tests
 * (test/node/integration/resilience.test.ts, auth.test.ts, connect.test.ts): a drop during the
 * initialization burst, a drop while an answer streams, a half-open socket, a token refreshed before
 * the next connection, a refresh that fails, a token the server refuses at the handshake, and bad options.
 *
 * Isolation: these tests never touch the `main` simulator of client.test.ts. Faults that cannot be
 * aimed at one UI session (a drop armed before the UI session exists, a refresh failure) go to the
 * `faults` simulator, which only this file uses (its tests run one after the other); the streaming
 * test uses the `paced` simulator (`deltaMs: 5`). Every drop and half-open is aimed at the test's own
 * UI session all the same, and `afterEach` clears whatever fault a failed test left armed.
 */
import { afterEach, expect, inject, it, onTestFinished } from 'vitest';
import { ClientError, createClient, type ClientOptions, type ConnectionStatus, type ServerEvent } from '../../src/index.js';
import {
  clientTimeline,
  failRefresh,
  injectFault,
  issueToken,
  Recorder,
  simSessions,
  tokenExpiry,
  untilSimSession,
  within,
  type SimName,
  type TimelineEntry,
} from './client-helpers.js';
import { INIT_BURST } from '../helpers/sequences.js';


const CREDENTIALS = { username: 'admin', password: 'changeme' } as const;
/** Short timings, so that every failure mode shows within a second or two. */
const FAST = {
  connectionTimeout: 2000,
  reconnection: { initialDelay: 50, maxDelay: 200 },
} as const;

const controlUrl = () => inject('simControlUrl');
const simUrl = (sim: Exclude<SimName, 'main'>) => (sim === 'faults' ? inject('simFaultsHttpUrl') : inject('simPacedHttpUrl'));
const describeStatus = (s: ConnectionStatus) => `${s.state}#${s.attempts}${s.lastError ? `(${s.lastError.reason}: ${s.lastError.message})` : ''}`;
const isEvent = (entry: TimelineEntry, type: string) => entry.kind === 'event' && entry.event.type === type;
const isState = (entry: TimelineEntry, state: string) => entry.kind === 'state' && entry.state === state;
const eventTypes = (entries: readonly TimelineEntry[]) => entries.flatMap((e) => (e.kind === 'event' ? [e.event.type] : []));

afterEach(async () => {
  // a failed test may leave a drop armed, a socket half-open or refresh failing
  await injectFault(controlUrl(), 'clear-faults', {}, { sim: 'faults' });
  await injectFault(controlUrl(), 'clear-faults', {}, { sim: 'paced' });
});

/** A socket the client opened: its URL and when (Date.now()) it was constructed. */
interface OpenedSocket {
  readonly url: string;
  readonly at: number;
  readonly ws: WebSocket;
}

/** A subclass of the browser's own WebSocket that records the URL of every socket the client opens. */
function recordingWebSocket() {
  const opened: OpenedSocket[] = [];
  class Recording extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      opened.push({ url: String(url), at: Date.now(), ws: this });
    }
  }
  const param = (name: string, index = opened.length - 1) => {
    const socket = opened[index];
    return socket ? new URL(socket.url).searchParams.get(name) : null;
  };
  return { WebSocket: Recording, opened, param };
}

/**
 * A client on the simulator `sim` (FAST timings, admin credentials unless `auth` is given, a
 * recording WebSocket), with connection states and events in one timeline and errors recorded from
 * the start; disposed after the test.
 */
function open(sim: Exclude<SimName, 'main'>, options: Partial<ClientOptions> = {}) {
  const sockets = recordingWebSocket();
  const client = createClient({ url: simUrl(sim), auth: { ...CREDENTIALS }, WebSocket: sockets.WebSocket, ...FAST, ...options });
  const timeline = clientTimeline(client);
  const connection = new Recorder(client.connection$, describeStatus);
  const errors = new Recorder(client.errors$, (error) => `${error.reason}: ${error.message}`);
  const state = new Recorder(client.state$, (view) => `${view.connection}/${view.auth}`);
  onTestFinished(() => {
    client.dispose();
    for (const recorder of [timeline, connection, errors, state]) recorder.unsubscribe();
  });
  return { client, sockets, timeline, connection, errors, state };
}

/**
 * Every `ready` in the timeline comes right after (no other event in between but pongs) a
 * `user_turn_start` (the end of the full burst), or a `chat_session_changed` that is the new
 * socket's first event (the short reconnect form: an answer may still stream).
 */
function expectReadyOnlyWhenTheServerSaysSo(timeline: Recorder<TimelineEntry>): void {
  timeline.values.forEach((entry, index) => {
    if (!isState(entry, 'ready')) return;
    let opened = index - 1;
    while (opened >= 0 && !isState(timeline.values[opened]!, 'initializing')) opened--;
    const since = eventTypes(timeline.values.slice(opened + 1, index)).filter((type) => type !== 'pong');
    const type = since.at(-1) ?? 'none';
    if (type === 'chat_session_changed') expect(since, `the short form before ready at #${index}; timeline ${timeline.summary()}`).toEqual(['chat_session_changed']);
    else expect(type, `the event before ready at #${index}; timeline ${timeline.summary()}`).toBe('user_turn_start');
  });
}

it('a drop during the init burst: the client reconnects by itself and is ready (never before user_turn_start), with agents and tools on catalog$', async () => {
  const sessionsBefore = await simSessions(controlUrl(), 'faults');
  // armed before connecting: the UI session does not exist yet, so it cannot be aimed at one (only this file uses `faults`)
  await injectFault(controlUrl(), 'drop-at-event', { type: 'agent_list' }, { sim: 'faults' });
  const { client, sockets, timeline, connection } = open('faults');
  const catalog = new Recorder(client.catalog$, (c) => `agents ${c.agents.length}, tools ${c.tools.length}`);
  onTestFinished(() => catalog.unsubscribe());

  // connect() settles with the first attempt's cause; the client reconnects by itself
  await expect(within(client.connect(), 'connect() to settle')).rejects.toMatchObject({ reason: 'network' });
  await within(client.ready(), `ready() to resolve after the burst drop; timeline ${timeline.summary()}`, 8000);

  expect(connection.last!.state).toBe('ready');
  expect(sockets.opened.length, 'sockets opened').toBeGreaterThanOrEqual(2);
  const reconnectingAt = timeline.values.findIndex((e) => isState(e, 'reconnecting'));
  expect(reconnectingAt, timeline.summary()).toBeGreaterThan(0);
  // the first socket died in its burst, right before agent_list: no ready before the reconnect
  const beforeDrop = timeline.values.slice(0, reconnectingAt);
  expect(beforeDrop.some((e) => isState(e, 'ready')), timeline.summary()).toBe(false);
  expect(eventTypes(beforeDrop).filter((type) => type !== 'pong')).toEqual(INIT_BURST.slice(0, 4));
  expectReadyOnlyWhenTheServerSaysSo(timeline);

  // it came back to the UI session the server had named
  const named = timeline.values.find((e) => e.kind === 'event' && e.event.type === 'ui_session_id_changed');
  const uiSessionId = (named as { event: Extract<ServerEvent, { type: 'ui_session_id_changed' }> }).event.ui_session_id;
  expect(connection.last!.uiSessionId).toBe(uiSessionId);
  expect(sockets.param('ui_session_id')).toBe(uiSessionId);
  const sessionsAfter = await simSessions(controlUrl(), 'faults');
  expect(sessionsAfter.length, 'new UI sessions on the simulator').toBe(sessionsBefore.length + 1);
  await untilSimSession(controlUrl(), uiSessionId, (s) => s?.connected === true, 'the UI session to be connected', undefined, 'faults');

  // the short reconnect brought no lists: the client asked for the missing ones
  const { value: full } = await catalog.next((c) => c.agents.length > 0 && c.tools.length > 0, 'agents and tools on catalog$');
  expect(full.agents.map((agent) => agent.key)).toContain('default');
  expect(full.tools.length).toBeGreaterThan(0);
  expect(full.voices.length).toBeGreaterThan(0);
  expect(full.avatars.length).toBeGreaterThan(0);
});

it(
  'a drop while an answer streams (issue 10, defect 3): same UI session, ready at the short form, the rest of the answer, and sendText resolves with its real end',
  async () => {
    const { client, sockets, timeline, connection } = open('paced', { agentKey: 'firehose' });
    await within(client.connect(), 'connect() to resolve');
    const uiSessionId = connection.last!.uiSessionId!;
    expect(uiSessionId).toBeTruthy();
    const turns = new Recorder(client.turn$, (turn) => turn);
    onTestFinished(() => turns.unsubscribe());

    const sentAt = timeline.values.length;
    let settled = false;
    const answer = client.sendText('stream 2000');
    answer.then(
      () => (settled = true),
      () => (settled = true),
    );
    const deltasSince = (from: number) => timeline.values.slice(from).filter((e) => e.kind === 'event' && e.event.type === 'text_delta').length;
    await timeline.next(() => deltasSince(sentAt) >= 50, '50 text deltas', { from: sentAt, timeoutMs: 5000 });
    const running = await simSessions(controlUrl(), 'paced');
    expect(running.find((s) => s.uiSessionId === uiSessionId)?.interactionRunning, JSON.stringify(running)).toBe(true);

    const dropAt = timeline.values.length;
    const deltasBeforeDrop = deltasSince(sentAt);
    const dropped = await injectFault(controlUrl(), 'drop', { uiSessionId }, { sim: 'paced' });
    expect(dropped.dropped).toBe(1);

    // ready again at the short form, while the answer streams on (2000 deltas 5 ms apart: about 10 s in all)
    const { index: readyAt } = await timeline.next((e) => isState(e, 'ready'), 'ready after the drop', { from: dropAt, timeoutMs: 10_000 });
    expect(settled, 'sendText settled at the drop').toBe(false);
    const result = await within(answer, `sendText to resolve with the end of the answer; timeline ${timeline.summary(dropAt)}`, 25_000);
    expect(result).toMatchObject({ outcome: 'done', stopReason: 'stop' });
    expect(turns.values, 'turn$ never unknown across the reconnect').not.toContain('unknown');
    const { index: endAt } = await timeline.next((e) => isEvent(e, 'user_turn_start'), 'the answer’s user_turn_start', { from: readyAt, timeoutMs: 5_000 });

    const after = timeline.values.slice(dropAt, endAt + 1);
    expect(after.flatMap((e) => (e.kind === 'state' ? [e.state] : [])), timeline.summary(dropAt)).toEqual(['reconnecting', 'initializing', 'ready']);
    const openedAt = after.findIndex((e) => isState(e, 'initializing'));
    const onNewSocket = after.slice(openedAt + 1).flatMap((e) => (e.kind === 'event' ? [e.event] : []));
    const types = onNewSocket.map((e) => e.type).filter((type) => type !== 'pong');
    expect(types[0], 'the short form (§7.2)').toBe('chat_session_changed');
    expect(types).not.toContain('ui_session_id_changed');
    expect(types).not.toContain('agent_list');
    expect(types[1], 'no user_turn_start right away: the answer was still running').toBe('text_delta');
    const remaining = types.filter((type) => type === 'text_delta').length;
    expect(remaining, 'deltas after the reconnect').toBeGreaterThan(10);
    expect(deltasBeforeDrop + remaining).toBeLessThanOrEqual(2000);
    expect(types.at(-1)).toBe('user_turn_start');
    expect(onNewSocket.filter((e) => e.type === 'interaction').at(-1)).toMatchObject({ type: 'interaction', started: false });
    expectReadyOnlyWhenTheServerSaysSo(timeline);

    expect(connection.last!.uiSessionId).toBe(uiSessionId);
    expect(sockets.opened).toHaveLength(2);
    expect(sockets.param('ui_session_id')).toBe(uiSessionId);
    const sessions = await simSessions(controlUrl(), 'paced');
    expect(sessions.map((s) => s.uiSessionId)).toEqual([uiSessionId]);
    expect(sessions[0]!.interactionRunning).toBe(false);
    expect(sessions[0]!.connected).toBe(true);
  },
  40_000,
);

it('a half-open socket is detected by the heartbeat: the client reconnects, is ready again and answers', async () => {
  const { client, sockets, timeline, connection, errors } = open('faults', { pingInterval: 300, pongTimeout: 300 });
  await within(client.connect(), 'connect() to resolve');
  const uiSessionId = connection.last!.uiSessionId!;
  const timelineMark = timeline.values.length;
  const errorMark = errors.values.length;

  await injectFault(controlUrl(), 'half-open', { on: true, uiSessionId }, { sim: 'faults' });

  const { value: error } = await errors.next((e) => e.reason === 'timeout', 'a timeout error on errors$', { from: errorMark, timeoutMs: 3000 });
  expect(error).toBeInstanceOf(ClientError);
  expect(error.message).toMatch(/pong/i);
  const lost = await timeline.next((e) => isState(e, 'reconnecting'), 'reconnecting after the missing pong', { from: timelineMark, timeoutMs: 3000 });
  const back = await timeline.next((e) => isState(e, 'ready'), 'ready again', { from: lost.index, timeoutMs: 8000 });
  expect(sockets.opened.length).toBeGreaterThanOrEqual(2);

  // and answering: get_voices gets its voice_list
  const askedAt = timeline.values.length;
  await within(client.send({ type: 'get_voices' }), 'send(get_voices)');
  const { value: voices } = await timeline.next((e) => e.kind === 'event' && e.event.type === 'voice_list', 'voice_list after get_voices', { from: askedAt, timeoutMs: 3000 });
  expect((voices as { event: Extract<ServerEvent, { type: 'voice_list' }> }).event.voices.length).toBeGreaterThan(0);

  expect(connection.last!.state).toBe('ready');
  expect(connection.last!.uiSessionId).toBe(uiSessionId);
  expect(sockets.param('ui_session_id')).toBe(uiSessionId);
  expect(timeline.values.slice(back.index).some((e) => isState(e, 'reconnecting')), timeline.summary(timelineMark)).toBe(false);
  expectReadyOnlyWhenTheServerSaysSo(timeline);
});

/** A login or refresh the client made, with the token it got (null when refused). */
interface TokenCall {
  readonly route: 'login' | 'refresh_token';
  readonly status: number;
  readonly token: string | null;
  readonly at: number;
}

/** `fetch` that records every login and refresh with the token it returned (and still goes to the network). */
function recordingFetch() {
  const calls: TokenCall[] = [];
  const listeners = new Set<(call: TokenCall) => void>();
  const fetchImpl: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url).pathname;
    const route = path.endsWith('/refresh_token') ? 'refresh_token' : path.endsWith('/login') ? 'login' : null;
    if (route) {
      const body = (await response.clone().json().catch(() => null)) as { agent_c_token?: string } | null;
      const call: TokenCall = { route, status: response.status, token: response.ok ? (body?.agent_c_token ?? null) : null, at: Date.now() };
      calls.push(call);
      for (const listener of listeners) listener(call);
    }
    return response;
  };
  /** The first recorded call (earlier ones count) matching `predicate`. */
  const next = (predicate: (call: TokenCall) => boolean, what: string, ms: number) =>
    within(
      new Promise<TokenCall>((resolve) => {
        const seen = calls.find(predicate);
        if (seen) return resolve(seen);
        const listener = (call: TokenCall) => {
          if (!predicate(call)) return;
          listeners.delete(listener);
          resolve(call);
        };
        listeners.add(listener);
      }),
      `${what}; token calls before the wait ${JSON.stringify(calls.map((c) => `${c.route} ${c.status}`))}`,
      ms,
    );
  return { fetch: fetchImpl, calls, next };
}

it('token expiry → refresh → the next connection uses the refreshed token (4 s token, refreshBufferMs 2000)', async () => {
  const TTL = 4000;
  const token = await issueToken(controlUrl(), { sim: 'faults', ttlMs: TTL });
  const recorder = recordingFetch();
  const { client, sockets, timeline, connection } = open('faults', { auth: { token, refreshBufferMs: 2000 }, fetch: recorder.fetch });

  await within(client.connect(), 'connect() to resolve');
  expect(sockets.param('token', 0)).toBe(token);
  const uiSessionId = connection.last!.uiSessionId!;

  const refresh = await recorder.next((c) => c.route === 'refresh_token', 'a refresh_token call', TTL + 1000);
  expect(refresh.status).toBe(200);
  expect(refresh.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(refresh.token).not.toBe(token);
  expect(refresh.at, 'refreshed before the first token expired').toBeLessThan(tokenExpiry(token));
  // a refresh never touches the socket
  expect(connection.last!.state).toBe('ready');
  expect(sockets.opened).toHaveLength(1);

  const dropAt = timeline.values.length;
  expect((await injectFault(controlUrl(), 'drop', { uiSessionId }, { sim: 'faults' })).dropped).toBe(1);
  await timeline.next((e) => isState(e, 'ready'), 'ready after the drop', { from: dropAt, timeoutMs: 5000 });

  expect(sockets.opened).toHaveLength(2);
  const used = sockets.param('token')!;
  expect(used, 'the token of the socket opened after the refresh').toBe(refresh.token);
  expect(used).not.toBe(token);
  expect(tokenExpiry(used)).toBeGreaterThan(sockets.opened[1]!.at);
  expect(recorder.calls.filter((c) => c.route === 'login'), 'no login with a token given').toEqual([]);

  const askedAt = timeline.values.length;
  await within(client.send({ type: 'get_voices' }), 'send(get_voices)');
  await timeline.next((e) => e.kind === 'event' && e.event.type === 'voice_list', 'voice_list after get_voices', { from: askedAt, timeoutMs: 3000 });
});

it('refresh refused (401) → authRequired; after the token expired a drop opens no socket with it, and the connection fails with auth_required', async () => {
  await failRefresh(controlUrl(), 401, { sim: 'faults' });
  onTestFinished(() => failRefresh(controlUrl(), 'off', { sim: 'faults' }));
  const TTL = 3000;
  const token = await issueToken(controlUrl(), { sim: 'faults', ttlMs: TTL });
  const { client, sockets, timeline, connection, errors, state } = open('faults', { auth: { token, refreshBufferMs: 2000 } });

  await within(client.connect(), 'connect() to resolve');
  expect(sockets.param('token', 0)).toBe(token);
  const uiSessionId = connection.last!.uiSessionId!;

  await state.next((view) => view.auth === 'authRequired', "state$ auth 'authRequired'", { timeoutMs: TTL + 1000 });
  await errors.next((e) => e.reason === 'auth_required' || e.reason === 'auth_failed', 'an auth error on errors$', { timeoutMs: 1000 });

  // a token that is still valid may be used: drop once it has really expired (a sleep until a point in time)
  const expiresAt = tokenExpiry(token);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 50)));
  const socketsBefore = sockets.opened.length;
  const dropAt = timeline.values.length;
  const statusMark = connection.values.length;
  expect((await injectFault(controlUrl(), 'drop', { uiSessionId }, { sim: 'faults' })).dropped).toBe(1);

  const { value: failed } = await connection.next((s) => s.state === 'failed', 'the connection to fail', { from: statusMark, timeoutMs: 5000 });
  expect(failed.lastError?.reason, connection.summary(statusMark)).toBe('auth_required');
  expect(timeline.values.slice(dropAt).some((e) => isState(e, 'ready')), timeline.summary(dropAt)).toBe(false);
  // no socket opened with an expired token (none with this one after it expired)
  for (const socket of sockets.opened) {
    const used = new URL(socket.url).searchParams.get('token')!;
    expect(tokenExpiry(used), `the token of ${socket.url} at ${socket.at}`).toBeGreaterThan(socket.at);
  }
  expect(sockets.opened.slice(socketsBefore).map((s) => s.url)).toEqual([]);
  expect(connection.last!.state).toBe('failed');
  await expect(within(client.ready(), 'ready() to settle')).rejects.toMatchObject({ reason: 'auth_required' });
});

it('a revoked token refused at the handshake (the browser sees only close 1006): auth verifies it, logs in again, and the client is ready again', async () => {
  let logins = 0;
  const refreshes: number[] = [];
  const counting: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/login')) logins++;
    if (url.endsWith('/refresh_token')) refreshes.push(response.status);
    return response;
  };
  const { client, sockets, timeline, connection, errors, state } = open('faults', { fetch: counting });
  await within(client.connect(), 'connect() to resolve');
  expect(logins).toBe(1);
  const revoked = sockets.param('token', 0)!;
  const uiSessionId = connection.last!.uiSessionId!;

  await injectFault(controlUrl(), 'revoke-tokens', {}, { sim: 'faults' });
  const dropAt = timeline.values.length;
  const errorMark = errors.values.length;
  const stateMark = state.values.length;
  expect((await injectFault(controlUrl(), 'drop', { uiSessionId }, { sim: 'faults' })).dropped).toBe(1);

  await timeline.next((e) => isState(e, 'ready'), 'ready again after the refused handshake', { from: dropAt, timeoutMs: 8000 });
  expect(logins, 'a second login').toBe(2);
  expect(refreshes, 'the refused token was verified first: 401').toEqual([401]);
  // the revoked token: the first connection and the one refused reconnect, never again
  const withRevoked = sockets.opened.filter((s) => new URL(s.url).searchParams.get('token') === revoked);
  expect(withRevoked.length, sockets.opened.map((s) => s.url).join('\n')).toBe(2);
  expect(sockets.param('token')).not.toBe(revoked);
  expect(sockets.param('ui_session_id')).toBe(uiSessionId);
  // auth left `valid` to verify the token; the error said the handshake failed, not "code 1000"
  expect(state.values.slice(stateMark).map((v) => v.auth), state.summary(stateMark)).toContain('verifying');
  const messages = errors.values.slice(errorMark).map((e) => e.message);
  expect(messages.some((m) => m.includes('handshake failed')), messages.join('\n')).toBe(true);
  expect(messages.some((m) => m.includes('code 1000')), messages.join('\n')).toBe(false);
  await within(client.send({ type: 'get_agents' }), 'a request after the recovery');
});

it('createClient rejects bad options with a ClientError invalid_options naming each bad field', () => {
  let thrown: unknown;
  try {
    createClient({ url: 'ftp://x', auth: {} as never });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ClientError);
  const error = thrown as ClientError;
  expect(error.reason).toBe('invalid_options');
  expect(error.message).toMatch(/^url:/m);
  expect(error.message).toMatch(/^auth:/m);
});
