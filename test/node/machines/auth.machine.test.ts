/**
 * The auth machine on a SimulatedClock, with fake actors that play login, refresh and storage.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { authMachine, type AuthActorError, type AuthMode, type TokenInfo } from '../../../src/machines/auth.machine.js';

const HOUR = 3_600_000;

function harness(mode: AuthMode, script: {
  stored?: TokenInfo | null;
  login?: () => TokenInfo;
  refresh?: () => TokenInfo;
  provide?: () => TokenInfo;
} = {}) {
  const calls = { login: 0, refresh: 0, provide: 0 };
  const run = (name: keyof typeof calls, fn?: () => TokenInfo) =>
    fromPromise<TokenInfo>(async () => {
      calls[name]++;
      if (!fn) throw { rejected: true, message: `${name} not scripted` } satisfies AuthActorError;
      return fn();
    });
  const clock = new SimulatedClock();
  const actor = createActor(
    authMachine.provide({
      actors: {
        loadToken: fromPromise(async () => script.stored ?? null),
        login: run('login', script.login),
        refresh: run('refresh', script.refresh),
        provideToken: run('provide', script.provide),
      },
    }),
    { input: { mode, refreshBufferMs: 60_000, retryDelayMs: 5_000 }, clock },
  ).start();
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { actor, clock, calls, settle, value: () => actor.getSnapshot().value };
}

const fresh = (now = 0, life = HOUR): TokenInfo => ({ obtainedAt: now, expiresAt: now + life });

describe('auth machine', () => {
  it('logs in with credentials when nothing is stored, and is valid', async () => {
    const h = harness('credentials', { login: () => fresh() });
    await h.settle();
    await h.settle();
    expect(h.value()).toBe('valid');
    expect(h.calls.login).toBe(1);
  });

  it('uses a stored token that is still valid without logging in', async () => {
    const h = harness('credentials', { stored: fresh(), login: () => fresh() });
    await h.settle();
    expect(h.value()).toBe('valid');
    expect(h.calls.login).toBe(0);
  });

  it('refreshes refreshBufferMs before expiry, not earlier', async () => {
    const h = harness('credentials', { stored: fresh(0, HOUR), refresh: () => fresh(HOUR - 60_000) });
    await h.settle();
    h.clock.increment(HOUR - 60_000 - 1);
    expect(h.calls.refresh).toBe(0);
    h.clock.increment(1);
    await h.settle();
    expect(h.calls.refresh).toBe(1);
    expect(h.value()).toBe('valid');
    expect(h.actor.getSnapshot().context.expiresAt).toBe(2 * HOUR - 60_000);
  });

  it('refreshes a short-lived token at half its life instead of in a loop', async () => {
    const h = harness('token', { stored: fresh(0, 10_000), refresh: () => fresh(5_000, 10_000) });
    await h.settle();
    h.clock.increment(4_999);
    expect(h.calls.refresh).toBe(0);
    h.clock.increment(1);
    await h.settle();
    expect(h.calls.refresh).toBe(1);
  });

  it('logs in again when the refresh is refused (an expired token cannot be refreshed)', async () => {
    const h = harness('credentials', { stored: fresh(0, HOUR), login: () => fresh(HOUR) });
    await h.settle();
    h.clock.increment(HOUR);
    await h.settle();
    await h.settle();
    expect(h.calls.refresh).toBe(1);
    expect(h.calls.login).toBe(1);
    expect(h.value()).toBe('valid');
  });

  it('goes to authRequired when a static token cannot be refreshed, with a clear reason', async () => {
    const h = harness('token', { stored: fresh(0, HOUR) });
    await h.settle();
    h.clock.increment(HOUR);
    await h.settle();
    await h.settle();
    expect(h.value()).toBe('authRequired');
    expect(h.actor.getSnapshot().context.lastError?.reason).toBe('auth_required');
  });

  it('goes to authRequired when the credentials are refused', async () => {
    const h = harness('credentials');
    await h.settle();
    await h.settle();
    expect(h.value()).toBe('authRequired');
    expect(h.actor.getSnapshot().context.lastError).toMatchObject({ reason: 'auth_failed' });
  });

  it('retries a login that failed on the network after retryDelay', async () => {
    let attempts = 0;
    const h = harness('credentials', {
      login: () => {
        if (++attempts === 1) throw { rejected: false, message: 'ECONNREFUSED' } satisfies AuthActorError;
        return fresh();
      },
    });
    await h.settle();
    await h.settle();
    expect(h.value()).toBe('waitingToRetry');
    expect(h.actor.getSnapshot().context.lastError?.reason).toBe('network');
    h.clock.increment(5_000);
    await h.settle();
    await h.settle();
    expect(h.value()).toBe('valid');
  });

  it('keeps the current token when a refresh fails on the network, and tries again', async () => {
    let refreshes = 0;
    const h = harness('credentials', {
      stored: fresh(0, HOUR),
      refresh: () => {
        if (++refreshes === 1) throw { rejected: false, message: 'offline' } satisfies AuthActorError;
        return fresh(HOUR);
      },
    });
    await h.settle();
    h.clock.increment(HOUR - 60_000);
    await h.settle();
    expect(h.value()).toBe('refreshRetry');
    h.clock.increment(5_000);
    await h.settle();
    expect(h.value()).toBe('valid');
    expect(refreshes).toBe(2);
  });

  it('re-acquires when the client reports the token expired', async () => {
    const h = harness('provider', { provide: () => fresh() });
    await h.settle();
    await h.settle();
    expect(h.calls.provide).toBe(1);
    h.actor.send({ type: 'token.expired' });
    await h.settle();
    expect(h.calls.provide).toBe(2);
    expect(h.value()).toBe('valid');
  });

  it('never schedules a timer past ~24.8 days: a far expiry waits in capped steps', async () => {
    const due = 60 * 24 * HOUR - 60_000; // 60 days: more than two capped steps of 2^31-1 ms
    const MAX = 2_147_483_647;
    const h = harness('token', { stored: fresh(0, 60 * 24 * HOUR), refresh: () => fresh(due, HOUR) });
    await h.settle();
    // SimulatedClock schedules a timer set during a step from the step's end, so step to each boundary
    for (const step of [MAX, MAX, due - 2 * MAX - 1]) {
      h.clock.increment(step);
      await h.settle();
      expect(h.calls.refresh).toBe(0);
      expect(h.value()).toBe('valid');
    }
    h.clock.increment(1);
    await h.settle();
    expect(h.calls.refresh).toBe(1);
  });

  it('logout forgets the token; login logs in again', async () => {
    const h = harness('credentials', { login: () => fresh() });
    await h.settle();
    await h.settle();
    h.actor.send({ type: 'logout' });
    expect(h.value()).toBe('loggedOut');
    expect(h.actor.getSnapshot().context.expiresAt).toBeNull();
    h.actor.send({ type: 'login' });
    await h.settle();
    expect(h.value()).toBe('valid');
    expect(h.calls.login).toBe(2);
  });
});
