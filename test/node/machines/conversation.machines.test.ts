/**
 * The turn and interaction machines: transitions, and the promise that every interaction ends
 * exactly once whatever the server sends (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { DEFAULT_REPLY_TIMEOUT_MS, interactionMachine, NO_REPLY_REASON, type InteractionEvent, type InteractionOutput } from '../../../src/machines/interaction.machine.js';
import { turnMachine } from '../../../src/machines/turn.machine.js';

describe('turn machine', () => {
  it('follows user_turn_start / user_turn_end and forgets the turn on connection loss', () => {
    const actor = createActor(turnMachine).start();
    expect(actor.getSnapshot().value).toBe('unknown');
    actor.send({ type: 'server.userTurnStart' });
    expect(actor.getSnapshot().value).toBe('user');
    actor.send({ type: 'server.userTurnEnd' });
    expect(actor.getSnapshot().value).toBe('agent');
    actor.send({ type: 'connection.lost' });
    expect(actor.getSnapshot().value).toBe('unknown');
    actor.send({ type: 'server.userTurnEnd' });
    expect(actor.getSnapshot().value).toBe('agent');
  });
});

function run(events: InteractionEvent[]) {
  const actor = createActor(interactionMachine, { input: { sessionId: 'admin-a-b', requested: true } });
  const outputs: InteractionOutput[] = [];
  actor.subscribe({ complete: () => outputs.push(actor.getSnapshot().output!) });
  actor.start();
  for (const event of events) {
    if (actor.getSnapshot().status !== 'active') break;
    actor.send(event);
  }
  return { actor, outputs };
}

const started: InteractionEvent = { type: 'server.interactionStarted', id: 'sunny-brisk-otter' };
const ended: InteractionEvent = { type: 'server.interactionEnded', id: 'sunny-brisk-otter' };
const completion: InteractionEvent = { type: 'server.completionEnded', stopReason: 'stop', rawStopReason: 'end_turn', inputTokens: 10, outputTokens: 5 };

describe('interaction machine', () => {
  it('ends done on interaction {started:false}, with the stop reason and summed tokens', () => {
    const { outputs } = run([started, { type: 'stream.kind', kind: 'text' }, completion, completion, ended]);
    expect(outputs).toEqual([
      { sessionId: 'admin-a-b', interactionId: 'sunny-brisk-otter', outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn', inputTokens: 20, outputTokens: 10, reason: null },
    ]);
  });

  it('ends on user_turn_start when the server skipped the interaction end (stream failure path)', () => {
    const { outputs } = run([started, { type: 'server.userTurnStart' }]);
    expect(outputs.map((o) => o.outcome)).toEqual(['done']);
  });

  it('ends cancelled when a cancel was confirmed, whichever end marker comes', () => {
    expect(run([started, { type: 'server.cancelled' }, ended]).outputs[0]).toMatchObject({ outcome: 'cancelled', stopReason: 'cancelled' });
    expect(run([started, { type: 'server.cancelled' }, { type: 'server.userTurnStart' }]).outputs[0]?.outcome).toBe('cancelled');
  });

  it('ends failed or interrupted with the reason', () => {
    expect(run([started, { type: 'server.failed', reason: 'Exception during Claude streaming' }]).outputs[0]).toMatchObject({ outcome: 'failed', reason: 'Exception during Claude streaming' });
    expect(run([started, { type: 'interrupted', reason: 'connection lost' }]).outputs[0]).toMatchObject({ outcome: 'interrupted', reason: 'connection lost' });
  });

  it('ignores the end of another interaction id', () => {
    const { actor, outputs } = run([started, { type: 'server.interactionEnded', id: 'other-id-here' }]);
    expect(outputs).toEqual([]);
    expect(actor.getSnapshot().value).toEqual({ streaming: 'waiting' });
  });

  it('tracks what kind of output is streaming, from edges only', () => {
    const { actor } = run([started, { type: 'stream.kind', kind: 'thought' }]);
    expect(actor.getSnapshot().value).toEqual({ streaming: 'thought' });
    actor.send({ type: 'stream.kind', kind: 'toolCall' });
    expect(actor.getSnapshot().value).toEqual({ streaming: 'toolCall' });
  });

  const eventArb: fc.Arbitrary<InteractionEvent> = fc.oneof(
    fc.constant(started),
    fc.constant(ended),
    fc.constant<InteractionEvent>({ type: 'server.interactionEnded', id: 'other-id-here' }),
    fc.constantFrom<InteractionEvent['type']>('server.userTurnStart', 'server.cancelled').map((type) => ({ type }) as InteractionEvent),
    fc.constant(completion),
    fc.constantFrom('text', 'thought', 'toolSelection', 'toolCall' as const).map((kind) => ({ type: 'stream.kind', kind }) as InteractionEvent),
    fc.constant<InteractionEvent>({ type: 'server.failed', reason: 'x' }),
    fc.constant<InteractionEvent>({ type: 'interrupted', reason: 'y' }),
  );

  it('ends exactly once for any sequence that contains an end marker, and never before the first one', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        const actor = createActor(interactionMachine, { input: { sessionId: 's', requested: true } });
        let completions = 0;
        actor.subscribe({ complete: () => completions++ });
        actor.start();
        let firstEnd = -1;
        let cancelled = false;
        let id: string | null = null;
        events.forEach((event, index) => {
          if (event.type === 'server.cancelled') cancelled = true;
          if (event.type === 'server.interactionStarted' && id === null) id = event.id;
          const ends =
            event.type === 'server.userTurnStart' ||
            event.type === 'server.failed' ||
            event.type === 'interrupted' ||
            (event.type === 'server.interactionEnded' && (cancelled || id === null || event.id === id));
          if (ends && firstEnd < 0) firstEnd = index;
          if (actor.getSnapshot().status === 'active') actor.send(event);
          expect(actor.getSnapshot().status === 'done').toBe(firstEnd >= 0 && index >= firstEnd);
        });
        expect(completions).toBe(firstEnd >= 0 ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('interaction suspension and abandon (issue 10, defects 2 and 3)', () => {
  const start = (replyTimeoutMs?: number) => {
    const clock = new SimulatedClock();
    const actor = createActor(interactionMachine, { input: { sessionId: 's', requested: true, ...(replyTimeoutMs === undefined ? {} : { replyTimeoutMs }) }, clock }).start();
    return { clock, actor };
  };

  it('a requested run the outbox abandons ends failed with the no-reply reason; it has no timer of its own', () => {
    const { clock, actor } = start(10_000);
    clock.increment(60_000);
    expect(actor.getSnapshot().status).toBe('active');
    actor.send({ type: 'abandon' });
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'failed', reason: NO_REPLY_REASON, interactionId: null });
  });

  it('a suspended run is not ended by the lost socket; a resume followed by its end events ends it done', () => {
    const { clock, actor } = start(10_000);
    actor.send(started);
    actor.send({ type: 'suspend' });
    clock.increment(9_999);
    expect(actor.getSnapshot().value).toBe('suspended');
    actor.send({ type: 'resume' });
    actor.send({ type: 'stream.kind', kind: 'text' });
    actor.send(ended);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'done', reason: null });
  });

  it("a resumed run whose user_turn_start comes first ended while away: done if it had started, interrupted if it had not", () => {
    const a = start();
    a.actor.send(started);
    a.actor.send({ type: 'suspend' });
    a.actor.send({ type: 'resume' });
    a.actor.send({ type: 'server.userTurnStart' });
    expect(a.actor.getSnapshot().output).toMatchObject({ outcome: 'done' });
    const b = start();
    b.actor.send({ type: 'suspend' });
    b.actor.send({ type: 'resume' });
    b.actor.send({ type: 'server.userTurnStart' });
    expect(b.actor.getSnapshot().output).toMatchObject({ outcome: 'interrupted' });
    expect(b.actor.getSnapshot().output?.reason).toMatch(/before the answer started/);
  });

  it('a suspended run whose socket never comes back ends interrupted after resumeTimeout (DEFAULT_REPLY_TIMEOUT_MS by default), not before', () => {
    const { clock, actor } = start();
    actor.send(started);
    actor.send({ type: 'suspend' });
    clock.increment(DEFAULT_REPLY_TIMEOUT_MS - 1);
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'interrupted' });
  });
});
