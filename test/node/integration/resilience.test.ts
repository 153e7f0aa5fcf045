/**
 * createClient when the network or the server breaks: drops during the init burst and during an
 * answer (PROTOCOL.md §7.1, §7.2), a half-open socket (§1.7, §1.9), a server restart (§1.9), and
 * the rule that the client never holds two live sockets.
 */
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { cleanup, INIT_BURST, makeClient, rejection, startSim, withTimeout, type Harness, type TimelineEntry } from './harness.js';

afterEach(cleanup);

const isState = (entry: TimelineEntry, state: string) => entry.kind === 'state' && entry.state === state;
const isEvent = (entry: TimelineEntry, type: string) => entry.kind === 'event' && entry.event.type === type;

/**
 * Every `ready` in the timeline directly follows (no other event in between) a `user_turn_start`
 * (the end of the full burst, §7.1), or a `chat_session_changed` that is the new socket's first event
 * (the short reconnect form, §7.2: the server holds the UI session, an answer may still stream).
 */
function expectReadyOnlyWhenTheServerSaysSo(h: Harness): void {
  h.timeline.forEach((entry, index) => {
    if (!isState(entry, 'ready')) return;
    const before = h.timeline.slice(0, index);
    const lastEvent = before.reverse().find((e) => e.kind === 'event');
    const type = lastEvent && lastEvent.kind === 'event' ? lastEvent.event.type : 'none';
    if (type === 'chat_session_changed') {
      let opened = index - 1;
      while (opened >= 0 && !isState(h.timeline[opened]!, 'initializing')) opened--;
      const events = h.timeline.slice(opened + 1, index).filter((e) => e.kind === 'event' && e.event.type !== 'pong');
      expect(events, `the short form before ready at #${index}`).toHaveLength(1);
      return;
    }
    expect(type, `event before ready at #${index}`).toBe('user_turn_start');
  });
}

/**
 * Ends when the client is ready and answering: `get_agents` gets its `agent_list` and the heartbeat
 * gets a `pong`. A reconnect muted by the server (§1.9) is given the chance to heal itself.
 */
async function answering(h: Harness, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let lastProblem: unknown;
  while (Date.now() < deadline) {
    try {
      await h.waitForState('ready', Math.max(1, deadline - Date.now()));
      const from = h.timeline.length;
      await h.roundTrip(1000);
      await h.waitForEvent((e) => e.type === 'pong', 1000, from, 'a pong');
      return;
    } catch (error) {
      lastProblem = error;
    }
  }
  throw new Error(`the client did not end up ready and answering within ${ms} ms: ${String(lastProblem)}`);
}

describe('reconnection', () => {
  it('a drop during the init burst: the client reconnects by itself to the short form and becomes ready (never before the server says so)', async () => {
    const sim = await startSim();
    sim.control.dropAtEvent('agent_list');
    const h = makeClient(sim);

    // connect() settles with the first attempt's cause; the reconnection goes on by itself
    expect((await rejection(h.client.connect(), 5000, 'connect()')).reason).toBe('network');
    await withTimeout(h.client.ready(), 5000, 'ready()');

    expect(h.status().state).toBe('ready');
    expect(h.spy.sockets.length).toBeGreaterThanOrEqual(2);
    const reconnectingAt = h.timeline.findIndex((e) => isState(e, 'reconnecting'));
    expect(reconnectingAt).toBeGreaterThan(0);
    // the first socket died in its burst: no ready before the reconnect
    const beforeDrop = h.timeline.slice(0, reconnectingAt);
    expect(beforeDrop.some((e) => isState(e, 'ready'))).toBe(false);
    expect(beforeDrop.flatMap((e) => (e.kind === 'event' ? [e.event.type] : []))).toEqual(INIT_BURST.slice(0, 4));
    expectReadyOnlyWhenTheServerSaysSo(h);
    // it came back to the UI session the server had named
    const named = h.events().find((e): e is Extract<ServerEvent, { type: 'ui_session_id_changed' }> => e.type === 'ui_session_id_changed')!;
    expect(h.spy.param('ui_session_id')).toBe(named.ui_session_id);
    expect(h.status().uiSessionId).toBe(named.ui_session_id);
    expect(sim.control.uiSessions()).toHaveLength(1);
    await h.roundTrip(2000);
  });

  it('a drop while an answer streams: same ui_session_id, short form (ready at once), the rest of the answer on the new socket, ending with its user_turn_start', async () => {
    const sim = await startSim({ deltaMs: 1 });
    const h = makeClient(sim, { agentKey: 'firehose' });
    await h.connect(3000);
    const uiSessionId = h.status().uiSessionId;
    expect(uiSessionId).toBeTruthy();

    const sentAt = h.timeline.length;
    await h.client.send({ type: 'text_input', text: 'stream 1000' });
    const deltas = () => h.types(sentAt).filter((type) => type === 'text_delta').length;
    await h.waitUntil(() => deltas() >= 100, 3000, '100 text deltas');
    expect(sim.control.uiSessions()[0]!.interactionRunning).toBe(true);

    const dropAt = h.timeline.length;
    expect(sim.control.dropSocket()).toBe(1);
    await h.waitForState('ready', 10_000, dropAt);
    await h.waitUntil(() => h.types(dropAt).includes('user_turn_start'), 10_000, "the answer's user_turn_start on the new socket");

    const after = h.timeline.slice(dropAt);
    expect(h.states(dropAt)).toEqual(['reconnecting', 'initializing', 'ready']);
    // what the new socket delivered: ready at its first frame, the short form (§7.2)
    const openedAt = after.findIndex((e) => isState(e, 'initializing'));
    const readyAt = after.findIndex((e) => isState(e, 'ready'));
    const untilReady = after.slice(openedAt + 1, readyAt).flatMap((e) => (e.kind === 'event' ? [e.event.type] : [])).filter((type) => type !== 'pong');
    expect(untilReady).toEqual(['chat_session_changed']);
    const onNewSocket = after.slice(openedAt + 1).flatMap((e) => (e.kind === 'event' ? [e.event] : []));
    const types = onNewSocket.map((e) => e.type).filter((type) => type !== 'pong');
    expect(types).not.toContain('ui_session_id_changed');
    expect(types).not.toContain('agent_list');
    expect(types[1]).toBe('text_delta'); // no user_turn_start: the answer was still running
    expect(types.filter((type) => type === 'text_delta').length).toBeGreaterThan(10);
    // the turn comes back with the interaction's own end
    const interactionEnd = onNewSocket.filter((e) => e.type === 'interaction').at(-1);
    expect(interactionEnd).toMatchObject({ type: 'interaction', started: false });
    expect(types.indexOf('user_turn_start')).toBeGreaterThan(types.lastIndexOf('text_delta'));
    expectReadyOnlyWhenTheServerSaysSo(h);

    expect(h.status().uiSessionId).toBe(uiSessionId);
    expect(h.spy.sockets).toHaveLength(2);
    expect(h.spy.param('ui_session_id')).toBe(uiSessionId);
    const sessions = sim.control.uiSessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.uiSessionId).toBe(uiSessionId);
    expect(sessions[0]!.interactionRunning).toBe(false);
  });

  it('a half-open socket is detected by the heartbeat: the client reconnects and ends up ready and answering', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    const uiSessionId = h.status().uiSessionId;
    const from = h.timeline.length;

    sim.control.halfOpen(true);

    const error = await h.waitForError((e) => e.reason === 'timeout', 2000, from);
    expect(error.message).toMatch(/pong/i);
    await h.waitForState('reconnecting', 1000, from);
    await answering(h, 8000);
    expect(h.spy.sockets.length).toBeGreaterThanOrEqual(2);
    expect(h.status().uiSessionId).toBe(uiSessionId);
    expect(h.spy.param('ui_session_id')).toBe(uiSessionId);
    expectReadyOnlyWhenTheServerSaysSo(h);
  });

  it('a server restart: the client reconnects with the same ui_session_id, gets the full burst again, and is ready', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    const uiSessionId = h.status().uiSessionId!;
    const from = h.timeline.length;

    sim.control.restart();

    await h.waitForState('ready', 5000, from);
    expect(h.states(from)).toEqual(['reconnecting', 'initializing', 'ready']);
    expect(h.types(from).filter((type) => type !== 'pong')).toEqual([...INIT_BURST]);
    const named = h.events(from).find((e) => e.type === 'ui_session_id_changed');
    expect(named).toMatchObject({ ui_session_id: uiSessionId });
    expect(h.spy.param('ui_session_id')).toBe(uiSessionId);
    expect(h.status().uiSessionId).toBe(uiSessionId);
    const sessions = sim.control.uiSessions();
    expect(sessions.map((s) => s.uiSessionId)).toEqual([uiSessionId]);
    expect(sessions[0]!.connected).toBe(true);
    expectReadyOnlyWhenTheServerSaysSo(h);
    await h.roundTrip(2000);
  });
});

describe('the chosen agent across a restart (issue 10, defect 5)', () => {
  it('after setAgent, a server restart keeps the agent and the chat session: the reconnect URL carries both, the new burst says so, and the next answer comes from that agent', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);
    await h.client.setAgent('thinker');
    const chatSessionId = (await firstValueFrom(h.client.currentSession$.pipe(filter((s) => s !== null))))!.session_id;
    const from = h.timeline.length;

    sim.control.restart();

    await h.waitForState('ready', 5000, from);
    expect(h.spy.param('agent_key')).toBe('thinker');
    expect(h.spy.param('chat_session_id')).toBe(chatSessionId);
    const changed = h.events(from).find((e) => e.type === 'chat_session_changed');
    expect(changed).toMatchObject({ chat_session: { session_id: chatSessionId, agent_config: { key: 'thinker' } } });
    const answer = await h.client.sendText('still thinking?');
    expect(answer.outcome).toBe('done');
    expect(h.events(from).some((e) => e.type === 'thought_delta')).toBe(true); // the thinker's extended thinking
  });
});

describe('one socket at a time', () => {
  it('never two live sockets at once across drops, a burst drop, a restart and a half-open socket', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    await h.connect(3000);

    for (let i = 0; i < 3; i++) {
      const from = h.timeline.length;
      sim.control.dropSocket();
      await h.waitForState('ready', 5000, from);
    }
    let from = h.timeline.length;
    sim.control.dropAtEvent('chat_session_changed');
    sim.control.dropSocket();
    await h.waitForState('ready', 5000, from);
    from = h.timeline.length;
    sim.control.restart();
    await h.waitForState('ready', 5000, from);
    from = h.timeline.length;
    sim.control.halfOpen(true);
    await h.waitForState('reconnecting', 2000, from);
    await answering(h, 8000);

    expect(h.spy.sockets.length).toBeGreaterThanOrEqual(7);
    expect(h.spy.maxLive).toBe(1);
    expect(h.spy.sockets.map((s) => s.liveAtCreation).filter((n) => n > 1)).toEqual([]);
    expect(h.spy.live()).toHaveLength(1);
  });
});
