/**
 * The connection machine on a SimulatedClock, with a fake socket actor the test drives.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, type AnyActorRef } from 'xstate';
import type { SocketCommand, SocketEvent, SocketInput } from '../../../src/machines/socket.contract.js';
import { DEFAULT_RECONNECTION } from '../../../src/machines/connection.logic.js';
import { connectionMachine, type ConnectionInput } from '../../../src/machines/connection.machine.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { baseConnectionInput } from '../properties/harness.js';

interface FakeSocket {
  readonly input: SocketInput;
  readonly sent: string[];
  stopped: boolean;
  emit(event: SocketEvent): void;
}

function harness(overrides: Partial<ConnectionInput> = {}) {
  const sockets: FakeSocket[] = [];
  const clock = new SimulatedClock();
  const socket = fromCallback<SocketCommand, SocketInput, SocketEvent>(({ input, sendBack, receive }) => {
    const fake: FakeSocket = { input, sent: [], stopped: false, emit: sendBack };
    sockets.push(fake);
    receive((command) => {
      if (command.type === 'socket.send') fake.sent.push(String(command.data));
    });
    return () => {
      fake.stopped = true;
    };
  });
  const input: ConnectionInput = { ...baseConnectionInput, ...overrides };
  const actor = createActor(connectionMachine.provide({ actors: { socket } }), { input, clock }).start();
  const last = () => sockets[sockets.length - 1]!;
  const server = (event: ServerEvent) => last().emit({ type: 'server.event', event });
  const phase = () => {
    const value = actor.getSnapshot().value as string | { attempt: { phase: unknown } };
    return typeof value === 'string' ? value : JSON.stringify(value.attempt.phase);
  };
  const openAndBurst = () => {
    last().emit({ type: 'socket.opened' });
    server({ type: 'ui_session_id_changed', ui_session_id: 'UI-admin-a-b' });
    server({ type: 'chat_session_changed', chat_session: { session_id: 'admin-c-d' } } as ServerEvent);
    server({ type: 'user_turn_start' });
  };
  return { actor, clock, sockets, last, server, phase, openAndBurst };
}

const live = (sockets: FakeSocket[]) => sockets.filter((s) => !s.stopped).length;

describe('connection machine', () => {
  it('goes idle → connecting → initializing → ready only on user_turn_start', () => {
    const h = harness();
    expect(h.phase()).toBe('idle');
    h.actor.send({ type: 'connect' });
    expect(h.phase()).toBe('{"starting":"opening"}');
    h.last().emit({ type: 'socket.opened' });
    expect(h.phase()).toBe('{"starting":"initializing"}');
    for (const type of ['ui_session_id_changed', 'chat_user_data', 'avatar_list', 'voice_list', 'agent_list', 'tool_catalog'] as const) {
      h.server({ type, ui_session_id: 'UI-admin-a-b' } as ServerEvent);
    }
    expect(h.phase()).not.toBe('"ready"');
    h.server({ type: 'chat_session_changed', chat_session: { session_id: 'admin-c-d' } } as ServerEvent);
    expect(h.phase()).toBe('{"starting":"burst"}'); // inside the full burst, chat_session_changed is not the short form
    h.server({ type: 'user_turn_start' });
    expect(h.phase()).toBe('"ready"');
    expect(h.actor.getSnapshot().context).toMatchObject({ uiSessionId: 'UI-admin-a-b', chatSessionId: 'admin-c-d' });
  });

  it('times out an attempt that does not get ready within connectionTimeout, then retries', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.clock.increment(9_999);
    expect(h.phase()).toBe('{"starting":"opening"}');
    h.clock.increment(1);
    expect(h.phase()).toBe('retrying');
    expect(h.actor.getSnapshot().context.lastError?.reason).toBe('timeout');
    expect(h.sockets[0]!.stopped).toBe(true);
  });

  it('is ready at once on the short reconnect form (an answer still streaming keeps user_turn_start back)', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.last().emit({ type: 'socket.opened' });
    h.server({ type: 'chat_session_changed', chat_session: { session_id: 'admin-c-d' } } as ServerEvent);
    expect(h.phase()).toBe('"ready"');
    h.clock.increment(25_000); // no connect timeout, and the heartbeat's pings were answered by nobody yet: still one attempt
    expect(h.sockets).toHaveLength(1);
  });

  it('reuses the ui_session_id it was given on the next attempt', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.last().emit({ type: 'socket.closed', code: 1006, reason: '' });
    expect(h.phase()).toBe('retrying');
    h.clock.increment(2_000);
    expect(h.sockets).toHaveLength(2);
    expect(h.last().input).toMatchObject({ uiSessionId: 'UI-admin-a-b', chatSessionId: 'admin-c-d' });
  });

  it('pings every pingInterval and reconnects when nothing comes back within pongTimeout', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.clock.increment(30_000);
    expect(h.last().sent).toEqual(['{"type":"ping"}']);
    h.server({ type: 'pong' });
    h.clock.increment(30_000);
    expect(h.last().sent).toHaveLength(2);
    h.clock.increment(10_000);
    expect(h.phase()).toBe('retrying');
    expect(h.actor.getSnapshot().context.lastError?.message).toMatch(/pongTimeout/);
    expect(live(h.sockets)).toBe(0);
  });

  it('counts any frame as a sign of life while waiting for the pong', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.clock.increment(30_000);
    h.last().emit({ type: 'socket.activity' });
    h.clock.increment(10_000);
    expect(h.phase()).toBe('"ready"');
  });

  it('answers a server ping with pong', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.server({ type: 'ping' });
    expect(h.last().sent).toEqual(['{"type":"pong"}']);
  });

  it('backs off with jitter within [d(1-j), d(1+j)], capped at maxDelay, and gives up after maxAttempts', () => {
    const h = harness({ reconnection: { ...DEFAULT_RECONNECTION, maxAttempts: 4, maxDelay: 2_000 } });
    h.actor.send({ type: 'connect' });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.last().emit({ type: 'socket.closed', code: 1006, reason: '' });
      delays.push(h.actor.getSnapshot().context.nextDelay!);
      h.clock.increment(h.actor.getSnapshot().context.nextDelay!);
      expect(h.phase()).toBe('{"starting":"opening"}');
    }
    delays.forEach((delay, i) => {
      const base = Math.min(2_000, 1000 * 1.5 ** i);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.7));
      expect(delay).toBeLessThanOrEqual(Math.min(2_000, Math.ceil(base * 1.3)));
    });
    h.last().emit({ type: 'socket.closed', code: 1006, reason: '' });
    expect(h.phase()).toBe('failed');
    expect(live(h.sockets)).toBe(0);
  });

  it('resets the attempt count only after a connection stayed ready for stableAfter', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.last().emit({ type: 'socket.closed', code: 1006, reason: '' });
    h.clock.increment(h.actor.getSnapshot().context.nextDelay!);
    h.openAndBurst();
    expect(h.actor.getSnapshot().context.attempt).toBe(1);
    h.clock.increment(4_999);
    expect(h.actor.getSnapshot().context.attempt).toBe(1);
    h.clock.increment(1);
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
  });

  it('with autoReconnect off, a lost connection fails instead of retrying', () => {
    const h = harness({ autoReconnect: false });
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.last().emit({ type: 'socket.closed', code: 1006, reason: '' });
    expect(h.phase()).toBe('failed');
  });

  it('fails at once when no valid token can be had', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.last().emit({ type: 'socket.failed', problem: { reason: 'auth_required', message: 'log in again' } });
    expect(h.phase()).toBe('failed');
    expect(h.actor.getSnapshot().context.lastError).toEqual({ reason: 'auth_required', message: 'log in again' });
  });

  it('disconnect closes the socket and leaves no timer behind', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.actor.send({ type: 'disconnect' });
    expect(h.phase()).toBe('closed');
    expect(live(h.sockets)).toBe(0);
    h.clock.increment(10 * 60_000);
    expect(h.phase()).toBe('closed');
    expect(h.sockets).toHaveLength(1);
    expect((h.actor as AnyActorRef).getSnapshot().children).toEqual({});
  });

  it('forwards outbound frames to the socket', () => {
    const h = harness();
    h.actor.send({ type: 'connect' });
    h.openAndBurst();
    h.actor.send({ type: 'outbound', data: '{"type":"get_agents"}' });
    expect(h.last().sent).toEqual(['{"type":"get_agents"}']);
  });
});
