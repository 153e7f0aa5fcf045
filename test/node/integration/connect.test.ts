/**
 * createClient against the simulator: connecting to `ready` (PROTOCOL.md §7.1), options, the
 * outbound policy (README "What waits for ready"), malformed server frames, disconnect and dispose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { createClient } from '../../../src/client.js';
import { ClientError } from '../../../src/errors.js';
import type { ClientOptions } from '../../../src/options.js';
import { cleanup, firstMatch, INIT_BURST, makeClient, OPEN, quietPeriod, startSim, until, withTimeout, FAST } from './harness.js';

afterEach(cleanup);

const withoutPongs = (types: string[]) => types.filter((type) => type !== 'pong');

describe('connect', () => {
  it('connect() resolves at ready, reached through connecting and initializing after the 9-event burst; user$ and catalog$ are filled', async () => {
    const sim = await startSim();
    const h = makeClient(sim);

    await h.connect(3000);

    expect(h.status().state).toBe('ready');
    expect(h.states()).toEqual(['idle', 'connecting', 'initializing', 'ready']);
    expect(withoutPongs(h.types())).toEqual([...INIT_BURST]);
    // ready is declared by user_turn_start, not before it
    const readyAt = h.timeline.findIndex((e) => e.kind === 'state' && e.state === 'ready');
    const turnAt = h.timeline.findIndex((e) => e.kind === 'event' && e.event.type === 'user_turn_start');
    expect(turnAt).toBeGreaterThan(0);
    expect(readyAt).toBeGreaterThan(turnAt);
    // the UI session the server named is the one the client reports
    const sessions = sim.control.uiSessions();
    expect(sessions).toHaveLength(1);
    expect(h.status().uiSessionId).toBe(sessions[0]!.uiSessionId);
    expect(h.status().chatSessionId).toBe(sessions[0]!.chatSessionId);
    expect(h.status().connectedAt).not.toBeNull();

    const user = await firstMatch(h.client.user$, (u) => u !== null, 1000, 'a user on user$');
    expect(user).toMatchObject({ user_id: 'admin', user_name: 'admin' });
    expect(user).not.toHaveProperty('password_hash');
    expect(JSON.stringify(user)).not.toContain('$2b$');

    const catalog = await firstMatch(h.client.catalog$, (c) => c.tools.length > 0, 1000, 'a full catalog on catalog$');
    expect(catalog.agents.length).toBeGreaterThan(0);
    expect(catalog.agents.map((agent) => agent.key)).toContain('default');
    expect(catalog.voices).toHaveLength(11);
    expect(catalog.avatars.length).toBeGreaterThan(0);
    expect(catalog.tools.length).toBeGreaterThan(0);
  });
});

describe("the login's ui_session_id (issue 10, defect 7)", () => {
  it('the first socket uses the UI session id the login proposed (the server names it <user>-<words>); a token client without a login lets the server choose', async () => {
    const sim = await startSim();
    const fetched: string[] = [];
    const h = makeClient(sim, {
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).endsWith('/api/rt/login')) fetched.push(((await response.clone().json()) as { ui_session_id: string }).ui_session_id);
        return response;
      },
    });
    await h.connect(3000);
    expect(fetched).toHaveLength(1);
    expect(h.spy.param('ui_session_id', 0)).toBe(fetched[0]);
    expect(h.status().uiSessionId).toBe(fetched[0]);

    const other = makeClient(sim, { auth: { token: sim.control.issueToken() } });
    await other.connect(3000);
    expect(other.spy.param('ui_session_id', 0)).toBeNull();
    expect(other.status().uiSessionId).toMatch(/^UI-admin-/);
  });
});

describe('state$', () => {
  it('shows every region: connection, auth, and the turn through an answer and a disconnect', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    const views: { connection: string; auth: string; turn: string; disposed: boolean }[] = [];
    h.client.state$.subscribe((view) => views.push(view));
    await h.connect(3000);
    expect(views.at(-1)).toEqual({ connection: 'ready', auth: 'valid', turn: 'user', disposed: false });

    const from = views.length;
    await h.client.sendText('Hello');
    expect(views.slice(from).map((view) => view.turn)).toEqual(['agent', 'user']); // distinct values only
    await h.client.disconnect();
    expect(views.at(-1)).toMatchObject({ connection: 'closed', turn: 'unknown' });
    h.client.dispose();
    expect(views.at(-1)).toMatchObject({ disposed: true });
  });
});

describe('connect after a failure', () => {
  it('after the connection failed (autoReconnect off), connect() starts again and resolves at the next ready', async () => {
    const sim = await startSim();
    const h = makeClient(sim, { autoReconnect: false });
    await h.connect(3000);
    const from = h.timeline.length;
    sim.control.dropSocket();
    const failed = await h.waitForState('failed', 2000, from);
    expect(failed.lastError?.reason).toBe('network');

    const again = h.timeline.length;
    const outcome = await withTimeout(h.client.connect(), 3000, 'connect() after failed').then(
      () => 'resolved',
      (error: unknown) => `rejected with ${(error as ClientError).reason}: ${(error as Error).message} (connection state then: ${h.status().state})`,
    );

    expect(outcome).toBe('resolved');
    expect(h.status().state).toBe('ready');
    expect(h.states(again)).toEqual(['connecting', 'initializing', 'ready']);
  });
});

describe('options', () => {
  it('createClient rejects bad options with invalid_options naming each bad field, and rejects unknown option names', () => {
    const attempt = (options: unknown): ClientError => {
      try {
        createClient(options as ClientOptions);
      } catch (error) {
        expect(error).toBeInstanceOf(ClientError);
        return error as ClientError;
      }
      throw new Error(`createClient accepted ${JSON.stringify(options)}`);
    };

    const both = attempt({ url: 'ftp://x', auth: {} });
    expect(both.reason).toBe('invalid_options');
    const lines = both.message.split('\n');
    expect(lines.some((line) => line.startsWith('url:'))).toBe(true);
    expect(lines.some((line) => line.startsWith('auth:'))).toBe(true);

    const several = attempt({ url: 'ftp://x', auth: {}, pingInterval: 0, reconnection: { maxDelay: -1 } });
    expect(several.reason).toBe('invalid_options');
    expect(several.message).toMatch(/^url:/m);
    expect(several.message).toMatch(/^auth:/m);
    expect(several.message).toMatch(/^pingInterval:/m);
    expect(several.message).toMatch(/^reconnection\.maxDelay:/m);

    const unknown = attempt({ url: 'http://127.0.0.1:1', auth: { token: 't' }, pingIntervall: 1000 });
    expect(unknown.reason).toBe('invalid_options');
    expect(unknown.message).toContain("unknown option 'pingIntervall'");

    const nested = attempt({ url: 'http://127.0.0.1:1', auth: { token: 't', refreshBuffer: 1 } });
    expect(nested.reason).toBe('invalid_options');
    expect(nested.message).toContain("unknown option 'auth.refreshBuffer'");
  });
});

describe('outbound policy', () => {
  it('before connect(), send(text_input) rejects with not_ready and nothing is opened', async () => {
    const sim = await startSim();
    const h = makeClient(sim);

    const error = await h.client.send({ type: 'text_input', text: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).reason).toBe('not_ready');
    expect(h.spy.sockets).toHaveLength(0);
  });

  it('while connecting, send(get_agents) waits and is sent once ready: an agent_list arrives after the burst', async () => {
    const sim = await startSim();
    const h = makeClient(sim);

    const connected = h.client.connect();
    expect(h.status().state).toBe('connecting');
    const queued = h.client.send({ type: 'get_agents' });
    // a command that cannot wait is refused meanwhile
    await expect(h.client.send({ type: 'text_input', text: 'x' })).rejects.toMatchObject({ reason: 'not_ready' });

    await withTimeout(connected, 3000, 'connect()');
    await withTimeout(queued, 3000, 'the queued send');
    const turnAt = h.timeline.findIndex((e) => e.kind === 'event' && e.event.type === 'user_turn_start');
    await h.waitForEvent((e) => e.type === 'agent_list', 2000, turnAt + 1, 'an agent_list after the burst');
    // it went out on the socket exactly once, after the burst
    const sent = sim.control.frames.filter((f) => f.direction === 'in' && f.text?.includes('get_agents'));
    expect(sent).toHaveLength(1);
    expect(withoutPongs(h.types()).slice(0, 9)).toEqual([...INIT_BURST]);
  });

  it('send() with an invalid event rejects with protocol (whatever the connection state)', async () => {
    const sim = await startSim();
    const h = makeClient(sim);

    await expect(h.client.send({ type: 'text_input' } as never)).rejects.toMatchObject({ name: 'ClientError', reason: 'protocol' });
    await expect(h.client.send({ type: 'no_such_event' } as never)).rejects.toMatchObject({ reason: 'protocol' });
    await h.connect(3000);
    await expect(h.client.send({ type: 'set_agent', agent_key: '' } as never)).rejects.toMatchObject({ reason: 'protocol' });
    await expect(h.client.send({ type: 'text_input', text: 42 } as never)).rejects.toMatchObject({ reason: 'protocol' });
    // none of them reached the server
    expect(sim.control.frames.filter((f) => f.direction === 'in' && !f.text?.includes('"ping"'))).toHaveLength(0);
  });
});

describe('a server that sends garbage', () => {
  it('a malformed frame while ready gives a protocol error on errors$; the client stays ready and answers', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    const from = h.timeline.length;

    sim.control.sendMalformed();

    const error = await h.waitForError((e) => e.reason === 'protocol', 2000, from);
    expect(error).toBeInstanceOf(ClientError);
    expect(h.status().state).toBe('ready');
    await h.roundTrip(2000);
    expect(h.states(from)).toEqual([]); // never left ready
    expect(h.spy.sockets).toHaveLength(1);
  });
});

describe('disconnect and dispose', () => {
  it('disconnect() closes the socket (the simulator sees it detach), connection$ goes closed, and no reconnect follows', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    expect(sim.control.uiSessions()[0]!.connected).toBe(true);

    await h.client.disconnect();

    expect(h.status().state).toBe('closed');
    await until(() => sim.control.uiSessions()[0]?.connected === false, 2000, 'the simulator sees the socket detach');
    await until(() => h.spy.live().length === 0, 2000, 'the client socket is no longer open');
    // a few ping intervals: no new socket, still closed
    await quietPeriod(4 * FAST.pingInterval);
    expect(h.spy.sockets).toHaveLength(1);
    expect(h.status().state).toBe('closed');
    expect(sim.control.uiSessions()[0]!.connected).toBe(false);
    expect(h.states().at(-1)).toBe('closed');
  });

  it('dispose() completes events$, connection$, state$, errors$ (and user$, catalog$)', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    const completed = new Set<string>();
    const streams = {
      events$: h.client.events$,
      connection$: h.client.connection$,
      state$: h.client.state$,
      errors$: h.client.errors$,
      user$: h.client.user$,
      catalog$: h.client.catalog$,
    };
    for (const [name, stream] of Object.entries(streams)) {
      (stream as import('rxjs').Observable<unknown>).subscribe({ complete: () => completed.add(name) });
    }

    h.client.dispose();

    expect([...completed].sort()).toEqual(Object.keys(streams).sort());
    await until(() => h.spy.sockets.every((s) => s.ws.readyState !== OPEN), 2000, 'the socket is closed');
    await expect(h.client.send({ type: 'get_agents' })).rejects.toMatchObject({ reason: 'closed' });
    await expect(h.client.connect()).rejects.toMatchObject({ reason: 'closed' });
  });

  it('after dispose(), subscribing to any observable for the first time completes it, without an error', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    h.client.dispose();
    const names = Object.keys(h.client).filter((key) => key.endsWith('$'));
    expect(names).toEqual(expect.arrayContaining(['interaction$', 'turn$', 'messages$', 'streaming$', 'sessions$', 'events$']));
    const outcome: Record<string, string> = {};
    for (const name of names) {
      const stream = (h.client as unknown as Record<string, import('rxjs').Observable<unknown>>)[name]!;
      outcome[name] = 'open';
      try {
        stream.subscribe({ complete: () => (outcome[name] = 'completed'), error: (error: unknown) => (outcome[name] = `error: ${String(error)}`) });
      } catch (error) {
        outcome[name] = `threw: ${String(error)}`;
      }
    }
    expect(outcome).toEqual(Object.fromEntries(names.map((name) => [name, 'completed'])));
  });
});

describe('connection$ counters', () => {
  it('messagesReceived and bytesReceived count every frame the server sent, in UTF-8 bytes', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    const text = 'Grüße, naïve café — ✓ 日本語';
    await withTimeout(h.client.sendText(text), 5000, 'sendText to resolve');
    await h.client.disconnect();
    const status = await firstValueFrom(h.client.connection$);

    const sent = sim.control.frames.filter((frame) => frame.direction === 'out');
    // the text came back on the wire (escaped, as Python's json.dumps does)
    expect(sent.some((frame) => frame.text?.includes('\\u2713'))).toBe(true);
    const bytes = sent.reduce((sum, frame) => sum + (frame.kind === 'text' ? Buffer.byteLength(frame.text!, 'utf8') : frame.bytes!), 0);
    expect(status.messagesReceived).toBe(sent.length);
    expect(status.bytesReceived).toBe(bytes);
  });
});
