/**
 * How the real server turns one client JSON text frame into an event (docs/protocol.md §1.4, §1.5, §4).
 *
 * The server runs `json.loads`, then `parse_event`:
 *
 * ```python
 * event_type = data.get("type")
 * if not event_type:
 *     raise ValueError("Event must have a 'type' field")
 * event_class = EventRegistry.get_class(event_type)
 * return event_class(**data) if event_class else BaseEvent(**data)
 * ```
 *
 * and reports any exception as `error {message: "Error processing event: " + str(exc)}`. The
 * event classes are pydantic v2 models (lax mode, extra fields ignored), so a bad field yields the
 * text of a pydantic `ValidationError`. This module imitates all of that without I/O: the
 * AttributeError of a non-object, the `type` checks, the 25 models of §3.1 (field types, defaults,
 * lax coercions) and pydantic's error text, Python `repr` and truncation included.
 *
 * The input is a value as `JSON.parse` returns it. JavaScript cannot tell `5.0` from `5`, so every
 * integral number is taken for a Python `int` (what a JSON integer literal becomes); only numbers
 * with a fractional part are Python floats.
 */

/** The outcome of parsing one client frame, as the real server would. */
export type ParsedClientFrame =
  /** A known `type` that validated: every field present (defaults filled in), extra fields dropped. */
  | { readonly kind: 'event'; readonly type: string; readonly event: Readonly<Record<string, unknown>> }
  /** A `type` the server has no model for (`ptt_start`, `ptt_end`, `clear_avatar_session`, …). */
  | { readonly kind: 'unhandled'; readonly type: string }
  /** The full `message` of the `error` event the server sends instead. */
  | { readonly kind: 'error'; readonly message: string };

/** The `major.minor` of pydantic in the server's error links (`https://errors.pydantic.dev/<v>/v/<type>`). */
const PYDANTIC_DOCS_VERSION = '2.13'; // the recorded server's pydantic (§13 item 15)

/** Prefix of every error the server's read loop reports (docs/protocol.md §1.5 rule 7). */
const ERROR_PREFIX = 'Error processing event: ';

/** pydantic prints at most this many UTF-8 bytes of an `input_value` repr, eliding the middle. */
const INPUT_VALUE_MAX_BYTES = 50;

// ---------------------------------------------------------------------------------------------
// Python view of JSON values
// ---------------------------------------------------------------------------------------------

type Dict = Readonly<Record<string, unknown>>;

/** Whether `value` is what `json.loads` turns into a `dict`. */
function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a number is a Python `int` (see the module note on `5.0`). */
function isPyInt(value: number): boolean {
  return Number.isInteger(value);
}

/** The own entries of a dict in insertion order, skipping `undefined` values (which JSON cannot carry). */
function dictEntries(dict: Dict): [string, unknown][] {
  return Object.entries(dict).filter(([, v]) => v !== undefined);
}

/** `dict.get(key)`: the value, or `undefined` when the key is absent. */
function dictGet(dict: Dict, key: string): unknown {
  return Object.hasOwn(dict, key) ? dict[key] : undefined;
}

/** The Python class name of a JSON value: what `type(x).__qualname__` says. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return isPyInt(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    default:
      return Array.isArray(value) ? 'list' : isDict(value) ? 'dict' : 'object';
  }
}

/** Python truthiness (`if not x`) of a JSON value. */
function isPyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isDict(value)) return dictEntries(value).length > 0;
  return true;
}

/** Code points that Python's `str.isprintable()` rejects: categories C* and Z*, except the space. */
const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;

function hex(codePoint: number, width: number): string {
  return codePoint.toString(16).padStart(width, '0');
}

/** One character as CPython's `unicode_repr` writes it inside quotes. */
function reprChar(ch: string, quote: string): string {
  if (ch === quote || ch === '\\') return `\\${ch}`;
  if (ch === '\t') return '\\t';
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp < 0x7f) return ch;
  if (!NON_PRINTABLE.test(ch)) return ch;
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** Python `repr(str)`: single quotes unless the text has a `'` and no `"`. */
function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const ch of text) body += reprChar(ch, quote);
  return quote + body + quote;
}

/** Python `repr(float)` (the shortest round-trip digits, switching to exponent form as Python does). */
function reprFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa = '0', exp = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1;
  if (decpt <= -4 || decpt > 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Number(exp);
    return `${sign}${digits[0] ?? '0'}${frac}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt < digits.length) return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
}

/** Python `repr(int)`: all digits, never an exponent. */
function reprInt(value: number | bigint): string {
  return BigInt(value).toString();
}

/**
 * Python `repr()` of a JSON value as `json.loads` would have built it: `{'k': 'v'}`, `['a', 3]`,
 * `None`, `True`, `5.5`, `1e-05`, strings quoted and escaped like CPython.
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return isPyInt(value) ? reprInt(value) : reprFloat(value);
    case 'bigint':
      return reprInt(value);
    case 'string':
      return reprString(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isDict(value)) {
    return `{${dictEntries(value)
      .map(([k, v]) => `${reprString(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** UTF-8 length of one code point. */
function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * pydantic-core's `write_truncated_to_limited_bytes(…, 50)`: over 50 UTF-8 bytes, keep the
 * characters within the first 25 bytes and those wholly within the last 24, joined by `...`.
 */
function truncateInputValue(text: string): string {
  const chars = Array.from(text);
  const starts: number[] = [];
  let total = 0;
  for (const ch of chars) {
    starts.push(total);
    total += utf8Length(ch.codePointAt(0) ?? 0);
  }
  if (total <= INPUT_VALUE_MAX_BYTES) return text;
  const mid = Math.ceil(INPUT_VALUE_MAX_BYTES / 2);
  const tailFrom = total - (mid - 1);
  const head = chars.filter((_, i) => (starts[i] ?? 0) < mid && (starts[i + 1] ?? total) <= mid);
  const tail = chars.filter((_, i) => (starts[i] ?? 0) >= tailFrom);
  return `${head.join('')}...${tail.join('')}`;
}

// ---------------------------------------------------------------------------------------------
// A small pydantic v2 (lax mode, Python input)
// ---------------------------------------------------------------------------------------------

type Loc = readonly (string | number)[];

/** One entry of a pydantic `ValidationError`. */
interface LineError {
  readonly loc: Loc;
  readonly type: string;
  readonly message: string;
  readonly input: unknown;
}

type Validated = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly errors: readonly LineError[] };

/** Validates one value found at `loc`. */
type Validator = (input: unknown, loc: Loc) => Validated;

const ok = (value: unknown): Validated => ({ ok: true, value });

const fail = (loc: Loc, type: string, message: string, input: unknown): Validated => ({
  ok: false,
  errors: [{ loc, type, message, input }],
});

/** `str`: strings only (pydantic v2 never turns numbers into strings). */
const str: Validator = (input, loc) =>
  typeof input === 'string' ? ok(input) : fail(loc, 'string_type', 'Input should be a valid string', input);

/** A lone surrogate (JSON `"\ud800"`): pydantic-core cannot read such a string as UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The error of a validator that needs the string's UTF-8 text (int and bool parsing, literals)
 * when it holds a lone surrogate; plain `str` fields keep the Python object and accept it.
 */
const unicodeFail = (loc: Loc, input: string): Validated | undefined =>
  LONE_SURROGATE.test(input)
    ? fail(loc, 'string_unicode', 'Input should be a valid string, unable to parse raw data as a unicode string', input)
    : undefined;

/** `Optional[str]`: a string or `None`. */
const optionalStr: Validator = (input, loc) => (input === null ? ok(null) : str(input, loc));

/** Characters Rust's `str::trim` removes (Unicode `White_Space`), which differ from `String#trim`. */
const RUST_TRIM = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Python's limit on the digits of an int parsed from text (jiter's `NumberOutOfRange`). */
const MAX_INT_TEXT_LENGTH = 4300;

type IntText = number | 'invalid' | 'out_of_range';

/** jiter's `NumberInt::try_from`: the whole text must be a JSON integer. */
function jsonInt(text: string): IntText {
  const run = /^-?[1-9][0-9]*/.exec(text);
  if (run && run[0].length > MAX_INT_TEXT_LENGTH) return 'out_of_range';
  if (!/^-?(0|[1-9][0-9]*)$/.test(text)) return 'invalid';
  const n = Number(text);
  return Object.is(n, -0) ? 0 : n;
}

/** pydantic-core's `strip_leading_zeros`; `null` when the text cannot be a number. */
function stripLeadingZeros(text: string): string | null {
  const first = text[0];
  if (first === undefined) return null;
  if (first !== '0') return /[1-9-]/.test(first) ? text : null;
  for (let i = 1; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '0' || c === '_') continue;
    if (/[1-9-]/.test(c)) return text.slice(i);
    if (c === '.') return text.slice(i - 1);
    return null;
  }
  return text.slice(-1);
}

/** pydantic-core's `strip_underscores`: only single underscores between other characters. */
function stripUnderscores(text: string): string | null {
  if (text.startsWith('_') || text.endsWith('_') || !text.includes('_') || text.includes('__')) return null;
  return text.replaceAll('_', '');
}

/** pydantic-core's `clean_int_str`: trim, signs, leading zeros, `.0+`, underscores; `null` if unchanged or invalid. */
function cleanIntText(original: string): string | null {
  let text = original.replace(RUST_TRIM, '');
  if (text.startsWith('+')) {
    if (text.startsWith('+-')) return null;
    text = text.slice(1);
  }
  let negative = false;
  if (text.startsWith('-')) {
    if (text.startsWith('--') || text.startsWith('-+')) return null;
    negative = true;
    text = text.slice(1);
  }
  const stripped = stripLeadingZeros(text);
  if (stripped === null) return null;
  text = stripped;
  const dot = text.indexOf('.');
  if (dot >= 0 && /^0+$/.test(text.slice(dot + 1))) text = text.slice(0, dot);
  const sign = negative ? '-' : '';
  const noUnderscores = stripUnderscores(text);
  if (noUnderscores !== null) return sign + noUnderscores;
  return text.length === original.length ? null : sign + text;
}

/** pydantic-core's `str_as_int`. */
function intFromText(text: string): IntText {
  const direct = jsonInt(text);
  if (direct !== 'invalid') return direct;
  const cleaned = cleanIntText(text);
  if (cleaned === null) return 'invalid';
  const parsed = jsonInt(cleaned);
  return typeof parsed === 'number' ? parsed : 'invalid';
}

const INT_MESSAGES = {
  int_type: 'Input should be a valid integer',
  int_parsing: 'Input should be a valid integer, unable to parse string as an integer',
  int_parsing_size: 'Unable to parse input string as an integer, exceeded maximum size',
  int_from_float: 'Input should be a valid integer, got a number with a fractional part',
  finite_number: 'Input should be a finite number',
} as const;

const intFail = (loc: Loc, type: keyof typeof INT_MESSAGES, input: unknown): Validated =>
  fail(loc, type, INT_MESSAGES[type], input);

/** `int` in lax mode: ints, bools (`True` → 1), integral floats and numeric strings. */
const int: Validator = (input, loc) => {
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return intFail(loc, 'finite_number', input);
    if (!isPyInt(input)) return intFail(loc, 'int_from_float', input);
    return ok(input === 0 ? 0 : input);
  }
  if (typeof input === 'string') {
    const unreadable = unicodeFail(loc, input);
    if (unreadable) return unreadable;
    const parsed = intFromText(input);
    if (parsed === 'invalid') return intFail(loc, 'int_parsing', input);
    if (parsed === 'out_of_range') return intFail(loc, 'int_parsing_size', input);
    return ok(parsed);
  }
  return intFail(loc, 'int_type', input);
};

const BOOL_TEXT = new Map<string, boolean>([
  ...['0', 'f', 'n', 'no', 'off', 'false'].map((t) => [t, false] as const),
  ...['1', 't', 'y', 'on', 'yes', 'true'].map((t) => [t, true] as const),
]);

/** 2^63: beyond it Python's `int` no longer fits the i64 pydantic-core reads for a bool. */
const I64_LIMIT = 2 ** 63;

/** `bool` in lax mode: bools, 0/1 (also 0.0/1.0) and the words of pydantic's `str_as_bool`. */
const bool: Validator = (input, loc) => {
  const parsing = () => fail(loc, 'bool_parsing', 'Input should be a valid boolean, unable to interpret input', input);
  if (typeof input === 'boolean') return ok(input);
  if (typeof input === 'string') {
    const unreadable = unicodeFail(loc, input);
    if (unreadable) return unreadable;
    const word = BOOL_TEXT.get(input.replace(/[A-Z]/g, (c) => c.toLowerCase()));
    return word === undefined ? parsing() : ok(word);
  }
  if (typeof input === 'number' && isPyInt(input) && Math.abs(input) < I64_LIMIT) {
    return input === 0 || input === 1 ? ok(input === 1) : parsing();
  }
  return fail(loc, 'bool_type', 'Input should be a valid boolean', input);
};

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`: how pydantic lists the expected literals. */
function expectedLiterals(values: readonly string[]): string {
  const reprs = values.map(reprString);
  const last = reprs.pop() ?? '';
  return reprs.length === 0 ? last : `${reprs.join(', ')} or ${last}`;
}

/** `Literal[...]` of strings: an exact match. */
function literal(values: readonly string[]): Validator {
  const message = `Input should be ${expectedLiterals(values)}`;
  return (input, loc) => {
    if (typeof input !== 'string') return fail(loc, 'literal_error', message, input);
    return unicodeFail(loc, input) ?? (values.includes(input) ? ok(input) : fail(loc, 'literal_error', message, input));
  };
}

/** `dict` / `dict[str, Any]`: any object, copied. */
const dict: Validator = (input, loc) =>
  isDict(input)
    ? ok(Object.fromEntries(dictEntries(input)))
    : fail(loc, 'dict_type', 'Input should be a valid dictionary', input);

/** `List[item]`: an array, each element validated at `loc.<index>`. */
function list(item: Validator): Validator {
  return (input, loc) => {
    if (!Array.isArray(input)) return fail(loc, 'list_type', 'Input should be a valid list', input);
    const errors: LineError[] = [];
    const values: unknown[] = [];
    input.forEach((element: unknown, i) => {
      const r = item(element, [...loc, i]);
      if (r.ok) values.push(r.value);
      else errors.push(...r.errors);
    });
    return errors.length > 0 ? { ok: false, errors } : ok(values);
  };
}

/** One model field: absent from the input → its default, or a `missing` error when it has none. */
interface FieldSpec {
  readonly name: string;
  readonly validate: Validator;
  readonly default?: () => unknown;
}

/** A pydantic model: its class name (the error title), fields in declaration order, an after-validator. */
interface ModelSpec {
  readonly title: string;
  readonly fields: readonly FieldSpec[];
  readonly after?: (value: Record<string, unknown>) => Record<string, unknown>;
}

const field = (name: string, validate: Validator, defaultValue?: () => unknown): FieldSpec =>
  defaultValue === undefined ? { name, validate } : { name, validate, default: defaultValue };

/** Validates a dict against a model: every field in order, all errors collected, extra keys ignored. */
function validateModel(spec: ModelSpec, input: Dict, loc: Loc): Validated {
  const errors: LineError[] = [];
  const value: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const raw = dictGet(input, f.name);
    if (raw === undefined) {
      if (f.default) value[f.name] = f.default();
      else errors.push({ loc: [...loc, f.name], type: 'missing', message: 'Field required', input });
      continue;
    }
    const r = f.validate(raw, [...loc, f.name]);
    if (r.ok) value[f.name] = r.value;
    else errors.push(...r.errors);
  }
  if (errors.length > 0) return { ok: false, errors };
  return ok(spec.after ? spec.after(value) : value);
}

/** A field whose type is another model. */
function model(spec: ModelSpec): Validator {
  return (input, loc) =>
    isDict(input)
      ? validateModel(spec, input, loc)
      : fail(loc, 'model_type', `Input should be a valid dictionary or instance of ${spec.title}`, input);
}

/** One error block of `str(ValidationError)`. */
function formatLineError(e: LineError): string {
  const input = truncateInputValue(pythonRepr(e.input));
  return (
    `${e.loc.join('.')}\n` +
    `  ${e.message} [type=${e.type}, input_value=${input}, input_type=${pythonTypeName(e.input)}]\n` +
    `    For further information visit https://errors.pydantic.dev/${PYDANTIC_DOCS_VERSION}/v/${e.type}`
  );
}

/** `str(ValidationError)` as pydantic v2 writes it. */
function formatValidationError(title: string, errors: readonly LineError[]): string {
  const n = errors.length;
  return `${n} validation error${n === 1 ? '' : 's'} for ${title}\n${errors.map(formatLineError).join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// The server's models (docs/protocol.md §4; agent_c_api …/rt/models/control_events.py)
// ---------------------------------------------------------------------------------------------

/** `WorkspaceDataEntry` (agent_c_tools workspace/base.py), the type of `add_workspace.entry`. */
const workspaceDataEntry: ModelSpec = {
  title: 'WorkspaceDataEntry',
  fields: [
    field('name', optionalStr, () => null),
    field('path_or_bucket', str),
    field('description', optionalStr, () => null),
    field('type', literal(['local', 'azure', 's3']), () => 'local'),
    field('read_only', bool, () => false),
    field('prefix', optionalStr, () => ''),
  ],
  // Its `model_validator(mode="after")`: derive a lower-case name and a description.
  after: (entry) => {
    const path = String(entry['path_or_bucket']);
    const name =
      typeof entry['name'] === 'string'
        ? entry['name']
        : entry['type'] !== 'local'
          ? path
          : (path.replaceAll('\\', '/').replace(/\/+$/, '').split('/').pop() ?? '');
    const description = entry['description'] ?? `${String(entry['type'])} workspace mapped to ${path}`;
    return { ...entry, name: name.toLowerCase(), description };
  },
};

const emptyList = (): unknown[] => [];

/** The fields of each known client event besides `type`, in declaration order. */
const CLIENT_EVENT_FIELDS: Readonly<Record<string, readonly FieldSpec[]>> = {
  ping: [],
  text_input: [field('text', str), field('file_ids', list(str), emptyList)],
  client_wants_cancel: [],
  get_agents: [],
  set_agent: [field('agent_key', str)],
  get_avatars: [],
  set_avatar: [
    field('avatar_id', str),
    field('quality', str, () => 'medium'),
    field('video_encoding', str, () => 'H264'),
  ],
  set_avatar_session: [field('access_token', str), field('avatar_session_id', str)],
  set_agent_voice: [field('voice_id', str)],
  get_voices: [],
  get_tool_catalog: [],
  set_agent_tools: [field('tools', list(str), emptyList)],
  new_chat_session: [field('agent_key', optionalStr, () => null)],
  resume_chat_session: [field('session_id', str)],
  set_chat_session_name: [field('session_name', str), field('session_id', optionalStr, () => null)],
  delete_chat_session: [field('session_id', optionalStr, () => null)],
  get_user_sessions: [field('offset', int, () => 0), field('limit', int, () => 50)],
  set_session_metadata: [field('meta', dict)],
  set_session_messages: [field('messages', list(dict), emptyList)],
  audio_input_delta: [field('content', str), field('content_type', str, () => 'audio/L16')],
  set_voice_input_mode: [field('mode', literal(['ptt', 'vad', 'realtime']))],
  add_workspace: [field('entry', model(workspaceDataEntry))],
  remove_workspace: [field('name', str)],
  list_workspaces: [],
  pong: [],
};

/** `PingEvent`, `TextInputEvent`, …: the snake_case type in CamelCase plus `Event`. */
function camelEventName(type: string): string {
  return `${type.replace(/(^|_)([a-z])/g, (_, _sep: string, c: string) => c.toUpperCase())}Event`;
}

/**
 * The server's model class name per known type, e.g. `set_agent` → `SetAgentEvent`. It is the
 * title of the pydantic errors. One class breaks the pattern: `set_voice_input_mode` is parsed by
 * a class named `SetVoiceInputMode` (no `Event` suffix; the registry strips the suffix only when
 * present, so the type name is the same).
 */
export const serverModelNames: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    Object.keys(CLIENT_EVENT_FIELDS).map((type) => [
      type,
      type === 'set_voice_input_mode' ? 'SetVoiceInputMode' : camelEventName(type),
    ]),
  ),
);

/** `BaseEvent`: the only field every event has. Unknown types are parsed with it. */
const baseEvent: ModelSpec = { title: 'BaseEvent', fields: [field('type', str)] };

/** The model the registry holds for a type, if any. */
function modelFor(type: string): ModelSpec | undefined {
  const fields = Object.hasOwn(CLIENT_EVENT_FIELDS, type) ? CLIENT_EVENT_FIELDS[type] : undefined;
  const title = serverModelNames[type];
  return fields && title ? { title, fields: [field('type', str), ...fields] } : undefined;
}

const error = (message: string): ParsedClientFrame => ({ kind: 'error', message: ERROR_PREFIX + message });

/**
 * Parses one client frame the way the server does after `json.loads` succeeded (docs/protocol.md §1.5).
 *
 * - not an object → `'<pytype>' object has no attribute 'get'`;
 * - a falsy `type` (absent, `null`, `""`, `0`, `false`, `[]`, `{}`) → `Event must have a 'type' field`;
 *   a non-empty list or dict → `unhashable type: 'list'` / `'dict'`; a number or `true` fails
 *   `BaseEvent` validation (`type` must be a string);
 * - a key named `self` → the `TypeError` of `BaseEvent.__init__(self, **data)`;
 * - a known type → its model validated (defaults filled, extras dropped) or the pydantic error text;
 * - any other string → `unhandled` (the server answers with a warning `system_message`).
 *
 * Every `error` message starts with `Error processing event: `.
 */
export function parseClientFrame(value: unknown): ParsedClientFrame {
  if (!isDict(value)) return error(`'${pythonTypeName(value)}' object has no attribute 'get'`);
  const type = dictGet(value, 'type');
  if (!isPyTruthy(type)) return error("Event must have a 'type' field");
  if (Array.isArray(type) || isDict(type)) return error(`unhashable type: '${pythonTypeName(type)}'`);
  const known = typeof type === 'string' ? modelFor(type) : undefined;
  if (dictGet(value, 'self') !== undefined) {
    return error("BaseEvent.__init__() got multiple values for argument 'self'");
  }
  const spec = known ?? baseEvent;
  const result = validateModel(spec, value, []);
  if (!result.ok) return error(formatValidationError(spec.title, result.errors));
  // Validation passed, so `type` is a string.
  const name = String(type);
  return known ? { kind: 'event', type: name, event: result.value as Dict } : { kind: 'unhandled', type: name };
}
