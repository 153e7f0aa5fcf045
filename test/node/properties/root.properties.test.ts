/**
 * Properties of the whole client core (issue 10): a client built through the runtime
 * (`createRuntime` + `connectClient`) on a SimulatedClock, with a socket actor that talks to a model
 * of the real server (PROTOCOL.md §1.5, §1.9, §7): sequential dispatch, a running answer hard-killed
 * by any pre-empting frame, a running answer kept across a lost socket (the short form on the next
 * one, §7.2), a restart that forgets it (the full burst), graceful cancels. fast-check drives the app's
 * commands, the server's progress, drops, restarts and time, and `fc.scheduler` decides when each
 * server frame reaches the client relative to the app's commands (the races of a real network; frames
 * keep their order, and all in flight arrive before simulated time moves on).
 *
 * 1. Every command settles exactly once (at the latest when the client is disposed).
 * 2. The server never sees a pre-empting frame while it runs an answer.
 * 3. It never gets a second `text_input` without the first answer's end in between.
 * 4. The conversation's interaction actors stay bounded by the answers alive (here: one session).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromCallback, SimulatedClock } from 'xstate';
import type { SocketCommand, SocketEvent, SocketInput } from '../../../src/machines/socket.contract.js';
import { connectClient } from '../../../src/client.js';
import { CONTROL_EVENT_TYPES } from '../../../src/machines/socket.contract.js';
import { preempts, summarize } from '../../../src/machines/outbox.logic.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import type { ClientEvent } from '../../../src/schema/client.js';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { fixtureObject } from '../../helpers/fixtures.js';
import { unsignedToken } from '../integration/harness.js';

const SESSION = 'admin-quiet-harbor';
const ev = (name: string, patch: Record<string, unknown> = {}): ServerEvent => {
  const frame = decodeServerFrame(JSON.stringify({ ...fixtureObject(name), ...patch }));
  if (frame.kind !== 'event') throw new Error(`fixture ${name} is not an event`);
  return frame.event;
};
const turnStart = () => ev('pong', { type: 'user_turn_start' });
const turnEnd = () => ev('pong', { type: 'user_turn_end' });
const FULL_BURST = () => [ev('ui_session_id_changed'), ev('chat_user_data'), ev('avatar_list'), ev('voice_list'), ev('agent_list'), ev('tool_catalog'), ev('chat_session_changed'), turnStart()];
const ANSWER = () => [turnEnd(), ev('interaction'), ev('text_delta'), ev('text_delta'), ev('completion'), ev('interaction--end'), turnStart()];

/** A model of the server: one UI session, one chat session, answers that run until their end. */
class Server {
  readonly violations: string[] = [];
  /** Frames produced for the attached socket, not yet delivered. */
  outbox: ServerEvent[] = [];
  /** The rest of the running answer (null: none runs). */
  running: ServerEvent[] | null = null;
  knowsUiSession = false;
  texts = 0;
  socket: { emit(event: SocketEvent): void; deliver(event: ServerEvent): void } | null = null;

  attach(socket: NonNullable<Server['socket']>): void {
    this.trace.push(`[open ${this.running ? 'running' : 'idle'}]`);
    this.socket = socket;
    socket.emit({ type: 'socket.opened' });
    const running = this.running !== null;
    this.outbox = this.knowsUiSession ? [ev('chat_session_changed'), ...(running ? [] : [turnStart()])] : FULL_BURST();
    this.knowsUiSession = true;
  }

  readonly trace: string[] = [];

  receive(frame: ClientEvent): void {
    this.trace.push(`<- ${frame.type}`);
    if (this.running && preempts(summarize(frame), SESSION)) {
      this.violations.push(`${frame.type} pre-empted a running answer; trace: ${this.trace.join(' ')}`);
      this.running = null; // hard-cancelled: nothing further (§1.5 rule 6)
    }
    switch (frame.type) {
      case 'ping':
        this.outbox.push(ev('pong'));
        return;
      case 'text_input':
        if (summarize(frame).interaction) {
          this.texts++;
          // the bridge says user_turn_end as soon as it starts the task (§7.3); the rest comes step by step
          this.outbox.push(turnEnd());
          this.running = ANSWER().slice(1);
        }
        return;
      case 'client_wants_cancel':
        this.outbox.push(ev('cancelled'));
        // a graceful cancel: the interaction's start still comes if it had not (the server sends it as
        // soon as the run begins, §7.3), then its end
        if (this.running) this.running = [...this.running.filter((e) => e.type === 'interaction' && e.started), ev('interaction--end'), turnStart()];
        return;
      case 'get_voices':
        this.outbox.push(ev('voice_list'));
        return;
      case 'get_agents':
        this.outbox.push(ev('agent_list'));
        return;
      case 'get_avatars':
        this.outbox.push(ev('avatar_list'));
        return;
      case 'get_tool_catalog':
        this.outbox.push(ev('tool_catalog'));
        return;
      case 'set_session_metadata':
        this.outbox.push(ev('session_metadata_changed', { meta: frame.meta }));
        return;
      default:
        return;
    }
  }

  /** One step of the running answer (lost when no socket is attached, §1.6). */
  step(): void {
    const next = this.running?.shift();
    if (!next) return;
    if (this.running!.length === 0) this.running = null;
    if (this.socket) this.outbox.push(next);
  }

  drop(): void {
    const socket = this.socket;
    this.socket = null;
    this.outbox = [];
    socket?.emit({ type: 'socket.closed', code: 1006, reason: '' });
  }

  restart(): void {
    this.running = null;
    this.knowsUiSession = false;
    const socket = this.socket;
    this.socket = null;
    this.outbox = [];
    socket?.emit({ type: 'socket.closed', code: 1012, reason: '' });
  }
}

type Action =
  | { kind: 'text'; interrupt: boolean }
  | { kind: 'raw'; event: ClientEvent }
  | { kind: 'cancel' }
  | { kind: 'setMetadata' }
  | { kind: 'step'; n: number }
  | { kind: 'deliver' }
  | { kind: 'drop' }
  | { kind: 'restart' }
  | { kind: 'tick'; ms: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('text' as const), interrupt: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('raw' as const), event: fc.constantFrom<ClientEvent>({ type: 'get_voices' }, { type: 'ping' }, { type: 'set_session_metadata', meta: { a: 1 } }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'setMetadata' as const }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('step' as const), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'deliver' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20_000 }) }) },
);

function build(server: Server, clock: SimulatedClock) {
  let runtime!: Runtime;
  const socket = fromCallback<SocketCommand, SocketInput, SocketEvent>(({ sendBack, receive }) => {
    const me = {
      emit: (event: SocketEvent) => sendBack(event),
      // as the real socket actor: every frame to the data plane, the control ones to the machine
      deliver: (event: ServerEvent) => {
        runtime.data.sink.event(event, 1);
        if (CONTROL_EVENT_TYPES.has(event.type)) sendBack({ type: 'server.event', event });
      },
    };
    // the real actor opens after a microtask (partysocket asks for the URL first)
    queueMicrotask(() => server.attach(me));
    receive((command) => {
      if (command.type === 'socket.send' && server.socket === me) server.receive(JSON.parse(String(command.data)) as ClientEvent);
    });
    return () => {
      if (server.socket === me) server.socket = null;
    };
  });
  runtime = createRuntime(
    { url: 'http://127.0.0.1:1', auth: { token: unsignedToken() }, connectionTimeout: 5_000, pingInterval: 10_000, pongTimeout: 5_000, reconnection: { initialDelay: 100, maxDelay: 1_000 } },
    { clock, seed: 1, now: () => Date.now(), actors: { socket } },
  );
  return { runtime, client: connectClient(runtime) };
}

async function run(actions: readonly Action[], s: fc.Scheduler) {
  const clock = new SimulatedClock();
  const server = new Server();
  const { runtime, client } = build(server, clock);
  const pending: { settled: boolean; what: string }[] = [];
  const track = (what: string, promise: Promise<unknown>) => {
    const entry = { settled: false, what };
    pending.push(entry);
    promise.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
  };
  const maxInteractions = { value: 0 };
  const countInteractions = () => {
    const children = Object.keys(runtime.conversation().getSnapshot().children).filter((id) => id.startsWith('interaction:'));
    maxInteractions.value = Math.max(maxInteractions.value, children.length);
  };
  // the server's frames reach the client in order (TCP), each when the scheduler says (racing the app's commands)
  const inFlight: { event: ServerEvent; socket: Server['socket'] }[] = [];
  const deliverNext = s.scheduleFunction(async () => {
    const next = inFlight.shift();
    if (next && next.socket && server.socket === next.socket) {
      server.trace.push(`-> ${next.event.type}`);
      next.socket.deliver(next.event);
    }
  });
  const flushServer = () => {
    for (const event of server.outbox.splice(0)) {
      inFlight.push({ event, socket: server.socket });
      void deliverNext();
    }
  };
  track('connect', client.connect());
  await Promise.resolve();
  let n = 0;
  for (const action of actions) {
    switch (action.kind) {
      case 'text':
        track(`sendText #${++n}${action.interrupt ? ' (interrupt)' : ''}`, client.sendText(`question ${n}`, { interrupt: action.interrupt }));
        break;
      case 'raw':
        track(`send(${action.event.type})`, client.send(action.event));
        break;
      case 'cancel':
        track('cancel', client.cancel());
        break;
      case 'setMetadata':
        track('setSessionMetadata', client.setSessionMetadata({ n: ++n }));
        break;
      case 'step':
        for (let i = 0; i < action.n; i++) server.step();
        break;
      case 'deliver':
        flushServer();
        if (s.count() > 0) await s.waitOne();
        break;
      case 'drop':
        server.drop();
        break;
      case 'restart':
        server.restart();
        break;
      case 'tick':
        // the network is fast next to the client's timers: what is in flight arrives before time passes
        // (including what the server answers to what arrives meanwhile)
        while (server.outbox.length > 0 || s.count() > 0) {
          flushServer();
          await s.waitAll();
        }
        clock.increment(action.ms);
        break;
    }
    await Promise.resolve();
    countInteractions();
  }
  flushServer();
  await s.waitAll();
  client.dispose();
  await new Promise((resolve) => setImmediate(resolve));
  return { server, pending, maxInteractions: maxInteractions.value };
}

describe('client core properties (runtime, simulated clock, a model server)', () => {
  it('every command settles once; nothing pre-empts a running answer; one answer at a time; interaction actors bounded', async () => {
    const stats = { texts: 0, settled: 0 };
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(actionArb, { minLength: 1, maxLength: 50 }), async (s, actions) => {
        const { server, pending, maxInteractions } = await run(actions, s);
        expect(server.violations).toEqual([]);
        expect(pending.filter((p) => !p.settled).map((p) => p.what)).toEqual([]);
        expect(maxInteractions).toBeLessThanOrEqual(1);
        stats.texts += server.texts;
        stats.settled += pending.length;
      }),
      { numRuns: 1000 },
    );
    expect(stats.texts).toBeGreaterThan(25);
  });
});
