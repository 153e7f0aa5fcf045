/**
 * `metrics$` on the simulator: the connect stages, time in each state, text → first delta, cancel →
 * confirmed and → silence, reconnect → ready, each counted once per occurrence, in plausible ranges.
 */
import { afterEach, expect, it } from 'vitest';
import type { ClientMetrics, RealtimeClient } from '../../../src/index.js';
import { cleanup, makeClient, startSim, until } from './harness.js';

afterEach(cleanup);

const current = (client: RealtimeClient): ClientMetrics => {
  let value!: ClientMetrics;
  client.metrics$.subscribe((m) => (value = m)).unsubscribe();
  return value;
};

it('counts the connect stages, the first delta, a cancel and a reconnect', async () => {
  const sim = await startSim({ deltaMs: 20 });
  const h = makeClient(sim);
  const started = Date.now();
  await h.connect();
  let m = current(h.client);
  expect(m.connectOpen.count).toBe(1);
  expect(m.connectInitialize.count).toBe(1);
  expect(m.connectOpen.last! + m.connectInitialize.last!).toBeLessThanOrEqual(Date.now() - started);
  expect(Object.keys(m.timeInState)).toEqual(expect.arrayContaining(['connecting', 'initializing']));
  expect(m.timeToFirstDelta.count).toBe(0);

  await h.client.sendText('hello');
  m = current(h.client);
  expect(m.timeToFirstDelta.count).toBe(1);
  expect(m.timeToFirstDelta.last).toBeGreaterThanOrEqual(0);

  const answer = h.client.sendText('SLOW 100').catch(() => undefined);
  await h.waitForEvent((event) => event.type === 'text_delta', 3_000, h.timeline.length);
  await h.client.cancel();
  await answer;
  await until(() => current(h.client).cancelToSilence.count === 1, 3_000, 'the cancelled answer ended');
  m = current(h.client);
  expect(m.timeToFirstDelta.count).toBe(2);
  expect(m.cancelToConfirmed.count).toBe(1);
  expect(m.cancelToSilence.last!).toBeGreaterThanOrEqual(m.cancelToConfirmed.last!);

  const from = h.timeline.length;
  sim.control.dropSocket();
  await h.waitForState('reconnecting', 3_000, from);
  await h.waitForState('ready', 5_000, from);
  m = current(h.client);
  expect(m.reconnectToReady.count).toBe(1);
  expect(m.timeInState.ready).toBeGreaterThan(0);
});
