/**
 * The client in a real headless Chromium (native WebSocket and fetch) against the simulator that
 * global-setup.ts runs in Node, with faults injected through its control endpoint: connect, a
 * dropped socket, a malformed frame, a server restart, a token kept in localStorage, and dispose.
 */
import { expect, inject, it, onTestFinished } from 'vitest';
import {
  ClientError,
  createClient,
  localStorageTokenStorage,
  type ClientOptions,
  type ConnectionStatus,
  type ServerEvent,
} from '../../src/index.js';
import { injectFault, Recorder, untilSimSession, WAIT_MS, within } from './client-helpers.js';
import { countingFetch } from '../helpers/client.js';
import { INIT_BURST } from '../helpers/sequences.js';

/** The short form a reconnect to a UI session the server still holds gets (PROTOCOL.md §7.2). */
const SHORT_FORM = ['chat_session_changed', 'user_turn_start'] as const;

const CREDENTIALS = { username: 'admin', password: 'changeme' } as const;
const FAST_RECONNECT = { initialDelay: 50, maxDelay: 200 } as const;

const controlUrl = () => inject('simControlUrl');
const describeStatus = (s: ConnectionStatus) => `${s.state}#${s.attempts}${s.lastError ? `(${s.lastError.reason}: ${s.lastError.message})` : ''}`;
const types = (events: readonly ServerEvent[]) => events.map((event) => event.type);

/** A client on the simulator, with its observables recorded from the start; disposed after the test. */
function open(options: Partial<ClientOptions> = {}) {
  const client = createClient({ url: inject('simHttpUrl'), auth: { ...CREDENTIALS }, reconnection: FAST_RECONNECT, ...options });
  const events = new Recorder(client.events$, (event) => event.type);
  const connection = new Recorder(client.connection$, describeStatus);
  const errors = new Recorder(client.errors$, (error) => `${error.reason}: ${error.message}`);
  onTestFinished(() => {
    client.dispose();
    for (const recorder of [events, connection, errors]) recorder.unsubscribe();
  });
  return { client, events, connection, errors };
}

/** A subclass of the browser's own WebSocket that remembers every instance (to look at the socket the client opened). */
function trackedWebSocket() {
  const instances: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      instances.push(this);
    }
  }
  return { WebSocket: Tracked, instances };
}


it('connects to ready: the §7.1 burst in order on events$, the ids on connection$, a user without password_hash', async () => {
  const { client, events, connection, errors } = open();
  const user = new Recorder(client.user$);
  onTestFinished(() => user.unsubscribe());

  await within(client.connect(), 'connect() to resolve');

  const status = connection.last!;
  expect(status.state, connection.summary()).toBe('ready');
  expect(types(events.values)).toEqual(INIT_BURST);
  const burst = events.values as ServerEvent[];
  const uiEvent = burst[0] as Extract<ServerEvent, { type: 'ui_session_id_changed' }>;
  const chatEvent = burst[6] as Extract<ServerEvent, { type: 'chat_session_changed' }>;
  expect(status.uiSessionId).toBe(uiEvent.ui_session_id);
  expect(status.chatSessionId).toBe(chatEvent.chat_session.session_id);
  expect(status.uiSessionId).toMatch(/\S/);

  const { value: me } = await user.next((value) => value !== null, 'a user on user$');
  expect(me).toMatchObject({ user_id: 'admin', user_name: 'admin' });
  expect(me).not.toHaveProperty('password_hash');
  expect(JSON.stringify(me)).not.toContain('password_hash');
  // the raw simulator frame does carry one: the event on events$ must not either
  expect(JSON.stringify(burst[1])).not.toContain('password_hash');

  expect(errors.values, errors.summary()).toEqual([]);
  await expect(client.ready()).resolves.toBeUndefined();
});

it('reconnects to the same UI session after the socket is dropped, and is ready again', async () => {
  const { client, events, connection, errors } = open();
  await within(client.connect(), 'connect() to resolve');
  const uiSessionId = connection.last!.uiSessionId!;
  expect(uiSessionId).toBeTruthy();
  const eventMark = events.values.length;
  const statusMark = connection.values.length;

  const answer = await injectFault(controlUrl(), 'drop', { uiSessionId });
  expect(answer.dropped).toBe(1);

  const lost = await connection.next((s) => s.state !== 'ready', 'the client to notice the drop', { from: statusMark });
  expect(['reconnecting', 'connecting', 'initializing']).toContain(lost.value.state);
  const back = await connection.next((s) => s.state === 'ready', 'ready again after the drop', { from: lost.index });
  expect(back.value.uiSessionId).toBe(uiSessionId);
  expect(connection.values.slice(statusMark, back.index).map((s) => s.state)).toContain('reconnecting');
  // the server still held the UI session: only the short form came again (§7.2); ready at its first frame
  await events.next((e) => e.type === 'user_turn_start', 'the short form’s user_turn_start', { from: eventMark });
  expect(types(events.values.slice(eventMark))).toEqual(SHORT_FORM);
  expect(errors.values.map((e) => e.reason)).toContain('network');

  // and the simulator sees the same UI session connected again
  await untilSimSession(controlUrl(), uiSessionId, (s) => s?.connected === true, 'the UI session to be connected again');
  await expect(within(client.ready(), 'ready()')).resolves.toBeUndefined();
});

it('reports a malformed frame on errors$ as a protocol ClientError and stays ready', async () => {
  const { client, events, connection, errors } = open();
  await within(client.connect(), 'connect() to resolve');
  const uiSessionId = connection.last!.uiSessionId!;
  const statusMark = connection.values.length;

  await injectFault(controlUrl(), 'malformed', { uiSessionId });

  const { value: error } = await errors.next((e) => e.reason === 'protocol', 'a protocol error on errors$');
  expect(error).toBeInstanceOf(ClientError);
  expect(error.reason).toBe('protocol');
  expect(errors.values.map((e) => e.reason), errors.summary()).toEqual(['protocol']);

  const eventMark = events.values.length;
  await within(client.send({ type: 'get_voices' }), 'send(get_voices)');
  const { value } = await events.next((event) => event.type === 'voice_list', 'voice_list after get_voices', { from: eventMark });
  expect((value as Extract<ServerEvent, { type: 'voice_list' }>).voices.length).toBeGreaterThan(0);

  // never left ready, on the same UI session
  const since = connection.values.slice(statusMark - 1);
  expect(since.map((s) => s.state), connection.summary(statusMark - 1)).toEqual(since.map(() => 'ready'));
  expect(connection.last!.uiSessionId).toBe(uiSessionId);
});

it('reconnects after a simulator restart, gets the full burst again and is ready', async () => {
  const { client, events, connection } = open();
  await within(client.connect(), 'connect() to resolve');
  const eventMark = events.values.length;
  const statusMark = connection.values.length;

  await injectFault(controlUrl(), 'restart');

  const lost = await connection.next((s) => s.state !== 'ready', 'the client to notice the restart', { from: statusMark });
  const back = await connection.next((s) => s.state === 'ready', 'ready again after the restart', { from: lost.index });
  // the restarted server forgot the UI session: the whole §7.1 burst again
  const again = events.values.slice(eventMark);
  expect(types(again)).toEqual(INIT_BURST);
  const uiEvent = again[0] as Extract<ServerEvent, { type: 'ui_session_id_changed' }>;
  expect(back.value.uiSessionId).toBe(uiEvent.ui_session_id);
  await untilSimSession(controlUrl(), back.value.uiSessionId!, (s) => s?.connected === true, 'the UI session to be connected after the restart');
  await expect(within(client.ready(), 'ready()')).resolves.toBeUndefined();
});

it('localStorageTokenStorage: a second client connects with the stored token without logging in', async () => {
  const KEY = 'test-key';
  localStorage.removeItem(KEY);
  onTestFinished(() => localStorage.removeItem(KEY));

  const firstFetch = countingFetch();
  const first = open({ auth: { ...CREDENTIALS, storage: localStorageTokenStorage(KEY) }, fetch: firstFetch.fetch });
  await within(first.client.connect(), 'the first client to connect');
  expect(firstFetch.count('/api/rt/login')).toBe(1);
  const stored = localStorage.getItem(KEY);
  expect(stored, 'a JWT in localStorage').toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  first.client.dispose();

  const secondFetch = countingFetch();
  const sockets = trackedWebSocket();
  const second = open({
    auth: { username: 'admin', password: 'wrong-password', storage: localStorageTokenStorage(KEY) },
    fetch: secondFetch.fetch,
    WebSocket: sockets.WebSocket,
  });
  await within(second.client.connect(), 'the second client to connect with the stored token');
  expect(secondFetch.count('/api/rt/login'), `fetch calls: ${JSON.stringify(secondFetch.paths)}`).toBe(0);
  expect(second.connection.last!.state).toBe('ready');
  expect(sockets.instances).toHaveLength(1);
  expect(new URL(sockets.instances[0]!.url).searchParams.get('token')).toBe(stored);
  expect(second.errors.values, second.errors.summary()).toEqual([]);
  expect(localStorage.getItem(KEY)).toBe(stored);
});

it('dispose() completes every observable and closes the socket', async () => {
  const sockets = trackedWebSocket();
  const { client, events, connection, errors } = open({ WebSocket: sockets.WebSocket });
  const user = new Recorder(client.user$);
  const catalog = new Recorder(client.catalog$);
  const state = new Recorder(client.state$);
  onTestFinished(() => [user, catalog, state].forEach((r) => r.unsubscribe()));
  await within(client.connect(), 'connect() to resolve');
  const uiSessionId = connection.last!.uiSessionId!;
  expect(sockets.instances).toHaveLength(1);
  const socket = sockets.instances[0]!;
  expect(socket.readyState).toBe(WebSocket.OPEN);
  const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener('close', resolve, { once: true }));

  client.dispose();

  const recorders = { events, connection, errors, user, catalog, state };
  for (const [name, recorder] of Object.entries(recorders)) {
    await recorder.complete(`${name}$ to complete`);
    expect(recorder.error, `${name}$ errored`).toBeUndefined();
  }
  const close = await within(closed, 'the socket to close', WAIT_MS);
  expect(socket.readyState).toBe(WebSocket.CLOSED);
  expect(close.code).toBe(1000);
  await untilSimSession(controlUrl(), uiSessionId, (s) => s?.connected === false, 'the simulator to see the socket closed');

  // nothing reopens it, and the client refuses further work
  expect(sockets.instances).toHaveLength(1);
  await expect(client.connect()).rejects.toMatchObject({ reason: 'closed' });
  await expect(client.send({ type: 'get_voices' })).rejects.toBeInstanceOf(ClientError);
});
