/**
 * Shared pieces of the machine property tests: a SimulatedClock that steps from timer to timer, a
 * fake socket actor that records its lifetime and every frame sent to it, and a harness that runs
 * the real connection machine with it and records every transition the machine makes.
 */
import { createActor, createMachine, fromCallback, SimulatedClock, type AnyEventObject, type PromiseActorLogic, type SnapshotFrom } from 'xstate';
import type { SocketCommand, SocketEvent, SocketInput } from '../../../src/machines/socket.contract.js';
import { DEFAULT_RECONNECTION } from '../../../src/machines/connection.logic.js';
import { connectionMachine, type ConnectionInput } from '../../../src/machines/connection.machine.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';

/**
 * A SimulatedClock that knows its pending timers and advances from one due timer to the next.
 *
 * @remarks `SimulatedClock.increment(ms)` moves the time to the end of the step *before* it fires
 * the timers that fell due, so a timer set while firing starts at the end of the step instead of
 * when its parent fired: a 5 s step over a 1 s reconnect delay would then start the next attempt
 * late and hide a wrong delay. `advance` steps to each due time in turn, so every timer runs at
 * its own time.
 */
export class SteppingClock extends SimulatedClock {
  readonly #due = new Map<number, number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    let id = -1;
    id = super.setTimeout((...args: unknown[]) => {
      this.#due.delete(id);
      fn(...args);
    }, timeout);
    this.#due.set(id, this.now() + timeout);
    return id;
  }

  override clearTimeout(id: number): void {
    this.#due.delete(id);
    super.clearTimeout(id);
  }

  /** How many timers are scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.#due.size;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const due of this.#due.values()) if (next === undefined || due < next) next = due;
    return next;
  }

  /** Moves to the next timer due by `end` (firing it); false when there is none. `step` counts the steps so far. */
  private stepTowards(end: number, step: number): boolean {
    if (step > 100_000) throw new Error('SteppingClock: more than 100000 timer steps in one advance (a zero-delay loop?)');
    const due = this.nextDue();
    if (due === undefined || due > end) return false;
    this.increment(Math.max(0, due - this.now()));
    return true;
  }

  /** Advances by `ms`, firing each timer at its own due time; `onStep` runs after each step. */
  advance(ms: number, onStep?: () => void): void {
    const end = this.now() + ms;
    for (let step = 0; this.stepTowards(end, step); step++) onStep?.();
    this.increment(end - this.now());
  }

  /** Like `advance`, but lets every microtask run (`flush`) after each step, as real time would. */
  async advanceAsync(ms: number, flush: () => Promise<void>): Promise<void> {
    const end = this.now() + ms;
    for (let step = 0; this.stepTowards(end, step); step++) await flush();
    this.increment(end - this.now());
    await flush();
  }
}

/** Lets every queued microtask (promise continuation) run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The connection machine's state flattened to one name. */
export type Phase = 'idle' | 'opening' | 'initializing' | 'burst' | 'ready' | 'awaitingToken' | 'retrying' | 'failed' | 'closed';

export function phaseOf(snapshot: SnapshotFrom<typeof connectionMachine>): Phase {
  const value = snapshot.value;
  if (typeof value === 'string') return value as Phase;
  const phase = value.attempt.phase;
  if (typeof phase === 'string') return phase as Phase;
  return phase.starting as Phase;
}

export const inAttempt = (phase: Phase) => phase === 'opening' || phase === 'initializing' || phase === 'burst' || phase === 'ready';

export const server = {
  uiSessionIdChanged: (id: string): ServerEvent => ({ type: 'ui_session_id_changed', ui_session_id: id }) as ServerEvent,
  chatSessionChanged: (id: string): ServerEvent => ({ type: 'chat_session_changed', chat_session: { session_id: id } }) as ServerEvent,
  userTurnStart: (): ServerEvent => ({ type: 'user_turn_start' }) as ServerEvent,
  pong: (): ServerEvent => ({ type: 'pong' }) as ServerEvent,
  ping: (): ServerEvent => ({ type: 'ping' }) as ServerEvent,
};

/** One fake socket actor: what it was given, when it lived, what it was sent. */
export interface FakeSocket {
  readonly id: number;
  readonly input: SocketInput;
  readonly startedAt: number;
  stoppedAt: number | null;
  readonly sent: string[];
  opened: boolean;
  /** The last server event this socket delivered that changed the machine's phase (the model of property 2). */
  lastMove: string | null;
  /** The first server event this socket delivered (the short reconnect form starts with `chat_session_changed`). */
  firstEvent: string | null;
  emit(event: SocketEvent): void;
}

/** One change of the connection machine's phase, with the event that caused it. */
export interface Transition {
  readonly from: Phase;
  readonly to: Phase;
  readonly event: AnyEventObject;
  /** The fake socket whose event caused it, if one did. */
  readonly emitter: FakeSocket | null;
  readonly at: number;
  readonly snapshot: SnapshotFrom<typeof connectionMachine>;
}

/** The connection machine's input with the client's defaults (shared by the machine and property tests). */
export const baseConnectionInput: ConnectionInput = {
  reconnection: { ...DEFAULT_RECONNECTION },
  autoReconnect: true,
  connectionTimeout: 10_000,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  stableAfter: 5_000,
  maxMessageSize: 10 * 1024 * 1024,
  agentKey: null,
  chatSessionId: null,
  uiSessionId: null,
  seed: 7,
};

/** The real connection machine on a SteppingClock with fake sockets. */
export function connectionHarness(input: ConnectionInput) {
  const clock = new SteppingClock();
  const sockets: FakeSocket[] = [];
  /** Invariant breaches seen inside callbacks, where throwing would only reach xstate. */
  const violations: string[] = [];
  const transitionListeners: ((transition: Transition) => void)[] = [];
  let emitting: FakeSocket | null = null;

  const live = () => sockets.filter((s) => s.stoppedAt === null);

  const socket = fromCallback<SocketCommand, SocketInput, SocketEvent>(({ input: socketInput, sendBack, receive }) => {
    const others = live().length;
    if (others > 0) violations.push(`socket #${sockets.length} started at ${clock.now()} while ${others} other socket(s) live`);
    const fake: FakeSocket = {
      id: sockets.length,
      input: socketInput,
      startedAt: clock.now(),
      stoppedAt: null,
      sent: [],
      opened: false,
      lastMove: null,
      firstEvent: null,
      emit(event) {
        if (fake.stoppedAt !== null) throw new Error(`test bug: socket #${fake.id} emitted after it stopped`);
        if (event.type === 'socket.opened') fake.opened = true;
        if (event.type === 'server.event' && fake.firstEvent === null) fake.firstEvent = event.event.type;
        const before = phaseOf(actor.getSnapshot());
        emitting = fake;
        try {
          sendBack(event);
        } finally {
          emitting = null;
        }
        const after = phaseOf(actor.getSnapshot());
        if (after !== before && event.type === 'server.event' && fake.stoppedAt === null) fake.lastMove = event.event.type;
      },
    };
    sockets.push(fake);
    receive((command) => {
      if (command.type === 'socket.send') fake.sent.push(String(command.data));
    });
    return () => {
      fake.stoppedAt = clock.now();
    };
  });

  let previous: Phase = 'idle';
  // a token renewal after a refusal that succeeds at once (the client's is the token getter): done
  // within the step, so that the model sees the next attempt and a second refusal
  const awaitToken = createMachine({ initial: 'renewed', states: { renewed: { type: 'final' } } }) as unknown as PromiseActorLogic<void>;
  const actor = createActor(connectionMachine.provide({ actors: { socket, awaitToken } }), {
    input,
    clock,
    inspect: (inspection) => {
      if (inspection.type !== '@xstate.snapshot' || inspection.actorRef !== actor) return;
      const snapshot = inspection.snapshot as SnapshotFrom<typeof connectionMachine>;
      const to = phaseOf(snapshot);
      const transition: Transition = { from: previous, to, event: inspection.event, emitter: emitting, at: clock.now(), snapshot };
      previous = to;
      if (transition.from === transition.to) return;
      for (const listener of transitionListeners) listener(transition);
    },
  });
  actor.start();

  return {
    actor,
    clock,
    sockets,
    violations,
    live,
    /** The socket of the current attempt (the one live socket), if any. */
    current: (): FakeSocket | undefined => live()[0],
    phase: () => phaseOf(actor.getSnapshot()),
    onTransition(listener: (transition: Transition) => void) {
      transitionListeners.push(listener);
    },
  };
}

export type ConnectionHarness = ReturnType<typeof connectionHarness>;
