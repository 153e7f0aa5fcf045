/**
 * Several UI sessions (tabs) of one user: broadcast (PROTOCOL.md §7.13) and the outbound routing
 * filter (§1.6), independence of tabs (§9.2).
 */
import { describe, expect, it } from 'vitest';
import type { Ev } from '../../helpers/sim-client.js';
import { PROFILES, connectReady, interact, kinds, startSim, useSimulators } from './harness.js';

useSimulators();

/** Tab 1 persists chat session X with an interaction; tab 2 then resumes X. */
async function twoTabsOnOneSession(sim: Awaited<ReturnType<typeof startSim>>) {
  const tab1 = await connectReady(sim);
  await interact(tab1.client, 'persist X');
  const x = tab1.chatSessionId;
  const tab2 = await connectReady(sim);
  tab2.client.send({ type: 'resume_chat_session', session_id: x });
  await tab2.client.until('system_message');
  return { tab1, tab2, x };
}

describe.each(PROFILES)('multi-tab (profile %s)', (profile) => {
  it("broadcasts an interaction's chat_session_added to the user's other tab, and none of the interaction's other events", async () => {
    const sim = await startSim({ profile });
    const tab1 = await connectReady(sim);
    const tab2 = await connectReady(sim);
    expect(tab2.uiSessionId).not.toBe(tab1.uiSessionId);
    await interact(tab1.client, 'Hello from tab 1');
    const seen = await tab2.client.sync();
    expect(seen.map((e) => e.type)).toStrictEqual(['chat_session_added', 'chat_session_added']);
    for (const e of seen) expect(e.chat_session.session_id).toBe(tab1.chatSessionId);
  });

  it("broadcasts new_chat_session's chat_session_added (old session) to the other tab", async () => {
    const sim = await startSim({ profile });
    const tab1 = await connectReady(sim);
    const tab2 = await connectReady(sim);
    tab1.client.send({ type: 'new_chat_session' });
    await tab1.client.until('chat_session_changed');
    const seen = await tab2.client.sync();
    expect(seen.map((e) => e.type)).toStrictEqual(['chat_session_added']);
    expect(seen[0]?.chat_session.session_id).toBe(tab1.chatSessionId);
  });

  it("does not broadcast to another user's tab", async () => {
    const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret' }] });
    const admin = await connectReady(sim);
    const bob = await connectReady(sim, { user: 'bob' });
    await interact(admin.client, 'Hello');
    admin.client.send({ type: 'set_chat_session_name', session_name: 'Mine' });
    await admin.client.sync();
    expect(await bob.client.sync()).toStrictEqual([]);
  });

  it('delivers a rename to every tab on that chat session and to no other tab', async () => {
    const sim = await startSim({ profile });
    const { tab1, tab2, x } = await twoTabsOnOneSession(sim);
    const tab3 = await connectReady(sim);
    tab1.client.send({ type: 'set_chat_session_name', session_name: 'Shared', session_id: x });
    const expected = [{ type: 'chat_session_name_changed', session_name: 'Shared', session_id: x }];
    expect(await tab1.client.sync()).toStrictEqual(expected);
    expect(await tab2.client.sync()).toStrictEqual(expected);
    expect(await tab3.client.sync()).toStrictEqual([]);
  });

  it('routing filter: once a tab has left a chat session, events for that session are no longer delivered to it', async () => {
    const sim = await startSim({ profile });
    const { tab1, tab2, x } = await twoTabsOnOneSession(sim);
    // Still on X: it gets the rename.
    tab1.client.send({ type: 'set_chat_session_name', session_name: 'First', session_id: x });
    await tab1.client.sync();
    expect((await tab2.client.sync()).map((e) => e.type)).toStrictEqual(['chat_session_name_changed']);
    // Moves to Y: the next rename of X is filtered out for it.
    tab2.client.send({ type: 'new_chat_session' });
    await tab2.client.until('chat_session_changed');
    await tab2.client.sync();
    // tab 1 got the broadcast chat_session_added for X (§4.13).
    expect((await tab1.client.sync()).map((e) => e.type)).toStrictEqual(['chat_session_added']);
    tab1.client.send({ type: 'set_chat_session_name', session_name: 'Second', session_id: x });
    expect((await tab1.client.sync()).map((e) => e.type)).toStrictEqual(['chat_session_name_changed']);
    expect(await tab2.client.sync()).toStrictEqual([]);
  });

  it('deleting another session: tabs on it get delete_chat_session, the sender (on another session) only the system_message', async () => {
    const sim = await startSim({ profile });
    const tab1 = await connectReady(sim);
    await interact(tab1.client, 'persist X');
    const x = tab1.chatSessionId;
    const tab3 = await connectReady(sim);
    tab3.client.send({ type: 'delete_chat_session', session_id: x });
    const senderEvents = await tab3.client.sync();
    expect(senderEvents.map((e) => [e.type, e.severity])).toStrictEqual([['system_message', 'info']]);
    expect(await tab1.client.sync()).toStrictEqual([{ type: 'delete_chat_session', session_id: x }]);
  });

  it('two tabs run interactions concurrently; each gets only its own interaction events', async () => {
    const sim = await startSim({ profile, deltaMs: 20 });
    const tab1 = await connectReady(sim);
    const tab2 = await connectReady(sim);
    const [events1, events2] = await Promise.all([interact(tab1.client, 'one', 5000), interact(tab2.client, 'two', 5000)]);
    const sessionEvents = (events: Ev[]) => events.filter((e) => 'session_id' in e);
    for (const [events, u] of [
      [events1, tab1.chatSessionId],
      [events2, tab2.chatSessionId],
    ] as const) {
      expect(kinds(events)).toContain('completion:end');
      expect(sessionEvents(events).every((e) => e.session_id === u)).toBe(true);
      expect(events.filter((e) => e.type === 'interaction')).toHaveLength(2);
    }
    const id1 = events1.find((e) => e.type === 'interaction')?.id;
    const id2 = events2.find((e) => e.type === 'interaction')?.id;
    expect(id1).not.toBe(id2);
  });
});
