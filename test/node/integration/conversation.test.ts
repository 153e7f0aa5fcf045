/**
 * createClient's conversation features against the simulator, in both profiles: `sendText` and the
 * transcript it builds on `messages$` (PROTOCOL.md §7.3, §7.10), `turn$` and `interaction$`, a
 * graceful cancel and an interrupting send (§7.4), the pre-emption guard of `send` (§1.5 rule 6),
 * an agent switch (§7.7), stream and runtime failures, chat commands, a dropped connection mid-answer,
 * back-to-back `sendText` calls and the argument checks of `sendText`.
 *
 * Two recordings back the ordering claims: the simulator's (`sim.control.frames`, server side: `in`
 * frames when received, `out` frames when sent) and the client's own (what its socket sent and
 * received, in the order the client saw it; a received frame is logged before the client's own
 * handler runs, so whatever the client sends in reaction comes after it). Where the order of the
 * end of an answer (`interaction {started:false}`, `chat_session_added`, `user_turn_start`) matters,
 * the client gets each frame in its own macrotask ({@link frameByFrame}), as on a real network;
 * otherwise `ws` hands it the whole burst in one synchronous loop and hides what it does in between.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InteractionView, RealtimeClient, Turn } from '../../../src/client.js';
import type { ClientError } from '../../../src/errors.js';
import type { Simulator, SimulatorProfile } from '../../../src/sim/types.js';
import type { TranscriptMessage } from '../../../src/data/transcript/index.js';
import { cleanup, firstMatch, makeClient, rejection, socketSpy, type SocketSpy, startSim, until, withTimeout } from './harness.js';

afterEach(cleanup);

const PROFILES: readonly SimulatorProfile[] = ['agentc', 'full'];
/** No heartbeat pings during a test unless it sends one (so a recorded ping is the test's own). */
const QUIET_HEARTBEAT = { pingInterval: 60_000, pongTimeout: 5_000 } as const;

type Json = Record<string, unknown>;
type Message<K extends TranscriptMessage['kind']> = Extract<TranscriptMessage, { kind: K }>;

// ---------------------------------------------------------------------------------------------
// recordings

interface Frame {
  /** Position in `sim.control.frames`. */
  readonly index: number;
  readonly direction: 'in' | 'out';
  readonly connection: number;
  readonly type: string;
  readonly event: Json;
}

/** The simulator's text frames, parsed, in the order it recorded them. */
function recording(sim: Simulator): Frame[] {
  return sim.control.frames.flatMap((frame, index) => {
    if (frame.kind !== 'text' || frame.text === undefined) return [];
    const event = JSON.parse(frame.text) as Json;
    return [{ index, direction: frame.direction, connection: frame.connection, type: String(event.type), event }];
  });
}

const inbound = (frames: Frame[]) => frames.filter((f) => f.direction === 'in');
const isText = (f: Frame, text: string) => f.direction === 'in' && f.type === 'text_input' && f.event.text === text;
const isInteractionEnd = (f: Frame, id: string) => f.direction === 'out' && f.type === 'interaction' && f.event.started === false && f.event.id === id;
/** The first frame after `after` (a frame index) matching `predicate`. */
const firstAfter = (frames: Frame[], after: number, predicate: (f: Frame) => boolean) => frames.find((f) => f.index > after && predicate(f));
const describeFrames = (frames: Frame[]) =>
  frames
    .filter((f) => f.type !== 'text_delta')
    .map((f) => `${f.direction === 'in' ? '→' : '←'}${f.type}`)
    .join(' ');

/** What the client's sockets sent (`sent`) and received (`recv`), in the order the client saw them. */
interface WireLog {
  readonly entries: { readonly dir: 'sent' | 'recv'; readonly type: string; readonly event: Json }[];
  /** The first entry after position `after` in `dir` matching `predicate` (-1 when none). */
  index(dir: 'sent' | 'recv', predicate: (event: Json) => boolean, after?: number): number;
  /** The log in short (`→type` sent, `←type` received), without deltas. */
  describe(): string;
}

type Listener = (event: { data: unknown }) => void;
interface Patchable {
  addEventListener(type: string, listener: Listener, options?: unknown): void;
  removeEventListener(type: string, listener: Listener, options?: unknown): void;
  send(data: unknown, ...rest: unknown[]): void;
}

/**
 * A recording WebSocket (the harness's) that also logs every frame the client sends and receives,
 * and hands each received frame to the client in its own macrotask, as frames arriving in separate
 * network packets would be (`ws` otherwise delivers a burst in one synchronous loop, so promise
 * reactions of the client only run after the whole burst). A received frame is logged right before
 * the client's handler runs, so whatever the client sends in reaction is logged after it.
 */
function frameByFrame(): { spy: SocketSpy; wire: WireLog } {
  const base = socketSpy();
  const entries: { dir: 'sent' | 'recv'; type: string; event: Json }[] = [];
  const record = (dir: 'sent' | 'recv', data: unknown) => {
    if (typeof data !== 'string' && !Buffer.isBuffer(data)) return;
    try {
      const event = JSON.parse(String(data)) as Json;
      entries.push({ dir, type: String(event.type), event });
    } catch {
      // not JSON: not ours to log
    }
  };
  const Base = base.WebSocket as unknown as new (url: string, protocols?: string | string[]) => object;
  class FrameByFrame extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      const self = this as unknown as Patchable;
      const add = self.addEventListener.bind(self);
      const remove = self.removeEventListener.bind(self);
      const send = self.send.bind(self);
      const wrappers = new Map<Listener, Listener>();
      const queue: (() => void)[] = [];
      const drain = () => {
        queue.shift()?.();
        if (queue.length > 0) setImmediate(drain);
      };
      self.addEventListener = (type, listener, options) => {
        if (type !== 'message') return add(type, listener, options);
        const wrapper: Listener = (event) => {
          queue.push(() => {
            record('recv', event.data);
            listener(event);
          });
          if (queue.length === 1) setImmediate(drain);
        };
        wrappers.set(listener, wrapper);
        add(type, wrapper, options);
      };
      self.removeEventListener = (type, listener, options) => remove(type, wrappers.get(listener) ?? listener, options);
      self.send = (data, ...rest) => {
        record('sent', data);
        send(data, ...rest);
      };
    }
  }
  const spy = Object.create(base, { WebSocket: { value: FrameByFrame } }) as SocketSpy;
  const wire: WireLog = {
    entries,
    index: (dir, predicate, after = -1) => entries.findIndex((e, i) => i > after && e.dir === dir && predicate(e.event)),
    describe: () =>
      entries
        .filter((e) => e.type !== 'text_delta')
        .map((e) => `${e.dir === 'sent' ? '→' : '←'}${e.type}`)
        .join(' '),
  };
  return { spy, wire };
}

// ---------------------------------------------------------------------------------------------
// what the client emitted

interface Observed {
  readonly turns: Turn[];
  readonly interactions: (InteractionView | null)[];
  interaction(): InteractionView | null;
  messages(): readonly TranscriptMessage[];
  /** Non-null `streaming$` values so far (one per delta). */
  streamed(): number;
  /** `interaction$`'s latest value at each non-null `streaming$` value. */
  readonly interactionWhileStreaming: (InteractionView | null)[];
}

function observe(client: RealtimeClient): Observed {
  const turns: Turn[] = [];
  const interactions: (InteractionView | null)[] = [];
  const interactionWhileStreaming: (InteractionView | null)[] = [];
  let interaction: InteractionView | null = null;
  let messages: readonly TranscriptMessage[] = [];
  let streamed = 0;
  client.turn$.subscribe((turn) => turns.push(turn));
  client.interaction$.subscribe((view) => {
    interaction = view;
    interactions.push(view);
  });
  client.messages$.subscribe((value) => {
    messages = value;
  });
  client.streaming$.subscribe((message) => {
    if (!message) return;
    streamed++;
    interactionWhileStreaming.push(interaction);
  });
  return {
    turns,
    interactions,
    interaction: () => interaction,
    messages: () => messages,
    streamed: () => streamed,
    interactionWhileStreaming,
  };
}

/** A promise's outcome without awaiting it (to check whether something is still pending). */
function settlement<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown; atTimeline?: number } = { settled: false };
  const tracked = promise.then(
    (value) => {
      Object.assign(state, { settled: true, value });
      return value;
    },
    (error: unknown) => {
      Object.assign(state, { settled: true, error });
      throw error;
    },
  );
  tracked.catch(() => undefined);
  return { state, promise: tracked };
}

async function connected(sim: Simulator, agentKey?: string, overrides: Parameters<typeof makeClient>[1] = {}, spy?: SocketSpy) {
  const h = makeClient(sim, { ...(agentKey ? { agentKey } : {}), ...overrides }, spy);
  await h.connect(3000);
  const seen = observe(h.client);
  return { h, seen };
}

const reasonOf = (error: unknown) => (error as Partial<ClientError>).reason;

// ---------------------------------------------------------------------------------------------

describe.each(PROFILES)('conversation (profile %s)', (profile) => {
  it('a full showcase chat: the transcript on messages$, the outcome, turn$ and interaction$', async () => {
    const sim = await startSim({ profile });
    const { h, seen } = await connected(sim, 'showcase');
    expect(seen.turns).toEqual(['user']);
    const sessionId = h.status().chatSessionId!;
    const from = h.timeline.length;

    const result = await withTimeout(h.client.sendText('Tell me about the bridge'), 5000, 'sendText to resolve');

    // the outcome
    const started = h.events(from).find((e) => e.type === 'interaction' && e.session_id === sessionId && e.started);
    expect(started, `timeline: ${h.describe(from)}`).toBeDefined();
    const interactionId = (started as { id: string }).id;
    expect(result).toMatchObject({ outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn', sessionId, interactionId, reason: null });
    expect(result.outcome === 'done' && result.outputTokens).toBeGreaterThan(0);

    // the transcript, as it is once sendText resolved
    const messages = seen.messages();
    const userAt = messages.findIndex((m) => m.kind === 'user');
    const answer = messages.slice(userAt);
    expect(answer.map((m) => m.kind)).toEqual(['user', 'thought', 'thought', 'tool_call', 'media', 'assistant', 'tool_call', 'system', 'system', 'assistant']);
    const [user, thinking, thinkTool, read, media, text, delegation, notice1, notice2, final] = answer as [
      Message<'user'>,
      Message<'thought'>,
      Message<'thought'>,
      Message<'tool_call'>,
      Message<'media'>,
      Message<'assistant'>,
      Message<'tool_call'>,
      Message<'system'>,
      Message<'system'>,
      Message<'assistant'>,
    ];
    expect(user).toMatchObject({ text: 'Tell me about the bridge', pending: false, sessionId });

    // extended thinking: the whole thought (as complete_thought carries it)
    const completeThoughts = h.events(from).filter((e) => e.type === 'complete_thought' && e.session_id === sessionId) as { content: string }[];
    expect(thinking).toMatchObject({ complete: true, interactionId, text: completeThoughts[0]!.content });
    // the think tool's thought: all its deltas (its complete_thought carries only the last fragment)
    expect(thinkTool).toMatchObject({ complete: true, interactionId, text: 'I will read the README, then ask the research assistant.' });
    expect(messages.filter((m) => m.kind === 'tool_call' && m.name === 'think')).toEqual([]);

    expect(read).toMatchObject({ name: 'workspace_read', status: 'done', vendor: 'anthropic', subSessions: [] });
    expect(read.input).toMatchObject({ path: expect.stringMatching(/^\/\/project\//) });
    expect(String(read.result)).toContain('# Project');

    // the tool's render_media (role tool on the wire)
    const toolMedia = h.events(from).find((e) => e.type === 'render_media' && e.role === 'tool');
    expect(toolMedia, 'a render_media with role tool on the wire').toBeDefined();
    expect(media).toMatchObject({ sentByClass: 'WorkspaceTools', sentByFunction: 'workspace_read', contentType: 'text/markdown', foreign: false, interactionId });
    expect(media.content).toContain('**Read**');

    expect(text).toMatchObject({ role: 'assistant', text: 'I read the README. Let me ask a colleague as well.\n', complete: true, stopReason: 'tool_calls', rawStopReason: 'tool_use' });

    expect(delegation).toMatchObject({ name: 'aa_oneshot', status: 'done', input: { agent_key: 'research_assistant' } });
    expect(String(delegation.result)).toContain('research assistant');
    expect(delegation.subSessions).toHaveLength(1);
    const sub = delegation.subSessions[0]!;
    expect(sub).toMatchObject({ subSessionType: 'oneshot', subAgentType: 'assist', primeAgentKey: 'showcase', subAgentKey: 'research_assistant', ended: true });
    expect(sub.sessionId).toMatch(/^oneshot-/);
    const subText = h.events(from)
      .filter((e) => e.type === 'text_delta' && e.session_id === sub.sessionId)
      .map((e) => (e as { content: string }).content)
      .join('');
    expect(subText.length).toBeGreaterThan(0);
    const subAnswer = sub.messages.filter((m): m is Message<'assistant'> => m.kind === 'assistant');
    expect(subAnswer).toHaveLength(1);
    expect(subAnswer[0]).toMatchObject({ sessionId: sub.sessionId, text: subText, complete: true });
    // the sub-agent's text never lands at the top level
    expect(messages.some((m) => m.sessionId === sub.sessionId)).toBe(false);

    expect(notice1).toMatchObject({ severity: 'info', text: 'Oneshot interaction started by Showcase with Research Assistant.' });
    expect(notice2).toMatchObject({ severity: 'info', text: 'Oneshot interaction complete between Showcase and Research Assistant.' });

    const topText = h.events(from)
      .filter((e) => e.type === 'text_delta' && e.session_id === sessionId)
      .map((e) => (e as { content: string }).content)
      .join('');
    expect(text.text + final.text).toBe(topText);
    expect(final).toMatchObject({ role: 'assistant', complete: true, stopReason: 'stop', rawStopReason: 'end_turn', interactionId });
    expect(final.outputTokens).toBeGreaterThan(0);

    // turn$ and interaction$
    expect(seen.turns).toEqual(['user', 'agent', 'user']);
    expect(seen.interactionWhileStreaming.length).toBeGreaterThan(0);
    const nullWhileStreaming = seen.interactionWhileStreaming.filter((view) => view === null).length;
    expect(nullWhileStreaming, 'interaction$ was null while streaming$ held a message').toBe(0);
    expect(seen.interactionWhileStreaming.every((view) => view?.state === 'streaming' && view.interactionId === interactionId && view.sessionId === sessionId)).toBe(true);
    const kinds = new Set(seen.interactions.map((view) => view?.streaming));
    expect(kinds.has('thought') && kinds.has('text')).toBe(true);
    expect(seen.interactions.find((view) => view !== null)?.state).toBe('requested');
    expect(seen.interaction()).toBeNull();
    expect(seen.interactions.at(-1)).toBeNull();
  });

  it('a cancel whose answer was lost with the connection is not matched with a later cancel: the next answer still ends cancelled', async () => {
    const sim = await startSim({ profile, deltaMs: 2 });
    const { h, seen } = await connected(sim, 'firehose', QUIET_HEARTBEAT);
    // a cancel while idle; the socket drops before the server's `cancelled` goes out
    sim.control.dropAtEvent('cancelled');
    const lost = await rejection(h.client.cancel(), 3000, 'cancel() on a dropped socket');
    expect(lost.message).toContain('lost');
    const from = h.timeline.length;
    await h.waitForState('ready', 5000, from);
    sim.control.clearFaults();

    const sent = settlement(h.client.sendText('stream 3000'));
    await h.waitUntil(() => seen.streamed() >= 20, 3000, '20 deltas on streaming$');
    await withTimeout(h.client.cancel(), 2000, 'cancel() to resolve');
    const result = await withTimeout(sent.promise, 3000, 'sendText to resolve after the cancel');
    expect(result).toMatchObject({ outcome: 'cancelled', stopReason: 'cancelled' });
  });

  it('cancel() mid-answer: resolves, sendText resolves cancelled, and only client_wants_cancel went out meanwhile', async () => {
    const sim = await startSim({ profile, deltaMs: 2 });
    const { h, seen } = await connected(sim, 'firehose', QUIET_HEARTBEAT);
    const sent = settlement(h.client.sendText('stream 3000'));
    await h.waitUntil(() => seen.streamed() >= 20, 3000, '20 deltas on streaming$');

    await withTimeout(h.client.cancel(), 2000, 'cancel() to resolve');
    const result = await withTimeout(sent.promise, 3000, 'sendText to resolve after the cancel');

    expect(result).toMatchObject({ outcome: 'cancelled', stopReason: 'cancelled' });
    await h.waitUntil(() => seen.turns.at(-1) === 'user', 2000, 'the turn back to the user');
    const frames = recording(sim);
    const input = frames.find((f) => isText(f, 'stream 3000'))!;
    const turnBack = firstAfter(frames, input.index, (f) => f.direction === 'out' && f.type === 'user_turn_start');
    expect(turnBack, describeFrames(frames)).toBeDefined();
    // between the text and the end of its answer the client sent the cancel and nothing else
    const meanwhile = inbound(frames).filter((f) => f.index > input.index && f.index < turnBack!.index);
    expect(meanwhile.map((f) => f.type)).toEqual(['client_wants_cancel']);
    // the answer was cut short and ended the graceful way (§7.4), not killed
    const deltas = frames.filter((f) => f.direction === 'out' && f.type === 'text_delta').length;
    expect(deltas).toBeLessThan(3000);
    const after = frames.filter((f) => f.direction === 'out' && f.index > meanwhile[0]!.index && f.type !== 'text_delta').map((f) => f.type);
    expect(after).toEqual(['cancelled', 'system_message', 'interaction', 'chat_session_added', 'user_turn_start']);
    expect(seen.interaction()).toBeNull();
    // the transcript says so too: the server sent no completion, so the answer's messages are marked cancelled
    let messages: readonly { kind: string; text?: string; stopReason?: unknown; interactionId: string | null }[] = [];
    h.client.messages$.subscribe((list) => (messages = list)).unsubscribe();
    const asked = messages.map((m) => m.kind === 'user' && m.text === 'stream 3000').lastIndexOf(true);
    const answer = messages.slice(asked + 1).filter((m) => m.kind === 'assistant');
    expect(answer.length).toBeGreaterThan(0);
    expect(answer.map((m) => m.stopReason)).toEqual(answer.map(() => 'cancelled'));
  });

  it('sendText with interrupt: the first answer ends cancelled, the second is sent after the turn came back and ends done', async () => {
    const sim = await startSim({ profile, deltaMs: 2, firehoseDeltas: 40 });
    const { spy, wire } = frameByFrame();
    const { h, seen } = await connected(sim, 'firehose', QUIET_HEARTBEAT, spy);
    const first = settlement(h.client.sendText('stream 3000'));
    await h.waitUntil(() => seen.streamed() >= 20, 3000, '20 deltas on streaming$');
    const firstId = seen.interaction()?.interactionId;

    const second = await withTimeout(h.client.sendText('second', { interrupt: true }), 5000, 'the interrupting sendText to resolve');
    const firstResult = await withTimeout(first.promise, 100, 'the first sendText');
    // let the server finish the second answer, to compare with what sendText said
    const secondEnded = () => {
      const frames = recording(sim);
      const at = frames.find((f) => isText(f, 'second'));
      return at !== undefined && firstAfter(frames, at.index, (f) => f.direction === 'out' && f.type === 'user_turn_start') !== undefined;
    };
    await until(secondEnded, 3000, 'the server ended the second answer');

    const frames = recording(sim);
    const input = frames.find((f) => isText(f, 'stream 3000'))!;
    const secondInput = frames.find((f) => isText(f, 'second'))!;
    const secondStart = firstAfter(frames, secondInput.index, (f) => f.direction === 'out' && f.type === 'interaction' && f.event.started === true)!;
    expect.soft(firstResult).toMatchObject({ outcome: 'cancelled', stopReason: 'cancelled', interactionId: firstId });
    expect.soft(second, 'the second sendText resolved with the second answer').toMatchObject({
      outcome: 'done',
      stopReason: 'stop',
      rawStopReason: 'end_turn',
      interactionId: secondStart.event.id,
    });
    expect.soft((second as { outputTokens: number }).outputTokens, 'output tokens of the second answer').toBeGreaterThan(0);

    // the server's recording: cancel, then the end of the first answer, then the second text
    const cancel = firstAfter(frames, input.index, (f) => f.direction === 'in' && f.type === 'client_wants_cancel');
    expect(cancel, describeFrames(frames)).toBeDefined();
    expect(cancel!.index).toBeLessThan(secondInput.index);
    expect(inbound(frames).filter((f) => f.index > input.index && f.index < secondInput.index).map((f) => f.type)).toEqual(['client_wants_cancel']);
    const turnBack = firstAfter(frames, input.index, (f) => f.direction === 'out' && f.type === 'user_turn_start');
    expect.soft(turnBack!.index, `the server got the second text_input before it gave the turn back: ${describeFrames(frames)}`).toBeLessThan(secondInput.index);

    // the client's own order: it sent the second text only after it had received that user_turn_start
    const sentCancel = wire.index('sent', (e) => e.type === 'client_wants_cancel');
    const recvTurn = wire.index('recv', (e) => e.type === 'user_turn_start', sentCancel);
    const sentSecond = wire.index('sent', (e) => e.type === 'text_input' && e.text === 'second');
    const clientOrder = wire.describe();
    expect(sentCancel, clientOrder).toBeGreaterThanOrEqual(0);
    expect(recvTurn, `the client never received user_turn_start after its cancel: ${clientOrder}`).toBeGreaterThan(sentCancel);
    expect(sentSecond, `the client sent the second text_input before the server gave the turn back: ${clientOrder}`).toBeGreaterThan(recvTurn);

    const users = seen.messages().filter((m): m is Message<'user'> => m.kind === 'user');
    expect(users.map((m) => [m.text, m.pending])).toEqual([
      ['stream 3000', false],
      ['second', false],
    ]);
    expect(seen.interaction()).toBeNull();
  });

  it('sendText while an answer streams, without interrupt: rejects interaction_in_progress and the answer completes', async () => {
    const sim = await startSim({ profile, deltaMs: 2 });
    const { h, seen } = await connected(sim, 'firehose', QUIET_HEARTBEAT);
    const first = settlement(h.client.sendText('stream 200'));
    await h.waitUntil(() => seen.streamed() >= 10, 3000, '10 deltas on streaming$');

    const error = await h.client.sendText('second').then(
      () => null,
      (e: unknown) => e,
    );
    expect(reasonOf(error)).toBe('interaction_in_progress');

    const result = await withTimeout(first.promise, 3000, 'the first sendText');
    expect(result).toMatchObject({ outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn' });
    const frames = recording(sim);
    expect(frames.filter((f) => f.direction === 'out' && f.type === 'text_delta')).toHaveLength(200);
    expect(inbound(frames).filter((f) => f.type === 'text_input').map((f) => f.event.text)).toEqual(['stream 200']);
    expect(inbound(frames).some((f) => f.type === 'client_wants_cancel')).toBe(false);
    expect(seen.messages().filter((m) => m.kind === 'user').map((m) => (m as Message<'user'>).text)).toEqual(['stream 200']);
  });

  it('the pre-emption guard: get_voices and set_agent during an answer wait for its user_turn_start, a ping goes at once', async () => {
    const sim = await startSim({ profile, deltaMs: 2 });
    const { spy, wire } = frameByFrame();
    const { h, seen } = await connected(sim, 'firehose', QUIET_HEARTBEAT, spy);
    const answer = settlement(h.client.sendText('stream 250'));
    await h.waitUntil(() => seen.streamed() >= 20, 3000, '20 deltas on streaming$');
    const answerId = seen.interaction()?.interactionId;
    expect(answerId).toBeTruthy();

    const voices = settlement(h.client.send({ type: 'get_voices' }));
    const agent = settlement(h.client.send({ type: 'set_agent', agent_key: 'thinker' }));
    const pongFrom = h.timeline.length;
    await withTimeout(h.client.send({ type: 'ping' }), 500, 'send(ping) to resolve at once');
    await h.waitForEvent((e) => e.type === 'pong', 1000, pongFrom, 'the pong');
    // the answer is still streaming, and the two commands are still held
    expect(answer.state.settled).toBe(false);
    expect(voices.state.settled, 'send(get_voices) resolved while the answer streamed').toBe(false);
    expect(agent.state.settled, 'send(set_agent) resolved while the answer streamed').toBe(false);

    const result = await withTimeout(answer.promise, 3000, 'sendText to resolve');
    await withTimeout(Promise.all([voices.promise, agent.promise]), 1000, 'the held sends to resolve');
    expect(result).toMatchObject({ outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn', interactionId: answerId });
    // the server answered them then
    await h.waitForEvent((e) => e.type === 'voice_list', 1000, pongFrom, 'the voice_list answering get_voices');
    await h.waitForEvent((e) => e.type === 'agent_configuration_changed' && e.agent_config.key === 'thinker', 1000, pongFrom, 'agent_configuration_changed (thinker)');

    const frames = recording(sim);
    const input = frames.find((f) => isText(f, 'stream 250'))!;
    const end = firstAfter(frames, input.index, (f) => isInteractionEnd(f, answerId!));
    const turnBack = firstAfter(frames, input.index, (f) => f.direction === 'out' && f.type === 'user_turn_start');
    expect(end, `the answer was killed: ${describeFrames(frames)}`).toBeDefined();
    expect(turnBack, `the answer was killed: ${describeFrames(frames)}`).toBeDefined();
    expect(end!.index).toBeLessThan(turnBack!.index);
    expect(frames.filter((f) => f.direction === 'out' && f.type === 'text_delta')).toHaveLength(250);
    const getVoices = frames.find((f) => f.direction === 'in' && f.type === 'get_voices');
    const setAgent = frames.find((f) => f.direction === 'in' && f.type === 'set_agent');
    const ping = firstAfter(frames, input.index, (f) => f.direction === 'in' && f.type === 'ping');
    expect(getVoices!.index, describeFrames(frames)).toBeGreaterThan(turnBack!.index);
    expect(setAgent!.index, describeFrames(frames)).toBeGreaterThan(turnBack!.index);
    expect(setAgent!.event.agent_key).toBe('thinker');
    expect(ping!.index, 'the ping waited for the answer').toBeLessThan(end!.index);
    // what the client did, in its own order
    const recvTurn = wire.index('recv', (e) => e.type === 'user_turn_start');
    expect(wire.index('sent', (e) => e.type === 'get_voices')).toBeGreaterThan(recvTurn);
    expect(wire.index('sent', (e) => e.type === 'set_agent')).toBeGreaterThan(recvTurn);
    expect(seen.turns.at(-1)).toBe('user');
  });

  it('set_agent when idle, then sendText: the new agent thinks before it answers', async () => {
    const sim = await startSim({ profile });
    const { h, seen } = await connected(sim);
    const from = h.timeline.length;
    await withTimeout(h.client.send({ type: 'set_agent', agent_key: 'thinker' }), 500, 'send(set_agent) when idle');
    await h.waitForEvent((e) => e.type === 'agent_configuration_changed' && e.agent_config.key === 'thinker', 1500, from, 'agent_configuration_changed (thinker)');

    const result = await withTimeout(h.client.sendText('What is a UI session?'), 3000, 'sendText');

    expect(result).toMatchObject({ outcome: 'done', stopReason: 'stop' });
    const messages = seen.messages();
    const answer = messages.slice(messages.findIndex((m) => m.kind === 'user'));
    expect(answer.map((m) => m.kind)).toEqual(['user', 'thought', 'assistant']);
    expect(answer[1]).toMatchObject({ complete: true, text: expect.stringContaining('What is a UI session?') });
    expect(answer[2]).toMatchObject({ complete: true, stopReason: 'stop' });
    expect(answer[1]!.interactionId).toBe(answer[2]!.interactionId);
  });

  it.each([
    ['failing', 'Exception during Claude streaming'],
    ['crashing', 'Error in agent_runtime.chat'],
  ])('the %s agent: sendText resolves failed and the client stays ready', async (agentKey, prefix) => {
    const sim = await startSim({ profile });
    const { h, seen } = await connected(sim, agentKey);

    const result = await withTimeout(h.client.sendText('please fail'), 3000, 'sendText');

    expect(result.outcome).toBe('failed');
    const reason = (result as { reason: string | null }).reason;
    expect(reason?.startsWith(prefix), `reason: ${reason}`).toBe(true);
    expect(seen.interaction()).toBeNull();
    await h.waitUntil(() => seen.turns.at(-1) === 'user', 2000, 'the turn back to the user');
    expect(h.status().state).toBe('ready');
    expect(h.spy.sockets).toHaveLength(1);
    await h.roundTrip();
    // and it still chats
    await h.client.send({ type: 'set_agent', agent_key: 'default' });
    const next = await withTimeout(h.client.sendText('hello again'), 3000, 'the next sendText');
    expect(next).toMatchObject({ outcome: 'done', stopReason: 'stop' });
  });

  it('!help: sendText resolves command and a system message appears on messages$', async () => {
    const sim = await startSim({ profile });
    const { h, seen } = await connected(sim);
    const from = h.timeline.length;

    const result = await withTimeout(h.client.sendText('!help'), 1000, 'sendText(!help)');

    expect(result).toEqual({ outcome: 'command' });
    const messages = await firstMatch(h.client.messages$, (list) => list.some((m) => m.kind === 'system'), 1500, 'a system message on messages$');
    const notice = messages.find((m): m is Message<'system'> => m.kind === 'system')!;
    expect(notice.severity).toBe('info');
    expect(notice.text).toContain('!help');
    expect(inbound(recording(sim)).filter((f) => f.type === 'text_input').map((f) => f.event.text)).toEqual(['!help']);
    // no interaction, no turn change
    expect(h.types(from)).not.toContain('user_turn_end');
    expect(seen.interactions.every((view) => view === null)).toBe(true);
    expect(seen.turns).toEqual(['user']);
  });

  it('!help through the raw send(): no interaction is counted as started, so the next sendText goes through', async () => {
    const sim = await startSim({ profile });
    const { h, seen } = await connected(sim);
    const from = h.timeline.length;

    await withTimeout(h.client.send({ type: 'text_input', text: '!help' }), 1000, 'send(!help)');
    await h.waitUntil(() => h.types(from).includes('system_message'), 1500, 'the answer to !help');
    expect(seen.interactions.every((view) => view === null)).toBe(true);

    const result = await withTimeout(h.client.sendText('Hello after the command'), 5000, 'sendText after !help');
    expect(result).toMatchObject({ outcome: 'done' });
  });

  it('a dropped connection mid-answer (issue 10, defect 3): the answer survives the reconnect, sendText resolves with its real end, the question stays on messages$', async () => {
    const sim = await startSim({ profile, deltaMs: 2 });
    const { h, seen } = await connected(sim, 'firehose');
    const sent = settlement(h.client.sendText('stream 400'));
    await h.waitUntil(() => seen.streamed() >= 30, 3000, '30 deltas on streaming$');
    const from = h.timeline.length;

    expect(sim.control.dropSocket()).toBe(1);
    await h.waitUntil(() => h.timeline.slice(from).some((e) => e.kind === 'state' && e.state !== 'ready'), 2000, 'connection$ to leave ready');
    // the server runs the answer on: nothing settles, the turn stays the agent's, the interaction is suspended
    expect(sent.state.settled, 'sendText settled at the drop').toBe(false);
    expect(seen.turns.at(-1)).toBe('agent');
    expect(seen.interactions.at(-1)?.state).toBe('suspended');

    // ready at the short form, while the answer still streams (no user_turn_start yet)
    await h.waitForState('ready', 5000, from);
    expect(h.spy.sockets.length).toBeGreaterThanOrEqual(2);
    const result = await withTimeout(sent.promise, 5000, 'sendText to resolve with the end of the answer');
    expect(result).toMatchObject({ outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn' });
    expect(seen.turns).not.toContain('unknown');
    expect(seen.turns.at(-1)).toBe('user');
    const kinds = seen.messages().map((m) => m.kind);
    expect(kinds.filter((k) => k === 'user')).toHaveLength(1);
    expect(seen.messages().find((m) => m.kind === 'user')?.text).toBe('stream 400');
    expect(kinds).toContain('assistant');
    await h.roundTrip(2000);
    const next = await withTimeout(h.client.sendText('stream 5'), 3000, 'a sendText after the reconnect');
    expect(next).toMatchObject({ outcome: 'done', stopReason: 'stop' });
  });

  it('a server restart mid-answer (issue 10, defect 3): the answer is lost, sendText resolves interrupted once the full burst says so', async () => {
    const sim = await startSim({ profile, deltaMs: 2 });
    const { h, seen } = await connected(sim, 'firehose', { reconnection: { initialDelay: 50, maxDelay: 200 } });
    const sent = settlement(h.client.sendText('stream 400'));
    await h.waitUntil(() => seen.streamed() >= 30, 3000, '30 deltas on streaming$');
    sim.control.restart();
    const result = await withTimeout(sent.promise, 5000, 'sendText to resolve after the restart');
    expect(result.outcome).toBe('interrupted');
    expect((result as { reason: string | null }).reason).toMatch(/server restarted/);
    expect(h.client.actor.system.get('conversation')!.getSnapshot().context.live).toEqual([]);
  });

  it('back to back, each frame in its own packet: sendText resolves once the turn is back, and the next sendText gets its own answer', async () => {
    const sim = await startSim({ profile });
    const { spy, wire } = frameByFrame();
    const { h, seen } = await connected(sim, 'default', QUIET_HEARTBEAT, spy);

    const first = await withTimeout(h.client.sendText('first question'), 3000, 'the first sendText');
    const turnAtFirst = seen.turns.at(-1);
    const voices = h.client.send({ type: 'get_voices' });
    const second = await withTimeout(h.client.sendText('second question'), 3000, 'the second sendText');
    await withTimeout(voices, 1000, 'send(get_voices)');
    // until the client has seen the end of the second answer (the init burst's, then one per answer)
    await until(() => wire.entries.filter((e) => e.dir === 'recv' && e.type === 'user_turn_start').length >= 3, 3000, 'the client received the end of the second answer');

    const frames = recording(sim);
    const starts = frames.filter((f) => f.direction === 'out' && f.type === 'interaction' && f.event.started === true).map((f) => f.event.id);
    expect(starts).toHaveLength(2);
    expect.soft(first).toMatchObject({ outcome: 'done', stopReason: 'stop', interactionId: starts[0] });
    expect.soft(turnAtFirst, 'turn$ when the first sendText resolved').toBe('user');
    expect.soft(second, 'the second sendText resolved with the second answer').toMatchObject({ outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn', interactionId: starts[1] });
    // the client sent nothing that would pre-empt the first answer before the server gave the turn back
    const recvTurn = wire.index('recv', (e) => e.type === 'user_turn_start', wire.index('sent', (e) => e.text === 'first question'));
    expect.soft(wire.index('sent', (e) => e.type === 'get_voices'), `get_voices went out before the turn came back: ${wire.describe()}`).toBeGreaterThan(recvTurn);
    expect.soft(wire.index('sent', (e) => e.text === 'second question'), `the second text_input went out before the turn came back: ${wire.describe()}`).toBeGreaterThan(recvTurn);
    const answers = seen.messages().filter((m): m is Message<'assistant'> => m.kind === 'assistant');
    expect(answers.map((m) => m.interactionId)).toEqual(starts);
  });

  it('sendText argument checks: empty text, too many files, before connect', async () => {
    const sim = await startSim({ profile });
    const idle = makeClient(sim);
    await expect(idle.client.sendText('hello')).rejects.toMatchObject({ reason: 'not_ready' });
    expect(idle.spy.sockets).toHaveLength(0);

    const { h } = await connected(sim, undefined, { maxFilesPerMessage: 2 });
    await expect(h.client.sendText('')).rejects.toMatchObject({ reason: 'invalid_options' });
    await expect(h.client.sendText('hello', { fileIds: ['a', 'b', 'c'] })).rejects.toMatchObject({ reason: 'too_many_files' });
    expect(inbound(recording(sim)).filter((f) => f.type === 'text_input')).toEqual([]);
    const ok = await withTimeout(h.client.sendText('hello'), 3000, 'a valid sendText');
    expect(ok.outcome).toBe('done');
  });
});
