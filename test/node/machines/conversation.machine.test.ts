/**
 * The conversation machine fed with real event streams recorded from the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { conversationMachine, CONVERSATION_EVENT_TYPES } from '../../../src/machines/conversation.machine.js';
import type { InteractionOutput } from '../../../src/machines/interaction.machine.js';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { createSimulator, type Simulator } from '../../../src/sim/index.js';
import { connect, login } from '../../helpers/sim-client.js';

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

/** The events of one connection, the init burst and one answer of `agentKey` to `text`. */
async function record(agentKey: string, text: string): Promise<ServerEvent[]> {
  const sim = await createSimulator({ deltaMs: 0 });
  sims.push(sim);
  const { agent_c_token } = await login(sim);
  const client = await connect(sim, { token: agent_c_token, agentKey });
  await client.until('user_turn_start');
  client.send({ type: 'text_input', text });
  await client.until((event) => event.type === 'user_turn_start');
  await client.close();
  return client.events.map((event) => {
    const frame = decodeServerFrame(JSON.stringify(event));
    if (frame.kind !== 'event') throw new Error(`not an event: ${event.type}`);
    return frame.event;
  });
}

function feed(events: readonly ServerEvent[], options: { requestBeforeIndex?: number } = {}) {
  const actor = createActor(conversationMachine, { input: {} }).start();
  const ended: InteractionOutput[] = [];
  actor.on('interaction.ended', (event) => ended.push(event.output));
  events.forEach((event, index) => {
    if (index === options.requestBeforeIndex) actor.send({ type: 'text.requested' });
    if (CONVERSATION_EVENT_TYPES.has(event.type)) actor.send({ type: 'server', event });
  });
  return { actor, ended };
}

describe('conversation machine', () => {
  it('ends the top-level interaction and the delegated sub-session interaction once each (showcase)', async () => {
    const events = await record('showcase', 'Tell me everything');
    const top = events.find((e) => e.type === 'chat_session_changed')!;
    const topId = top.type === 'chat_session_changed' ? top.chat_session.session_id : '';
    const requestAt = events.findIndex((e) => e.type === 'user_turn_end');
    const { actor, ended } = feed(events, { requestBeforeIndex: requestAt });
    const sub = ended.filter((o) => o.sessionId !== topId);
    const main = ended.filter((o) => o.sessionId === topId);
    expect(sub).toHaveLength(1);
    expect(sub[0]).toMatchObject({ outcome: 'done', stopReason: 'stop' });
    expect(main).toHaveLength(1);
    expect(main[0]).toMatchObject({ outcome: 'done', stopReason: 'stop', rawStopReason: 'end_turn' });
    expect(main[0]!.outputTokens).toBeGreaterThan(0);
    expect(actor.getSnapshot().context.live).toEqual([]);
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('user');
  });

  it('ends a failed run (stream failure: no interaction end) as failed, once', async () => {
    const events = await record('failing', 'Hi');
    const { ended } = feed(events);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ outcome: 'failed' });
    expect(ended[0]!.reason).toMatch(/^Exception during Claude streaming/);
  });

  it('ends a crashed run as failed with the runtime error', async () => {
    const { ended } = feed(await record('crashing', 'Hi'));
    expect(ended).toHaveLength(1);
    expect(ended[0]!.reason).toMatch(/^Error in agent_runtime\.chat/);
  });

  it('marks every live interaction interrupted when the connection ends, and the turn unknown', async () => {
    const events = await record('default', 'Hi');
    const cut = events.findIndex((e) => e.type === 'text_delta');
    const { actor, ended } = feed(events.slice(0, cut));
    actor.send({ type: 'link.ended' });
    expect(ended).toEqual([expect.objectContaining({ outcome: 'interrupted', reason: 'the connection was lost' })]);
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('unknown');
  });

  it('suspends a live interaction when the socket is lost (the turn stays the agent\'s), and the short form resumes it to its real end', async () => {
    const events = await record('default', 'Hi');
    const cut = events.findIndex((e) => e.type === 'text_delta');
    const { actor, ended } = feed(events.slice(0, cut));
    actor.send({ type: 'link.lost' });
    expect(ended).toEqual([]);
    expect(actor.getSnapshot().value).toBe('away');
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('agent');
    const changed = events.find((e) => e.type === 'chat_session_changed')!;
    actor.send({ type: 'server', event: changed });
    for (const event of events.slice(cut)) if (CONVERSATION_EVENT_TYPES.has(event.type)) actor.send({ type: 'server', event });
    expect(ended).toEqual([expect.objectContaining({ outcome: 'done', stopReason: 'stop' })]);
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('user');
  });

  it('a requested text whose socket is lost and never comes back ends interrupted, and the turn is unknown again (not the stale user turn)', async () => {
    const events = await record('default', 'Hi');
    const burstEnd = events.findIndex((e) => e.type === 'user_turn_start');
    const clock = new SimulatedClock();
    const actor = createActor(conversationMachine, { input: { replyTimeoutMs: 10_000 }, clock }).start();
    const ended: InteractionOutput[] = [];
    actor.on('interaction.ended', (event) => ended.push(event.output));
    for (const event of events.slice(0, burstEnd + 1)) if (CONVERSATION_EVENT_TYPES.has(event.type)) actor.send({ type: 'server', event });
    actor.send({ type: 'text.requested' });
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('user');
    actor.send({ type: 'link.lost' });
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('unknown'); // a user turn seen before the loss is stale
    expect(actor.getSnapshot().context.activity).toBe('busy');
    clock.increment(10_000);
    expect(ended).toEqual([expect.objectContaining({ outcome: 'interrupted' })]);
    expect(actor.getSnapshot().context.activity).toBe('unknown');
  });

  it('interrupts a suspended interaction when the next socket opens with the full burst (the server restarted)', async () => {
    const events = await record('default', 'Hi');
    const cut = events.findIndex((e) => e.type === 'text_delta');
    const { actor, ended } = feed(events.slice(0, cut));
    actor.send({ type: 'link.lost' });
    actor.send({ type: 'server', event: events.find((e) => e.type === 'ui_session_id_changed')! });
    expect(ended).toEqual([expect.objectContaining({ outcome: 'interrupted', reason: 'the server restarted; the answer was lost' })]);
    expect(actor.getSnapshot().children.turn?.getSnapshot().value).toBe('unknown');
  });

  it('ends two interactions of the same session one after the other, once each', async () => {
    const events = await record('default', 'Hi');
    const burstEnd = events.findIndex((e) => e.type === 'user_turn_start');
    const answer = events.slice(burstEnd + 1);
    const { ended } = feed([...events, ...answer]);
    expect(ended.map((o) => o.outcome)).toEqual(['done', 'done']);
  });

});
