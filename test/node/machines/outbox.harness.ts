/**
 * The outbox machine under a parent that records what it is told (frames, notices), on a
 * SimulatedClock: the outbox talks to its parent, so it is tested as the root runs it.
 */
import { createActor, setup, SimulatedClock, type ActorRefFrom } from 'xstate';
import { summarize } from '../../../src/machines/outbox.logic.js';
import { outboxMachine, type OutboxEvent, type OutboxNotice, type Settled } from '../../../src/machines/outbox.machine.js';
import type { InteractionOutput } from '../../../src/machines/interaction.machine.js';
import type { ClientEvent } from '../../../src/schema/client.js';
import { encodeClientEvent } from '../../../src/schema/codec.js';

export function outboxHarness(replyTimeoutMs = 10_000) {
  const clock = new SimulatedClock();
  const notices: OutboxNotice[] = [];
  const parent = setup({ actors: { outbox: outboxMachine } }).createMachine({
    invoke: { id: 'outbox', src: 'outbox', input: { replyTimeoutMs } },
    on: { '*': { actions: ({ event }) => notices.push(event as OutboxNotice) } },
  });
  const root = createActor(parent, { clock }).start();
  const outbox = root.getSnapshot().children.outbox as ActorRefFrom<typeof outboxMachine>;
  const settled: Settled[] = [];
  const sent: number[] = [];
  outbox.on('settled', (event) => settled.push(event));
  outbox.on('sent', (event) => sent.push(event.id));
  let nextId = 1;
  const frames = () => notices.flatMap((n) => (n.type === 'outbound' ? [(JSON.parse(n.data) as { type: string; text?: string }).type] : []));
  const h = {
    clock,
    outbox,
    notices,
    settled,
    sent,
    /** The types of the frames sent, in order. */
    frames,
    send: (event: OutboxEvent) => outbox.send(event),
    /** A raw command; returns its id. */
    command(event: ClientEvent, reply = false): number {
      const id = nextId++;
      outbox.send({ type: 'command.send', id, event: summarize(event), data: encodeClientEvent(event), reply });
      return id;
    },
    text(text: string, interrupt = false): number {
      const id = nextId++;
      const event: ClientEvent = { type: 'text_input', text, file_ids: [] };
      outbox.send({ type: 'command.text', id, event: summarize(event), data: encodeClientEvent(event), interrupt });
      return id;
    },
    cancel(): number {
      const id = nextId++;
      outbox.send({ type: 'command.cancel', id });
      return id;
    },
    /** How command `id` settled (undefined while it waits); throws if it settled twice. */
    outcome(id: number): Settled | undefined {
      const all = settled.filter((s) => s.id === id);
      if (all.length > 1) throw new Error(`command ${id} settled ${all.length} times`);
      return all[0];
    },
    /** The connection is ready and the server idle (the usual start). */
    readyAndIdle() {
      outbox.send({ type: 'link.connecting' });
      outbox.send({ type: 'link.ready' });
      for (const type of ['agent_list', 'avatar_list', 'voice_list', 'tool_catalog'] as const) outbox.send({ type: 'server', event: { type } as never });
      outbox.send({ type: 'server', event: { type: 'chat_session_changed', chat_session: { session_id: 's1' } } as never });
      outbox.send({ type: 'server.activity', activity: 'idle' });
      notices.length = 0;
    },
    told: (type: OutboxNotice['type']) => notices.filter((n) => n.type === type).length,
  };
  return h;
}

export const output = (outcome: InteractionOutput['outcome'], sessionId = 's1'): InteractionOutput => ({
  sessionId,
  interactionId: 'i1',
  outcome,
  stopReason: outcome === 'done' ? 'stop' : null,
  rawStopReason: null,
  inputTokens: 0,
  outputTokens: 0,
  reason: null,
});
