/**
 * The top-level fields of every server event, written from PROTOCOL.md §5 (not from the schemas), as
 * the oracle of the mutation property tests.
 *
 * Kinds: `s` string, `n` number, `b` boolean, `o` object, `a` array, `*` anything.
 * A trailing `?` means the server may send `null` or leave the field out.
 */
export type FieldKind = 's' | 'n' | 'b' | 'o' | 'a' | '*';
export type FieldSpec = Readonly<Record<string, `${FieldKind}` | `${FieldKind}?`>>;

const envelope = { session_id: 's', role: 's', parent_session_id: 's?', user_session_id: 's?' } as const;
const optionalEnvelope = { session_id: 's?', role: 's?', parent_session_id: 's?', user_session_id: 's?' } as const;
const text = { ...envelope, content: 's', format: 's?' } as const;
const userMessage = { ...envelope, vendor: 's?', message: 'o' } as const;
const legacyUserMessage = { ...optionalEnvelope, vendor: 's?', message: 'o' } as const;

export const FIELD_SPEC: Readonly<Record<string, FieldSpec>> = {
  // §5.1 control events
  ui_session_id_changed: { ui_session_id: 's' },
  chat_user_data: { user: 'o' },
  avatar_list: { avatars: 'a' },
  voice_list: { voices: 'a' },
  agent_list: { agents: 'a' },
  tool_catalog: { tools: 'a' },
  chat_session_changed: { chat_session: 'o' },
  chat_session_added: { chat_session: 'o' },
  chat_session_name_changed: { session_name: 's', session_id: 's?' },
  delete_chat_session: { session_id: 's?' },
  session_metadata_changed: { meta: 'o' },
  get_user_sessions_response: { sessions: 'o' },
  agent_configuration_changed: { agent_config: 'o' },
  avatar_connection_changed: { avatar_session_request: 'o', avatar_session: 'o' },
  agent_voice_changed: { voice: 'o' },
  user_turn_start: {},
  user_turn_end: {},
  pong: {},
  cancelled: {},
  error: { message: 's', source: 's?' },
  workspace_added: { entry: 'o' },
  // §5.2 session events
  interaction: { ...envelope, started: 'b', id: 's' },
  completion: {
    ...envelope,
    running: 'b',
    completion_options: 'o?',
    stop_reason: 's?',
    input_tokens: 'n?',
    output_tokens: 'n?',
  },
  text_delta: text,
  thought_delta: text,
  complete_thought: text,
  system_prompt: text,
  message: text,
  tool_select_delta: { ...envelope, tool_calls: 'a' },
  tool_call: { ...envelope, active: 'b', vendor: 's', tool_calls: 'a', tool_results: 'a?' },
  history_delta: { ...envelope, vendor: 's', messages: 'a' },
  anthropic_user_message: userMessage,
  open_a_i_user_message: userMessage,
  system_message: { ...text, severity: 's?' },
  render_media: {
    ...envelope,
    content_type: 's',
    url: 's?',
    name: 's?',
    content: 's?',
    content_bytes: '*?',
    sent_by_class: 's?',
    sent_by_function: 's?',
    foreign_content: 'b?',
  },
  subsession_started: { ...envelope, sub_session_type: 's', sub_agent_type: 's', prime_agent_key: 's', sub_agent_key: 's' },
  subsession_ended: envelope,
  audio_delta: { ...envelope, id: 's?', content: 's', content_type: 's?' },
  // names the server never sends (§3.2, §10)
  history: { ...optionalEnvelope, vendor: 's?', messages: 'a' },
  voice_input_supported: { modes: 'a?' },
  server_listening: {},
  chat_session_deleted: { session_id: 's?' },
  workspace_list: { workspaces: 'a?' },
  user_message: legacyUserMessage,
  openai_user_message: legacyUserMessage,
  open_ai_user_message: legacyUserMessage,
  user_request: { ...optionalEnvelope, data: 'o?' },
  agent_turn_start: {},
  agent_turn_end: {},
  ping: {},
};

/** The JSON kind of a value, in the spec's letters (`null` for null). */
export function kindOf(value: unknown): FieldKind | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a';
  switch (typeof value) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    default:
      return 'o';
  }
}

/** True when the spec lets this field be missing or null. */
export function isOptional(spec: FieldSpec, field: string): boolean {
  const kind = spec[field];
  return kind === undefined || kind.endsWith('?');
}

/** True when the spec accepts a non-null value of this kind for the field. */
export function acceptsKind(spec: FieldSpec, field: string, kind: FieldKind): boolean {
  const expected = spec[field];
  if (expected === undefined) return true; // an extra field: loose objects keep anything
  const base = expected.replace('?', '');
  return base === '*' || base === kind;
}

/**
 * The object fields (`o`) by what PROTOCOL.md says of the nested object: the keys it always has
 * (§6.6 ChatUser, §6.2 chat sessions, §5.1 `sessions`, §6.7 Voice, §6.9 HeyGen session data, the
 * `workspace_added` entry, a vendor message's `role`, an agent configuration's `version`), so that
 * an object without them cannot be that field; `[]` for a free-form object (session metadata,
 * completion options, a request's data), which any JSON object satisfies. Object fields not listed
 * (`avatar_session_request`: every key optional, each with a type of its own) get no verdict.
 */
export const NESTED_REQUIRED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  chat_user_data: { user: ['user_id', 'user_name'] },
  chat_session_changed: { chat_session: ['session_id'] },
  chat_session_added: { chat_session: ['session_id'] },
  get_user_sessions_response: { sessions: ['chat_sessions', 'total_sessions'] },
  agent_configuration_changed: { agent_config: ['version'] },
  avatar_connection_changed: { avatar_session: ['session_id', 'url', 'access_token'] },
  agent_voice_changed: { voice: ['voice_id', 'vendor', 'output_format'] },
  workspace_added: { entry: ['name'] },
  anthropic_user_message: { message: ['role'] },
  open_a_i_user_message: { message: ['role'] },
  user_message: { message: ['role'] },
  openai_user_message: { message: ['role'] },
  open_ai_user_message: { message: ['role'] },
  session_metadata_changed: { meta: [] },
  completion: { completion_options: [] },
  user_request: { data: [] },
};
