/**
 * Chat session management (PROTOCOL.md §4.13–§4.19, §7.6).
 */
import { describe, expect, it } from 'vitest';
import type { Ev, SimClient } from '../../helpers/sim-client.js';
import { PROFILES, connectReady, interact, sleep, startSim, useSimulators } from './harness.js';

useSimulators();

/** `new_chat_session`; returns its events (ending with chat_session_changed, plus an optional workspace notice). */
async function newSession(client: SimClient, agentKey?: string): Promise<{ events: Ev[]; id: string }> {
  client.send(agentKey === undefined ? { type: 'new_chat_session' } : { type: 'new_chat_session', agent_key: agentKey });
  const events = await client.until('chat_session_changed');
  const extra = await client.sync();
  return { events: [...events, ...extra], id: events[events.length - 1]!.chat_session.session_id as string };
}

/** Persists `count` sessions (one interaction each), moving to a fresh empty one after each. */
async function persistSessions(client: SimClient, firstId: string, count: number): Promise<{ persisted: string[]; current: string }> {
  const persisted: string[] = [];
  let current = firstId;
  for (let i = 0; i < count; i++) {
    await interact(client, `Message number ${i}`);
    persisted.push(current);
    // updated_at must differ between sessions for a meaningful order check.
    await sleep(5);
    current = (await newSession(client)).id;
  }
  return { persisted, current };
}

async function listSessions(client: SimClient, query: Record<string, unknown> = {}): Promise<Ev> {
  client.send({ type: 'get_user_sessions', ...query });
  const reply = await client.next('get_user_sessions_response');
  return reply.sessions as Ev;
}

function isWorkspaceNotice(e: Ev): boolean {
  return e.type === 'system_message' && e.severity === 'info' && typeof e.content === 'string' && e.content.startsWith('Active workspace set to ');
}

describe.each(PROFILES)('chat sessions (profile %s)', (profile) => {
  it('new_chat_session: chat_session_added for the old (even empty) session, then chat_session_changed for a new empty one', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: old } = await connectReady(sim);
    const { events, id } = await newSession(client);
    const significant = events.filter((e) => !isWorkspaceNotice(e));
    expect(significant.map((e) => e.type)).toStrictEqual(['chat_session_added', 'chat_session_changed']);
    expect(significant[0]?.chat_session.session_id).toBe(old);
    expect(id).toMatch(/^admin-[A-Za-z]+-[A-Za-z]+$/);
    expect(id).not.toBe(old);
    expect(significant[1]?.chat_session.messages).toStrictEqual([]);
    expect(significant[1]?.chat_session.agent_config.key).toBe('default');
    expect(sim.control.uiSessions()[0]?.chatSessionId).toBe(id);
  });

  it("new_chat_session creates the session with the agent's tools plus BridgeTools (§4.13 step 3)", async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    const { events } = await newSession(client, 'tool_user');
    const tools = events.find((e) => e.type === 'chat_session_changed')?.chat_session.agent_config.tools as string[];
    expect(tools).toContain('BridgeTools');
  });

  it('resume_chat_session refreshes the agent config from the catalogue with BridgeTools appended (§4.14)', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim, { agentKey: 'tool_user' });
    const { persisted } = await persistSessions(client, chatSessionId, 1);
    client.send({ type: 'resume_chat_session', session_id: persisted[0] });
    const changed = await client.next('chat_session_changed');
    expect(changed.chat_session.agent_config.key).toBe('tool_user');
    expect(changed.chat_session.agent_config.tools).toContain('BridgeTools');
  });

  it('new_chat_session {agent_key} uses that agent; without agent_key it keeps the current agent', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    const withKey = await newSession(client, 'thinker');
    expect(withKey.events.find((e) => e.type === 'chat_session_changed')?.chat_session.agent_config.key).toBe('thinker');
    const without = await newSession(client);
    expect(without.events.find((e) => e.type === 'chat_session_changed')?.chat_session.agent_config.key).toBe('thinker');
  });

  it('new_chat_session with an unknown agent: chat_session_added for the old session, then "Error processing event: Agent <key> not found."; the old session stays current', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId: old } = await connectReady(sim);
    client.send({ type: 'new_chat_session', agent_key: 'nope' });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['chat_session_added', 'error']);
    expect(events[0]?.chat_session.session_id).toBe(old);
    expect(events[1]).toStrictEqual({ type: 'error', message: 'Error processing event: Agent nope not found.', source: null });
    expect(sim.control.uiSessions()[0]?.chatSessionId).toBe(old);
  });

  it('get_user_sessions: only persisted sessions, newest updated_at first, paged by offset/limit, shape {chat_sessions,total_sessions,offset}', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    const { persisted, current } = await persistSessions(client, chatSessionId, 3);

    const all = await listSessions(client);
    expect(Object.keys(all).sort()).toStrictEqual(['chat_sessions', 'offset', 'total_sessions']);
    expect(all.total_sessions).toBe(3);
    expect(all.offset).toBe(0);
    const ids = all.chat_sessions.map((s: Ev) => s.session_id);
    expect(ids).toStrictEqual([...persisted].reverse());
    expect(ids).not.toContain(current);
    const updated = all.chat_sessions.map((s: Ev) => Date.parse(s.updated_at));
    expect([...updated].sort((a, b) => b - a)).toStrictEqual(updated);
    for (const entry of all.chat_sessions) {
      expect(Object.keys(entry).sort()).toStrictEqual(['agent_key', 'agent_name', 'created_at', 'session_id', 'session_name', 'updated_at', 'user_id']);
    }

    const page1 = await listSessions(client, { offset: 0, limit: 2 });
    expect(page1.chat_sessions.map((s: Ev) => s.session_id)).toStrictEqual([persisted[2], persisted[1]]);
    expect(page1.total_sessions).toBe(3);
    expect(page1.offset).toBe(0);
    const page2 = await listSessions(client, { offset: 2, limit: 2 });
    expect(page2.chat_sessions.map((s: Ev) => s.session_id)).toStrictEqual([persisted[0]]);
    expect(page2.total_sessions).toBe(3);
    expect(page2.offset).toBe(2);
  });

  it('get_user_sessions lists nothing for a user whose sessions are all empty', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    await newSession(client);
    const all = await listSessions(client);
    expect(all.chat_sessions).toStrictEqual([]);
    expect(all.total_sessions).toBe(0);
  });

  it('resume_chat_session of another persisted session: chat_session_changed with its messages, then "Welcome back! **Session ID:** <id>"', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    const { persisted } = await persistSessions(client, chatSessionId, 1);
    client.send({ type: 'resume_chat_session', session_id: persisted[0] });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['chat_session_changed', 'system_message']);
    const session = events[0]?.chat_session;
    expect(session.session_id).toBe(persisted[0]);
    expect(session.messages.length).toBeGreaterThanOrEqual(2);
    expect(session.messages[0].role).toBe('user');
    expect(session.messages[session.messages.length - 1].role).toBe('assistant');
    expect(events[1]).toMatchObject({ severity: 'info', content: `Welcome back! **Session ID:** ${persisted[0]}` });
    expect(sim.control.uiSessions()[0]?.chatSessionId).toBe(persisted[0]);
  });

  it('resume_chat_session of an unknown session: error {message:"Session \'<id>\' not found", source:"resume_chat_session"}', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'resume_chat_session', session_id: 'admin-no-such' });
    expect(await client.sync()).toStrictEqual([{ type: 'error', message: "Session 'admin-no-such' not found", source: 'resume_chat_session' }]);
    expect(sim.control.uiSessions()[0]?.chatSessionId).toBe(chatSessionId);
  });

  it("resume_chat_session of another user's session is not found", async () => {
    const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret' }] });
    const bob = await connectReady(sim, { user: 'bob' });
    await interact(bob.client, 'Bob was here');
    const admin = await connectReady(sim);
    admin.client.send({ type: 'resume_chat_session', session_id: bob.chatSessionId });
    expect(await admin.client.sync()).toStrictEqual([
      { type: 'error', message: `Session '${bob.chatSessionId}' not found`, source: 'resume_chat_session' },
    ]);
  });

  it('resume_chat_session of the current session: only chat_session_changed', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'resume_chat_session', session_id: chatSessionId });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['chat_session_changed']);
    expect(events[0]?.chat_session.session_id).toBe(chatSessionId);
  });

  it('set_chat_session_name for the current session: chat_session_name_changed {session_name, session_id} to the sender', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'set_chat_session_name', session_name: 'My chat' });
    expect(await client.sync()).toStrictEqual([{ type: 'chat_session_name_changed', session_name: 'My chat', session_id: chatSessionId }]);
    await interact(client, 'persist me');
    const list = await listSessions(client);
    expect(list.chat_sessions[0]).toMatchObject({ session_id: chatSessionId, session_name: 'My chat' });
  });

  it('set_chat_session_name for another session: renamed and persisted, but no confirmation to the sender', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    const { persisted } = await persistSessions(client, chatSessionId, 1);
    client.send({ type: 'set_chat_session_name', session_name: 'Renamed', session_id: persisted[0] });
    expect(await client.sync()).toStrictEqual([]);
    const list = await listSessions(client);
    expect(list.chat_sessions.find((s: Ev) => s.session_id === persisted[0])?.session_name).toBe('Renamed');
  });

  it('set_chat_session_name for an unknown session: error source "set_chat_session_name"', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    client.send({ type: 'set_chat_session_name', session_name: 'x', session_id: 'admin-no-such' });
    expect(await client.sync()).toStrictEqual([{ type: 'error', message: "Session 'admin-no-such' not found", source: 'set_chat_session_name' }]);
  });

  it('delete_chat_session of another session: only "Chat Session <id> deleted" to the sender, and it is gone from the list', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    const { persisted } = await persistSessions(client, chatSessionId, 2);
    client.send({ type: 'delete_chat_session', session_id: persisted[0] });
    const events = await client.sync();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'system_message', severity: 'info', content: `Chat Session ${persisted[0]} deleted` });
    const list = await listSessions(client);
    expect(list.chat_sessions.map((s: Ev) => s.session_id)).toStrictEqual([persisted[1]]);
  });

  it('delete_chat_session of an unknown or never-persisted session: error source "delete_chat_session"', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'delete_chat_session', session_id: 'admin-no-such' });
    client.send({ type: 'delete_chat_session', session_id: chatSessionId });
    expect(await client.sync()).toStrictEqual([
      { type: 'error', message: "Session 'admin-no-such' not found", source: 'delete_chat_session' },
      { type: 'error', message: `Session '${chatSessionId}' not found`, source: 'delete_chat_session' },
    ]);
  });

  it('delete_chat_session of the current persisted session (bug): delete_chat_session, then the agent_key error; it stays current and is re-persisted by the next interaction', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    await interact(client, 'persist me');
    client.send({ type: 'delete_chat_session', session_id: chatSessionId });
    expect(await client.sync()).toStrictEqual([
      { type: 'delete_chat_session', session_id: chatSessionId },
      { type: 'error', message: "Error processing event: 'ChatSession' object has no attribute 'agent_key'", source: null },
    ]);
    expect(sim.control.uiSessions()[0]?.chatSessionId).toBe(chatSessionId);
    expect((await listSessions(client)).chat_sessions).toStrictEqual([]);
    await interact(client, 'again');
    expect((await listSessions(client)).chat_sessions.map((s: Ev) => s.session_id)).toStrictEqual([chatSessionId]);
  });

  it('delete_chat_session without session_id means the current session (same bug)', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    await interact(client, 'persist me');
    client.send({ type: 'delete_chat_session' });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['delete_chat_session', 'error']);
    expect(events[0]?.session_id).toBe(chatSessionId);
  });

  it('set_session_metadata replaces the whole metadata and answers session_metadata_changed {meta}', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    client.send({ type: 'set_session_metadata', meta: { a: 1, nested: { b: [1, 2] } } });
    expect(await client.sync()).toStrictEqual([{ type: 'session_metadata_changed', meta: { a: 1, nested: { b: [1, 2] } } }]);
    client.send({ type: 'set_session_metadata', meta: { c: 'x' } });
    expect(await client.sync()).toStrictEqual([{ type: 'session_metadata_changed', meta: { c: 'x' } }]);
    client.send({ type: 'resume_chat_session', session_id: chatSessionId });
    expect((await client.next('chat_session_changed')).chat_session.metadata).toStrictEqual({ c: 'x' });
  });

  it('set_session_messages (bug): chat_session_added, then "Error processing event: 2 validation errors for HistoryEvent…"; the history is replaced', async () => {
    const sim = await startSim({ profile });
    const { client, chatSessionId } = await connectReady(sim);
    const messages = [
      { role: 'user', content: 'Question?' },
      { role: 'assistant', content: [{ type: 'text', text: 'Answer.' }] },
    ];
    client.send({ type: 'set_session_messages', messages });
    const events = await client.sync();
    expect(events.map((e) => e.type)).toStrictEqual(['chat_session_added', 'error']);
    expect(events[0]?.chat_session.session_id).toBe(chatSessionId);
    expect(events[1]?.message).toMatch(/^Error processing event: 2 validation errors for HistoryEvent/);
    client.send({ type: 'resume_chat_session', session_id: chatSessionId });
    expect((await client.next('chat_session_changed')).chat_session.messages).toStrictEqual(messages);
  });
});
