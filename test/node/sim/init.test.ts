/**
 * Connection set-up: the full initialization burst (PROTOCOL.md §7.1), the short reconnect form
 * (§1.9, §7.2) and the query parameters of §1.2.
 */
import { describe, expect, it } from 'vitest';
import { connect, login, type Ev } from '../../helpers/sim-client.js';
import { PROFILES, connectReady, interact, kinds, loginAndConnect, startSim, useSimulators, waitDetached } from './harness.js';
import { INIT_BURST } from '../../helpers/sequences.js';

useSimulators();

const BURST = INIT_BURST;

function find(events: readonly Ev[], type: string): Ev {
  const event = events.find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} in [${events.map((e) => e.type).join(', ')}]`);
  return event;
}

describe.each(PROFILES)('initialization (profile %s)', (profile) => {
  it('sends the 9-event burst in exact order to a new UI session, then nothing else', async () => {
    const sim = await startSim({ profile });
    const { client, burst } = await loginAndConnect(sim);
    expect(burst.map((e) => e.type)).toStrictEqual(BURST);
    expect(await client.sync()).toStrictEqual([]);
  });

  it('ends the burst with the welcome render_media of §7.1 step 9', async () => {
    const sim = await startSim({ profile });
    const { burst, chatSessionId } = await loginAndConnect(sim);
    const welcome = find(burst, 'render_media');
    expect(welcome).toMatchObject({
      content_type: 'text/markdown',
      role: 'assistant',
      sent_by_class: 'RealtimeBridge',
      sent_by_function: null,
      foreign_content: false,
      session_id: chatSessionId,
      user_session_id: chatSessionId,
      parent_session_id: null,
      content_bytes: null,
    });
    expect(welcome.content).toMatch(/^:::TIP Welcome to Agent C\n[\s\S]*\n:::\n$/); // a markdown TIP block (§13 item 10)
    // §1.4: optional fields are present as explicit null, never omitted.
    for (const key of ['url', 'name', 'content_bytes', 'parent_session_id']) expect(welcome, key).toHaveProperty(key);
  });

  it('uses the ui_session_id from login as is in ui_session_id_changed', async () => {
    const sim = await startSim({ profile });
    const body = await login(sim);
    const { burst } = await connectReady(sim, { token: body.agent_c_token, uiSessionId: body.ui_session_id });
    expect(find(burst, 'ui_session_id_changed')).toStrictEqual({ type: 'ui_session_id_changed', ui_session_id: body.ui_session_id });
  });

  it('creates a UI session with exactly an unknown ui_session_id and sends it the full burst', async () => {
    const sim = await startSim({ profile });
    const { burst } = await connectReady(sim, { uiSessionId: 'my-own-tab-42' });
    expect(burst.map((e) => e.type)).toStrictEqual(BURST);
    expect(find(burst, 'ui_session_id_changed').ui_session_id).toBe('my-own-tab-42');
    const held = sim.control.uiSessions().find((s) => s.uiSessionId === 'my-own-tab-42');
    expect(held).toMatchObject({ userId: 'admin', connected: true, interactionRunning: false });
  });

  it('sends the full ChatUser in chat_user_data, including password_hash (§5.1, §6.6)', async () => {
    const sim = await startSim({ profile });
    const { burst } = await loginAndConnect(sim);
    const user = find(burst, 'chat_user_data').user as Record<string, unknown>;
    for (const key of [
      'version',
      'user_id',
      'user_name',
      'email',
      'first_name',
      'last_name',
      'created_at',
      'updated_at',
      'deleted_at',
      'roles',
      'groups',
      'meta',
      'password_hash',
      'is_active',
      'last_login',
    ]) {
      expect(user, key).toHaveProperty(key);
    }
    expect(user.user_id).toBe('admin');
    expect(user.user_name).toBe('admin');
    expect(user.is_active).toBe(true);
  });

  it('starts a new empty chat session "<user_id>-<word>-<word>" with the default agent (§6.1)', async () => {
    const sim = await startSim({ profile });
    const { burst } = await loginAndConnect(sim);
    const session = find(burst, 'chat_session_changed').chat_session as Record<string, any>;
    expect(session.session_id).toMatch(/^admin-[A-Za-z]+-[A-Za-z]+$/);
    expect(session).toMatchObject({ version: 1, user_id: 'admin', messages: [], vendor: 'anthropic', deleted_at: null });
    expect(session.agent_config.key).toBe('default');
    expect(session.display_name).toBe(session.session_name ?? `New chat with ${session.agent_config.name}`);
    for (const key of ['token_count', 'context_window_size', 'session_name', 'created_at', 'updated_at', 'metadata']) {
      expect(session, key).toHaveProperty(key);
    }
  });

  it('uses the agent named by the agent_key query parameter for the initial chat session', async () => {
    const sim = await startSim({ profile });
    const { burst } = await connectReady(sim, { agentKey: 'thinker' });
    expect(find(burst, 'chat_session_changed').chat_session.agent_config.key).toBe('thinker');
  });

  it('creates a new empty chat session with exactly an unknown chat_session_id', async () => {
    const sim = await startSim({ profile });
    const { burst } = await connectReady(sim, { chatSessionId: 'admin-brand-new' });
    expect(burst.map((e) => e.type)).toStrictEqual(BURST);
    const session = find(burst, 'chat_session_changed').chat_session;
    expect(session.session_id).toBe('admin-brand-new');
    expect(session.messages).toStrictEqual([]);
    expect(find(burst, 'render_media').session_id).toBe('admin-brand-new');
  });

  it('loads an existing chat_session_id with its messages, says "Welcome back" and replaces its agent by agent_key (default when omitted)', async () => {
    const sim = await startSim({ profile });
    const first = await connectReady(sim, { agentKey: 'thinker' });
    await interact(first.client, 'Hello there');
    const loaded = await connectReady(sim, { chatSessionId: first.chatSessionId });
    const session = find(loaded.burst, 'chat_session_changed').chat_session;
    expect(session.session_id).toBe(first.chatSessionId);
    expect(session.messages.length).toBeGreaterThanOrEqual(2);
    expect(session.agent_config.key).toBe('default');
    expect(find(loaded.burst, 'render_media').content).toMatch(/^:::TIP Welcome back\n/);
  });

  it('reconnect to a known idle UI session: only chat_session_changed then user_turn_start (§7.2)', async () => {
    const sim = await startSim({ profile });
    const first = await loginAndConnect(sim);
    await first.client.close();
    await waitDetached(sim, first.uiSessionId);
    const again = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
    const events = await again.until('user_turn_start');
    expect(events.map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
    expect(events[0]?.chat_session.session_id).toBe(first.chatSessionId);
    expect(await again.sync()).toStrictEqual([]);
    expect(sim.control.uiSessions().filter((s) => s.uiSessionId === first.uiSessionId)).toHaveLength(1);
  });

  it('reconnect ignores chat_session_id and agent_key for a known UI session', async () => {
    const sim = await startSim({ profile });
    const first = await connectReady(sim);
    await first.client.close();
    await waitDetached(sim, first.uiSessionId);
    const again = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId, chatSessionId: 'admin-other-one' });
    const events = await again.until('user_turn_start');
    expect(events.map((e) => e.type)).toStrictEqual(['chat_session_changed', 'user_turn_start']);
    expect(events[0]?.chat_session.session_id).toBe(first.chatSessionId);
  });

  it('reconnect during a running interaction: no user_turn_start in the short form; the rest of the interaction and its own user_turn_start arrive on the new socket', async () => {
    const sim = await startSim({ profile, deltaMs: 80 });
    const first = await connectReady(sim);
    first.client.send({ type: 'text_input', text: 'Tell me something' });
    const start = await first.client.waitFor((e) => e.type === 'interaction' && e.started === true);
    await first.client.next('text_delta');
    await first.client.terminate();
    await waitDetached(sim, first.uiSessionId);
    expect(sim.control.uiSessions().find((s) => s.uiSessionId === first.uiSessionId)?.interactionRunning).toBe(true);

    const again = await connect(sim, { token: first.token, uiSessionId: first.uiSessionId });
    const events = await again.until('user_turn_start', 5000);
    expect(events[0]?.type).toBe('chat_session_changed');
    const rest = kinds(events.slice(1));
    expect(rest.filter((k) => k === 'user_turn_start')).toHaveLength(1);
    expect(rest.slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
    expect(rest).toContain('completion:end');
    expect(events.find((e) => e.type === 'interaction')?.id).toBe(start.id);
    expect(rest.some((k) => k === 'interaction:start' || k === 'user_turn_end')).toBe(false);
  });
});
