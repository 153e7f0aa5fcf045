/**
 * A refused handshake on the charts (issue 10, defect 1): the root machine with its real auth and
 * connection children on a SimulatedClock, fake socket and auth actors, and the client's own token
 * getter (src/actors/token.ts) over a vault, so that "the token the socket was given" is observable.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock, type ActorRefFrom } from 'xstate';
import type { SocketCommand, SocketEvent, SocketInput } from '../../../src/machines/socket.contract.js';
import { awaitTokenLogic, createTokenGetter } from '../../../src/actors/token.js';
import { tokenExpiry } from '../../../src/machines/auth.logic.js';
import { authMachine, type AuthActorError, type AuthMode, type TokenInfo } from '../../../src/machines/auth.machine.js';
import { clientMachine } from '../../../src/machines/client.machine.js';
import { connectionMachine } from '../../../src/machines/connection.machine.js';
import { baseConnectionInput, server } from '../properties/harness.js';

/** `held`: the call waits until the test answers it through `held`. */
type Answer = 'ok' | 'rejected' | 'network' | 'pending' | 'held';

interface Script {
  readonly mode: AuthMode;
  /** What each call answers, in order (the last one repeats). */
  readonly refresh?: Answer[];
  readonly login?: Answer[];
  readonly provide?: Answer[];
}

interface Attempt {
  token: string | null;
  failed: string | null;
  stopped: boolean;
  emit(event: SocketEvent): void;
}

function world(script: Script) {
  const clock = new SimulatedClock();
  const vault: { token: string | null; refusedToken?: string | null } = { token: null };
  const calls = { refresh: 0, login: 0, provide: 0 };
  const held: ((answer: 'ok' | 'rejected' | 'network') => void)[] = [];
  let serial = 0;
  const makeToken = () => {
    const payload = Buffer.from(JSON.stringify({ exp: Math.floor((clock.now() + 3_600_000) / 1000), jti: ++serial })).toString('base64url');
    return `eyJhbGciOiJIUzI1NiJ9.${payload}.sig`;
  };
  const keep = (token: string): TokenInfo => {
    vault.token = token;
    return { expiresAt: tokenExpiry(token) ?? null, obtainedAt: clock.now() };
  };
  const scripted = (kind: keyof typeof calls) =>
    fromPromise<TokenInfo>(async () => {
      const answers = script[kind] ?? ['rejected'];
      const answer = answers[Math.min(calls[kind]++, answers.length - 1)]!;
      if (answer === 'pending') return new Promise<TokenInfo>(() => undefined);
      const settle = (final: 'ok' | 'rejected' | 'network'): TokenInfo => {
        if (final === 'ok') return keep(makeToken());
        throw { rejected: final === 'rejected', message: `${kind} ${final}` } satisfies AuthActorError;
      };
      if (answer === 'held') return new Promise<TokenInfo>((resolve, reject) => held.push((final) => {
        try {
          resolve(settle(final));
        } catch (error) {
          reject(error);
        }
      }));
      return settle(answer);
    });
  const initial = makeToken();
  vault.token = initial;
  const authActors = {
    loadToken: fromPromise<TokenInfo | null>(async () => ({ expiresAt: tokenExpiry(initial) ?? null, obtainedAt: 0 })),
    refresh: scripted('refresh'),
    login: scripted('login'),
    provideToken: scripted('provide'),
  };

  let root!: ActorRefFrom<typeof clientMachine>;
  const auth = () => root.system.get('auth') as ActorRefFrom<typeof authMachine>;
  const getToken = createTokenGetter({
    vault,
    auth,
    reportExpired: () => root.send({ type: 'token.expired' }),
    reportRefused: () => root.send({ type: 'token.refused' }),
    now: () => clock.now(),
    skewMs: 5_000,
  });
  const attempts: Attempt[] = [];
  // like socket.actor.ts: the token right before opening; a refusal marks it
  const socket = fromCallback<SocketCommand, SocketInput, SocketEvent>(({ sendBack }) => {
    const attempt: Attempt = { token: null, failed: null, stopped: false, emit: sendBack };
    attempts.push(attempt);
    Promise.resolve()
      .then(getToken)
      .then(
        (token) => {
          attempt.token = token;
        },
        (error: { reason?: string; message: string }) => {
          attempt.failed = error.reason ?? 'auth_required';
          if (!attempt.stopped) sendBack({ type: 'socket.failed', problem: { reason: error.reason === 'network' || error.reason === 'timeout' ? error.reason : 'auth_required', message: error.message } });
        },
      );
    return () => {
      attempt.stopped = true;
    };
  });
  root = createActor(
    clientMachine.provide({
      actors: {
        auth: authMachine.provide({ actors: authActors }),
        connection: connectionMachine.provide({ actors: { socket, awaitToken: awaitTokenLogic(getToken) } }),
      },
    }),
    {
      clock,
      input: {
        auth: { mode: script.mode, refreshBufferMs: 60_000, retryDelayMs: 5_000 },
        connection: { ...baseConnectionInput, reconnection: { initialDelay: 1_000, maxDelay: 5_000, backoffMultiplier: 2, maxAttempts: 0, jitterFactor: 0 } },
        outbox: { replyTimeoutMs: 30_000 },
      },
    },
  ).start();
  const connection = () => root.system.get('connection') as ActorRefFrom<typeof connectionMachine>;
  const settle = async () => {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  const last = () => attempts.at(-1)!;
  const openReady = () => {
    last().emit({ type: 'socket.opened' });
    for (const event of [server.uiSessionIdChanged('UI-1'), server.chatSessionChanged('chat-1'), server.userTurnStart()]) last().emit({ type: 'server.event', event });
  };
  /** The server refuses the last attempt's token (what socket.actor.ts does on `Unexpected server response: 500`). */
  const refuse = (status: number | null = 500) => {
    if (status !== null) getToken.refuse(last().token!);
    last().emit({ type: 'socket.refused', status, message: `refused (${status})` });
  };
  return {
    root,
    clock,
    vault,
    calls,
    held,
    attempts,
    last,
    settle,
    openReady,
    refuse,
    authState: () => JSON.stringify(auth().getSnapshot().value).replaceAll('"', ''),
    connectionState: () => {
      const value = connection().getSnapshot().value;
      return typeof value === 'string' ? value : 'attempt';
    },
    lastError: () => connection().getSnapshot().context.lastError,
    initial,
  };
}

async function readyWorld(script: Script) {
  const w = world(script);
  await w.settle();
  w.root.send({ type: 'connect' });
  await w.settle();
  expect(w.last().token).toBe(w.initial);
  w.openReady();
  expect(w.connectionState()).toBe('attempt');
  // the socket drops; the reconnect's handshake is refused
  w.last().emit({ type: 'socket.closed', code: 1006, reason: '' });
  w.clock.increment(1_000);
  await w.settle();
  expect(w.attempts).toHaveLength(2);
  expect(w.last().token).toBe(w.initial);
  return w;
}

describe('a refused handshake on the charts', () => {
  it('credentials: refused → awaitingToken, auth verifying → refresh 401 → login → a new attempt with the new token, ready', async () => {
    const w = await readyWorld({ mode: 'credentials', refresh: ['rejected'], login: ['ok'] });
    w.refuse(500);
    expect(w.connectionState()).toBe('awaitingToken');
    expect(w.authState()).toBe('verifying'); // not `valid` with a refused token
    expect(w.lastError()).toMatchObject({ reason: 'refused' });
    await w.settle();
    expect(w.calls).toMatchObject({ refresh: 1, login: 1 });
    expect(w.authState()).toBe('valid');
    expect(w.attempts).toHaveLength(3);
    expect(w.last().token).not.toBe(w.initial);
    expect(w.last().token).toBe(w.vault.token);
    w.openReady();
    expect(w.connectionState()).toBe('attempt');
    expect(w.lastError()).toBeNull();
  });

  it('provider: the provider is asked again', async () => {
    const w = await readyWorld({ mode: 'provider', provide: ['ok'] });
    w.refuse(500);
    await w.settle();
    expect(w.calls.provide).toBe(1); // in provider mode the refresh is the provider
    expect(w.last().token).toBe(w.vault.token);
    expect(w.last().token).not.toBe(w.initial);
  });

  it('static token: the refresh is refused → authRequired; the connection fails auth_required without another attempt', async () => {
    const w = await readyWorld({ mode: 'token', refresh: ['rejected'] });
    w.refuse(500);
    await w.settle();
    expect(w.authState()).toBe('authRequired');
    expect(w.connectionState()).toBe('failed');
    expect(w.lastError()).toMatchObject({ reason: 'auth_required' });
    expect(w.attempts).toHaveLength(2);
    // connect again: no attempt is made with the refused token
    w.root.send({ type: 'connect' });
    await w.settle();
    expect(w.attempts.every((a, i) => i < 2 || a.token === null)).toBe(true);
    expect(w.connectionState()).toBe('failed');
  });

  it('refused again after renewal → failed `refused` (no loop), and auth is told again', async () => {
    const w = await readyWorld({ mode: 'credentials', refresh: ['ok'] });
    w.refuse(500);
    await w.settle();
    expect(w.attempts).toHaveLength(3);
    const renewed = w.last().token;
    w.refuse(500);
    expect(w.connectionState()).toBe('failed');
    expect(w.lastError()?.reason).toBe('refused');
    expect(w.lastError()?.message).toContain('refused again after the token was renewed');
    expect(w.authState()).toBe('verifying');
    await w.settle();
    w.clock.increment(60_000);
    await w.settle();
    expect(w.attempts).toHaveLength(3); // nothing more until connect()
    expect(w.vault.token).not.toBe(renewed);
  });

  it('a renewal that does not come within connectionTimeout → retrying with a timeout, then backoff', async () => {
    const w = await readyWorld({ mode: 'credentials', refresh: ['pending'] });
    w.refuse(500);
    await w.settle();
    expect(w.connectionState()).toBe('awaitingToken');
    w.clock.increment(baseConnectionInput.connectionTimeout - 1);
    expect(w.connectionState()).toBe('awaitingToken');
    w.clock.increment(1);
    expect(w.connectionState()).toBe('retrying');
    expect(w.lastError()).toMatchObject({ reason: 'timeout' });
    expect(w.attempts).toHaveLength(2);
  });

  it('no cause (a browser): backoff while auth verifies; the next attempt waits for the verdict and uses the new token', async () => {
    const w = await readyWorld({ mode: 'credentials', refresh: ['held'], login: ['ok'] });
    w.refuse(null);
    expect(w.connectionState()).toBe('retrying');
    expect(w.authState()).toBe('verifying');
    expect(w.lastError()?.reason).toBe('network');
    expect(w.vault.refusedToken ?? null).toBeNull(); // not known refused: only suspected
    w.clock.increment(2_000);
    await w.settle();
    // the next attempt has started, but waits for the verification
    expect(w.attempts).toHaveLength(3);
    expect(w.last().token).toBeNull();
    w.held.shift()!('rejected'); // the refresh route says 401: the token is dead
    await w.settle();
    expect(w.calls.login).toBe(1);
    expect(w.last().token).toBe(w.vault.token);
    expect(w.last().token).not.toBe(w.initial);
  });

  it('no cause, and the refresh route is unreachable too (a server restarting): the token stays in use, attempts go on with backoff', async () => {
    const w = await readyWorld({ mode: 'credentials', refresh: ['network'] });
    w.refuse(null);
    await w.settle();
    expect(w.authState()).toBe('refreshRetry');
    w.clock.increment(2_000);
    await w.settle();
    expect(w.attempts).toHaveLength(3);
    expect(w.last().token).toBe(w.initial);
  });

  it('a close 1008 after open is a refusal too (classifyClose): awaitingToken, not retrying with the same token', async () => {
    const w = await readyWorld({ mode: 'credentials', refresh: ['rejected'], login: ['ok'] });
    getTokenRefuseLast(w);
    w.last().emit({ type: 'socket.opened' });
    w.last().emit({ type: 'socket.closed', code: 1008, reason: 'policy' });
    expect(w.connectionState()).toBe('awaitingToken');
    await w.settle();
    expect(w.last().token).not.toBe(w.initial);
  });
});

/** What the socket actor does before reporting a 1008: mark the token it used. */
function getTokenRefuseLast(w: Awaited<ReturnType<typeof readyWorld>>) {
  w.vault.refusedToken = w.last().token;
}
