/**
 * createClient's session, agent and upload commands against the simulator: `setAgent` (§4.5, §7.7),
 * `newSession` / `resumeSession` / `renameSession` / `deleteSession` / `listSessions` /
 * `setSessionMetadata` (§4.13–§4.18, §7.6) and what `sessions$` and `currentSession$` make of them,
 * two tabs of one user (the broadcasts and the routing filter of §7.13, §1.6), a resumed session with
 * tool calls on `messages$`, and uploads in Node (§2.5, §7.12): the answer, progress, the two
 * `session_metadata_changed` pushes, the file id in `sendText`, the client-side limits (checked before
 * any HTTP request), an abort and an unknown file id.
 *
 * What the client sent is read from the simulator's recording (`sim.control.frames`); "sent nothing"
 * is proven with a sentinel request sent afterwards: the server reads frames strictly in order, so
 * anything sent before the sentinel is recorded before it.
 */
import type { Observable, Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientError } from '../../../src/errors.js';
import type { ClientOptions } from '../../../src/options.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import type { ChatSessionIndexEntry } from '../../../src/schema/session.js';
import type { Simulator } from '../../../src/sim/types.js';
import type { TranscriptMessage } from '../../../src/data/transcript/index.js';
import type { UploadProgress } from '../../../src/actors/upload.js';
import { countingFetch, expectUploadProgress } from '../../helpers/client.js';
import { cleanup, firstMatch, makeClient, rejection, startSim, until, withTimeout, type Harness } from './harness.js';

const subscriptions: Subscription[] = [];
afterEach(async () => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  await cleanup();
});

/** No heartbeat pings during a test (so every recorded inbound frame is the test's own). */
const QUIET_HEARTBEAT = { pingInterval: 60_000, pongTimeout: 5_000 } as const;
const WAIT = 5_000;

type Json = Record<string, unknown>;
type Message<K extends TranscriptMessage['kind']> = Extract<TranscriptMessage, { kind: K }>;

// ---------------------------------------------------------------------------------------------
// helpers

/** Keeps every value of an observable (subscribed at once; the latest is `value`). */
function watch<T>(source: Observable<T>) {
  const values: T[] = [];
  subscriptions.push(source.subscribe((value) => values.push(value)));
  return {
    values,
    get value(): T {
      if (values.length === 0) throw new Error('the observable has not emitted yet');
      return values.at(-1)!;
    },
  };
}

async function connected(sim: Simulator, overrides: Partial<ClientOptions> = {}): Promise<Harness> {
  const h = makeClient(sim, { ...QUIET_HEARTBEAT, ...overrides });
  await h.connect(3000);
  return h;
}

/** The text frames the simulator received since `mark` (an index in `sim.control.frames`), parsed; optionally of one UI session. */
function inbound(sim: Simulator, mark: number, uiSessionId?: string): Json[] {
  return sim.control.frames.slice(mark).flatMap((frame) => {
    if (frame.direction !== 'in' || frame.kind !== 'text' || frame.text === undefined) return [];
    if (uiSessionId !== undefined && frame.uiSessionId !== uiSessionId) return [];
    return [JSON.parse(frame.text) as Json];
  });
}

/** The text frames the simulator sent since `mark`, parsed; optionally to one UI session. */
function outbound(sim: Simulator, mark: number, uiSessionId?: string): Json[] {
  return sim.control.frames.slice(mark).flatMap((frame) => {
    if (frame.direction !== 'out' || frame.kind !== 'text' || frame.text === undefined) return [];
    if (uiSessionId !== undefined && frame.uiSessionId !== uiSessionId) return [];
    return [JSON.parse(frame.text) as Json];
  });
}

const typesOf = (frames: Json[]) => frames.map((f) => String(f.type));
const idsOf = (entries: readonly ChatSessionIndexEntry[]) => entries.map((e) => e.session_id);

/** Whether `promise` settled before the next macrotask (i.e. without waiting for any I/O). */
async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return settled;
}

/** Sends a text and waits for the answer to end `done` (persists the current session). */
async function chat(h: Harness, text: string): Promise<void> {
  const result = await withTimeout(h.client.sendText(text), WAIT, `sendText("${text}")`);
  expect(result, `the outcome of sendText("${text}")`).toMatchObject({ outcome: 'done' });
}

/** Chats in the current session (`older`), opens a new one (`newer`) and chats there, then lists: sessions$ holds both, newest first. */
async function twoSessions(h: Harness, sessions: { readonly value: readonly ChatSessionIndexEntry[] }): Promise<{ older: string; newer: string }> {
  const older = currentId(h)!;
  await chat(h, 'the older session');
  await withTimeout(h.client.newSession(), WAIT, 'newSession()');
  const newer = currentId(h)!;
  await chat(h, 'the newer session');
  await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
  expect(idsOf(sessions.value)).toEqual([newer, older]);
  return { older, newer };
}

const currentId = (h: Harness) => h.status().chatSessionId;
const toolCalls = (messages: readonly TranscriptMessage[]) => messages.filter((m): m is Message<'tool_call'> => m.kind === 'tool_call');
const userMessages = (messages: readonly TranscriptMessage[]) => messages.filter((m): m is Message<'user'> => m.kind === 'user');

// ---------------------------------------------------------------------------------------------
// 1. setAgent

describe.each(['agentc', 'full'] as const)('profile %s', (profile) => {
  describe('setAgent', () => {
    it('to the current agent resolves at once and sends nothing', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      expect(current.value?.agent_config?.key).toBe('default');

      const mark = sim.control.frames.length;
      const pending = h.client.setAgent('default');
      expect(await settlesAtOnce(pending), 'setAgent(current) settled without waiting for the server').toBe(true);
      const config = await pending;
      expect(config.key).toBe('default');
      expect(config).toEqual(current.value?.agent_config);

      // sentinel: anything setAgent sent would be recorded before the sentinel's get_user_sessions
      await withTimeout(h.client.listSessions(), WAIT, 'listSessions (sentinel)');
      expect(typesOf(inbound(sim, mark))).toEqual(['get_user_sessions']);
      expect(current.value?.agent_config?.key).toBe('default');
    });

    it('to another agent resolves with its configuration, and currentSession$ shows it', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      const sessionId = currentId(h);
      const mark = sim.control.frames.length;

      const config = await withTimeout(h.client.setAgent('thinker'), WAIT, 'setAgent(thinker)');

      expect(config).toMatchObject({ key: 'thinker', name: 'Deep Thinker', model_id: expect.stringMatching(/^claude/) });
      expect(inbound(sim, mark)).toEqual([{ type: 'set_agent', agent_key: 'thinker' }]);
      const changed = outbound(sim, mark).find((f) => f.type === 'agent_configuration_changed') as { agent_config: Json } | undefined;
      expect(changed?.agent_config).toMatchObject({ key: 'thinker' });
      expect(current.value?.session_id).toBe(sessionId);
      expect(current.value?.agent_config).toEqual(config);

      // now the current agent: at once, nothing sent
      const again = sim.control.frames.length;
      expect(await settlesAtOnce(h.client.setAgent('thinker'))).toBe(true);
      await withTimeout(h.client.listSessions(), WAIT, 'listSessions (sentinel)');
      expect(typesOf(inbound(sim, again))).toEqual(['get_user_sessions']);
    });

    it('to an unknown agent rejects server_error, and the agent stays', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);

      const error = await rejection(h.client.setAgent('no_such_agent'), WAIT, 'setAgent(no_such_agent)');

      expect(error.reason).toBe('server_error');
      expect(error.message).toContain('Agent no_such_agent not found');
      expect(current.value?.agent_config?.key).toBe('default');
      // the client still works
      await expect(withTimeout(h.client.setAgent('gpt'), WAIT, 'setAgent(gpt)')).resolves.toMatchObject({ key: 'gpt' });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // 2. sessions

  describe('session commands', () => {
    it('newSession (same agent, another agent) and resumeSession (found, not found)', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      const messages = watch(h.client.messages$);
      const first = currentId(h)!;
      await chat(h, 'remember me');

      const fresh = await withTimeout(h.client.newSession(), WAIT, 'newSession()');
      expect(fresh.session_id).not.toBe(first);
      expect(fresh.agent_config?.key).toBe('default');
      expect(fresh.messages).toEqual([]);
      expect(current.value?.session_id).toBe(fresh.session_id);
      expect(currentId(h)).toBe(fresh.session_id);
      expect(userMessages(messages.value)).toEqual([]);

      const other = await withTimeout(h.client.newSession('thinker'), WAIT, 'newSession(thinker)');
      expect(other.session_id).not.toBe(fresh.session_id);
      expect(other.agent_config?.key).toBe('thinker');
      expect(current.value).toMatchObject({ session_id: other.session_id, agent_config: { key: 'thinker' } });

      const resumed = await withTimeout(h.client.resumeSession(first), WAIT, 'resumeSession(first)');
      expect(resumed.session_id).toBe(first);
      expect(resumed.messages.length).toBeGreaterThan(0);
      expect(resumed.agent_config?.key).toBe('default');
      expect(current.value?.session_id).toBe(first);
      expect(userMessages(messages.value).map((m) => m.text)).toEqual(['remember me']);

      const error = await rejection(h.client.resumeSession('admin-no-such-session'), WAIT, 'resumeSession(unknown)');
      expect(error.reason).toBe('server_error');
      expect(error.message).toBe("Session 'admin-no-such-session' not found");
      expect(current.value?.session_id).toBe(first);

      const unknownAgent = await rejection(h.client.newSession('no_such_agent'), WAIT, 'newSession(no_such_agent)');
      expect(unknownAgent.reason).toBe('server_error');
      expect(unknownAgent.message).toContain('Agent no_such_agent not found');
    });

    it('renameSession: the current session (currentSession$ and sessions$), another session, an unknown one', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      const sessions = watch(h.client.sessions$);
      const { older, newer } = await twoSessions(h, sessions);

      // the current session: confirmed by chat_session_name_changed
      const mark = sim.control.frames.length;
      await withTimeout(h.client.renameSession('Current name'), WAIT, 'renameSession(current)');
      expect(inbound(sim, mark)).toEqual([{ type: 'set_chat_session_name', session_name: 'Current name', session_id: null }]);
      expect(current.value).toMatchObject({ session_id: newer, session_name: 'Current name' });
      expect(sessions.value.find((e) => e.session_id === newer)?.session_name).toBe('Current name');

      // another session: the server does not confirm it to this tab; the rename is persisted
      const other = sim.control.frames.length;
      await withTimeout(h.client.renameSession('Other name', older), WAIT, 'renameSession(other)');
      expect(inbound(sim, other)[0]).toEqual({ type: 'set_chat_session_name', session_name: 'Other name', session_id: older });
      expect(current.value).toMatchObject({ session_id: newer, session_name: 'Current name' });
      const page = await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
      expect(page.chat_sessions.find((e) => e.session_id === older)?.session_name).toBe('Other name');
      expect(page.chat_sessions.find((e) => e.session_id === newer)?.session_name).toBe('Current name');

      const error = await rejection(h.client.renameSession('Nope', 'admin-no-such-session'), WAIT, 'renameSession(unknown)');
      expect(error.reason).toBe('server_error');
      expect(error.message).toBe("Session 'admin-no-such-session' not found");
    });

    it('renameSession of another session updates sessions$ of the tab that renamed it (without listing again)', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const sessions = watch(h.client.sessions$);
      const { older } = await twoSessions(h, sessions);

      await withTimeout(h.client.renameSession('Other name', older), WAIT, 'renameSession(other)');

      // deleteSession drops the entry itself (the server confirms only to other tabs); a rename should keep the list true as well
      expect(sessions.value.find((e) => e.session_id === older)?.session_name, `sessions$ after renaming ${older}`).toBe('Other name');
    });

    it('deleteSession: another session, the current one (moves to a new session first), an unknown one', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      const sessions = watch(h.client.sessions$);
      const { older, newer } = await twoSessions(h, sessions);
      const errorsBefore = h.errors().length;

      // another session
      const mark = sim.control.frames.length;
      await withTimeout(h.client.deleteSession(older), WAIT, 'deleteSession(other)');
      expect(inbound(sim, mark)).toEqual([{ type: 'delete_chat_session', session_id: older }]);
      expect(idsOf(sessions.value)).toEqual([newer]);
      expect(current.value?.session_id).toBe(newer);
      let page = await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
      expect(idsOf(page.chat_sessions)).toEqual([newer]);

      // the current session: new_chat_session first, then the delete of the old id
      const before = sim.control.frames.length;
      await withTimeout(h.client.deleteSession(), WAIT, 'deleteSession(current)');
      expect(inbound(sim, before)).toEqual([
        { type: 'new_chat_session', agent_key: null },
        { type: 'delete_chat_session', session_id: newer },
      ]);
      const replacement = current.value!;
      expect(replacement.session_id).not.toBe(newer);
      expect(replacement.session_id).not.toBe(older);
      expect(currentId(h)).toBe(replacement.session_id);
      expect(idsOf(sessions.value)).not.toContain(newer);
      page = await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
      expect(idsOf(page.chat_sessions)).toEqual([]);
      expect(page.total_sessions).toBe(0);
      // the server's bug (deleting the current session crashes its handler) was never triggered
      expect(h.errors().slice(errorsBefore).map((e) => e.message)).toEqual([]);
      expect(typesOf(outbound(sim, before))).not.toContain('error');

      const error = await rejection(h.client.deleteSession('admin-no-such-session'), WAIT, 'deleteSession(unknown)');
      expect(error.reason).toBe('server_error');
      expect(error.message).toBe("Session 'admin-no-such-session' not found");
      expect(current.value?.session_id).toBe(replacement.session_id);
    });

    it('deleteSession() of the current session before it was ever saved: moves to a new session, and no trace of the old one is left', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      const sessions = watch(h.client.sessions$);
      const unsaved = currentId(h)!;

      // the session has no message, so the server never saved it (§4.17); new_chat_session discards it (§4.13)
      const outcome = await withTimeout(
        h.client.deleteSession().then(
          () => 'resolved',
          (error: unknown) => `rejected ${(error as ClientError).reason}: ${(error as ClientError).message}`,
        ),
        WAIT,
        'deleteSession(unsaved current)',
      );

      const listedAfterDelete = idsOf(sessions.value);
      expect(current.value?.session_id).not.toBe(unsaved);
      const page = await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
      expect(idsOf(page.chat_sessions)).not.toContain(unsaved);
      expect.soft(outcome, 'deleteSession() of an unsaved current session').toBe('resolved');
      expect.soft(listedAfterDelete, 'sessions$ right after deleteSession()').not.toContain(unsaved);
    });

    it('listSessions: three persisted sessions, newest first, offset and limit; sessions$ follows', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const sessions = watch(h.client.sessions$);
      const ids: string[] = [];
      for (const text of ['first session', 'second session', 'third session']) {
        if (ids.length > 0) await withTimeout(h.client.newSession(), WAIT, 'newSession()');
        ids.push(currentId(h)!);
        await chat(h, text);
      }
      const [a, b, c] = ids as [string, string, string];
      expect(new Set(ids).size).toBe(3);
      // the broadcasts alone (chat_session_added, an upsert) already list them, newest first
      expect(idsOf(sessions.value)).toEqual([c, b, a]);

      const all = await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
      expect(inbound(sim, 0).filter((f) => f.type === 'get_user_sessions').at(-1)).toEqual({ type: 'get_user_sessions', offset: 0, limit: 50 });
      expect(idsOf(all.chat_sessions)).toEqual([c, b, a]);
      expect(all.total_sessions).toBe(3);
      expect(all.offset).toBe(0);
      const updated = all.chat_sessions.map((e) => e.updated_at!);
      expect([...updated].sort().reverse()).toEqual(updated);
      expect(all.chat_sessions.map((e) => e.agent_key)).toEqual(['default', 'default', 'default']);
      expect(sessions.value).toEqual(all.chat_sessions);

      const middle = await withTimeout(h.client.listSessions({ offset: 1, limit: 1 }), WAIT, 'listSessions({offset: 1, limit: 1})');
      expect(inbound(sim, 0).filter((f) => f.type === 'get_user_sessions').at(-1)).toEqual({ type: 'get_user_sessions', offset: 1, limit: 1 });
      expect(idsOf(middle.chat_sessions)).toEqual([b]);
      expect(middle).toMatchObject({ total_sessions: 3, offset: 1 });
      expect(sessions.value).toEqual(middle.chat_sessions);

      const firstTwo = await withTimeout(h.client.listSessions({ limit: 2 }), WAIT, 'listSessions({limit: 2})');
      expect(idsOf(firstTwo.chat_sessions)).toEqual([c, b]);
      const rest = await withTimeout(h.client.listSessions({ offset: 2, limit: 2 }), WAIT, 'listSessions({offset: 2, limit: 2})');
      expect(idsOf(rest.chat_sessions)).toEqual([a]);
      const beyond = await withTimeout(h.client.listSessions({ offset: 3, limit: 5 }), WAIT, 'listSessions({offset: 3, limit: 5})');
      expect(beyond).toMatchObject({ chat_sessions: [], total_sessions: 3, offset: 3 });
      expect(sessions.value).toEqual([]);

      // a chat afterwards upserts its session at the top of sessions$ again
      await withTimeout(h.client.listSessions(), WAIT, 'listSessions()');
      await withTimeout(h.client.resumeSession(a), WAIT, 'resumeSession(a)');
      await chat(h, 'back to the first');
      expect(idsOf(sessions.value)).toEqual([a, c, b]);
    });

    it('setSessionMetadata replaces the whole object; currentSession$.metadata follows', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);

      const first = { theme: 'dark', nested: { tags: ['a', 'b'], count: 2 } };
      const mark = sim.control.frames.length;
      const echoed = await withTimeout(h.client.setSessionMetadata(first), WAIT, 'setSessionMetadata(first)');
      expect(inbound(sim, mark)).toEqual([{ type: 'set_session_metadata', meta: first }]);
      expect(echoed).toEqual(first);
      expect(current.value?.metadata).toEqual(first);

      const second = { pinned: true };
      const replaced = await withTimeout(h.client.setSessionMetadata(second), WAIT, 'setSessionMetadata(second)');
      expect(replaced).toEqual(second);
      expect(current.value?.metadata).toEqual(second);
      expect(current.value?.metadata).not.toHaveProperty('theme');

      const emptied = await withTimeout(h.client.setSessionMetadata({}), WAIT, 'setSessionMetadata({})');
      expect(emptied).toEqual({});
      expect(current.value?.metadata).toEqual({});
    });
  });

  // ---------------------------------------------------------------------------------------------
  // 3. two tabs of one user

  describe('two tabs of the same user', () => {
    it('A chats: B gets the upsert; A renames the session B is on: B sees the name; A deletes it: B leaves it for a new session and it stays deleted (issue 10, defect 6)', async () => {
      const sim = await startSim({ profile });
      const a = await connected(sim);
      const b = await connected(sim);
      const uiA = a.status().uiSessionId!;
      const uiB = b.status().uiSessionId!;
      expect(uiA).not.toBe(uiB);
      const sessionsA = watch(a.client.sessions$);
      const sessionsB = watch(b.client.sessions$);
      const currentB = watch(b.client.currentSession$);

      // a chat in A: B's sessions$ gets A's session (chat_session_added, broadcast to every tab)
      const shared = currentId(a)!;
      await chat(a, 'hello from tab A');
      await firstMatch(b.client.sessions$, (list) => idsOf(list).includes(shared), WAIT, "A's session on B's sessions$");
      expect(sessionsB.value.find((e) => e.session_id === shared)).toMatchObject({ session_id: shared, agent_key: 'default', user_id: 'admin' });
      expect(currentB.value?.session_id).not.toBe(shared);

      // A moves on; B opens A's old session
      await withTimeout(a.client.newSession(), WAIT, 'A: newSession()');
      const elsewhere = currentId(a)!;
      await withTimeout(b.client.resumeSession(shared), WAIT, 'B: resumeSession(shared)');
      expect(currentB.value?.session_id).toBe(shared);

      // A renames it (not A's current session): only the tab on it, B, is told
      const renameMark = sim.control.frames.length;
      const eventsA = a.timeline.length;
      await withTimeout(a.client.renameSession('Named in A', shared), WAIT, 'A: renameSession(shared)');
      await firstMatch(b.client.currentSession$, (s) => s?.session_name === 'Named in A', WAIT, "the new name on B's currentSession$");
      expect(currentB.value?.session_id).toBe(shared);
      expect(sessionsB.value.find((e) => e.session_id === shared)?.session_name).toBe('Named in A');
      expect(outbound(sim, renameMark, uiB).filter((f) => f.type === 'chat_session_name_changed')).toEqual([
        { type: 'chat_session_name_changed', session_name: 'Named in A', session_id: shared },
      ]);
      // the routing filter drops it for A (A is on another session)
      expect(typesOf(outbound(sim, renameMark, uiA))).not.toContain('chat_session_name_changed');
      expect(a.types(eventsA)).not.toContain('chat_session_name_changed');

      // A deletes it: B (on it) gets delete_chat_session; A (the sender, elsewhere) gets only "deleted"
      const deleteMark = sim.control.frames.length;
      const eventsB = b.timeline.length;
      await withTimeout(a.client.deleteSession(shared), WAIT, 'A: deleteSession(shared)');
      const deleted = await b.waitForEvent((e) => e.type === 'delete_chat_session', WAIT, eventsB, 'delete_chat_session on B');
      expect(deleted).toMatchObject({ type: 'delete_chat_session', session_id: shared });
      await firstMatch(b.client.sessions$, (list) => !idsOf(list).includes(shared), WAIT, "the deleted session gone from B's sessions$");
      expect(typesOf(outbound(sim, deleteMark, uiA))).not.toContain('delete_chat_session');
      expect(idsOf(sessionsA.value)).not.toContain(shared);
      expect(currentId(a)).toBe(elsewhere);

      // the server would keep the deleted session current for B (§4.16: no replacement) and save it
      // again: B moves to a new session, then deletes the copy that move saved
      const moved = await firstMatch(b.client.currentSession$, (s) => s !== null && s.session_id !== shared, WAIT, 'B on a new session');
      expect(b.status().chatSessionId).toBe(moved!.session_id);
      await until(() => sim.control.uiSessions().find((s) => s.uiSessionId === uiB)?.chatSessionId === moved!.session_id, WAIT, 'B on the new session on the server');
      expect(typesOf(inbound(sim, deleteMark, uiB))).toEqual(['new_chat_session', 'delete_chat_session']);
      const pageB = await withTimeout(b.client.listSessions(), WAIT, 'B: listSessions()');
      expect(idsOf(pageB.chat_sessions)).not.toContain(shared);
      const pageA = await withTimeout(a.client.listSessions(), WAIT, 'A: listSessions()');
      expect(idsOf(pageA.chat_sessions)).not.toContain(shared);
      expect(idsOf(sessionsA.value)).not.toContain(shared);
      expect(idsOf(sessionsB.value)).not.toContain(shared);
      // and a text in B goes to the new session, not to a re-created old one
      await chat(b, 'hello from tab B');
      const pageAfter = await withTimeout(a.client.listSessions(), WAIT, 'A: listSessions() after B chatted');
      expect(idsOf(pageAfter.chat_sessions)).not.toContain(shared);
      expect(idsOf(pageAfter.chat_sessions)).toContain(moved!.session_id);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // 4. a resumed session with tool calls

  describe('a resumed session with tool calls', () => {
    it('shows each tool call once on messages$ after resumeSession, and after a reconnect', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim, { agentKey: 'tool_user' });
      const messages = watch(h.client.messages$);
      const sessionId = currentId(h)!;
      await chat(h, 'What is in the README?');

      const live = toolCalls(messages.value);
      expect(live.map((m) => m.name)).toEqual(['workspace_read']);
      const liveIds = live.map((m) => m.toolCallId);

      await withTimeout(h.client.newSession(), WAIT, 'newSession()');
      expect(toolCalls(messages.value)).toEqual([]);

      const resumed = await withTimeout(h.client.resumeSession(sessionId), WAIT, 'resumeSession()');
      expect(resumed.messages.length).toBeGreaterThan(0);
      const check = (when: string) => {
        const calls = toolCalls(messages.value);
        expect(calls.map((m) => m.toolCallId), `tool call ids ${when}`).toEqual(liveIds);
        expect(calls.map((m) => m.name), when).toEqual(['workspace_read']);
        expect(calls[0]!.status, when).toBe('done');
        expect(String(calls[0]!.result), when).toContain('# Project');
        expect(calls[0]!.input, when).toMatchObject({ path: expect.stringMatching(/^\/\/project\//) });
        expect(userMessages(messages.value).map((m) => m.text), when).toEqual(['What is in the README?']);
      };
      check('after resumeSession');

      // a reconnect: the server re-sends chat_session_changed; the transcript is rebuilt, not appended
      const from = h.timeline.length;
      expect(sim.control.dropSocket()).toBe(1);
      await h.waitForState('reconnecting', WAIT, from);
      await h.waitForState('ready', WAIT, from);
      await h.waitForEvent((e) => e.type === 'chat_session_changed', WAIT, from, 'chat_session_changed after the reconnect');
      await h.roundTrip(WAIT);
      expect(currentId(h)).toBe(sessionId);
      check('after a reconnect');
    });
  });

  // ---------------------------------------------------------------------------------------------
  // 5. uploads (Node: a streamed fetch body)

  type MetadataChanged = Extract<ServerEvent, { type: 'session_metadata_changed' }>;
  const fileEntry = (meta: Readonly<Record<string, unknown>> | null | undefined, id: string) =>
    ((meta?.uploaded_files ?? {}) as Record<string, { processing_status?: string | null; original_filename?: string | null; size?: number | null }>)[id];

  describe('uploads (Node)', () => {
    it('uploadFile: the answer, progress up to 100, pending then completed metadata, then the id in sendText', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const current = watch(h.client.currentSession$);
      const messages = watch(h.client.messages$);
      const from = h.timeline.length;
      const content = 'The realtime bridge keeps one UI session per tab.\n'.repeat(4000); // ~200 kB: several chunks
      const file = new File([content], 'notes.txt', { type: 'text/plain' });
      const progress: UploadProgress[] = [];

      const answer = await withTimeout(h.client.uploadFile(file, { onProgress: (p) => progress.push(p) }), WAIT, 'uploadFile()');

      expect(answer).toEqual({ id: expect.stringMatching(/^\d{14}_notes\.txt$/), filename: 'notes.txt', mime_type: 'text/plain', size: file.size });
      const id = answer.id;

      expect(progress.length).toBeGreaterThan(1); // ~200 kB streams in several chunks
      expectUploadProgress(progress, file.size);

      // two pushes: pending (before the HTTP answer), then completed (after the extraction)
      await h.waitUntil(
        () => h.events(from).filter((e) => e.type === 'session_metadata_changed' && fileEntry(e.meta, id) !== undefined).length >= 2,
        WAIT,
        'two session_metadata_changed for the file',
      );
      const pushes = h.events(from).filter((e): e is MetadataChanged => e.type === 'session_metadata_changed');
      expect(pushes.map((e) => fileEntry(e.meta, id)?.processing_status)).toEqual(['pending', 'completed']);
      expect(fileEntry(pushes[0]!.meta, id)).toMatchObject({ original_filename: 'notes.txt', size: file.size });
      await firstMatch(h.client.currentSession$, (s) => fileEntry(s?.metadata, id)?.processing_status === 'completed', WAIT, 'the file completed on currentSession$');
      expect(fileEntry(current.value?.metadata, id)).toMatchObject({ processing_status: 'completed', original_filename: 'notes.txt' });

      // the id in a message
      const mark = sim.control.frames.length;
      const result = await withTimeout(h.client.sendText('Summarise the file', { fileIds: [id] }), WAIT, 'sendText with the file id');
      expect(result).toMatchObject({ outcome: 'done' });
      expect(inbound(sim, mark)).toEqual([{ type: 'text_input', text: 'Summarise the file', file_ids: [id] }]);
      const users = userMessages(messages.value);
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ text: 'Summarise the file', fileIds: [id], pending: false });
    });

    it('each client limit rejects before any HTTP request: size, MIME type, too many files', async () => {
      const sim = await startSim({ profile });
      const counter = countingFetch();
      const h = await connected(sim, { fetch: counter.fetch, maxUploadSize: 1024, allowedMimeTypes: ['text/plain'], maxFilesPerMessage: 2 });
      expect(counter.paths).toContain('/api/rt/login'); // the wrapper is the client's fetch
      const text = (name: string, bytes = 10) => new File(['x'.repeat(bytes)], name, { type: 'text/plain' });

      const tooLarge = await rejection(h.client.uploadFile(text('big.txt', 2048)), WAIT, 'uploadFile(2048 bytes)');
      expect(tooLarge.reason).toBe('upload_too_large');
      expect(tooLarge.message).toContain('exceeds maximum');

      const wrongType = await rejection(h.client.uploadFile(new File([new Uint8Array(10)], 'pic.png', { type: 'image/png' })), WAIT, 'uploadFile(image/png)');
      expect(wrongType.reason).toBe('upload_type_not_allowed');
      expect(wrongType.message).toContain('not allowed');

      const tooMany = await rejection(h.client.uploadFiles([text('a.txt'), text('b.txt'), text('c.txt')]), WAIT, 'uploadFiles(3 files)');
      expect(tooMany.reason).toBe('too_many_files');
      expect(tooMany.message).toContain('Cannot upload');

      // one bad file among good ones: nothing is uploaded, not even the good ones before it
      const mixed = await rejection(h.client.uploadFiles([text('ok.txt'), text('huge.txt', 4096)]), WAIT, 'uploadFiles(ok, too large)');
      expect(mixed.reason).toBe('upload_too_large');

      expect(counter.count('/api/rt/upload_file'), `requests: ${counter.paths.join(', ')}`).toBe(0);

      // and a file within the limits does go through that fetch
      const ok = await withTimeout(h.client.uploadFiles([text('one.txt'), text('two.txt')]), WAIT, 'uploadFiles(2 files)');
      expect(ok.map((r) => r.filename)).toEqual(['one.txt', 'two.txt']);
      expect(counter.count('/api/rt/upload_file')).toBe(2);
    });

    it('an abort mid-upload rejects aborted "Upload cancelled"; the next upload works', async () => {
      const sim = await startSim({ profile });
      const counter = countingFetch();
      const h = await connected(sim, { fetch: counter.fetch });
      const big = new File([new Uint8Array(8 * 1024 * 1024)], 'large.bin', { type: 'application/octet-stream' });
      const controller = new AbortController();
      const progress: UploadProgress[] = [];

      const error = await rejection(
        h.client.uploadFile(big, {
          signal: controller.signal,
          onProgress: (p) => {
            progress.push(p);
            if (progress.length === 1) controller.abort();
          },
        }),
        WAIT,
        'uploadFile aborted on its first progress',
      );

      expect(error.reason).toBe('aborted');
      expect(error.message).toBe('Upload cancelled');
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress.at(-1)!.percentage).toBeLessThan(100);
      expect(counter.count('/api/rt/upload_file')).toBe(1);

      // an already aborted signal: rejected before any request
      const early = await rejection(h.client.uploadFile(new File(['x'], 'x.txt', { type: 'text/plain' }), { signal: AbortSignal.abort() }), WAIT, 'uploadFile(aborted signal)');
      expect(early.reason).toBe('aborted');
      expect(early.message).toBe('Upload cancelled');
      expect(counter.count('/api/rt/upload_file')).toBe(1);

      const after = await withTimeout(h.client.uploadFile(new File(['after'], 'after.txt', { type: 'text/plain' })), WAIT, 'uploadFile after the abort');
      expect(after).toMatchObject({ filename: 'after.txt', size: 5 });
    });

    it('an unknown file id in sendText ends the interaction failed (Error preparing chat parameters)', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const from = h.timeline.length;

      const result = await withTimeout(h.client.sendText('Look at this', { fileIds: ['20990101000000_missing.txt'] }), WAIT, 'sendText with an unknown file id');

      expect(result.outcome).toBe('failed');
      expect((result as { reason: string | null }).reason).toContain('Error preparing chat parameters');
      const error = await h.waitForError((e) => e.message.includes('Error preparing chat parameters'), WAIT, from);
      expect(error.reason).toBe('server_error');
      expect(h.types(from)).toContain('user_turn_start');
      // the client is usable afterwards
      await chat(h, 'and now without files');
    });

    it('a file id of another chat session fails the same way (files are bound to their session)', async () => {
      const sim = await startSim({ profile });
      const h = await connected(sim);
      const answer = await withTimeout(h.client.uploadFile(new File(['bound'], 'bound.txt', { type: 'text/plain' })), WAIT, 'uploadFile()');
      await withTimeout(h.client.newSession(), WAIT, 'newSession()');

      const result = await withTimeout(h.client.sendText('Use the old file', { fileIds: [answer.id] }), WAIT, 'sendText with a file of the previous session');
      expect(result.outcome).toBe('failed');
    });
  });
});
