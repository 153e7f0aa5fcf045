import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import { sentServerEventTypes, serverEventTypes } from '../../../src/schema/server/index.js';
import { fixture, fixtureObject, fixtures } from '../../helpers/fixtures.js';

/** The 38 type names the real server sends (PROTOCOL.md §3.2), written out independently of the schemas. */
const SENT_BY_SERVER = [
  'ui_session_id_changed', 'chat_user_data', 'avatar_list', 'voice_list', 'agent_list', 'tool_catalog',
  'chat_session_changed', 'render_media', 'user_turn_start', 'user_turn_end', 'pong', 'error', 'system_message',
  'cancelled', 'agent_configuration_changed', 'avatar_connection_changed', 'agent_voice_changed',
  'chat_session_added', 'chat_session_name_changed', 'session_metadata_changed', 'get_user_sessions_response',
  'delete_chat_session', 'interaction', 'completion', 'text_delta', 'thought_delta', 'complete_thought',
  'tool_select_delta', 'tool_call', 'history_delta', 'system_prompt', 'anthropic_user_message',
  'open_a_i_user_message', 'subsession_started', 'subsession_ended', 'message', 'audio_delta', 'workspace_added',
];
/** Names from the docs and the old SDK that the server never sends (PROTOCOL.md §3.2, §10). */
const LEGACY = [
  'history', 'voice_input_supported', 'server_listening', 'chat_session_deleted', 'workspace_list', 'user_message',
  'openai_user_message', 'user_request', 'agent_turn_start', 'agent_turn_end', 'ping',
];

describe('server event catalogue', () => {
  it('understands all 38 names the server sends, and only those as sent names', () => {
    expect(SENT_BY_SERVER).toHaveLength(38);
    expect([...sentServerEventTypes].sort()).toEqual([...SENT_BY_SERVER].sort());
  });

  it('also understands the legacy spellings', () => {
    for (const type of LEGACY) expect(serverEventTypes).toContain(type);
    expect(serverEventTypes).toContain('open_ai_user_message');
  });

  it('has one fixture per understood type', () => {
    const covered = new Set(fixtures.map((f) => f.type));
    expect([...covered].sort()).toEqual([...SENT_BY_SERVER, ...LEGACY].sort());
  });
});

describe('every fixture decodes', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s is a valid event of its type', (_name, f) => {
    const frame = decodeServerFrame(f.text);
    if (frame.kind !== 'event') throw new Error(`${f.name}: ${JSON.stringify(frame)}`);
    expect(frame.event.type).toBe(f.type);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s round-trips: decode(encode(decode(x))) = decode(x)', (_name, f) => {
    const first = decodeServerFrame(f.text);
    expect(first.kind).toBe('event');
    if (first.kind !== 'event') return;
    const second = decodeServerFrame(JSON.stringify(first.event));
    expect(second).toStrictEqual(first);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s keeps every field it was sent (loose inbound)', (_name, f) => {
    const frame = decodeServerFrame(f.text);
    if (frame.kind !== 'event') throw new Error('not an event');
    const sent = JSON.parse(f.text) as Record<string, unknown>;
    for (const key of Object.keys(sent)) expect(frame.event).toHaveProperty(key);
  });
});

describe('decoded values', () => {
  it('removes the password hash the server leaks in chat_user_data', () => {
    const sent = fixtureObject('chat_user_data') as { user: Record<string, unknown> };
    expect(sent.user.password_hash).toMatch(/^\$2b\$/);
    const frame = decodeServerFrame(fixture('chat_user_data').text);
    if (frame.kind !== 'event' || frame.event.type !== 'chat_user_data') throw new Error('not chat_user_data');
    expect(frame.event.user).not.toHaveProperty('password_hash');
    expect(JSON.stringify(frame)).not.toContain('$2b$');
    expect(frame.event.user.user_name).toBe('admin');
  });

  it('removes LLM credentials from agent_params.auth', () => {
    const sent = fixtureObject('agent_configuration_changed') as { agent_config: { agent_params: Record<string, unknown> } };
    sent.agent_config.agent_params.auth = { api_key: 'sk-secret-key' };
    const frame = decodeServerFrame(JSON.stringify(sent));
    if (frame.kind !== 'event' || frame.event.type !== 'agent_configuration_changed') throw new Error('wrong kind');
    expect(frame.event.agent_config.agent_params).not.toHaveProperty('auth');
    expect(JSON.stringify(frame)).not.toContain('sk-secret-key');
  });

  it('fills the server defaults a frame leaves out or sends as null', () => {
    const frame = decodeServerFrame(
      JSON.stringify({ type: 'text_delta', session_id: 's', role: 'assistant', content: 'hi', format: null }),
    );
    if (frame.kind !== 'event' || frame.event.type !== 'text_delta') throw new Error('not text_delta');
    expect(frame.event.format).toBe('markdown');
    const notice = decodeServerFrame(JSON.stringify({ type: 'system_message', session_id: 's', role: 'system', content: 'x' }));
    if (notice.kind !== 'event' || notice.event.type !== 'system_message') throw new Error('not system_message');
    expect(notice.event.severity).toBe('error');
    const done = decodeServerFrame(
      JSON.stringify({ type: 'completion', session_id: 's', role: 'assistant', running: false, input_tokens: null }),
    );
    if (done.kind !== 'event' || done.event.type !== 'completion') throw new Error('not completion');
    expect(done.event).toMatchObject({ input_tokens: 0, output_tokens: 0, completion_options: {} });
  });

  it('keeps a Claude tool call input that is a JSON string, and an OpenAI flat call', () => {
    const claude = decodeServerFrame(fixture('tool_call').text);
    if (claude.kind !== 'event' || claude.event.type !== 'tool_call') throw new Error('not tool_call');
    expect(typeof claude.event.tool_calls[0]!.input).toBe('string');
    const openai = decodeServerFrame(fixture('tool_call--openai').text);
    if (openai.kind !== 'event' || openai.event.type !== 'tool_call') throw new Error('not tool_call');
    expect(openai.event.vendor).toBe('open_ai');
    expect(typeof openai.event.tool_calls[0]!.arguments).toBe('string');
  });

  it('reads both vendor message formats in a chat session', () => {
    for (const name of ['chat_session_changed', 'chat_session_changed--openai']) {
      const frame = decodeServerFrame(fixture(name).text);
      if (frame.kind !== 'event' || frame.event.type !== 'chat_session_changed') throw new Error(name);
      expect(frame.event.chat_session.messages.length).toBeGreaterThan(2);
    }
  });

  it('rejects a known content block with the wrong fields, but keeps an unknown block type', () => {
    const session = fixtureObject('chat_session_changed') as { chat_session: { messages: { role: string; content: unknown }[] } };
    session.chat_session.messages.push({ role: 'assistant', content: [{ type: 'future_block', payload: 1 }] });
    const kept = decodeServerFrame(JSON.stringify(session));
    expect(kept.kind).toBe('event');
    session.chat_session.messages.push({ role: 'assistant', content: [{ type: 'text', text: 42 }] });
    const refused = decodeServerFrame(JSON.stringify(session));
    expect(refused.kind).toBe('invalid');
  });
});
