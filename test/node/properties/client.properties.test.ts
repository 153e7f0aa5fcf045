/**
 * Property 5: the real client machine (auth + connection) never starts a connection with an
 * expired token.
 *
 * The fake socket actor does what src/actors/socket.actor.ts does: right before opening (after a
 * microtask, as partysocket asks its URL provider) it asks a token getter built like `getToken` in
 * src/client.ts (the token vault, `token.expired` to the auth child, `waitFor` on it). The fake
 * auth actors write scripted tokens to the vault like src/actors/auth.actors.ts, but answer only
 * when a command says so (success with a chosen lifetime, refused, or a network failure), in any
 * order, so refreshes race with clock steps, socket drops and new attempts. Like the real actors,
 * an actor the auth machine has stopped still answers, and a success still reaches the vault
 * (the real ones never look at their abort signal). Token validity is judged on the
 * SimulatedClock's `now()`, with the skew src/client.ts uses (min(5 s, refreshBufferMs / 2)).
 *
 * Property 5c: never a connection attempt with a token the server refused. A `refuse` command makes
 * the live socket's handshake fail as socket.actor.ts reports it (HTTP 500: the token is marked
 * refused; or no cause, as in a browser: nothing is marked, auth verifies), and a close 1008 marks
 * the token too; no socket may ever be handed a marked token, and auth is never `valid` holding one.
 *
 * Supporting checks, so that mutations of the machines show up even though the getter guards the
 * main property by itself: `valid` never outlives its token; `token.expired` makes the auth machine
 * re-acquire; the getter gives up only in `authRequired`/`loggedOut`; a waiting getter is woken
 * when the auth machine settles; one live socket at most; nothing left after `dispose`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { awaitTokenLogic, createTokenGetter } from '../../../src/actors/token.js';
import { createAuthActors, type TokenVault } from '../../../src/actors/auth.actors.js';
import type { SocketCommand, SocketEvent, SocketInput } from '../../../src/machines/socket.contract.js';
import { isTokenValid, tokenExpiry } from '../../../src/machines/auth.logic.js';
import { classifyClose } from '../../../src/machines/connection.logic.js';
import { authMachine, type AuthActorError, type AuthMode, type TokenInfo } from '../../../src/machines/auth.machine.js';
import { clientMachine } from '../../../src/machines/client.machine.js';
import { connectionMachine } from '../../../src/machines/connection.machine.js';
import type { ResolvedAuth } from '../../../src/options.js';
import { baseConnectionInput, flush, server, SteppingClock } from './harness.js';

type AuthSnapshot = SnapshotFrom<typeof authMachine>;

// ------------------------------------------------------------------------------------ the world

type Outcome = { kind: 'ok'; lifeMs: number } | { kind: 'rejected' } | { kind: 'network' };

/** A login, refresh or provider call the test has not answered yet. */
interface PendingRequest {
  readonly kind: 'login' | 'refresh' | 'provide';
  /** The auth machine stopped the actor. */
  stale: boolean;
  answer(outcome: Outcome): void;
}

interface Socket {
  readonly id: number;
  stoppedAt: number | null;
  /** Still waiting for the token getter. */
  waiting: boolean;
  token: string | null;
  opened: boolean;
  emit(event: SocketEvent): void;
}

interface Setup {
  readonly mode: AuthMode;
  /** Lifetime of the stored (or static) token, or null for none. */
  readonly storedLifeMs: number | null;
  readonly refreshBufferMs: number;
  readonly retryDelayMs: number;
  readonly maxAttempts: number;
  readonly seed: number;
}

interface Options {
  /**
   * `scripted`: fake auth actors answered by the commands; a stopped actor's late success still
   * reaches the vault (as the real actors did at 8c29b34). `real`: src/actors/auth.actors.ts itself
   * over a `fetch` (and token provider) answered by the commands; the fake `fetch` rejects on abort,
   * like the real one, when it is given a signal.
   */
  readonly auth: 'scripted' | 'real';
}

/** The most skew src/client.ts allows: a token this close to expiry counts as expired. */
const SKEW_MS = 5_000;
const MAX_LIFE_MS = 120_000;

function makeWorld(setup: Setup, options: Options) {
  const clock = new SteppingClock();
  const fullVault: TokenVault = { token: null, heygenToken: null, loginUiSessionId: null };
  const vault: { token: string | null; refusedToken?: string | null } = fullVault;
  /** Every token the server refused (marked as socket.actor.ts marks them). */
  const refused = new Set<string>();
  const pending: PendingRequest[] = [];
  const sockets: Socket[] = [];
  const violations: string[] = [];
  // src/client.ts: "never more than half the refresh buffer, so a short-lived token is not expired from birth"
  const skewMs = Math.min(SKEW_MS, Math.floor(setup.refreshBufferMs / 2));
  const stats = { tokensToLiveSockets: 0, tokensToStoppedSockets: 0, getterFailures: 0, answered: 0, staleAnswers: 0, refusals: 0, tokensAfterRefusal: 0 };
  let serial = 0;

  /** A JWT-shaped token whose `exp` lies `lifeMs` from now (rounded down to the second, as `exp` is). */
  const makeToken = (lifeMs: number) => {
    const payload = Buffer.from(JSON.stringify({ exp: Math.floor((clock.now() + lifeMs) / 1000), jti: ++serial })).toString('base64url');
    return `eyJhbGciOiJIUzI1NiJ9.${payload}.sig`;
  };
  /** What auth.actors.ts `keep` does: the vault first, then the timing for the machine. */
  const keep = (token: string): TokenInfo => {
    vault.token = token;
    return { expiresAt: tokenExpiry(token) ?? null, obtainedAt: clock.now() };
  };

  /** Queues a call the commands answer; `signal` (when given) abandons it as a real fetch would. */
  const enqueue = (kind: PendingRequest['kind'], answer: (outcome: Outcome, stale: boolean) => void, signal?: AbortSignal, onAbort?: () => void) => {
    const entry: PendingRequest = {
      kind,
      stale: false,
      answer(outcome) {
        stats.answered++;
        if (entry.stale && outcome.kind === 'ok') stats.staleAnswers++;
        answer(outcome, entry.stale);
      },
    };
    pending.push(entry);
    return (actorSignal: AbortSignal) => {
      actorSignal.addEventListener('abort', () => {
        entry.stale = true;
      });
      signal?.addEventListener('abort', () => {
        const index = pending.indexOf(entry);
        if (index < 0) return; // already answered
        pending.splice(index, 1);
        onAbort?.();
      });
    };
  };

  const scripted = (kind: PendingRequest['kind']) =>
    fromPromise<TokenInfo>(
      ({ signal }) =>
        new Promise<TokenInfo>((resolve, reject) => {
          // like the real actors: login outside credentials mode and provide outside provider mode are refused at once
          if ((kind === 'login' && setup.mode !== 'credentials') || (kind === 'provide' && setup.mode !== 'provider')) {
            reject({ rejected: true, message: `no ${kind} in ${setup.mode} mode` } satisfies AuthActorError);
            return;
          }
          enqueue(kind, (outcome) => {
            if (outcome.kind === 'ok') resolve(keep(makeToken(outcome.lifeMs)));
            else reject({ rejected: outcome.kind === 'rejected', message: `${kind} ${outcome.kind}` } satisfies AuthActorError);
          })(signal);
        }),
    );

  const scriptedActors = {
    loadToken: fromPromise<TokenInfo | null>(async () => {
      if (setup.storedLifeMs === null) return null;
      const stored = makeToken(setup.storedLifeMs);
      return isTokenValid(stored, clock.now(), skewMs) ? keep(stored) : null;
    }),
    login: scripted('login'),
    refresh: scripted('refresh'),
    provideToken: scripted('provide'),
  };

  /** The login and refresh routes of the server, answered by the commands. */
  const fakeFetch = ((url: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const kind = String(url).endsWith('/login') ? 'login' : 'refresh';
      const abortError = () => reject(new DOMException('This operation was aborted', 'AbortError'));
      if (init?.signal?.aborted) return abortError();
      const watch = enqueue(
        kind,
        (outcome) => {
          if (outcome.kind === 'network') reject(new TypeError('fetch failed'));
          else if (outcome.kind === 'rejected') resolve(Response.json({ detail: 'Invalid token' }, { status: 401 }));
          else resolve(Response.json({ agent_c_token: makeToken(outcome.lifeMs), heygen_token: 'None', ui_session_id: null }));
        },
        init?.signal ?? undefined,
        abortError,
      );
      watch(new AbortController().signal);
    })) as typeof globalThis.fetch;

  /** The app's token provider (provider mode), answered by the commands. */
  const provider = () =>
    new Promise<string>((resolve, reject) => {
      enqueue('provide', (outcome) => {
        if (outcome.kind === 'ok') resolve(makeToken(outcome.lifeMs));
        else if (outcome.kind === 'rejected') resolve('');
        else reject(new Error('provider offline'));
      })(new AbortController().signal);
    });

  const stored = setup.storedLifeMs === null ? null : makeToken(setup.storedLifeMs);
  const storage = { get: () => stored, set: () => undefined, clear: () => undefined };
  const resolvedAuth: ResolvedAuth =
    setup.mode === 'credentials'
      ? { kind: 'credentials', username: 'admin', password: 'changeme', refreshBufferMs: setup.refreshBufferMs, storage }
      : setup.mode === 'provider'
        ? { kind: 'getToken', getToken: provider, refreshBufferMs: setup.refreshBufferMs, storage }
        : { kind: 'token', token: stored ?? makeToken(-60_000), refreshBufferMs: setup.refreshBufferMs, storage: undefined };
  const authActors =
    options.auth === 'scripted'
      ? scriptedActors
      : createAuthActors({ apiBase: 'http://localhost:8000', fetch: fakeFetch, auth: resolvedAuth, vault: fullVault, now: () => clock.now(), skewMs });

  let root: ActorRefFrom<typeof clientMachine>;
  const auth = () => root.system.get('auth') as ActorRefFrom<typeof authMachine>;

  /** The auth machine re-acquires when told the token expired while it held one (a supporting check). */
  const holding = (s: AuthSnapshot) => s.matches('valid') || s.matches('refreshing') || s.matches('refreshRetry');
  function checkReaction(before: AuthSnapshot, after: AuthSnapshot) {
    if (holding(before) && holding(after)) {
      violations.push(`token.expired left the auth machine in ${JSON.stringify(after.value)} (it was ${JSON.stringify(before.value)})`);
    }
  }

  /**
   * The client's own getter (src/actors/token.ts) on the simulated clock. The real client gives up
   * after `connectionTimeout` of real time; here the connection machine's own `connectionTimeout`
   * (simulated) ends the attempt, so the getter waits without a timeout.
   */
  const getToken = createTokenGetter({
    vault,
    auth,
    reportExpired: () => {
      const before = auth().getSnapshot();
      root.send({ type: 'token.expired' });
      checkReaction(before, auth().getSnapshot());
    },
    reportRefused: () => root.send({ type: 'token.refused' }),
    now: () => clock.now(),
    skewMs,
  });

  const live = () => sockets.filter((s) => s.stoppedAt === null);

  const socket = fromCallback<SocketCommand, SocketInput, SocketEvent>(({ sendBack }) => {
    if (live().length > 0) violations.push(`socket #${sockets.length} started while another is live`);
    const fake: Socket = { id: sockets.length, stoppedAt: null, waiting: true, token: null, opened: false, emit: sendBack };
    sockets.push(fake);
    // like partysocket, which asks its URL provider after a microtask, never inside the machine's step
    Promise.resolve()
      .then(getToken)
      .then(
        (token) => {
          fake.waiting = false;
          if (fake.stoppedAt !== null) {
            stats.tokensToStoppedSockets++; // the real socket was closed meanwhile: partysocket never opens it
            return;
          }
          stats.tokensToLiveSockets++;
          if (refused.size > 0) stats.tokensAfterRefusal++;
          fake.token = token;
          // property 5c: never an attempt with a token the server refused
          if (refused.has(token)) violations.push(`socket #${fake.id} got a token the server had refused`);
          // not expired, and valid as src/client.ts means it (`exp` more than the skew ahead)
          const expiresAt = tokenExpiry(token);
          if (expiresAt !== undefined && !(expiresAt > clock.now())) {
            violations.push(`socket #${fake.id} got a token that expired at ${expiresAt}, at ${clock.now()}`);
          } else if (!isTokenValid(token, clock.now(), skewMs)) {
            violations.push(`socket #${fake.id} got a token that expires at ${expiresAt}, within the ${skewMs} ms skew of now (${clock.now()})`);
          }
        },
        (error: unknown) => {
          fake.waiting = false;
          stats.getterFailures++;
          // the getter gives up only when the auth machine says a person must log in, or the client is gone
          const authNow = root.getSnapshot().status === 'active' ? auth().getSnapshot() : undefined;
          if (authNow !== undefined && !authNow.matches('authRequired') && !authNow.matches('loggedOut')) {
            violations.push(`the token getter gave up while auth is ${JSON.stringify(authNow.value)}`);
          }
          if (fake.stoppedAt === null) {
            sendBack({ type: 'socket.failed', problem: { reason: 'auth_required', message: error instanceof Error ? error.message : String(error) } });
          }
        },
      );
    return () => {
      fake.stoppedAt = clock.now();
    };
  });

  const provided = clientMachine.provide({
    actors: {
      auth: authMachine.provide({ actors: authActors }),
      connection: connectionMachine.provide({ actors: { socket, awaitToken: awaitTokenLogic(getToken) } }),
    },
  });
  root = createActor(provided, {
    clock,
    input: {
      auth: { mode: setup.mode, refreshBufferMs: setup.refreshBufferMs, retryDelayMs: setup.retryDelayMs },
      connection: {
        ...baseConnectionInput,
        reconnection: { initialDelay: 500, maxDelay: 5_000, backoffMultiplier: 2, maxAttempts: setup.maxAttempts, jitterFactor: 0.3 },
        connectionTimeout: 10_000,
        pingInterval: 15_000,
        pongTimeout: 5_000,
        seed: setup.seed,
      },
      outbox: { replyTimeoutMs: 30_000 },
    },
  });
  root.start();

  return {
    root,
    clock,
    vault,
    pending,
    sockets,
    violations,
    stats,
    auth,
    live,
    /** What socket.actor.ts does when the server refuses a token. */
    refuse(token: string) {
      refused.add(token);
      getToken.refuse(token);
      stats.refusals++;
    },
    refused,
    usable: () => vault.token !== null && isTokenValid(vault.token, clock.now(), skewMs),
  };
}

type World = ReturnType<typeof makeWorld> & { readonly checkVaultInStep: boolean };

// ------------------------------------------------------------------------------------ model and checks

interface Model {
  disposed: boolean;
  /** Unanswered auth requests. */
  pending: number;
  /** The current socket: none, waiting for its token, holding one, or opened. */
  socket: 'none' | 'waiting' | 'token' | 'open';
  vaultToken: boolean;
}

function syncModel(m: Model, w: World): void {
  m.disposed = w.root.getSnapshot().status !== 'active';
  m.pending = w.pending.length;
  const current = w.live()[0];
  m.socket = current === undefined ? 'none' : current.waiting ? 'waiting' : current.opened ? 'open' : current.token !== null ? 'token' : 'none';
  m.vaultToken = w.vault.token !== null;
}

/** The token in the vault is the one the auth machine last accepted (its `expiresAt` is that token's). */
function vaultInStep(w: World, auth: AuthSnapshot): boolean {
  const { expiresAt } = auth.context;
  return expiresAt === null || (w.vault.token !== null && tokenExpiry(w.vault.token) === expiresAt);
}

function checkInvariants(w: World): void {
  if (w.violations.length > 0) throw new Error(w.violations.join('\n'));
  expect(w.live().length).toBeLessThanOrEqual(1);
  if (w.root.getSnapshot().status !== 'active') {
    // disposed: nothing live, nothing scheduled
    expect(w.live()).toHaveLength(0);
    expect(w.clock.pending).toBe(0);
    return;
  }
  const auth = w.auth().getSnapshot();
  // property 5c, supporting: auth never stays `valid` holding a token the server refused
  if (auth.matches('valid') && w.vault.token !== null && w.refused.has(w.vault.token)) {
    throw new Error('auth is valid with a token the server refused');
  }
  // supporting check: the auth machine is `valid` only while the token it holds has not expired
  if (auth.matches('valid') && auth.context.expiresAt !== null && !(auth.context.expiresAt > w.clock.now())) {
    throw new Error(`auth is valid with a token that expired at ${auth.context.expiresAt}, now ${w.clock.now()}`);
  }
  const inStep = vaultInStep(w, auth);
  if (w.checkVaultInStep && !inStep) {
    throw new Error(
      `the vault holds a token expiring at ${w.vault.token === null ? null : tokenExpiry(w.vault.token)}, ` +
        `but the auth machine (${JSON.stringify(auth.value)}) holds one expiring at ${auth.context.expiresAt}`,
    );
  }
  // a getter does not hang where src/client.ts getToken stops waiting (it waits on the machine's
  // snapshots, so this holds only while the vault is what the machine thinks it is)
  if (!inStep) return;
  const settled = (auth.matches('valid') && w.usable()) || auth.matches('authRequired') || auth.matches('loggedOut');
  const stuck = w.live().find((s) => s.waiting);
  if (settled && stuck) throw new Error(`socket #${stuck.id} still waits for a token while auth is ${JSON.stringify(auth.value)}`);
}

abstract class Step implements fc.AsyncCommand<Model, World> {
  check(m: Readonly<Model>): boolean {
    return !m.disposed && this.applies(m);
  }
  applies(_m: Readonly<Model>): boolean {
    return true;
  }
  abstract act(m: Model, w: World): Promise<void> | void;
  abstract toString(): string;
  async run(m: Model, w: World): Promise<void> {
    await this.act(m, w);
    await flush();
    checkInvariants(w);
    syncModel(m, w);
  }
}

class Send extends Step {
  constructor(readonly type: 'connect' | 'disconnect' | 'login' | 'logout' | 'token.expired' | 'dispose') {
    super();
  }
  act(_m: Model, w: World) {
    w.root.send({ type: this.type });
  }
  toString = () => this.type;
}

/** The socket opens and the server sends the full burst. */
class Open extends Step {
  override applies(m: Readonly<Model>) {
    return m.socket === 'token';
  }
  act(_m: Model, w: World) {
    const socket = w.live()[0]!;
    socket.opened = true;
    socket.emit({ type: 'socket.opened' });
    for (const event of [server.uiSessionIdChanged('UI-1'), server.chatSessionChanged('chat-1'), server.userTurnStart()]) {
      if (socket.stoppedAt === null) socket.emit({ type: 'server.event', event });
    }
  }
  toString = () => 'open+burst';
}

/** The socket drops (a handshake refusal, a network loss, a server restart…). */
class Drop extends Step {
  constructor(readonly code: number) {
    super();
  }
  override applies(m: Readonly<Model>) {
    return m.socket === 'token' || m.socket === 'open';
  }
  act(_m: Model, w: World) {
    const socket = w.live()[0]!;
    // a close whose code forbids retrying (1008): socket.actor.ts marks the token
    if (socket.opened && socket.token !== null && !classifyClose(this.code).retry) w.refuse(socket.token);
    socket.emit({ type: 'socket.closed', code: this.code, reason: '' });
  }
  toString = () => `drop(${this.code})`;
}

/** The handshake is refused before open: HTTP 500 (the token is marked), or no cause (a browser: auth verifies). */
class Refuse extends Step {
  constructor(readonly status: number | null) {
    super();
  }
  override applies(m: Readonly<Model>) {
    return m.socket === 'token';
  }
  act(_m: Model, w: World) {
    const socket = w.live()[0]!;
    if (this.status !== null) w.refuse(socket.token!);
    socket.emit({ type: 'socket.refused', status: this.status, message: 'refused' });
  }
  toString = () => `refuse(${this.status})`;
}

/** Answers one pending login/refresh/provider call: the `index`-th (mod the count), oldest first. */
class Answer extends Step {
  constructor(
    readonly index: number,
    readonly outcome: Outcome,
  ) {
    super();
  }
  override applies(m: Readonly<Model>) {
    return m.pending > 0;
  }
  act(_m: Model, w: World) {
    const [request] = w.pending.splice(this.index % w.pending.length, 1);
    request!.answer(this.outcome);
  }
  toString = () => `answer(#${this.index}: ${this.outcome.kind === 'ok' ? `ok, lives ${this.outcome.lifeMs}ms` : this.outcome.kind})`;
}

class Advance extends Step {
  constructor(readonly ms: number) {
    super();
  }
  act(_m: Model, w: World) {
    return w.clock.advanceAsync(this.ms, flush);
  }
  toString = () => `advance(${this.ms}ms)`;
}

/** Advances to the vault token's expiry plus `offset` (around the skew edge and past it); no step if that is past. */
class ToExpiry extends Step {
  constructor(readonly offset: number) {
    super();
  }
  override applies(m: Readonly<Model>) {
    return m.vaultToken;
  }
  act(_m: Model, w: World) {
    const expiresAt = tokenExpiry(w.vault.token!) ?? w.clock.now();
    return w.clock.advanceAsync(Math.max(0, expiresAt + this.offset - w.clock.now()), flush);
  }
  toString = () => `toExpiry(${this.offset >= 0 ? '+' : ''}${this.offset}ms)`;
}

/** Token lifetimes: often near the 5 s skew, sometimes up to two minutes. */
const lifeArb = fc.oneof(fc.integer({ min: 1_000, max: 3 * SKEW_MS }), fc.integer({ min: 1_000, max: MAX_LIFE_MS }));

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 3, arbitrary: lifeArb.map((lifeMs) => ({ kind: 'ok' as const, lifeMs })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rejected' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'network' as const }) },
);

const times = <T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T>[] => Array.from({ length: n }, () => arb);

const commandArbs: fc.Arbitrary<fc.AsyncCommand<Model, World>>[] = [
  ...times(3, fc.constant(new Send('connect'))),
  fc.constant(new Send('disconnect')),
  fc.constantFrom<'login' | 'logout' | 'token.expired'>('login', 'logout', 'token.expired').map((type) => new Send(type)),
  ...times(2, fc.constant(new Open())),
  ...times(2, fc.constantFrom(1000, 1006, 1008, 1011, 1012, 4000).map((code) => new Drop(code))),
  ...times(2, fc.constantFrom<number | null>(500, 500, null).map((status) => new Refuse(status))),
  ...times(5, fc.tuple(fc.nat(3), outcomeArb).map(([index, outcome]) => new Answer(index, outcome))),
  ...times(2, fc.integer({ min: 0, max: 2 * MAX_LIFE_MS }).map((ms) => new Advance(ms))),
  fc.integer({ min: 0, max: 2_000 }).map((ms) => new Advance(ms)),
  ...times(2, fc.integer({ min: -SKEW_MS - 1_000, max: 2_000 }).map((offset) => new ToExpiry(offset))),
];

const setupArb: fc.Arbitrary<Setup> = fc.record({
  mode: fc.constantFrom<AuthMode>('credentials', 'provider', 'token'),
  storedLifeMs: fc.option(lifeArb, { nil: null }),
  refreshBufferMs: fc.integer({ min: 0, max: 30_000 }),
  retryDelayMs: fc.integer({ min: 500, max: 5_000 }),
  maxAttempts: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 0, max: 0xffff_ffff }),
});

type Totals = Record<keyof ReturnType<typeof makeWorld>['stats'], number>;

async function runClient(
  setup: Setup,
  commands: Iterable<fc.AsyncCommand<Model, World>>,
  options: Options & { checkVaultInStep: boolean },
  totals: Totals,
): Promise<void> {
  const w: World = Object.assign(makeWorld(setup, options), { checkVaultInStep: options.checkVaultInStep });
  await flush();
  const model: Model = { disposed: false, pending: 0, socket: 'none', vaultToken: false };
  syncModel(model, w);
  try {
    await fc.asyncModelRun(() => ({ model, real: w }), commands);
    // disposing stops everything: no live socket, no timer
    if (!model.disposed) await new Send('dispose').run(model, w);
  } finally {
    for (const key of Object.keys(totals) as (keyof Totals)[]) totals[key] += w.stats[key];
    if (w.root.getSnapshot().status === 'active') w.root.stop();
  }
}

const emptyTotals = (): Totals => ({ tokensToLiveSockets: 0, tokensToStoppedSockets: 0, getterFailures: 0, answered: 0, staleAnswers: 0, refusals: 0, tokensAfterRefusal: 0 });

/** For 5c: more connects, successful answers and refusals, so that refused handshakes meet renewals often. */
const refusalArbs: fc.Arbitrary<fc.AsyncCommand<Model, World>>[] = [
  ...commandArbs,
  ...times(3, fc.constant(new Send('connect'))),
  ...times(4, fc.tuple(fc.nat(3), lifeArb).map(([index, lifeMs]) => new Answer(index, { kind: 'ok', lifeMs }))),
  ...times(6, fc.constantFrom<number | null>(500, 500, null).map((status) => new Refuse(status))),
];

const run = (options: Options & { checkVaultInStep: boolean }, totals: Totals, arbs = commandArbs) =>
  fc.asyncProperty(setupArb, fc.commands(arbs, { maxCommands: 40, size: 'max' }), (setup, commands) => runClient(setup, commands, options, totals));

describe('client machine properties', () => {
  it('5. never hands a socket an expired token (scripted auth actors; refreshes racing with expiry, drops and reconnects)', async () => {
    const totals = emptyTotals();
    await fc.assert(run({ auth: 'scripted', checkVaultInStep: false }, totals), { numRuns: 150 });
    // the property was exercised: thresholds at about half the usual counts (200–270 tokens, 390–490
    // getter failures, 30–45 stale answers), so that a run of unlucky random sequences does not fail
    expect(totals.tokensToLiveSockets).toBeGreaterThan(100);
    expect(totals.getterFailures).toBeGreaterThan(10);
    expect(totals.staleAnswers).toBeGreaterThan(10);
  });

  it('5. never hands a socket an expired token (the real auth actors over a scripted fetch)', async () => {
    const totals = emptyTotals();
    await fc.assert(run({ auth: 'real', checkVaultInStep: false }, totals), { numRuns: 100 });
    expect(totals.tokensToLiveSockets).toBeGreaterThan(50); // usually 100–150: about half, see above
  });

  it('5c. never a connection attempt with a token the server refused (refused handshakes and 1008 closes racing with renewals, expiry and drops)', async () => {
    for (const auth of ['scripted', 'real'] as const) {
      const totals = emptyTotals();
      await fc.assert(run({ auth, checkVaultInStep: false }, totals, refusalArbs), { numRuns: 150 });
      // exercised: refusals happened and tokens were handed out after them
      expect(totals.refusals, auth).toBeGreaterThan(20); // usually 40–60
      expect(totals.tokensAfterRefusal, auth).toBeGreaterThan(15); // usually 30–80
    }
  });

  /**
   * Fails with src/actors/auth.actors.ts as committed up to dd01663, and passes once `keep()` skips a
   * call whose actor was stopped. There the auth actors ignored their abort signal, so a
   * login or refresh the auth machine had already abandoned (e.g. `token.expired` moved it from
   * `refreshing` to `loggingIn`) still ran `keep()` when its answer came: the vault (and the
   * storage) got a token the machine never accepted, the machine's `expiresAt` described another
   * token, and a getter waiting on the machine's snapshots missed the usable token in the vault.
   * Shrunk counterexample against dd01663:
   *   {"mode":"credentials","storedLifeMs":null,"refreshBufferMs":0,…}, answer(#0: ok, lives 1000ms),
   *   advance(1000ms), connect, answer(#0: ok, lives 1000ms)
   *   → "the vault holds a token expiring at 2000, but the auth machine ("loggingIn") holds one
   *      expiring at 1000"
   * (the login gives a 1 s token; the refresh starts at its expiry; the socket's getter sees the token expired and sends
   * `token.expired`, which abandons the refresh for a login; the abandoned refresh then answers).
   */
  it('5b. the vault holds the token the auth machine last accepted (abandoned auth calls do not write it)', async () => {
    await fc.assert(run({ auth: 'real', checkVaultInStep: true }, emptyTotals()), { numRuns: 150 });
  });
});
