/**
 * Client → server events against PROTOCOL.md §1.5, §3.1 and §4.
 *
 * The tables below are written from the protocol document, not from src/schema/client.ts: a row
 * is "what the server expects on the wire", so a schema that drifts from PROTOCOL.md fails here.
 */
import { describe, expect, it } from 'vitest';
import { encodeClientEvent } from '../../../src/schema/codec.js';
import { clientEventTypes, nonPreemptingClientEventTypes, type ClientEvent } from '../../../src/schema/client.js';
import { ProtocolError } from '../../../src/schema/protocol-error.js';

type Wire = Record<string, unknown>;

interface Row {
  /** The smallest event a caller may write. */
  readonly example: ClientEvent;
  /** The JSON object expected on the wire: every server default (PROTOCOL.md §4) filled in. */
  readonly wire: Wire;
}

/** §3.1, all 28 names, in the document's order. */
const PROTOCOL_CLIENT_EVENT_TYPES = [
  'ping',
  'text_input',
  'client_wants_cancel',
  'get_agents',
  'set_agent',
  'get_avatars',
  'set_avatar',
  'set_avatar_session',
  'set_agent_voice',
  'get_voices',
  'get_tool_catalog',
  'set_agent_tools',
  'new_chat_session',
  'resume_chat_session',
  'set_chat_session_name',
  'delete_chat_session',
  'get_user_sessions',
  'set_session_metadata',
  'set_session_messages',
  'audio_input_delta',
  'set_voice_input_mode',
  'add_workspace',
  'remove_workspace',
  'list_workspaces',
  'pong',
  'ptt_start',
  'ptt_end',
  'clear_avatar_session',
] as const;

/** A workspace entry, shaped like `workspace_added.entry` (§5.1), for `add_workspace {entry}` (§4.22). */
const WORKSPACE_ENTRY = {
  name: 'project',
  path_or_bucket: '/srv/project',
  description: 'Project files',
  type: 'local',
  read_only: false,
  prefix: null,
};

/** Minimal valid example per §3.1 name, with the wire object §4 implies (defaults filled in). */
const MINIMAL: readonly Row[] = [
  // §4.1
  { example: { type: 'ping' }, wire: { type: 'ping' } },
  // §4.2 `text: string`, `file_ids: string[] = []`
  { example: { type: 'text_input', text: 'Hello' }, wire: { type: 'text_input', text: 'Hello', file_ids: [] } },
  // §4.3
  { example: { type: 'client_wants_cancel' }, wire: { type: 'client_wants_cancel' } },
  // §4.4
  { example: { type: 'get_agents' }, wire: { type: 'get_agents' } },
  // §4.5 `agent_key: string`
  { example: { type: 'set_agent', agent_key: 'default' }, wire: { type: 'set_agent', agent_key: 'default' } },
  // §4.6
  { example: { type: 'get_avatars' }, wire: { type: 'get_avatars' } },
  // §4.7 `avatar_id: string`, `quality: string = "medium"`, `video_encoding: string = "H264"`
  {
    example: { type: 'set_avatar', avatar_id: 'Anna_public_3_20240108' },
    wire: { type: 'set_avatar', avatar_id: 'Anna_public_3_20240108', quality: 'medium', video_encoding: 'H264' },
  },
  // §4.8 `access_token: string`, `avatar_session_id: string`
  {
    example: { type: 'set_avatar_session', access_token: 'heygen-token', avatar_session_id: 'hg-session-1' },
    wire: { type: 'set_avatar_session', access_token: 'heygen-token', avatar_session_id: 'hg-session-1' },
  },
  // §4.9 `voice_id: string`
  { example: { type: 'set_agent_voice', voice_id: 'alloy' }, wire: { type: 'set_agent_voice', voice_id: 'alloy' } },
  // §4.10
  { example: { type: 'get_voices' }, wire: { type: 'get_voices' } },
  // §4.11
  { example: { type: 'get_tool_catalog' }, wire: { type: 'get_tool_catalog' } },
  // §4.12 `tools: string[] = []`
  { example: { type: 'set_agent_tools' }, wire: { type: 'set_agent_tools', tools: [] } },
  // §4.13 `agent_key: string | null = null`
  { example: { type: 'new_chat_session' }, wire: { type: 'new_chat_session', agent_key: null } },
  // §4.14 `session_id: string`
  {
    example: { type: 'resume_chat_session', session_id: 'admin-calm-river' },
    wire: { type: 'resume_chat_session', session_id: 'admin-calm-river' },
  },
  // §4.15 `session_name: string`, `session_id: string | null = null`
  {
    example: { type: 'set_chat_session_name', session_name: 'Trip planning' },
    wire: { type: 'set_chat_session_name', session_name: 'Trip planning', session_id: null },
  },
  // §4.16 `session_id: string | null = null`
  { example: { type: 'delete_chat_session' }, wire: { type: 'delete_chat_session', session_id: null } },
  // §4.17 `offset: int = 0`, `limit: int = 50`
  { example: { type: 'get_user_sessions' }, wire: { type: 'get_user_sessions', offset: 0, limit: 50 } },
  // §4.18 `meta: object`
  { example: { type: 'set_session_metadata', meta: {} }, wire: { type: 'set_session_metadata', meta: {} } },
  // §4.19 `messages: object[] = []`
  { example: { type: 'set_session_messages' }, wire: { type: 'set_session_messages', messages: [] } },
  // §4.20 `content: string`, `content_type: string = "audio/L16"`
  {
    example: { type: 'audio_input_delta', content: 'AAA=' },
    wire: { type: 'audio_input_delta', content: 'AAA=', content_type: 'audio/L16' },
  },
  // §4.21 `mode: "ptt" | "vad" | "realtime"`
  { example: { type: 'set_voice_input_mode', mode: 'vad' }, wire: { type: 'set_voice_input_mode', mode: 'vad' } },
  // §4.22 `add_workspace {entry}`
  {
    example: { type: 'add_workspace', entry: { ...WORKSPACE_ENTRY } },
    wire: { type: 'add_workspace', entry: { ...WORKSPACE_ENTRY } },
  },
  // §4.22 `remove_workspace {name}`
  { example: { type: 'remove_workspace', name: 'project' }, wire: { type: 'remove_workspace', name: 'project' } },
  // §4.22
  { example: { type: 'list_workspaces' }, wire: { type: 'list_workspaces' } },
  // §1.7, §4.22
  { example: { type: 'pong' }, wire: { type: 'pong' } },
  // §4.22
  { example: { type: 'ptt_start' }, wire: { type: 'ptt_start' } },
  { example: { type: 'ptt_end' }, wire: { type: 'ptt_end' } },
  // §4.22 `clear_avatar_session {session_id}`, null when not given
  { example: { type: 'clear_avatar_session' }, wire: { type: 'clear_avatar_session', session_id: null } },
];

/** Every field given, none left to a default: the wire object is the event itself. */
const FULL: readonly ClientEvent[] = [
  { type: 'ping' },
  { type: 'text_input', text: 'Summarise the upload', file_ids: ['20260101120000_report.pdf', '20260101120001_notes.txt'] },
  { type: 'client_wants_cancel' },
  { type: 'get_agents' },
  { type: 'set_agent', agent_key: 'researcher' },
  { type: 'get_avatars' },
  { type: 'set_avatar', avatar_id: 'Anna_public_3_20240108', quality: 'high', video_encoding: 'VP8' },
  { type: 'set_avatar_session', access_token: 'heygen-token', avatar_session_id: 'hg-session-1' },
  { type: 'set_agent_voice', voice_id: 'none' },
  { type: 'get_voices' },
  { type: 'get_tool_catalog' },
  { type: 'set_agent_tools', tools: ['ThinkTools', 'WorkspaceTools'] },
  { type: 'new_chat_session', agent_key: 'researcher' },
  { type: 'new_chat_session', agent_key: null },
  { type: 'resume_chat_session', session_id: 'admin-calm-river' },
  { type: 'set_chat_session_name', session_name: 'Renamed', session_id: 'admin-calm-river' },
  { type: 'set_chat_session_name', session_name: '', session_id: null },
  { type: 'delete_chat_session', session_id: 'admin-calm-river' },
  { type: 'delete_chat_session', session_id: null },
  { type: 'get_user_sessions', offset: 100, limit: 25 },
  { type: 'set_session_metadata', meta: { active_workspace: 'project', uploaded_files: [], nested: { a: [1, null, true] } } },
  {
    type: 'set_session_messages',
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] },
    ],
  },
  { type: 'audio_input_delta', content: 'AAABAAIA', content_type: 'audio/L16;rate=24000' },
  { type: 'set_voice_input_mode', mode: 'ptt' },
  { type: 'set_voice_input_mode', mode: 'realtime' },
  { type: 'add_workspace', entry: { ...WORKSPACE_ENTRY, prefix: 'docs/', read_only: true } },
  { type: 'remove_workspace', name: 'project' },
  { type: 'list_workspaces' },
  { type: 'pong' },
  { type: 'ptt_start' },
  { type: 'ptt_end' },
  { type: 'clear_avatar_session', session_id: 'hg-session-1' },
];

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl';

/** Encodes `value` and returns the ProtocolError it must throw. */
function rejection(value: unknown): ProtocolError {
  let caught: unknown;
  try {
    encodeClientEvent(value as ClientEvent);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  return caught as ProtocolError;
}

/** Asserts the error names `field` as the first offending field, in `.field` and in `.issues`. */
function expectField(error: ProtocolError, field: string, type?: string): void {
  expect(error.field).toBe(field);
  expect(error.issues.length).toBeGreaterThan(0);
  expect(error.issues[0]!.path).toBe(field);
  expect(error.name).toBe('ProtocolError');
  expect(error).toBeInstanceOf(Error);
  if (type !== undefined) expect(error.type).toBe(type);
}

const rowName = (row: Row): string => row.example.type;

describe('client event table (PROTOCOL.md §3.1, §4)', () => {
  it('covers exactly the 28 names of §3.1, which equal clientEventTypes', () => {
    const tableTypes = MINIMAL.map(rowName);
    expect(tableTypes).toHaveLength(28);
    expect(new Set(tableTypes).size).toBe(28);
    expect(new Set(tableTypes)).toStrictEqual(new Set(PROTOCOL_CLIENT_EVENT_TYPES));
    expect(clientEventTypes).toHaveLength(28);
    expect(new Set(clientEventTypes)).toStrictEqual(new Set(tableTypes));
  });

  it('gives every row a wire object of the same type', () => {
    for (const row of MINIMAL) expect(row.wire['type']).toBe(row.example.type);
  });

  it('has a fully specified event for every type', () => {
    expect(new Set(FULL.map((event) => event.type))).toStrictEqual(new Set(PROTOCOL_CLIENT_EVENT_TYPES));
  });
});

describe('encodeClientEvent: minimal events get the server defaults', () => {
  it.each(MINIMAL.map((row) => [rowName(row), row] as const))('%s', (_name, row) => {
    const text = encodeClientEvent(row.example);
    expect(typeof text).toBe('string');
    expect(JSON.parse(text)).toStrictEqual(row.wire);
  });

  it('fills a fresh default array per call', () => {
    const first = JSON.parse(encodeClientEvent({ type: 'text_input', text: 'a' })) as Wire;
    const second = JSON.parse(encodeClientEvent({ type: 'text_input', text: 'b' })) as Wire;
    expect(first['file_ids']).toStrictEqual([]);
    expect(second['file_ids']).toStrictEqual([]);
  });
});

describe('encodeClientEvent: fully specified events', () => {
  it.each(FULL.map((event, index) => [`${event.type} #${index}`, event] as const))('%s encodes to exactly its fields', (_name, event) => {
    const expected = structuredClone(event) as Wire;
    const wire = JSON.parse(encodeClientEvent(event)) as Wire;
    expect(wire).toStrictEqual(expected);
    expect(Object.keys(wire).sort()).toStrictEqual(Object.keys(expected).sort());
  });
});

describe('encodeClientEvent: round trip', () => {
  it.each(MINIMAL.map((row) => [rowName(row), row] as const))('%s: encode(parse(encode(x))) === encode(x)', (_name, row) => {
    const once = encodeClientEvent(row.example);
    const twice = encodeClientEvent(JSON.parse(once) as ClientEvent);
    expect(twice).toBe(once);
    expect(JSON.parse(twice)).toStrictEqual(row.wire);
  });

  it.each(FULL.map((event, index) => [`${event.type} #${index}`, event] as const))('%s (fully specified)', (_name, event) => {
    const once = encodeClientEvent(event);
    expect(encodeClientEvent(JSON.parse(once) as ClientEvent)).toBe(once);
  });
});

describe('encodeClientEvent: rejections', () => {
  describe('missing required field', () => {
    it('set_agent without agent_key', () => {
      expectField(rejection({ type: 'set_agent' }), 'agent_key', 'set_agent');
    });
    it('resume_chat_session without session_id', () => {
      expectField(rejection({ type: 'resume_chat_session' }), 'session_id', 'resume_chat_session');
    });
    it('text_input without text', () => {
      expectField(rejection({ type: 'text_input', file_ids: [] }), 'text', 'text_input');
    });
    it('set_avatar without avatar_id', () => {
      expectField(rejection({ type: 'set_avatar', quality: 'high' }), 'avatar_id', 'set_avatar');
    });
    it('set_avatar_session without avatar_session_id', () => {
      expectField(rejection({ type: 'set_avatar_session', access_token: 'tok' }), 'avatar_session_id', 'set_avatar_session');
    });
    it('set_agent_voice without voice_id', () => {
      expectField(rejection({ type: 'set_agent_voice' }), 'voice_id', 'set_agent_voice');
    });
    it('set_chat_session_name without session_name', () => {
      expectField(rejection({ type: 'set_chat_session_name', session_id: null }), 'session_name', 'set_chat_session_name');
    });
    it('set_session_metadata without meta', () => {
      expectField(rejection({ type: 'set_session_metadata' }), 'meta', 'set_session_metadata');
    });
    it('audio_input_delta without content', () => {
      expectField(rejection({ type: 'audio_input_delta' }), 'content', 'audio_input_delta');
    });
    it('set_voice_input_mode without mode', () => {
      expectField(rejection({ type: 'set_voice_input_mode' }), 'mode', 'set_voice_input_mode');
    });
    it('remove_workspace without name', () => {
      expectField(rejection({ type: 'remove_workspace' }), 'name', 'remove_workspace');
    });
    it('add_workspace without entry', () => {
      expectField(rejection({ type: 'add_workspace' }), 'entry', 'add_workspace');
    });
  });

  describe('wrong field type', () => {
    it('text_input with text: 42', () => {
      // @ts-expect-error text must be a string
      expectField(rejection({ type: 'text_input', text: 42 } satisfies ClientEvent), 'text', 'text_input');
    });
    it("text_input with file_ids: ['a', 3] names the element", () => {
      expectField(rejection({ type: 'text_input', text: 'hi', file_ids: ['a', 3] }), 'file_ids.1', 'text_input');
    });
    it('text_input with file_ids: "a"', () => {
      expectField(rejection({ type: 'text_input', text: 'hi', file_ids: 'a' }), 'file_ids', 'text_input');
    });
    it('set_avatar with quality: 5', () => {
      expectField(rejection({ type: 'set_avatar', avatar_id: 'a', quality: 5 }), 'quality', 'set_avatar');
    });
    it('new_chat_session with agent_key: 5', () => {
      expectField(rejection({ type: 'new_chat_session', agent_key: 5 }), 'agent_key', 'new_chat_session');
    });
    it('get_user_sessions with offset: "0"', () => {
      expectField(rejection({ type: 'get_user_sessions', offset: '0' }), 'offset', 'get_user_sessions');
    });
    it('set_session_metadata with meta: []', () => {
      expectField(rejection({ type: 'set_session_metadata', meta: [] }), 'meta', 'set_session_metadata');
    });
    it('set_session_messages with a non-object message', () => {
      expectField(rejection({ type: 'set_session_messages', messages: ['hi'] }), 'messages.0', 'set_session_messages');
    });
    it('set_session_messages with an array as a message (§4.19 `messages: object[]`)', () => {
      expectField(rejection({ type: 'set_session_messages', messages: [['hi']] }), 'messages.0', 'set_session_messages');
    });
    it('set_agent_tools with tools: [1]', () => {
      expectField(rejection({ type: 'set_agent_tools', tools: [1] }), 'tools.0', 'set_agent_tools');
    });
  });

  describe('strictness: extra or misspelt fields', () => {
    it('text_input with fileIds instead of file_ids', () => {
      const error = rejection({ type: 'text_input', text: 'hi', fileIds: [] });
      expectField(error, 'fileIds', 'text_input');
    });
    it('ping with a payload', () => {
      expectField(rejection({ type: 'ping', id: 1 }), 'id', 'ping');
    });
    it('set_agent with agentKey', () => {
      expectField(rejection({ type: 'set_agent', agent_key: 'default', agentKey: 'default' }), 'agentKey', 'set_agent');
    });
  });

  describe('unknown type', () => {
    it("{type: 'nope'}", () => {
      const error = rejection({ type: 'nope' });
      expectField(error, 'type', 'nope');
    });
    it('no type at all', () => {
      expectField(rejection({ text: 'hi' }), 'type');
    });
    it('a non-string type', () => {
      expectField(rejection({ type: 42 }), 'type');
    });
    it('a server event type is not a client event', () => {
      expectField(rejection({ type: 'chat_session_deleted' }), 'type', 'chat_session_deleted');
    });
  });

  describe('not an object', () => {
    it.each([
      ['null', null],
      ["'ping'", 'ping'],
      ['[]', []],
      ['42', 42],
      ['undefined', undefined],
    ] as const)('%s', (_name, value) => {
      const error = rejection(value);
      expect(error.field).toBe('');
      expect(error.issues[0]!.path).toBe('');
      expect(error.type).toBeUndefined();
    });
  });

  describe('value constraints', () => {
    it("set_voice_input_mode with mode: 'push'", () => {
      // @ts-expect-error only 'ptt' | 'vad' | 'realtime'
      expectField(rejection({ type: 'set_voice_input_mode', mode: 'push' } satisfies ClientEvent), 'mode', 'set_voice_input_mode');
    });
    it('get_user_sessions with offset: -1', () => {
      expectField(rejection({ type: 'get_user_sessions', offset: -1 }), 'offset', 'get_user_sessions');
    });
    it('get_user_sessions with limit: 0', () => {
      expectField(rejection({ type: 'get_user_sessions', limit: 0 }), 'limit', 'get_user_sessions');
    });
    it('get_user_sessions with limit: 1.5', () => {
      expectField(rejection({ type: 'get_user_sessions', limit: 1.5 }), 'limit', 'get_user_sessions');
    });
    it('get_user_sessions with offset: 2.5', () => {
      expectField(rejection({ type: 'get_user_sessions', offset: 2.5 }), 'offset', 'get_user_sessions');
    });
    it('get_user_sessions with limit: NaN', () => {
      expectField(rejection({ type: 'get_user_sessions', limit: Number.NaN }), 'limit', 'get_user_sessions');
    });
    it("set_agent with agent_key: ''", () => {
      expectField(rejection({ type: 'set_agent', agent_key: '' }), 'agent_key', 'set_agent');
    });
    it("resume_chat_session with session_id: ''", () => {
      expectField(rejection({ type: 'resume_chat_session', session_id: '' }), 'session_id', 'resume_chat_session');
    });
    it("set_agent_voice with voice_id: ''", () => {
      expectField(rejection({ type: 'set_agent_voice', voice_id: '' }), 'voice_id', 'set_agent_voice');
    });
  });
});

describe('encodeClientEvent: secrets in errors', () => {
  it('never puts a JWT-looking access_token of set_avatar_session in the error', () => {
    const error = rejection({ type: 'set_avatar_session', access_token: JWT, avatar_session_id: 42 });
    expectField(error, 'avatar_session_id', 'set_avatar_session');
    expect(error.message).not.toContain(JWT);
    expect(String(error)).not.toContain(JWT);
    expect(error.stack ?? '').not.toContain(JWT);
    expect(JSON.stringify(error.issues)).not.toContain(JWT);
  });

  it('redacts a JWT that would otherwise be quoted in the message (a misspelt key)', () => {
    const error = rejection({ type: 'set_avatar_session', access_token: 'tok', avatar_session_id: 'hg', [JWT]: true });
    expect(error.field).not.toBe('');
    expect(error.message).not.toContain(JWT);
    expect(JSON.stringify(error.issues.map((issue) => issue.message))).not.toContain(JWT);
  });
});

describe('nonPreemptingClientEventTypes (PROTOCOL.md §1.5 rule 6)', () => {
  it('is exactly ping, pong and client_wants_cancel', () => {
    expect(new Set(nonPreemptingClientEventTypes)).toStrictEqual(new Set(['ping', 'pong', 'client_wants_cancel']));
    expect(nonPreemptingClientEventTypes.size).toBe(3);
  });

  it('contains only client event types', () => {
    for (const type of nonPreemptingClientEventTypes) expect(clientEventTypes).toContain(type);
  });

  it('excludes every event that pre-empts, such as text_input and resume_chat_session', () => {
    const preempting = PROTOCOL_CLIENT_EVENT_TYPES.filter((type) => !['ping', 'pong', 'client_wants_cancel'].includes(type));
    expect(preempting).toHaveLength(25);
    for (const type of preempting) expect(nonPreemptingClientEventTypes.has(type)).toBe(false);
  });
});
