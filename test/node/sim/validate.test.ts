/**
 * The simulator's parser of client frames against the real server (PROTOCOL.md §1.5, §3.1, §4).
 *
 * Every expected error text below was produced by the server's own code path (`parse_event` with
 * the server's pydantic models) and copied verbatim; only the docs link is pinned to 2.13 (the recorded server's).
 */
import { describe, expect, it } from 'vitest';
import { parseClientFrame, pythonRepr, pythonTypeName, serverModelNames } from '../../../src/sim/validate.js';

const PREFIX = 'Error processing event: ';
const URL = 'https://errors.pydantic.dev/2.13/v/';

/** One block of `str(ValidationError)`. */
function block(loc: string, message: string, type: string, inputValue: string, inputType: string): string {
  return `${loc}\n  ${message} [type=${type}, input_value=${inputValue}, input_type=${inputType}]\n    For further information visit ${URL}${type}`;
}

/** The whole `error.message` for a pydantic failure. */
function validationMessage(title: string, ...blocks: string[]): string {
  const n = blocks.length;
  return `${PREFIX}${n} validation error${n === 1 ? '' : 's'} for ${title}\n${blocks.join('\n')}`;
}

/** The message of a frame that must fail. */
function errorOf(value: unknown): string {
  const parsed = parseClientFrame(value);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

/** The event of a frame that must validate. */
function eventOf(value: unknown): Readonly<Record<string, unknown>> {
  const parsed = parseClientFrame(value);
  if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

/** §3.1 rows 1–25: the smallest valid frame of each known type and what the server's model holds. */
const KNOWN: ReadonlyArray<readonly [string, Record<string, unknown>, Record<string, unknown>]> = [
  ['ping', {}, {}],
  ['text_input', { text: 'hi' }, { text: 'hi', file_ids: [] }],
  ['client_wants_cancel', {}, {}],
  ['get_agents', {}, {}],
  ['set_agent', { agent_key: 'domo' }, { agent_key: 'domo' }],
  ['get_avatars', {}, {}],
  ['set_avatar', { avatar_id: 'a1' }, { avatar_id: 'a1', quality: 'medium', video_encoding: 'H264' }],
  [
    'set_avatar_session',
    { access_token: 't', avatar_session_id: 's' },
    { access_token: 't', avatar_session_id: 's' },
  ],
  ['set_agent_voice', { voice_id: 'alloy' }, { voice_id: 'alloy' }],
  ['get_voices', {}, {}],
  ['get_tool_catalog', {}, {}],
  ['set_agent_tools', {}, { tools: [] }],
  ['new_chat_session', {}, { agent_key: null }],
  ['resume_chat_session', { session_id: 'u-a-b' }, { session_id: 'u-a-b' }],
  ['set_chat_session_name', { session_name: 'n' }, { session_name: 'n', session_id: null }],
  ['delete_chat_session', {}, { session_id: null }],
  ['get_user_sessions', {}, { offset: 0, limit: 50 }],
  ['set_session_metadata', { meta: { a: 1 } }, { meta: { a: 1 } }],
  ['set_session_messages', {}, { messages: [] }],
  ['audio_input_delta', { content: 'AAAA' }, { content: 'AAAA', content_type: 'audio/L16' }],
  ['set_voice_input_mode', { mode: 'vad' }, { mode: 'vad' }],
  [
    'add_workspace',
    { entry: { path_or_bucket: '/Data/Projects/' } },
    {
      entry: {
        name: 'projects',
        path_or_bucket: '/Data/Projects/',
        description: 'local workspace mapped to /Data/Projects/',
        type: 'local',
        read_only: false,
        prefix: '',
      },
    },
  ],
  ['remove_workspace', { name: 'w' }, { name: 'w' }],
  ['list_workspaces', {}, {}],
  ['pong', {}, {}],
];

describe('known types (§3.1 rows 1–25)', () => {
  it('covers exactly the 25 names the server has models for', () => {
    expect(KNOWN.map(([type]) => type).sort()).toEqual(Object.keys(serverModelNames).sort());
    expect(Object.keys(serverModelNames)).toHaveLength(25);
  });

  it.each(KNOWN)('%s validates with every default filled in', (type, fields, expected) => {
    expect(parseClientFrame({ type, ...fields })).toEqual({ kind: 'event', type, event: { type, ...expected } });
  });

  it.each(KNOWN)('%s drops fields its model does not declare', (type, fields, expected) => {
    const event = eventOf({ type, ...fields, extra: 1, session_id_typo: 'x', interaction_id: 'i' });
    expect(event).toEqual({ type, ...expected });
    expect(Object.keys(event)).toEqual(['type', ...Object.keys(expected)]);
  });

  it('keeps given values over defaults', () => {
    expect(eventOf({ type: 'set_avatar', avatar_id: 'a', quality: 'high', video_encoding: 'VP8' })).toEqual({
      type: 'set_avatar',
      avatar_id: 'a',
      quality: 'high',
      video_encoding: 'VP8',
    });
    expect(eventOf({ type: 'text_input', text: '', file_ids: ['f1', 'f2'] })).toEqual({
      type: 'text_input',
      text: '',
      file_ids: ['f1', 'f2'],
    });
    expect(eventOf({ type: 'new_chat_session', agent_key: null })).toEqual({ type: 'new_chat_session', agent_key: null });
    expect(eventOf({ type: 'delete_chat_session', session_id: 's' })).toEqual({ type: 'delete_chat_session', session_id: 's' });
    expect(eventOf({ type: 'set_session_messages', messages: [{ role: 'user', content: 'x' }] })).toEqual({
      type: 'set_session_messages',
      messages: [{ role: 'user', content: 'x' }],
    });
  });

  it('names the model classes as the server does', () => {
    expect(serverModelNames['ping']).toBe('PingEvent');
    expect(serverModelNames['text_input']).toBe('TextInputEvent');
    expect(serverModelNames['client_wants_cancel']).toBe('ClientWantsCancelEvent');
    expect(serverModelNames['get_user_sessions']).toBe('GetUserSessionsEvent');
    expect(serverModelNames['audio_input_delta']).toBe('AudioInputDeltaEvent');
    // The one class without the `Event` suffix.
    expect(serverModelNames['set_voice_input_mode']).toBe('SetVoiceInputMode');
  });
});

describe('lax coercions', () => {
  const offset = (value: unknown): unknown => eventOf({ type: 'get_user_sessions', offset: value })['offset'];

  it('int fields take integral numbers, numeric strings and bools', () => {
    expect(offset(5)).toBe(5);
    expect(offset(-3)).toBe(-3);
    expect(offset('5')).toBe(5);
    expect(offset(' 7 ')).toBe(7);
    expect(offset('\u00a07\u3000')).toBe(7);
    expect(offset('+5')).toBe(5);
    expect(offset('-05')).toBe(-5);
    expect(offset('5.0')).toBe(5);
    expect(offset('00.000')).toBe(0);
    expect(offset('1_000')).toBe(1000);
    expect(offset(true)).toBe(1);
    expect(offset(false)).toBe(0);
  });

  it('int fields refuse other strings', () => {
    for (const text of ['5.5', '5.', '1e3', '0x1', '', '1__0', '_1', '+-1', '\u200b5', 'true']) {
      expect(errorOf({ type: 'get_user_sessions', offset: text })).toBe(
        validationMessage(
          'GetUserSessionsEvent',
          block(
            'offset',
            'Input should be a valid integer, unable to parse string as an integer',
            'int_parsing',
            pythonRepr(text),
            'str',
          ),
        ),
      );
    }
  });

  it('str fields never take numbers', () => {
    expect(errorOf({ type: 'set_agent', agent_key: 5 })).toBe(
      validationMessage(
        'SetAgentEvent',
        block('agent_key', 'Input should be a valid string', 'string_type', '5', 'int'),
      ),
    );
  });

  it('Optional[str] takes null, str does not', () => {
    expect(eventOf({ type: 'set_chat_session_name', session_name: 'n', session_id: null })['session_id']).toBeNull();
    expect(errorOf({ type: 'resume_chat_session', session_id: null })).toBe(
      validationMessage(
        'ResumeChatSessionEvent',
        block('session_id', 'Input should be a valid string', 'string_type', 'None', 'NoneType'),
      ),
    );
  });

  it('add_workspace.entry is a WorkspaceDataEntry: name derived and lower-cased, bools lax', () => {
    expect(eventOf({ type: 'add_workspace', entry: { path_or_bucket: 'MyBucket', type: 's3', read_only: 'yes', prefix: null } })).toEqual({
      type: 'add_workspace',
      entry: {
        name: 'mybucket',
        path_or_bucket: 'MyBucket',
        description: 's3 workspace mapped to MyBucket',
        type: 's3',
        read_only: true,
        prefix: null,
      },
    });
    expect(eventOf({ type: 'add_workspace', entry: { path_or_bucket: 'C:\\Work\\Repo\\', name: 'Mine', description: 'd', read_only: 1 } })['entry']).toEqual({
      name: 'mine',
      path_or_bucket: 'C:\\Work\\Repo\\',
      description: 'd',
      type: 'local',
      read_only: true,
      prefix: '',
    });
  });
});

describe('pydantic error texts', () => {
  it('missing: the whole input dict, exactly as the server words it', () => {
    expect(errorOf({ type: 'set_agent' })).toBe(
      "Error processing event: 1 validation error for SetAgentEvent\nagent_key\n  Field required [type=missing, input_value={'type': 'set_agent'}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.13/v/missing",
    );
  });

  it('string_type, item locations and the plural', () => {
    expect(errorOf({ type: 'text_input', text: 5, file_ids: ['a', 3] })).toBe(
      'Error processing event: 2 validation errors for TextInputEvent\n' +
        'text\n  Input should be a valid string [type=string_type, input_value=5, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.13/v/string_type\n' +
        'file_ids.1\n  Input should be a valid string [type=string_type, input_value=3, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.13/v/string_type',
    );
  });

  it('int_from_float and int_parsing, in field order', () => {
    expect(errorOf({ type: 'get_user_sessions', limit: 'abc', offset: 5.5 })).toBe(
      'Error processing event: 2 validation errors for GetUserSessionsEvent\n' +
        'offset\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=5.5, input_type=float]\n    For further information visit https://errors.pydantic.dev/2.13/v/int_from_float\n' +
        "limit\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='abc', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.13/v/int_parsing",
    );
  });

  it('int_type', () => {
    expect(errorOf({ type: 'get_user_sessions', limit: null })).toBe(
      validationMessage(
        'GetUserSessionsEvent',
        block('limit', 'Input should be a valid integer', 'int_type', 'None', 'NoneType'),
      ),
    );
    expect(errorOf({ type: 'get_user_sessions', offset: [1] })).toBe(
      validationMessage('GetUserSessionsEvent', block('offset', 'Input should be a valid integer', 'int_type', '[1]', 'list')),
    );
  });

  it('int_parsing_size for a number text over 4300 digits, its repr truncated', () => {
    expect(errorOf({ type: 'get_user_sessions', offset: '1'.repeat(4301) })).toBe(
      validationMessage(
        'GetUserSessionsEvent',
        block(
          'offset',
          'Unable to parse input string as an integer, exceeded maximum size',
          'int_parsing_size',
          "'111111111111111111111111...11111111111111111111111'",
          'str',
        ),
      ),
    );
  });

  it('list_type and dict_type (also for list items)', () => {
    expect(errorOf({ type: 'set_agent_tools', tools: 'Think' })).toBe(
      validationMessage('SetAgentToolsEvent', block('tools', 'Input should be a valid list', 'list_type', "'Think'", 'str')),
    );
    expect(errorOf({ type: 'text_input', text: 'x', file_ids: { a: 1 } })).toBe(
      validationMessage('TextInputEvent', block('file_ids', 'Input should be a valid list', 'list_type', "{'a': 1}", 'dict')),
    );
    expect(errorOf({ type: 'set_session_metadata', meta: [] })).toBe(
      validationMessage('SetSessionMetadataEvent', block('meta', 'Input should be a valid dictionary', 'dict_type', '[]', 'list')),
    );
    expect(errorOf({ type: 'set_session_messages', messages: [1, { a: 1 }, [], null] })).toBe(
      validationMessage(
        'SetSessionMessagesEvent',
        block('messages.0', 'Input should be a valid dictionary', 'dict_type', '1', 'int'),
        block('messages.2', 'Input should be a valid dictionary', 'dict_type', '[]', 'list'),
        block('messages.3', 'Input should be a valid dictionary', 'dict_type', 'None', 'NoneType'),
      ),
    );
  });

  it('literal_error, titled SetVoiceInputMode', () => {
    expect(errorOf({ type: 'set_voice_input_mode', mode: 'PTT' })).toBe(
      "Error processing event: 1 validation error for SetVoiceInputMode\nmode\n  Input should be 'ptt', 'vad' or 'realtime' [type=literal_error, input_value='PTT', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.13/v/literal_error",
    );
    expect(errorOf({ type: 'set_voice_input_mode', mode: 5 })).toBe(
      validationMessage(
        'SetVoiceInputMode',
        block('mode', "Input should be 'ptt', 'vad' or 'realtime'", 'literal_error', '5', 'int'),
      ),
    );
  });

  it('string_unicode when int, bool or literal parsing meets a lone surrogate', () => {
    expect(errorOf({ type: 'set_voice_input_mode', mode: '\ud800' })).toBe(
      validationMessage(
        'SetVoiceInputMode',
        block(
          'mode',
          'Input should be a valid string, unable to parse raw data as a unicode string',
          'string_unicode',
          "'\\ud800'",
          'str',
        ),
      ),
    );
    // A plain str field keeps it.
    expect(eventOf({ type: 'text_input', text: '\ud800' })['text']).toBe('\ud800');
  });

  it('nested model errors: model_type, then each field of the entry', () => {
    expect(errorOf({ type: 'add_workspace', entry: 'x' })).toBe(
      validationMessage(
        'AddWorkspaceEvent',
        block('entry', 'Input should be a valid dictionary or instance of WorkspaceDataEntry', 'model_type', "'x'", 'str'),
      ),
    );
    expect(errorOf({ type: 'add_workspace', entry: {} })).toBe(
      validationMessage('AddWorkspaceEvent', block('entry.path_or_bucket', 'Field required', 'missing', '{}', 'dict')),
    );
    expect(errorOf({ type: 'add_workspace', entry: { read_only: 'maybe', type: 'S3', name: 7, path_or_bucket: 5 } })).toBe(
      'Error processing event: 4 validation errors for AddWorkspaceEvent\n' +
        'entry.name\n  Input should be a valid string [type=string_type, input_value=7, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.13/v/string_type\n' +
        'entry.path_or_bucket\n  Input should be a valid string [type=string_type, input_value=5, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.13/v/string_type\n' +
        "entry.type\n  Input should be 'local', 'azure' or 's3' [type=literal_error, input_value='S3', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.13/v/literal_error\n" +
        "entry.read_only\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value='maybe', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.13/v/bool_parsing",
    );
    expect(errorOf({ type: 'add_workspace', entry: { path_or_bucket: 'p', read_only: 0.5 } })).toBe(
      validationMessage('AddWorkspaceEvent', block('entry.read_only', 'Input should be a valid boolean', 'bool_type', '0.5', 'float')),
    );
  });

  it('orders errors by field declaration, not by key order in the frame', () => {
    expect(errorOf({ avatar_session_id: 1, type: 'set_avatar_session', access_token: 2 })).toBe(
      validationMessage(
        'SetAvatarSessionEvent',
        block('access_token', 'Input should be a valid string', 'string_type', '2', 'int'),
        block('avatar_session_id', 'Input should be a valid string', 'string_type', '1', 'int'),
      ),
    );
    expect(errorOf({ type: 'set_avatar_session' })).toBe(
      validationMessage(
        'SetAvatarSessionEvent',
        block('access_token', 'Field required', 'missing', "{'type': 'set_avatar_session'}", 'dict'),
        block('avatar_session_id', 'Field required', 'missing', "{'type': 'set_avatar_session'}", 'dict'),
      ),
    );
  });

  it('shows extra fields in the input dict of a missing-field error, truncated past 50 bytes', () => {
    expect(errorOf({ type: 'set_agent', agent: 'domo' })).toBe(
      validationMessage('SetAgentEvent', block('agent_key', 'Field required', 'missing', "{'type': 'set_agent', 'agent': 'domo'}", 'dict')),
    );
    expect(errorOf({ type: 'set_agent', note: 'x'.repeat(40) })).toBe(
      validationMessage(
        'SetAgentEvent',
        block('agent_key', 'Field required', 'missing', "{'type': 'set_agent', 'no...xxxxxxxxxxxxxxxxxxxxxx'}", 'dict'),
      ),
    );
    // The limit counts UTF-8 bytes: 'é' is two, so fewer characters survive at the end.
    expect(errorOf({ type: 'set_agent', note: 'é'.repeat(30) })).toBe(
      validationMessage(
        'SetAgentEvent',
        block('agent_key', 'Field required', 'missing', "{'type': 'set_agent', 'no...ééééééééééé'}", 'dict'),
      ),
    );
  });
});

describe('frames that are not events', () => {
  it.each([
    [[], 'list'],
    [[1, 'a'], 'list'],
    [5, 'int'],
    [5.5, 'float'],
    ['ping', 'str'],
    [null, 'NoneType'],
    [true, 'bool'],
    [false, 'bool'],
  ])('%j → the AttributeError of calling .get on a %s', (value, pytype) => {
    expect(parseClientFrame(value)).toEqual({
      kind: 'error',
      message: `Error processing event: '${pytype}' object has no attribute 'get'`,
    });
  });

  it.each([{}, { text: 'hi' }, { type: null }, { type: '' }, { type: 0 }, { type: false }, { type: [] }, { type: {} }])(
    '%j → Event must have a type field',
    (value) => {
      expect(parseClientFrame(value)).toEqual({
        kind: 'error',
        message: "Error processing event: Event must have a 'type' field",
      });
    },
  );

  it('a non-empty list or dict type is unhashable for the registry lookup', () => {
    expect(errorOf({ type: ['ping'] })).toBe("Error processing event: unhashable type: 'list'");
    expect(errorOf({ type: { a: 1 } })).toBe("Error processing event: unhashable type: 'dict'");
  });

  it('a number or true as type fails BaseEvent validation', () => {
    expect(errorOf({ type: 5 })).toBe(
      "Error processing event: 1 validation error for BaseEvent\ntype\n  Input should be a valid string [type=string_type, input_value=5, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.13/v/string_type",
    );
    expect(errorOf({ type: -2.5 })).toBe(
      validationMessage('BaseEvent', block('type', 'Input should be a valid string', 'string_type', '-2.5', 'float')),
    );
    expect(errorOf({ type: true })).toBe(
      validationMessage('BaseEvent', block('type', 'Input should be a valid string', 'string_type', 'True', 'bool')),
    );
  });

  it("a key named 'self' collides with BaseEvent.__init__(self, **data)", () => {
    const message = "Error processing event: BaseEvent.__init__() got multiple values for argument 'self'";
    expect(errorOf({ type: 'ping', self: 1 })).toBe(message);
    expect(errorOf({ type: 'ptt_start', self: null })).toBe(message);
  });

  it.each(['ptt_start', 'ptt_end', 'clear_avatar_session', 'push_to_talk', 'Ping', 'whatever'])(
    '%s is unhandled, whatever else the frame holds',
    (type) => {
      expect(parseClientFrame({ type })).toEqual({ kind: 'unhandled', type });
      expect(parseClientFrame({ type, session_id: 5, text: [] })).toEqual({ kind: 'unhandled', type });
    },
  );
});

describe('Python repr', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [0, '0'],
    [-7, '-7'],
    [1e20, '100000000000000000000'],
    [5.5, '5.5'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [123.456, '123.456'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e-7, '1e-07'],
    [1e-300, '1e-300'],
    [5e-324, '5e-324'],
    [Number.NaN, 'nan'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    ['plain', "'plain'"],
    ["it's", `"it's"`],
    ['say "hi"', `'say "hi"'`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash', "'back\\\\slash'"],
    ['tab\t\n\r\x00\x1f\x7f', "'tab\\t\\n\\r\\x00\\x1f\\x7f'"],
    ['\x85\xa0\xad\u2028\u200b\ufeff\ue000\u{e0001}', "'\\x85\\xa0\\xad\\u2028\\u200b\\ufeff\\ue000\\U000e0001'"],
    ['héllo ☃ 😀', "'héllo ☃ 😀'"],
    ['\ud800', "'\\ud800'"],
    [[], '[]'],
    [{}, '{}'],
    [['a', 3], "['a', 3]"],
    [
      { type: 'set_agent', p: [1, 2.5, true, false, null, { k: "it's" }] },
      `{'type': 'set_agent', 'p': [1, 2.5, True, False, None, {'k': "it's"}]}`,
    ],
  ])('repr(%j) is %s', (value, expected) => {
    expect(pythonRepr(value)).toBe(expected);
  });

  it('names Python types', () => {
    expect([null, true, 1, 1.5, 'x', [], {}].map(pythonTypeName)).toEqual(['NoneType', 'bool', 'int', 'float', 'str', 'list', 'dict']);
  });
});
