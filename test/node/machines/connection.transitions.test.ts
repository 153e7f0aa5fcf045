/**
 * Pure transitions of the connection machine: `initialTransition` / `transition` return the next
 * snapshot and the actions to run, and execute nothing.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { DEFAULT_RECONNECTION } from '../../../src/machines/connection.logic.js';
import { connectionMachine, type ConnectionInput } from '../../../src/machines/connection.machine.js';

const input: ConnectionInput = {
  reconnection: { ...DEFAULT_RECONNECTION, maxAttempts: 2 },
  autoReconnect: true,
  connectionTimeout: 10_000,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  stableAfter: 5_000,
  maxMessageSize: 1024,
  agentKey: 'default',
  chatSessionId: null,
  uiSessionId: null,
  seed: 1,
};

const types = (actions: readonly { type: string }[]) => actions.map((action) => action.type);

describe('connection machine, pure transitions', () => {
  const [initial] = initialTransition(connectionMachine, input);

  it('starts idle with the input as context', () => {
    expect(initial.value).toBe('idle');
    expect(initial.context).toMatchObject({ attempt: 0, agentKey: 'default', lastError: null, nextDelay: null });
  });

  it('connect enters an attempt: starts the socket actor and schedules the connect timeout', () => {
    const [next, actions] = transition(connectionMachine, initial, { type: 'connect' });
    expect(next.value).toEqual({ attempt: { phase: { starting: 'opening' }, heartbeat: 'off' } });
    const kinds = types(actions);
    expect(kinds).toContain('xstate.spawnChild'); // the invoked socket
    expect(kinds).toContain('xstate.raise'); // the delayed connectionTimeout event
    expect(actions.find((a) => a.type === 'xstate.raise')).toMatchObject({ params: { delay: 10_000 } });
  });

  it('a closed socket plans a retry with a jittered delay, without running anything', () => {
    const [attempt] = transition(connectionMachine, initial, { type: 'connect' });
    const [retrying, actions] = transition(connectionMachine, attempt, { type: 'socket.closed', code: 1006, reason: '' });
    expect(retrying.value).toBe('retrying');
    expect(retrying.context.attempt).toBe(1);
    expect(retrying.context.nextDelay).toBeGreaterThanOrEqual(700);
    expect(retrying.context.nextDelay).toBeLessThanOrEqual(1300);
    expect(retrying.context.lastError).toMatchObject({ reason: 'network' });
    expect(types(actions)).toContain('xstate.stopChild'); // the socket is stopped
    expect(actions.find((a) => a.type === 'xstate.raise')).toMatchObject({ params: { delay: retrying.context.nextDelay } });
  });

  it('the same snapshot and event always give the same delay (the jitter PRNG lives in context)', () => {
    const [attempt] = transition(connectionMachine, initial, { type: 'connect' });
    const a = transition(connectionMachine, attempt, { type: 'socket.closed', code: 1006, reason: '' })[0];
    const b = transition(connectionMachine, attempt, { type: 'socket.closed', code: 1006, reason: '' })[0];
    expect(a.context.nextDelay).toBe(b.context.nextDelay);
  });

  it('ready schedules the ping and the stability timer; the ping is an action sent to the socket', () => {
    let [s] = transition(connectionMachine, initial, { type: 'connect' });
    [s] = transition(connectionMachine, s, { type: 'socket.opened' });
    const [ready, actions] = transition(connectionMachine, s, { type: 'server.event', event: { type: 'user_turn_start' } });
    expect(ready.value).toEqual({ attempt: { phase: 'ready', heartbeat: 'waiting' } });
    expect(actions.filter((a) => a.type === 'xstate.raise').map((a) => (a as { params: { delay: number } }).params.delay)).toContain(5_000);
    const [, pingActions] = transition(connectionMachine, ready, { type: 'xstate.after.pingInterval.connection.attempt.heartbeat.waiting' } as never);
    expect(pingActions.find((a) => a.type === 'xstate.sendTo')).toMatchObject({ params: { event: { type: 'socket.send', data: '{"type":"ping"}' } } });
  });

  it('gives up (failed) when the attempts exceed maxAttempts', () => {
    let [s] = transition(connectionMachine, initial, { type: 'connect' });
    for (let i = 0; i < 2; i++) {
      [s] = transition(connectionMachine, s, { type: 'socket.closed', code: 1006, reason: '' });
      expect(s.value).toBe('retrying');
      [s] = transition(connectionMachine, s, { type: 'connect' });
    }
    [s] = transition(connectionMachine, s, { type: 'socket.closed', code: 1006, reason: '' });
    expect(s.value).toBe('failed');
  });
});
