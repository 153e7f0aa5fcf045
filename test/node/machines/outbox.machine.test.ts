/**
 * The outbox machine on a SimulatedClock: its gates (ready, busy), one text at a time, interrupts,
 * cancel matching, reply deadlines, the catalogue re-request, and dispose. Every command settles once.
 */
import { describe, expect, it } from 'vitest';
import { outboxHarness, output } from './outbox.harness.js';

describe('outbox: the ready gate', () => {
  it('refuses not_ready while offline; queues get_* and ping while a connection is under way and sends them at ready', () => {
    const h = outboxHarness();
    const early = h.command({ type: 'get_agents' });
    expect(h.outcome(early)).toMatchObject({ ok: false, reason: 'not_ready' });
    h.send({ type: 'link.connecting' });
    const agents = h.command({ type: 'get_agents' });
    const ping = h.command({ type: 'ping' });
    const rename = h.command({ type: 'set_chat_session_name', session_name: 'x', session_id: null });
    expect(h.outcome(rename)).toMatchObject({ ok: false, reason: 'not_ready' });
    expect(h.frames()).toEqual([]);
    h.send({ type: 'link.ready' });
    // the server's activity is not known yet: ping goes, get_agents (pre-empting) waits for the turn
    expect(h.frames()).toEqual(['ping']);
    expect(h.outcome(ping)).toMatchObject({ ok: true });
    expect(h.outcome(agents)).toBeUndefined();
    h.send({ type: 'server.activity', activity: 'idle' });
    // the lists never received (the short form sends none; get_agents is asked for already), then get_agents
    expect(h.frames()).toEqual(['ping', 'get_avatars', 'get_voices', 'get_tool_catalog', 'get_agents']);
    expect(h.outcome(agents)).toMatchObject({ ok: true });
  });

  it('leaves a session another tab deleted once the server is idle: a new session, then the copy that move saves is deleted (defect 6)', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    h.send({ type: 'server', event: { type: 'delete_chat_session', session_id: 'other' } as never });
    expect(h.frames()).toEqual([]); // not this tab's session
    h.send({ type: 'server.activity', activity: 'busy' });
    h.send({ type: 'server', event: { type: 'delete_chat_session', session_id: 's1' } as never });
    expect(h.frames()).toEqual([]);
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.notices.flatMap((n) => (n.type === 'outbound' ? [JSON.parse(n.data)] : []))).toEqual([
      { type: 'new_chat_session', agent_key: null },
      { type: 'delete_chat_session', session_id: 's1' },
    ]);
  });

  it('asks only for the lists it never received', () => {
    const h = outboxHarness();
    h.send({ type: 'link.connecting' });
    h.send({ type: 'server', event: { type: 'agent_list', agents: [] } as never });
    h.send({ type: 'server', event: { type: 'tool_catalog', tools: [] } as never });
    h.send({ type: 'link.ready' });
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.frames()).toEqual(['get_avatars', 'get_voices']);
  });

  it('rejects what waits with the connection’s reason when it ends, and requests already sent with network when the socket is lost', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    const asked = h.command({ type: 'get_user_sessions', offset: 0, limit: 5 }, true);
    h.send({ type: 'server.activity', activity: 'busy' });
    const held = h.command({ type: 'get_voices' });
    h.send({ type: 'link.lost' });
    expect(h.outcome(asked)).toMatchObject({ ok: false, reason: 'network' });
    expect(h.outcome(held)).toBeUndefined();
    h.send({ type: 'link.ended', reason: 'auth_required', message: 'log in again' });
    expect(h.outcome(held)).toMatchObject({ ok: false, reason: 'auth_required' });
    expect(h.outcome(held)).toMatchObject({ message: expect.stringContaining('log in again') });
  });
});

describe('outbox: the busy gate', () => {
  it('holds pre-empting commands while the server is busy and sends them, in order, once it is idle; ping and cancel go at once', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    h.send({ type: 'server.activity', activity: 'busy' });
    const voices = h.command({ type: 'get_voices' });
    const meta = h.command({ type: 'set_session_metadata', meta: { a: 1 } });
    const ping = h.command({ type: 'ping' });
    const resumeCurrent = h.command({ type: 'resume_chat_session', session_id: 's1' });
    const resumeOther = h.command({ type: 'resume_chat_session', session_id: 's2' });
    expect(h.frames()).toEqual(['ping', 'resume_chat_session']);
    expect([voices, meta, resumeOther].map((id) => h.outcome(id))).toEqual([undefined, undefined, undefined]);
    expect(h.outcome(ping)).toMatchObject({ ok: true });
    expect(h.outcome(resumeCurrent)).toMatchObject({ ok: true });
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.frames()).toEqual(['ping', 'resume_chat_session', 'get_voices', 'set_session_metadata', 'resume_chat_session']);
    expect([voices, meta, resumeOther].map((id) => h.outcome(id)?.ok)).toEqual([true, true, true]);
  });

  it('refuses a raw text_input while busy (interaction_in_progress); a !command is a chat command, held like the rest', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    h.send({ type: 'server.activity', activity: 'busy' });
    const raw = h.command({ type: 'text_input', text: 'hello', file_ids: [] });
    expect(h.outcome(raw)).toMatchObject({ ok: false, reason: 'interaction_in_progress' });
    const chat = h.command({ type: 'text_input', text: '!help', file_ids: [] });
    expect(h.outcome(chat)).toBeUndefined();
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.outcome(chat)).toMatchObject({ ok: true });
  });
});

describe('outbox: texts', () => {
  it('sends a text when idle, tells the conversation, and resolves with the outcome once the turn is back', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    const id = h.text('hi');
    expect(h.frames()).toEqual(['text_input']);
    expect(h.told('text.requested')).toBe(1);
    expect(h.sent).toEqual([id]);
    h.send({ type: 'interaction.started' });
    h.send({ type: 'server.activity', activity: 'busy' });
    h.send({ type: 'interaction.ended', output: output('done'), topLevel: true });
    expect(h.outcome(id)).toBeUndefined(); // the server's task runs until user_turn_start
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.outcome(id)).toMatchObject({ ok: true, value: { outcome: 'done' } });
  });

  it('refuses a second text while the first answer runs, unless it interrupts: cancel, wait for idle, then send', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    const first = h.text('first');
    h.send({ type: 'interaction.started' });
    const refused = h.text('second');
    expect(h.outcome(refused)).toMatchObject({ ok: false, reason: 'interaction_in_progress' });
    const second = h.text('second', true);
    expect(h.frames()).toEqual(['text_input', 'client_wants_cancel']);
    h.send({ type: 'server', event: { type: 'cancelled' } as never });
    expect(h.told('cancel.confirmed')).toBe(1); // an answer ran: the conversation marks it cancelled
    h.send({ type: 'interaction.ended', output: output('cancelled'), topLevel: true });
    expect(h.frames()).toEqual(['text_input', 'client_wants_cancel']);
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.outcome(first)).toMatchObject({ ok: true, value: { outcome: 'cancelled' } });
    expect(h.frames()).toEqual(['text_input', 'client_wants_cancel', 'text_input']);
    expect(h.sent).toEqual([first, second]);
  });

  it('texts that came while one waited are decided one by one once it went: the next one sees the server busy (found by the property)', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    h.command({ type: 'text_input', text: 'raw', file_ids: [] });
    const interrupting = h.text('!tools', true);
    const second = h.text('second');
    const third = h.text('third');
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.outcome(interrupting)).toMatchObject({ ok: true, value: { outcome: 'command' } });
    expect(h.frames().filter((type) => type === 'text_input')).toHaveLength(3); // raw, !tools, second
    expect(h.outcome(second)).toBeUndefined();
    expect(h.outcome(third)).toMatchObject({ ok: false, reason: 'interaction_in_progress' });
  });

  it('a text that waits while the turn is unknown goes at idle; a socket lost meanwhile refuses it (not sent)', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    h.send({ type: 'server.activity', activity: 'unknown' });
    const waits = h.text('after the turn');
    expect(h.frames()).toEqual([]);
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.frames()).toEqual(['text_input']);
    expect(h.outcome(waits)).toBeUndefined();
    const h2 = outboxHarness();
    h2.readyAndIdle();
    h2.send({ type: 'server.activity', activity: 'unknown' });
    const lost = h2.text('lost');
    h2.send({ type: 'link.lost' });
    expect(h2.outcome(lost)).toMatchObject({ ok: false, reason: 'not_ready' });
    expect(h2.frames()).toEqual([]);
  });

  it('gives up on an answer that never starts after replyTimeout (timeout; the conversation lets the request go), not before', () => {
    const h = outboxHarness(10_000);
    h.readyAndIdle();
    const id = h.text('\u00a0lost in transit');
    h.clock.increment(9_999);
    expect(h.outcome(id)).toBeUndefined();
    h.clock.increment(1);
    expect(h.outcome(id)).toMatchObject({ ok: false, reason: 'timeout' });
    expect(h.told('text.unanswered')).toBe(1);
  });

  it('an answer that started is never timed out by the outbox', () => {
    const h = outboxHarness(10_000);
    h.readyAndIdle();
    const id = h.text('long');
    h.send({ type: 'interaction.started' });
    h.clock.increment(120_000);
    expect(h.outcome(id)).toBeUndefined();
    expect(h.told('text.unanswered')).toBe(0);
  });

  it('a !command is sent and settled at once (no interaction)', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    const id = h.text('!help');
    expect(h.outcome(id)).toMatchObject({ ok: true, value: { outcome: 'command' } });
    expect(h.told('text.requested')).toBe(0);
  });
});

describe('outbox: cancels and replies', () => {
  it('matches each cancelled with its cancel, in order: one sent while idle does not mark the next answer cancelled', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    const idle = h.cancel();
    h.text('hi');
    const running = h.cancel();
    h.send({ type: 'server', event: { type: 'cancelled' } as never });
    expect(h.outcome(idle)).toMatchObject({ ok: true });
    expect(h.told('cancel.confirmed')).toBe(0);
    h.send({ type: 'server', event: { type: 'cancelled' } as never });
    expect(h.outcome(running)).toMatchObject({ ok: true });
    expect(h.told('cancel.confirmed')).toBe(1);
  });

  it('a cancel confirmed after its answer ended and the next text went out does not cancel the next answer (found by the conversation property)', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    h.text('first');
    h.send({ type: 'interaction.started' });
    h.send({ type: 'server.activity', activity: 'busy' });
    const next = h.text('next', true); // cancel out for the first answer
    h.send({ type: 'interaction.ended', output: output('done'), topLevel: true });
    h.send({ type: 'server.activity', activity: 'idle' });
    expect(h.sent).toHaveLength(2); // the next text went out
    h.send({ type: 'server', event: { type: 'cancelled' } as never }); // the late confirmation
    expect(h.told('cancel.confirmed')).toBe(0);
    expect(h.outcome(next)).toBeUndefined();
  });

  it('a request expecting a reply settles when answered, fails with the server’s refusal, or times out after replyTimeout', () => {
    const h = outboxHarness(10_000);
    h.readyAndIdle();
    const a = h.command({ type: 'get_agents' }, true);
    const b = h.command({ type: 'set_agent', agent_key: 'nope' }, true);
    const c = h.command({ type: 'get_voices' }, true);
    h.send({ type: 'command.answered', id: a });
    h.send({ type: 'command.failed', id: b, reason: 'server_error', message: 'Agent nope not found' });
    expect(h.outcome(a)).toMatchObject({ ok: true });
    expect(h.outcome(b)).toMatchObject({ ok: false, reason: 'server_error', message: 'Agent nope not found' });
    h.clock.increment(9_999);
    expect(h.outcome(c)).toBeUndefined();
    h.clock.increment(1);
    expect(h.outcome(c)).toMatchObject({ ok: false, reason: 'timeout' });
    // an answer for something not awaited changes nothing
    h.send({ type: 'command.answered', id: 999 });
    expect(h.settled.filter((s) => s.id === 999)).toEqual([]);
  });

  it('dispose settles every command still waiting with closed, once, and tells the parent it drained', () => {
    const h = outboxHarness();
    h.readyAndIdle();
    const text = h.text('hi');
    h.send({ type: 'server.activity', activity: 'busy' });
    const held = h.command({ type: 'get_voices' });
    const asked = h.command({ type: 'ping' }, true);
    const cancel = h.cancel();
    const interrupting = h.text('again', true);
    h.send({ type: 'dispose' });
    for (const id of [text, held, asked, cancel, interrupting]) expect(h.outcome(id)).toMatchObject({ ok: false, reason: 'closed' });
    expect(h.told('outbox.drained')).toBe(1);
  });
});
