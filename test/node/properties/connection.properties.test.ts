/**
 * Property tests of the real connection machine (convention 17c): random command sequences —
 * connect, disconnect, socket events, server events, close codes, auth failures, clock steps —
 * run against the machine on a SimulatedClock with fake sockets, checking an invariant after every
 * command and at every transition.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectionInput } from '../../../src/machines/connection.machine.js';
import { classifyClose, type ReconnectionPolicy } from '../../../src/machines/connection.logic.js';
import {
  baseConnectionInput,
  connectionHarness,
  inAttempt,
  phaseOf,
  server,
  type ConnectionHarness,
  type Transition,
} from './harness.js';

// ------------------------------------------------------------------------------------ the model

/** What the commands need to know to stay realistic (the state of the current fake socket). */
interface Model {
  /** none: no live socket; connecting: live, not opened; open: opened. */
  socket: 'none' | 'connecting' | 'open';
}

type Invariant = 'sockets' | 'ready' | 'backoff' | 'disconnect';

interface World {
  readonly h: ConnectionHarness;
  readonly input: ConnectionInput;
  readonly invariants: ReadonlySet<Invariant>;
  /** How many times each invariant's check really applied (so a vacuous run shows). */
  readonly stats: Record<string, number>;
}

/** The largest delay configured (ms); clock steps go up to twice this. */
const largestDelay = (input: ConnectionInput) =>
  Math.max(input.connectionTimeout, input.pingInterval, input.pongTimeout, input.stableAfter, input.reconnection.maxDelay);

function syncModel(m: Model, w: World): void {
  const current = w.h.current();
  m.socket = current === undefined ? 'none' : current.opened ? 'open' : 'connecting';
}

const bump = (w: World, key: string) => {
  w.stats[key] = (w.stats[key] ?? 0) + 1;
};

/** Invariants checked after every command (the transition-level ones report through `violations`). */
function checkAfterCommand(w: World): void {
  const { h } = w;
  if (h.violations.length > 0) throw new Error(h.violations.join('\n'));
  const phase = h.phase();
  if (w.invariants.has('sockets')) {
    // property 1: never two live sockets, and a live socket exactly while an attempt runs
    expect(h.live().length, 'live sockets').toBeLessThanOrEqual(1);
    expect(h.live().length, `live sockets in phase ${phase}`).toBe(inAttempt(phase) ? 1 : 0);
    bump(w, inAttempt(phase) ? 'sockets.inAttempt' : 'sockets.atRest');
  }
  if (w.invariants.has('ready') && phase === 'ready') {
    // property 2 (model side): the last phase-changing server event of this socket was user_turn_start
    // (the full burst), or chat_session_changed as its first event (the short form)
    bump(w, 'ready');
    const current = h.current();
    if (current?.lastMove === 'chat_session_changed') expect(current.firstEvent).toBe('chat_session_changed');
    else expect(current?.lastMove).toBe('user_turn_start');
  }
}

/** Every command: run, check, then update the model from what the socket now is. */
abstract class Step implements fc.Command<Model, World> {
  abstract check(m: Readonly<Model>): boolean;
  abstract act(m: Model, w: World): void;
  abstract toString(): string;
  run(m: Model, w: World): void {
    this.act(m, w);
    checkAfterCommand(w);
    syncModel(m, w);
  }
}

class Connect extends Step {
  check = () => true;
  act(_m: Model, w: World) {
    w.h.actor.send({ type: 'connect' });
  }
  toString = () => 'connect';
}

class Disconnect extends Step {
  check = () => true;
  act(_m: Model, w: World) {
    const { h } = w;
    const before = h.phase();
    h.actor.send({ type: 'disconnect' });
    if (!w.invariants.has('disconnect')) return;
    // property 4: nothing live, nothing scheduled, and an hour-long wait changes nothing
    bump(w, before === 'idle' || before === 'failed' || before === 'closed' ? 'disconnect.atRest' : 'disconnect.active');
    const rest = before === 'idle' || before === 'failed' || before === 'closed' ? before : 'closed';
    expect(h.phase(), `phase after disconnect from ${before}`).toBe(rest);
    expect(h.live(), 'live sockets after disconnect').toHaveLength(0);
    expect(h.clock.pending, 'timers left after disconnect').toBe(0);
    expect(Object.keys(h.actor.getSnapshot().children), 'children after disconnect').toEqual([]);
    const started = h.sockets.length;
    const frozen = JSON.stringify({ value: h.actor.getSnapshot().value, context: h.actor.getSnapshot().context });
    h.clock.advance(1_000_000_000);
    expect(h.sockets, 'sockets started during the long wait').toHaveLength(started);
    expect(JSON.stringify({ value: h.actor.getSnapshot().value, context: h.actor.getSnapshot().context }), 'state after the long wait').toBe(frozen);
    expect(Object.keys(h.actor.getSnapshot().children), 'children after the long wait').toEqual([]);
  }
  toString = () => 'disconnect';
}

class Opened extends Step {
  check = (m: Readonly<Model>) => m.socket === 'connecting';
  act(_m: Model, w: World) {
    w.h.current()!.emit({ type: 'socket.opened' });
  }
  toString = () => 'socket.opened';
}

type ServerKind = 'ui_session_id_changed' | 'chat_session_changed' | 'user_turn_start' | 'pong' | 'ping';

class Server extends Step {
  constructor(
    readonly kind: ServerKind,
    readonly id: number,
  ) {
    super();
  }
  check = (m: Readonly<Model>) => m.socket === 'open';
  act(_m: Model, w: World) {
    const event =
      this.kind === 'ui_session_id_changed'
        ? server.uiSessionIdChanged(`UI-${this.id}`)
        : this.kind === 'chat_session_changed'
          ? server.chatSessionChanged(`chat-${this.id}`)
          : this.kind === 'user_turn_start'
            ? server.userTurnStart()
            : this.kind === 'pong'
              ? server.pong()
              : server.ping();
    w.h.current()!.emit({ type: 'server.event', event });
  }
  toString = () => `server(${this.kind})`;
}

/** The full initialization burst, the short reconnect form, or the short form with the turn held back (an answer still streaming). */
class Burst extends Step {
  constructor(readonly form: 'full' | 'short' | 'streaming') {
    super();
  }
  check = (m: Readonly<Model>) => m.socket === 'open';
  act(_m: Model, w: World) {
    const socket = w.h.current()!;
    if (this.form === 'full') socket.emit({ type: 'server.event', event: server.uiSessionIdChanged('UI-burst') });
    socket.emit({ type: 'server.event', event: server.chatSessionChanged('chat-burst') });
    if (this.form !== 'streaming') socket.emit({ type: 'server.event', event: server.userTurnStart() });
  }
  toString = () => `burst(${this.form})`;
}

/** The socket opens and the full burst follows at once. */
class Handshake extends Step {
  check = (m: Readonly<Model>) => m.socket === 'connecting';
  act(_m: Model, w: World) {
    const socket = w.h.current()!;
    socket.emit({ type: 'socket.opened' });
    for (const event of [server.uiSessionIdChanged('UI-burst'), server.chatSessionChanged('chat-burst'), server.userTurnStart()]) {
      socket.emit({ type: 'server.event', event });
    }
  }
  toString = () => 'socket.opened+burst';
}

class Activity extends Step {
  check = (m: Readonly<Model>) => m.socket === 'open';
  act(_m: Model, w: World) {
    w.h.current()!.emit({ type: 'socket.activity' });
  }
  toString = () => 'socket.activity';
}

class Closed extends Step {
  constructor(readonly code: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.socket !== 'none';
  act(_m: Model, w: World) {
    w.h.current()!.emit({ type: 'socket.closed', code: this.code, reason: '' });
  }
  toString = () => `socket.closed(${this.code})`;
}

/** What the real socket actor sends when the token getter throws (before the socket opens). */
class AuthFailed extends Step {
  check = (m: Readonly<Model>) => m.socket === 'connecting';
  act(_m: Model, w: World) {
    w.h.current()!.emit({ type: 'socket.failed', problem: { reason: 'auth_required', message: 'no valid token' } });
  }
  toString = () => 'socket.failed(auth_required)';
}

/** What the real socket actor sends for a handshake that failed before open: refused with an HTTP status, or without a cause (a browser). */
class Refused extends Step {
  constructor(readonly status: number | null) {
    super();
  }
  check = (m: Readonly<Model>) => m.socket === 'connecting';
  act(_m: Model, w: World) {
    w.h.current()!.emit({ type: 'socket.refused', status: this.status, message: 'refused' });
  }
  toString = () => `socket.refused(${this.status})`;
}

/** Advances the clock; with `alive`, the server answers each ping as it comes (a healthy connection). */
class Advance extends Step {
  constructor(
    readonly ms: number,
    readonly alive = false,
  ) {
    super();
  }
  check = () => true;
  act(_m: Model, w: World) {
    const { h } = w;
    let answered = 0;
    const answerPings = () => {
      const socket = h.current();
      if (socket === undefined || !socket.opened) return;
      const pings = socket.sent.filter((frame) => frame === '{"type":"ping"}').length;
      for (; answered < pings; answered++) socket.emit({ type: 'server.event', event: server.pong() });
    };
    h.clock.advance(this.ms, this.alive ? answerPings : undefined);
  }
  toString = () => `advance(${this.ms}ms${this.alive ? ', server answers pings' : ''})`;
}

/** Advances exactly to the next timer, if any (where equal deadlines meet). */
class NextTimer extends Step {
  check = () => true;
  act(_m: Model, w: World) {
    const due = w.h.clock.nextDue();
    if (due !== undefined) w.h.clock.advance(due - w.h.clock.now());
  }
  toString = () => 'nextTimer';
}

const CLOSE_CODES = [1000, 1001, 1006, 1008, 1011, 1012, 1013, 4000, 4001, 3000];

/** Repeats an arbitrary: `fc.commands` picks its arbitraries uniformly, so this weights them. */
const times = <T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T>[] => Array.from({ length: n }, () => arb);

const burstArb = fc.constantFrom<'full' | 'short' | 'streaming'>('full', 'short', 'streaming').map((form) => new Burst(form));

const serverArb = fc
  .tuple(fc.constantFrom<ServerKind>('ui_session_id_changed', 'chat_session_changed', 'user_turn_start', 'pong', 'ping'), fc.nat(3))
  .map(([kind, id]) => new Server(kind, id));

/** The commands, with clock steps from 0 to twice the largest configured delay. */
const commandArbs = (largest: number): fc.Arbitrary<fc.Command<Model, World>>[] => [
  ...times(4, fc.constant(new Connect())),
  fc.constant(new Disconnect()),
  ...times(3, fc.constant(new Opened())),
  ...times(2, fc.constant(new Handshake())),
  ...times(3, serverArb),
  ...times(4, burstArb),
  fc.constant(new Activity()),
  ...times(2, fc.constantFrom(...CLOSE_CODES).map((code) => new Closed(code))),
  fc.constant(new AuthFailed()),
  ...times(3, fc.constantFrom<number | null>(500, 403, null).map((status) => new Refused(status))),
  fc.integer({ min: 0, max: 2 * largest }).map((ms) => new Advance(ms)),
  fc.integer({ min: 0, max: Math.ceil(largest / 5) }).map((ms) => new Advance(ms)),
  fc.integer({ min: 0, max: 50 }).map((ms) => new Advance(ms)),
  fc.integer({ min: 0, max: 2 * largest }).map((ms) => new Advance(ms, true)),
  ...times(2, fc.constant(new NextTimer())),
];

// ------------------------------------------------------------------------------------ settings

const policyArb: fc.Arbitrary<ReconnectionPolicy> = fc
  .record({
    initialDelay: fc.integer({ min: 0, max: 3_000 }),
    extra: fc.integer({ min: 0, max: 10_000 }),
    backoffMultiplier: fc.double({ min: 1, max: 3, noNaN: true }),
    maxAttempts: fc.integer({ min: 0, max: 5 }),
    jitterFactor: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ extra, ...policy }) => ({ ...policy, maxDelay: policy.initialDelay + extra }));

const inputArb = (autoReconnect: fc.Arbitrary<boolean>, maxStableAfter = 5_000): fc.Arbitrary<ConnectionInput> =>
  fc
    .record({
      reconnection: policyArb,
      autoReconnect,
      connectionTimeout: fc.integer({ min: 50, max: 5_000 }),
      pingInterval: fc.integer({ min: 50, max: 5_000 }),
      pongTimeout: fc.integer({ min: 50, max: 5_000 }),
      stableAfter: fc.integer({ min: 50, max: maxStableAfter }),
      seed: fc.integer({ min: 0, max: 0xffff_ffff }),
    })
    .map((settings) => ({ ...baseConnectionInput, ...settings }));

// ------------------------------------------------------------------------------------ transition checks

/**
 * Property 2 at every transition: `ready` is entered only on user_turn_start from the live socket (the
 * end of the full burst), or on chat_session_changed as its first event (the short reconnect form).
 */
function watchReady(w: World): void {
  const { h } = w;
  h.onTransition((t: Transition) => {
    if (t.to !== 'ready') return;
    bump(w, 'ready.entered');
    const event = t.event as { type: string; event?: { type: string } };
    const shortForm = event.type === 'server.event' && event.event?.type === 'chat_session_changed' && t.from === 'initializing' && t.emitter?.firstEvent === 'chat_session_changed';
    if (shortForm) bump(w, 'ready.shortForm');
    if (event.type !== 'server.event' || (event.event?.type !== 'user_turn_start' && !shortForm)) {
      h.violations.push(`entered ready from ${t.from} on ${event.type}${event.event ? `(${event.event.type})` : ''} at ${t.at}`);
    } else if (t.emitter === null || t.emitter !== h.current()) {
      h.violations.push(`entered ready on a user_turn_start that the live socket did not deliver (socket #${t.emitter?.id})`);
    }
  });
}

/**
 * Property 3 at every transition: the model counts attempts itself (reset by a fresh `connect`
 * and by a connection that stayed ready for `stableAfter`, one more per lost attempt) and checks
 * the machine's count, the chosen delay, the time it really waited, and when it gives up.
 */
function watchBackoff(w: World): void {
  const { h, input } = w;
  const policy = input.reconnection;
  let attempt = 0;
  /** Handshakes the server refused since the last ready or fresh connect (a second one gives up). */
  let refusals = 0;
  let readyAt: number | null = null;
  let retry: { enteredAt: number; delay: number } | null = null;
  const fail = (message: string) => h.violations.push(message);

  h.onTransition((t: Transition) => {
    const context = t.snapshot.context;
    if ((t.from === 'idle' || t.from === 'failed' || t.from === 'closed') && t.to === 'opening') {
      attempt = 0;
      refusals = 0;
      readyAt = null;
    }
    if (t.from === 'retrying' && t.to === 'opening') {
      if (t.event.type !== 'connect' && retry !== null) {
        bump(w, 'backoff.waited');
        if (t.at - retry.enteredAt !== retry.delay) fail(`waited ${t.at - retry.enteredAt} ms in retrying, but the chosen delay was ${retry.delay}`);
      }
      retry = null;
    }
    if (t.from === 'retrying' && t.to === 'closed') retry = null;
    if (t.to === 'ready') {
      readyAt = t.at;
      refusals = 0;
    }
    // a renewed token after a refusal: the same attempt goes on (no count, no delay)
    if (t.from === 'awaitingToken' && t.to === 'opening') return;
    if (!(inAttempt(t.from) || t.from === 'awaitingToken') || inAttempt(t.to)) return;

    // the attempt ended: was the connection stable?
    let tie = false;
    if (t.from === 'ready' && readyAt !== null) {
      const lasted = t.at - readyAt;
      if (lasted > input.stableAfter && attempt > 0) {
        bump(w, 'backoff.stableReset');
        attempt = 0;
      }
      tie = lasted === input.stableAfter; // the stable timer and the loss fell due together: either order is right
    }
    readyAt = null;
    if (t.to === 'closed') return;
    const event = t.event as { type: string; problem?: { reason: string }; status?: number | null; code?: number };
    const refusal = (event.type === 'socket.refused' && event.status !== null) || (event.type === 'socket.closed' && !classifyClose(event.code!).retry);
    if (refusal) {
      // the server refused the token: renew it and try again at once, or give up when a renewed one was refused too
      bump(w, 'backoff.refused');
      if (tie && context.attempt === 0) attempt = 0; // the stable timer fell due with the refusal: either order is right
      if (context.attempt !== attempt) fail(`a refusal changed the attempt count to ${context.attempt} (model: ${attempt})`);
      if (refusals >= 1) {
        if (t.to !== 'failed') fail(`a second refusal led to ${t.to}, not failed`);
        else bump(w, 'backoff.refusedAgain');
      } else if (t.to !== 'awaitingToken') fail(`a refusal led to ${t.to}, not awaitingToken`);
      refusals += 1;
      return;
    }
    if (event.type === 'socket.failed' && event.problem?.reason === 'auth_required') {
      bump(w, 'backoff.authFailed');
      if (t.to !== 'failed') fail(`an auth failure led to ${t.to}, not failed`);
      if (tie && context.attempt === 0) attempt = 0;
      if (context.attempt !== attempt) fail(`an auth failure changed the attempt count to ${context.attempt} (model: ${attempt})`);
      return;
    }
    attempt += 1;
    if (tie && context.attempt === 1) attempt = 1;
    if (context.attempt !== attempt) fail(`after losing an attempt the machine counts ${context.attempt}, the model ${attempt}`);
    const givesUp = !input.autoReconnect || (policy.maxAttempts > 0 && attempt > policy.maxAttempts);
    if (givesUp) {
      bump(w, 'backoff.gaveUp');
      if (t.to !== 'failed') fail(`attempt ${attempt} of maxAttempts ${policy.maxAttempts} went to ${t.to}, not failed`);
      return;
    }
    bump(w, 'backoff.retry');
    if (t.to !== 'retrying') {
      fail(`attempt ${attempt} of maxAttempts ${policy.maxAttempts} went to ${t.to}, not retrying`);
      return;
    }
    const delay = context.nextDelay;
    const d = Math.min(policy.maxDelay, policy.initialDelay * policy.backoffMultiplier ** (attempt - 1));
    const low = d * (1 - policy.jitterFactor) - 1;
    const high = d * (1 + policy.jitterFactor) + 1;
    if (delay === null || !(delay >= low && delay <= high && delay <= policy.maxDelay && delay >= 0)) {
      fail(`attempt ${attempt}: delay ${delay} outside [${low}, ${high}] ∩ [0, maxDelay ${policy.maxDelay}] (d = ${d})`);
    }
    retry = { enteredAt: t.at, delay: delay ?? Number.NaN };
  });
}

// ------------------------------------------------------------------------------------ running

function runWorld(input: ConnectionInput, invariants: Invariant[], commands: Iterable<fc.Command<Model, World>>, stats: Record<string, number>) {
  const h = connectionHarness(input);
  const w: World = { h, input, invariants: new Set(invariants), stats };
  if (w.invariants.has('ready')) watchReady(w);
  if (w.invariants.has('backoff')) watchBackoff(w);
  fc.modelRun(() => ({ model: { socket: 'none' } as Model, real: w }), commands);
}

const PARAMS = { numRuns: 200 };
const MAX_COMMANDS = 40;

function property(invariants: Invariant[], input: fc.Arbitrary<ConnectionInput>) {
  const stats: Record<string, number> = {};
  fc.assert(
    fc.property(
      input.chain((settings) => fc.tuple(fc.constant(settings), fc.commands(commandArbs(largestDelay(settings)), { maxCommands: MAX_COMMANDS, size: 'max' }))),
      ([settings, commands]) => {
        runWorld(settings, invariants, commands, stats);
      },
    ),
    PARAMS,
  );
  return stats;
}

describe('connection machine properties', () => {
  it('1. never has two live sockets, and has one exactly while an attempt runs', () => {
    const stats = property(['sockets'], inputArb(fc.boolean()));
    // both sides of the invariant were exercised many times
    expect(stats['sockets.inAttempt'] ?? 0).toBeGreaterThan(100);
    expect(stats['sockets.atRest'] ?? 0).toBeGreaterThan(100);
  });

  it('2. is ready only after user_turn_start from its current socket, or at its first event when that is the short form', () => {
    const stats = property(['ready'], inputArb(fc.boolean()));
    expect(stats['ready.entered'] ?? 0).toBeGreaterThan(20);
    expect(stats['ready.shortForm'] ?? 0).toBeGreaterThan(5);
  });

  it('3. waits a backoff delay within [d(1−j), d(1+j)] ∩ [0, maxDelay], and fails exactly past maxAttempts; a refused token waits for a new one, a second refusal fails', () => {
    const stats = property(['backoff'], inputArb(fc.constant(true), 1_000)) // a short stableAfter: stable resets happen often;
    expect(stats['backoff.retry'] ?? 0).toBeGreaterThan(150);
    expect(stats['backoff.waited'] ?? 0).toBeGreaterThan(60);
    expect(stats['backoff.gaveUp'] ?? 0).toBeGreaterThan(10);
    // a refused token is renewed without a backoff step, and a second refusal gives up
    expect(stats['backoff.refused'] ?? 0).toBeGreaterThan(20); // usually 50–80
    expect(stats['backoff.refusedAgain'] ?? 0).toBeGreaterThan(2); // usually 8–12
  });

  it('4. leaves no socket and no timer after disconnect: a long wait starts nothing and changes nothing', () => {
    const stats = property(['disconnect'], inputArb(fc.boolean()));
    expect(stats['disconnect.active'] ?? 0).toBeGreaterThan(20);
  });
});

// ------------------------------------------------------------------------------------ property 6

/** Outstanding subscriptions the test made on the actor. */
interface Subscriptions {
  opened: number;
  closed: number;
  /** Waiters not yet settled. */
  waiting: number;
}

/**
 * What a caller of `connect()` waits with: subscribes, and settles (unsubscribing) on `ready`,
 * `failed`, or `closed` once the connection has left `closed`.
 */
function waitForOutcome(h: ConnectionHarness, subs: Subscriptions): void {
  const start = h.phase();
  if (start === 'ready' || start === 'failed') return;
  subs.opened++;
  subs.waiting++;
  let left = start !== 'closed';
  const subscription = h.actor.subscribe((snapshot) => {
    const phase = phaseOf(snapshot);
    if (phase !== 'closed') left = true;
    if (phase === 'ready' || phase === 'failed' || (phase === 'closed' && left)) {
      subscription.unsubscribe();
      subs.closed++;
      subs.waiting--;
    }
  });
}

/** The steps inside one connect … disconnect cycle. */
const cycleArbs = (largest: number): fc.Arbitrary<fc.Command<Model, World>>[] => [
  fc.constant(new Opened()),
  burstArb,
  fc.constantFrom(...CLOSE_CODES).map((code) => new Closed(code)),
  fc.constant(new AuthFailed()),
  fc.constantFrom<number | null>(500, 403, null).map((status) => new Refused(status)),
  fc.constant(new Activity()),
  fc.integer({ min: 0, max: 2 * largest }).map((ms) => new Advance(ms)),
  fc.constant(new NextTimer()),
];

describe('connection machine lifecycle', () => {
  it('6. over 50 connect/disconnect/drop cycles, live sockets and subscriptions return to their start', () => {
    let cycles = 0;
    fc.assert(
      fc.property(
        inputArb(fc.boolean()).chain((settings) =>
          fc.tuple(
            fc.constant(settings),
            fc.array(fc.tuple(fc.commands(cycleArbs(largestDelay(settings)), { maxCommands: 6, size: 'max' }), fc.boolean()), { minLength: 50, maxLength: 50 }),
          ),
        ),
        ([input, plan]) => {
          const h = connectionHarness(input);
          const w: World = { h, input, invariants: new Set(['sockets']), stats: {} };
          const model: Model = { socket: 'none' };
          const subs: Subscriptions = { opened: 0, closed: 0, waiting: 0 };
          for (const [steps, connectTwice] of plan) {
            waitForOutcome(h, subs);
            h.actor.send({ type: 'connect' });
            if (connectTwice) {
              waitForOutcome(h, subs);
              h.actor.send({ type: 'connect' });
            }
            syncModel(model, w);
            fc.modelRun(() => ({ model, real: w }), steps);
            h.actor.send({ type: 'disconnect' });
            syncModel(model, w);
            cycles++;
            expect(h.live(), `live sockets after disconnect (cycle ${cycles})`).toHaveLength(0);
            expect(subs.waiting, `connect waits not settled after disconnect (cycle ${cycles})`).toBe(0);
            expect(subs.closed, 'subscriptions closed vs opened').toBe(subs.opened);
          }
        },
      ),
      { numRuns: 30 },
    );
    expect(cycles).toBeGreaterThanOrEqual(1500);
  });
});
