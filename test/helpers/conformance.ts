/**
 * Conformance driver: replays the client side of a recorded flow of the real Agent C server
 * (`../shared/protocol/real-server/*.json`, format in its README.md) against the simulator, over a
 * raw `ws` socket and real `fetch`, and compares what the simulator sent with what the real server
 * sent:
 *
 * - the **sequence**, per connection, of server frame types (plus `close:<code>` and
 *   `handshake_failed:<status>`), a run of streamed deltas counting as one token because the
 *   scripted LLM's word count is not reproducible; and the HTTP reply statuses, in order;
 * - the **field shapes** (kinds and keys, never values) of the frames the sequence diff aligns.
 *
 * Node only. Nothing here knows what the simulator should answer: the recording is the oracle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, type RawData } from 'ws';
import { createSimulator } from '../../src/sim/index.js';
import type { Simulator, SimulatorOptions } from '../../src/sim/types.js';

// =============================================================================================
// Recordings

/** Where the recordings live: `../shared` beside the repository root. */
export const RECORDINGS_DIR = fileURLToPath(new URL('../../../shared/protocol/real-server/', import.meta.url));

interface At {
  readonly t_ms: number;
}
export interface HttpOutFrame extends At {
  readonly dir: 'http_out';
  readonly method: string;
  readonly path: string;
  readonly data?: unknown;
  /** refresh_token: whether the Bearer header was sent. */
  readonly auth?: boolean;
  /** upload_file: the uploaded file's name. */
  readonly file?: string;
  readonly note?: string;
}
export interface HttpInFrame extends At {
  readonly dir: 'http_in';
  readonly status: number;
  readonly data: unknown;
}
export interface OpenFrame extends At {
  readonly dir: 'open';
  readonly conn: number;
  /** With `<token>` standing for the token of the flow, or a literal refused token. */
  readonly url: string;
  readonly params?: Readonly<Record<string, string | null>>;
}
export interface CloseFrame extends At {
  readonly dir: 'close';
  readonly conn: number;
  readonly code: number;
}
export interface ClientCloseFrame extends At {
  readonly dir: 'client_close';
  readonly conn: number;
  readonly code: number;
}
export interface HandshakeFailedFrame extends At {
  readonly dir: 'handshake_failed';
  readonly conn: number;
  readonly error: string;
}
export interface NoteFrame extends At {
  readonly dir: 'note';
  readonly note: string;
}
/** One WebSocket frame: `in` from the server, `out` from the client. */
export interface WsFrame extends At {
  readonly dir: 'in' | 'out';
  readonly conn: number;
  /** `null` for a binary frame or a frame without a type. */
  readonly type: string | null;
  readonly data: unknown;
  /** The frame text when it was not JSON (or not sent as JSON). */
  readonly raw: string | null;
}
export type RecordingFrame =
  | HttpOutFrame
  | HttpInFrame
  | OpenFrame
  | CloseFrame
  | ClientCloseFrame
  | HandshakeFailedFrame
  | NoteFrame
  | WsFrame;

export interface Recording {
  readonly name: string;
  readonly description: string;
  readonly base: string;
  readonly frames: readonly RecordingFrame[];
}

/** The recordings' names (file names without `.json`), in order. */
export function recordingNames(): string[] {
  return readdirSync(RECORDINGS_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

const loaded = new Map<string, Recording>();

/** A recording, parsed once (the files are large and read-only). */
export function loadRecording(name: string): Recording {
  let recording = loaded.get(name);
  if (!recording) {
    recording = JSON.parse(readFileSync(join(RECORDINGS_DIR, `${name}.json`), 'utf8')) as Recording;
    loaded.set(name, recording);
  }
  return recording;
}

// =============================================================================================
// Observations: what a client saw, the same structure for the recording and for the simulation

/** Something the server did on a connection. */
export type ServerItem =
  /** `type` is the event type, or `binary`, or `raw` (text that is not a JSON event); `data` is the parsed event. */
  | { readonly kind: 'frame'; readonly type: string; readonly data: unknown; readonly at: number }
  | { readonly kind: 'close'; readonly code: number; readonly at: number }
  /** The upgrade was refused: the HTTP status, or `error` when there was none. */
  | { readonly kind: 'refused'; readonly status: string; readonly at: number };

export interface HttpReply {
  readonly method: string;
  readonly path: string;
  /** `error` when no reply came (network error, timeout). */
  readonly status: number | 'error';
  /** Parsed JSON body; `undefined` when it was not JSON. */
  readonly body: unknown;
  readonly at: number;
}

export interface Observation {
  /** Keyed by the recording's connection number (98/99 are the refused handshakes). */
  readonly connections: ReadonlyMap<number, readonly ServerItem[]>;
  readonly http: readonly HttpReply[];
}

function isEventObject(value: unknown): value is { readonly type: string } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { type?: unknown }).type === 'string';
}

/** The server item a recorded frame stands for, if it is one. */
function recordedItem(frame: RecordingFrame): { conn: number; item: ServerItem } | undefined {
  switch (frame.dir) {
    case 'in': {
      const type = frame.raw !== null ? 'raw' : frame.type === null ? 'binary' : frame.type;
      return { conn: frame.conn, item: { kind: 'frame', type, data: type === 'raw' || type === 'binary' ? undefined : frame.data, at: frame.t_ms } };
    }
    case 'close':
      return { conn: frame.conn, item: { kind: 'close', code: frame.code, at: frame.t_ms } };
    case 'handshake_failed': {
      // e.g. "InvalidStatus: server rejected WebSocket connection: HTTP 500"
      const status = /HTTP (\d{3})/.exec(frame.error)?.[1] ?? 'error';
      return { conn: frame.conn, item: { kind: 'refused', status, at: frame.t_ms } };
    }
    default:
      return undefined;
  }
}

/** What the recording's client saw. HTTP replies take method and path from the request before them. */
export function observationOf(recording: Recording): Observation {
  const connections = new Map<number, ServerItem[]>();
  const http: HttpReply[] = [];
  let request: HttpOutFrame | undefined;
  for (const frame of recording.frames) {
    if (frame.dir === 'open' && !connections.has(frame.conn)) connections.set(frame.conn, []);
    if (frame.dir === 'http_out') request = frame;
    if (frame.dir === 'http_in') {
      http.push({ method: request?.method ?? '?', path: request?.path ?? '?', status: frame.status, body: frame.data, at: frame.t_ms });
    }
    const server = recordedItem(frame);
    if (server) {
      let items = connections.get(server.conn);
      if (!items) connections.set(server.conn, (items = []));
      items.push(server.item);
    }
  }
  return { connections, http };
}

// =============================================================================================
// Tokens (the sequence)

/** Streamed types whose consecutive frames are one token (their count depends on the LLM's words). */
const STREAMED = new Set(['text_delta', 'thought_delta']);

function tokenName(item: ServerItem): string {
  if (item.kind === 'frame') return item.type;
  if (item.kind === 'close') return `close:${item.code}`;
  return `handshake_failed:${item.status}`;
}

/** Whether an item with this token name merges into the previous token. */
function continuesRun(previous: string | undefined, name: string): boolean {
  return previous === name && STREAMED.has(name);
}

/** Counts tokens incrementally, exactly as {@link normalise} forms them. */
class TokenCounter {
  count = 0;
  private last: string | undefined;
  add(item: ServerItem): void {
    const name = tokenName(item);
    if (!continuesRun(this.last, name)) this.count++;
    this.last = name;
  }
}

function httpLabel(reply: HttpReply): string {
  return `${reply.method} ${reply.path} ${reply.status}`;
}

/** One normalised token: a frame, a close, a refused handshake, an HTTP reply or a run of deltas. */
export interface Token {
  readonly name: string;
  /** Merged over the run; `undefined` when there is nothing to compare (close, binary, raw). */
  readonly shape: Shape | undefined;
  /** How many frames the token stands for. */
  readonly frames: number;
}

/** How shapes are normalised (see conformance-allowed.ts). */
export interface ShapeConfig {
  readonly freeForm: readonly string[];
  readonly maps: readonly string[];
}

function normalise(items: readonly ServerItem[], config: CompiledConfig): Token[] {
  const tokens: Token[] = [];
  let last: string | undefined;
  for (const item of items) {
    const name = tokenName(item);
    const shape = item.kind === 'frame' && item.data !== undefined ? shapeOf(item.data, [name], config) : undefined;
    const previous = tokens[tokens.length - 1];
    if (previous && continuesRun(last, name)) {
      tokens[tokens.length - 1] = { name, shape: mergeOptional(previous.shape, shape), frames: previous.frames + 1 };
    } else {
      tokens.push({ name, shape, frames: 1 });
    }
    last = name;
  }
  return tokens;
}

function httpTokens(replies: readonly HttpReply[], config: CompiledConfig): Token[] {
  return replies.map((reply) => {
    const name = httpLabel(reply);
    return { name, shape: reply.body === undefined ? undefined : shapeOf(reply.body, [`http ${name}`], config), frames: 1 };
  });
}

// =============================================================================================
// Shapes

export type Kind = 'object' | 'array' | 'array:empty' | 'string' | 'string:empty' | 'number' | 'boolean' | 'null';
const KIND_ORDER: readonly Kind[] = ['object', 'array', 'array:empty', 'string', 'string:empty', 'number', 'boolean', 'null'];

/** A union of shapes: the kinds seen, the merged keys of the objects, the merged array elements. */
export interface Shape {
  readonly kinds: ReadonlySet<Kind>;
  readonly keys: ReadonlyMap<string, Shape>;
  readonly items: Shape | undefined;
}

type Pattern = readonly string[];
export interface CompiledConfig {
  readonly freeForm: readonly Pattern[];
  readonly maps: readonly Pattern[];
}

/** `a.b[].c` → `['a', 'b', '[]', 'c']`. */
function segmentsOf(pattern: string): string[] {
  return pattern.split('.').flatMap((part) => {
    const match = /^(.*?)((?:\[\])*)$/.exec(part)!;
    const name = match[1]!;
    const arrays = match[2]!.length / 2;
    return [...(name === '' ? [] : [name]), ...Array<string>(arrays).fill('[]')];
  });
}

function compileConfig(config: ShapeConfig): CompiledConfig {
  return { freeForm: config.freeForm.map(segmentsOf), maps: config.maps.map(segmentsOf) };
}

function matchesAny(patterns: readonly Pattern[], path: readonly string[]): boolean {
  return patterns.some((pattern) => pattern.length === path.length && pattern.every((segment, i) => segment === '*' || segment === path[i]));
}

function leaf(kind: Kind): Shape {
  return { kinds: new Set([kind]), keys: new Map(), items: undefined };
}

/** The shape of a JSON value at `path` (its first segment is the event type). */
function shapeOf(value: unknown, path: readonly string[], config: CompiledConfig): Shape {
  if (value === null || value === undefined) return leaf('null');
  if (typeof value === 'string') return leaf(value === '' ? 'string:empty' : 'string');
  if (typeof value === 'number') return leaf('number');
  if (typeof value === 'boolean') return leaf('boolean');
  const freeForm = matchesAny(config.freeForm, path);
  if (Array.isArray(value)) {
    if (value.length === 0) return leaf('array:empty');
    if (freeForm) return leaf('array');
    const itemPath = [...path, '[]'];
    return { kinds: new Set(['array']), keys: new Map(), items: value.map((item) => shapeOf(item, itemPath, config)).reduce(merge) };
  }
  if (freeForm) return leaf('object');
  const entries = Object.entries(value as Record<string, unknown>);
  const keys = new Map<string, Shape>();
  if (matchesAny(config.maps, path)) {
    // Keys are data: one '*' entry with the merged shape of every value.
    const valuePath = [...path, '*'];
    if (entries.length > 0) keys.set('*', entries.map(([, item]) => shapeOf(item, valuePath, config)).reduce(merge));
  } else {
    for (const [key, item] of entries) keys.set(key, shapeOf(item, [...path, key], config));
  }
  return { kinds: new Set(['object']), keys, items: undefined };
}

/** The union of two shapes: a key present on one side only is still just a key (no optionality). */
function merge(a: Shape, b: Shape): Shape {
  const keys = new Map(a.keys);
  for (const [key, shape] of b.keys) {
    const mine = keys.get(key);
    keys.set(key, mine ? merge(mine, shape) : shape);
  }
  return { kinds: new Set([...a.kinds, ...b.kinds]), keys, items: mergeOptional(a.items, b.items) };
}

function mergeOptional(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  return a && b ? merge(a, b) : (a ?? b);
}

function kindsText(shape: Shape | undefined): string {
  return shape === undefined ? 'absent' : KIND_ORDER.filter((kind) => shape.kinds.has(kind)).join('|');
}

/** A compact type expression, e.g. `{id: string, tools: [string]|array:empty}`, cut at `max` characters. */
function renderShape(shape: Shape | undefined, max = 240): string {
  const text = render(shape);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function render(shape: Shape | undefined): string {
  if (shape === undefined) return 'absent';
  return KIND_ORDER.filter((kind) => shape.kinds.has(kind))
    .map((kind) => {
      if (kind === 'object' && shape.keys.size > 0) return `{${[...shape.keys].map(([key, child]) => `${key}: ${render(child)}`).join(', ')}}`;
      if (kind === 'array' && shape.items) return `[${render(shape.items)}]`;
      return kind;
    })
    .join('|');
}

function displayPath(segments: readonly string[]): string {
  let text = '';
  for (const segment of segments) text += segment === '[]' ? '[]' : text === '' ? segment : `.${segment}`;
  return text === '' ? '$' : text;
}

/** One field-shape difference between aligned frames. */
export interface ShapeDifference {
  /** `<event> <path> <recorded kinds> → <simulated kinds>`: what the allowed list names. */
  readonly key: string;
  readonly event: string;
  readonly path: string;
  readonly recorded: string;
  readonly simulated: string;
  readonly recordedDetail: string;
  readonly simulatedDetail: string;
  /** Where it was seen, e.g. `conn 1 token #6 (completion)`. */
  readonly where: string;
}

function compareShapes(event: string, path: readonly string[], recorded: Shape | undefined, simulated: Shape | undefined, where: string, out: ShapeDifference[]): void {
  const a = kindsText(recorded);
  const b = kindsText(simulated);
  if (a !== b) {
    const shown = displayPath(path);
    out.push({ key: `${event} ${shown} ${a} → ${b}`, event, path: shown, recorded: a, simulated: b, recordedDetail: renderShape(recorded), simulatedDetail: renderShape(simulated), where });
  }
  if (!recorded || !simulated) return;
  // Below a kind difference, compare only what both sides have (an `object` missing on one side is
  // already reported above, not again for each of its keys).
  if (recorded.kinds.has('object') && simulated.kinds.has('object')) {
    const keys = [...new Set([...recorded.keys.keys(), ...simulated.keys.keys()])].sort();
    for (const key of keys) compareShapes(event, [...path, key], recorded.keys.get(key), simulated.keys.get(key), where, out);
  }
  if (recorded.items && simulated.items) compareShapes(event, [...path, '[]'], recorded.items, simulated.items, where, out);
}

// =============================================================================================
// Sequence diff

export type Edit<T> = { readonly op: 'same'; readonly a: T; readonly b: T } | { readonly op: 'del'; readonly a: T } | { readonly op: 'ins'; readonly b: T };

/** A longest-common-subsequence diff (the lists are at most a few hundred tokens). */
function diff<T>(a: readonly T[], b: readonly T[], equal: (x: T, y: T) => boolean): Edit<T>[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = equal(a[i]!, b[j]!) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const edits: Edit<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && equal(a[i]!, b[j]!)) edits.push({ op: 'same', a: a[i++]!, b: b[j++]! });
    else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) edits.push({ op: 'ins', b: b[j++]! });
    else edits.push({ op: 'del', a: a[i++]! });
  }
  return edits;
}

/** The comparison of one token stream: a connection, or the HTTP replies. */
export interface StreamComparison {
  /** `conn 1`, …, `http`. */
  readonly label: string;
  readonly edits: readonly Edit<Token>[];
  /** Tokens missing or extra in the simulation. */
  readonly differences: number;
}

export interface FlowComparison {
  readonly streams: readonly StreamComparison[];
  /** Every occurrence; {@link distinctShapeDifferences} groups them by key. */
  readonly shapes: readonly ShapeDifference[];
}

function compareStream(label: string, recorded: readonly Token[], simulated: readonly Token[], shapes: ShapeDifference[]): StreamComparison {
  const edits = diff(recorded, simulated, (x, y) => x.name === y.name);
  let position = 0;
  for (const edit of edits) {
    if (edit.op !== 'ins') position++;
    if (edit.op !== 'same') continue;
    const event = label === 'http' ? `http ${edit.a.name}` : edit.a.name;
    if (edit.a.shape || edit.b.shape) compareShapes(event, [], edit.a.shape, edit.b.shape, `${label} token #${position} (${edit.a.name})`, shapes);
  }
  return { label, edits, differences: edits.filter((edit) => edit.op !== 'same').length };
}

/** Compares a simulation with a recording, connection by connection and the HTTP replies. */
export function compareObservations(recorded: Observation, simulated: Observation, config: ShapeConfig): FlowComparison {
  const compiled = compileConfig(config);
  const shapes: ShapeDifference[] = [];
  const conns = [...new Set([...recorded.connections.keys(), ...simulated.connections.keys()])].sort((x, y) => x - y);
  const streams = conns.map((conn) =>
    compareStream(`conn ${conn}`, normalise(recorded.connections.get(conn) ?? [], compiled), normalise(simulated.connections.get(conn) ?? [], compiled), shapes),
  );
  streams.push(compareStream('http', httpTokens(recorded.http, compiled), httpTokens(simulated.http, compiled), shapes));
  return { streams, shapes };
}

export function sequenceDifferences(comparison: FlowComparison): number {
  return comparison.streams.reduce((sum, stream) => sum + stream.differences, 0);
}

/** One entry per difference key, with how often and where first it was seen. */
export function distinctShapeDifferences(comparison: FlowComparison): { difference: ShapeDifference; count: number }[] {
  const byKey = new Map<string, { difference: ShapeDifference; count: number }>();
  for (const difference of comparison.shapes) {
    const entry = byKey.get(difference.key);
    if (entry) entry.count++;
    else byKey.set(difference.key, { difference, count: 1 });
  }
  return [...byKey.values()].sort((x, y) => x.difference.key.localeCompare(y.difference.key));
}

// =============================================================================================
// Ids

/** Keys whose string values are ids the server chose (so they differ between server and simulator). */
const ID_KEYS = new Set(['id', 'session_id', 'ui_session_id', 'chat_session_id', 'user_session_id', 'parent_session_id', 'file_id', 'file_ids', 'tool_use_id']);
/** Keys of objects keyed by ids. */
const ID_MAP_KEYS = new Set(['uploaded_files']);

/** Recorded id → simulated id, one to one (the first pairing wins, so a later mis-pairing cannot override it). */
class IdMap {
  private readonly forward = new Map<string, string>();
  private readonly taken = new Set<string>();

  learn(recorded: string, simulated: string): void {
    if (this.forward.has(recorded) || this.taken.has(simulated)) return;
    this.forward.set(recorded, simulated);
    this.taken.add(simulated);
  }

  /**
   * The recorded deployment's agents are not the simulator's: an agent key the simulator does not
   * know stands for the simulator's agent at the same place of `agent_list` (one it has and the
   * recording has not), so e.g. `set_agent` to "another agent" picks another agent here too.
   */
  learnAgentKeys(recorded: unknown, simulated: unknown): void {
    const keys = (value: unknown) =>
      isPlainObject(value) && Array.isArray(value.agents) ? value.agents.map((agent: unknown) => (isPlainObject(agent) && typeof agent.key === 'string' ? agent.key : undefined)) : [];
    const ours = keys(simulated);
    const theirs = keys(recorded);
    for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
      const [recordedKey, simulatedKey] = [theirs[i], ours[i]];
      if (recordedKey !== undefined && simulatedKey !== undefined && !ours.includes(recordedKey) && !theirs.includes(simulatedKey)) this.learn(recordedKey, simulatedKey);
    }
  }

  /** Pairs the ids found at the same paths of a recorded and a simulated value. */
  learnFrom(recorded: unknown, simulated: unknown, key?: string): void {
    if (isPlainObject(recorded) && recorded.type === 'agent_list') this.learnAgentKeys(recorded, simulated);
    if (typeof recorded === 'string' && typeof simulated === 'string') {
      if (key !== undefined && ID_KEYS.has(key)) this.learn(recorded, simulated);
      return;
    }
    if (Array.isArray(recorded) && Array.isArray(simulated)) {
      const n = Math.min(recorded.length, simulated.length);
      for (let i = 0; i < n; i++) this.learnFrom(recorded[i], simulated[i], key);
      return;
    }
    if (!isPlainObject(recorded) || !isPlainObject(simulated)) return;
    if (key !== undefined && ID_MAP_KEYS.has(key)) {
      // Keyed by ids: pair the entries in order.
      const a = Object.entries(recorded);
      const b = Object.entries(simulated);
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        this.learn(a[i]![0], b[i]![0]);
        this.learnFrom(a[i]![1], b[i]![1]);
      }
      return;
    }
    for (const [k, value] of Object.entries(recorded)) if (k in simulated) this.learnFrom(value, simulated[k], k);
  }

  /** The value with every whole string that is a known recorded id replaced by its simulated counterpart. */
  apply<T>(value: T): T {
    return this.replace(value) as T;
  }

  private replace(value: unknown): unknown {
    if (typeof value === 'string') return this.forward.get(value) ?? value;
    if (Array.isArray(value)) return value.map((item) => this.replace(item));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, this.replace(item)]));
    return value;
  }

  get size(): number {
    return this.forward.size;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// =============================================================================================
// Replay

/** How long to wait for the frames the recording shows before an action, at most. */
const ACTION_WAIT_MS = 3000;
/** Total of those waits per flow: a simulator that misses many frames must not make the flow crawl. */
const FLOW_WAIT_BUDGET_MS = 15_000;
const HANDSHAKE_TIMEOUT_MS = 5000;
const HTTP_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 2000;
/** Starting or closing a simulator. */
const SIM_TIMEOUT_MS = 5000;
/** End of a flow: this long after the last recorded frame, and this long without frames. */
const QUIET_MS = 300;
const SETTLE_MAX_MS = 3000;
/** The uploaded file (the recording's is `notes.txt`, 11 bytes). */
const UPLOAD_CONTENT = 'hello file\n';
/** A UI session id the simulator does not know (the recording's upload "unknown ui_session_id"). */
const UNKNOWN_UI_SESSION = 'conformance-unknown-ui-session';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Whether `promise` settles within `ms` (it is not cancelled otherwise). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    sleep(ms).then(() => false),
  ]);
}

/** Wakes waiters whenever something arrives. */
class Signal {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves `true` once `ready()` holds, `false` after `timeoutMs`. */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(result);
      };
      const check = () => {
        if (ready()) finish(true);
      };
      const timer = setTimeout(() => finish(ready()), timeoutMs);
      this.listeners.add(check);
    });
  }
}

/** One simulated socket, named by the recording's connection number. */
class LiveConnection {
  readonly items: ServerItem[] = [];
  readonly tokens = new TokenCounter();
  /** Tokens we stopped waiting for (assumed never to come, so later waits do not wait for them again). */
  slack = 0;
  state: 'connecting' | 'open' | 'ended' = 'connecting';
  ws: WebSocket | undefined;
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  /** Frames received per type, to align them with the recording's for the id map. */
  readonly perType = new Map<string, number>();

  constructor(readonly conn: number) {
    this.closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  }

  end(): void {
    this.state = 'ended';
    this.markClosed();
  }
}

/** A frame the client sent. */
type SentFrame = WsFrame & { readonly dir: 'out' };
type Action = HttpOutFrame | OpenFrame | SentFrame | ClientCloseFrame;

function isAction(frame: RecordingFrame): frame is Action {
  return frame.dir === 'http_out' || frame.dir === 'open' || frame.dir === 'client_close' || frame.dir === 'out';
}

function describeAction(action: Action): string {
  switch (action.dir) {
    case 'http_out':
      return `${action.method} ${action.path}`;
    case 'open':
      return `open conn ${action.conn}`;
    case 'client_close':
      return `close conn ${action.conn}`;
    case 'out':
      return `send ${action.type ?? 'untyped frame'} on conn ${action.conn}`;
  }
}

/** Replays one recording's client side against a running simulator. */
class Replay {
  private readonly ids = new IdMap();
  private readonly connections = new Map<number, LiveConnection>();
  private readonly http: HttpReply[] = [];
  private readonly signal = new Signal();
  /** The recording's server frames per connection and type, to pair them with the simulator's. */
  private readonly recordedByType = new Map<number, Map<string, ServerItem[]>>();
  private readonly recordedReplies: readonly HttpReply[];
  private readonly start = performance.now();
  private lastArrival = performance.now();
  private waitBudget = FLOW_WAIT_BUDGET_MS;
  private token: string | undefined;
  private uiSessionId: string | undefined;
  /** Cleared once the flow is over: the driver's own clean-up is not part of what the server did. */
  private listening = true;
  readonly notes: string[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly recording: Recording,
  ) {
    const recorded = observationOf(recording);
    this.recordedReplies = recorded.http;
    for (const [conn, items] of recorded.connections) {
      const byType = new Map<string, ServerItem[]>();
      for (const item of items) {
        if (item.kind !== 'frame') continue;
        let list = byType.get(item.type);
        if (!list) byType.set(item.type, (list = []));
        list.push(item);
      }
      this.recordedByType.set(conn, byType);
    }
  }

  private now(): number {
    return performance.now() - this.start;
  }

  private note(text: string): void {
    this.notes.push(`t=${Math.round(this.now())} ms: ${text}`);
  }

  observation(): Observation {
    return { connections: new Map([...this.connections].map(([conn, live]) => [conn, live.items])), http: this.http };
  }

  async run(): Promise<void> {
    // Tokens the recording shows per connection so far, to wait for as many from the simulator.
    const expected = new Map<number, TokenCounter>();
    for (const frame of this.recording.frames) {
      const server = recordedItem(frame);
      if (server) {
        let counter = expected.get(server.conn);
        if (!counter) expected.set(server.conn, (counter = new TokenCounter()));
        counter.add(server.item);
        continue;
      }
      if (!isAction(frame)) continue; // note, http_in
      await sleep(frame.t_ms - this.now());
      await this.awaitServer(frame, expected);
      await this.perform(frame);
    }
    await this.settle();
  }

  /** Waits until the simulator sent as many tokens as the recording shows before `action`. */
  private async awaitServer(action: Action, expected: ReadonlyMap<number, TokenCounter>): Promise<void> {
    // A socket action depends on its own connection; an HTTP request or a new socket on all of them.
    const conns = action.dir === 'out' || action.dir === 'client_close' ? [action.conn] : [...this.connections.keys()];
    for (const conn of conns) {
      const live = this.connections.get(conn);
      const wanted = expected.get(conn)?.count ?? 0;
      if (!live) continue;
      const ready = () => live.state === 'ended' || live.tokens.count + live.slack >= wanted;
      const began = performance.now();
      const ok = await this.signal.until(ready, Math.min(ACTION_WAIT_MS, this.waitBudget));
      this.waitBudget -= performance.now() - began;
      if (!ok) {
        const missing = wanted - live.tokens.count - live.slack;
        live.slack += missing;
        this.note(`before "${describeAction(action)}" (recorded at ${action.t_ms} ms): conn ${conn} sent ${live.tokens.count} of the ${wanted} tokens the recording shows; proceeding without ${missing}`);
      }
    }
  }

  private async perform(action: Action): Promise<void> {
    switch (action.dir) {
      case 'http_out':
        return this.request(action);
      case 'open':
        return this.open(action);
      case 'out':
        return this.send(action);
      case 'client_close':
        return this.closeConnection(action);
    }
  }

  // --- HTTP (PROTOCOL.md §2)

  private async request(action: HttpOutFrame): Promise<void> {
    const headers: Record<string, string> = {};
    let body: string | FormData | URLSearchParams | undefined;
    const bearer = () => {
      if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    };
    switch (action.path) {
      case '/api/rt/login':
        headers['content-type'] = 'application/json';
        body = JSON.stringify(this.ids.apply(action.data ?? {}));
        break;
      case '/api/rt/refresh_token':
        if (action.auth !== false) bearer();
        break;
      case '/api/rt/upload_file': {
        bearer();
        const form = new FormData();
        const unknown = action.note?.includes('unknown ui_session_id') ?? false;
        form.append('ui_session_id', unknown ? UNKNOWN_UI_SESSION : (this.uiSessionId ?? UNKNOWN_UI_SESSION));
        form.append('file', new Blob([UPLOAD_CONTENT], { type: 'text/plain' }), action.file ?? 'notes.txt');
        body = form;
        break;
      }
      case '/api/rt/cancel':
        bearer();
        body = new URLSearchParams({ ui_session_id: this.uiSessionId ?? UNKNOWN_UI_SESSION });
        break;
      default:
        bearer();
        if (action.data !== undefined) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(this.ids.apply(action.data));
        }
    }
    let status: number | 'error' = 'error';
    let parsed: unknown;
    try {
      const response = await fetch(`${this.sim.httpUrl}${action.path}`, { method: action.method, headers, body, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      const text = await response.text();
      status = response.status;
      parsed = parseJson(text);
    } catch (error) {
      this.note(`${action.method} ${action.path} got no reply: ${String(error)}`);
    }
    const recorded = this.recordedReplies[this.http.length];
    this.http.push({ method: action.method, path: action.path, status, body: parsed, at: this.now() });
    if (recorded !== undefined && parsed !== undefined) this.ids.learnFrom(recorded.body, parsed);
    if (status === 200 && isPlainObject(parsed) && typeof parsed.agent_c_token === 'string') this.token = parsed.agent_c_token;
  }

  // --- WebSocket (PROTOCOL.md §1)

  private socketUrl(action: OpenFrame): string {
    const url = new URL(this.sim.wsUrl);
    // The recorded URL says which token: `<token>` is the flow's, anything else is literal (`bogus`).
    const query = new URLSearchParams(action.url.split('?')[1]?.split(' ')[0] ?? '');
    for (const [name, value] of query) {
      if (name === 'token') url.searchParams.set('token', value === '<token>' ? (this.token ?? '') : value);
      else url.searchParams.set(name, this.ids.apply(value));
    }
    for (const [name, value] of Object.entries(action.params ?? {})) {
      if (value === null) url.searchParams.delete(name);
      else url.searchParams.set(name, this.ids.apply(value));
    }
    return url.toString();
  }

  private open(action: OpenFrame): Promise<void> {
    const live = new LiveConnection(action.conn);
    this.connections.set(action.conn, live);
    const url = this.socketUrl(action);
    const requested = new URL(url).searchParams.get('ui_session_id');
    const ws = new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    live.ws = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(live, data, isBinary));
    ws.on('unexpected-response', (request, response) => {
      this.push(live, { kind: 'refused', status: String(response.statusCode ?? 'error'), at: this.now() });
      response.resume();
      request.destroy();
      live.end();
    });
    ws.on('error', (error) => {
      if (live.state !== 'connecting') return; // after open: the close event reports it
      this.push(live, { kind: 'refused', status: 'error', at: this.now() });
      this.note(`conn ${action.conn}: handshake error ${String(error)}`);
      live.end();
    });
    ws.on('close', (code: number) => {
      if (live.state === 'open') this.push(live, { kind: 'close', code, at: this.now() });
      live.end();
    });
    const opened = new Promise<void>((resolve) => {
      ws.once('open', () => {
        if (live.state === 'connecting') live.state = 'open';
        if (requested !== null) this.uiSessionId = requested;
        resolve();
      });
    });
    return Promise.race([opened, live.closed, sleep(HANDSHAKE_TIMEOUT_MS + 500)]);
  }

  private receive(live: LiveConnection, data: RawData, isBinary: boolean): void {
    if (!this.listening) return;
    let type = 'binary';
    let parsed: unknown;
    if (!isBinary) {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      const json = parseJson(text);
      if (isEventObject(json)) {
        type = json.type;
        parsed = json;
      } else {
        type = 'raw';
      }
    }
    this.push(live, { kind: 'frame', type, data: parsed, at: this.now() });
    if (parsed === undefined) return;
    // The k-th frame of this type on this connection pairs with the recording's k-th.
    const k = live.perType.get(type) ?? 0;
    live.perType.set(type, k + 1);
    const recorded = this.recordedByType.get(live.conn)?.get(type)?.[k];
    if (recorded?.kind === 'frame') this.ids.learnFrom(recorded.data, parsed);
    if (type === 'ui_session_id_changed' && isPlainObject(parsed) && typeof parsed.ui_session_id === 'string') this.uiSessionId = parsed.ui_session_id;
  }

  private push(live: LiveConnection, item: ServerItem): void {
    if (!this.listening) return;
    live.items.push(item);
    live.tokens.add(item);
    this.lastArrival = performance.now();
    this.signal.notify();
  }

  private send(action: SentFrame): void {
    const ws = this.connections.get(action.conn)?.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      this.note(`skipped "${describeAction(action)}": the socket is not open`);
      return;
    }
    ws.send(action.raw ?? JSON.stringify(this.ids.apply(action.data)));
  }

  private async closeConnection(action: ClientCloseFrame): Promise<void> {
    const live = this.connections.get(action.conn);
    if (!live?.ws || live.state !== 'open') {
      this.note(`skipped "${describeAction(action)}": the socket is not open`);
      return;
    }
    live.ws.close(action.code);
    if (!(await settlesWithin(live.closed, CLOSE_TIMEOUT_MS))) {
      this.note(`conn ${action.conn}: the close handshake did not complete within ${CLOSE_TIMEOUT_MS} ms`);
    }
  }

  /** The end: a quiet period after the last recorded frame, so late frames are seen too. */
  private async settle(): Promise<void> {
    const last = this.recording.frames[this.recording.frames.length - 1]?.t_ms ?? 0;
    await sleep(last + QUIET_MS - this.now());
    const deadline = performance.now() + SETTLE_MAX_MS;
    while (performance.now() < deadline) {
      const quietFor = performance.now() - this.lastArrival;
      if (quietFor >= QUIET_MS) break;
      await sleep(QUIET_MS - quietFor);
    }
  }

  /** Stops recording and closes every socket; never throws, never waits long. */
  async shutdown(): Promise<void> {
    this.listening = false;
    const live = [...this.connections.values()].filter((c) => c.state !== 'ended');
    for (const c of live) c.ws?.terminate();
    await settlesWithin(Promise.all(live.map((c) => c.closed)), CLOSE_TIMEOUT_MS);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// =============================================================================================
// A flow, end to end

export interface FlowResult {
  readonly name: string;
  readonly comparison: FlowComparison;
  /** What the driver noticed while replaying (waits given up, actions skipped). */
  readonly notes: readonly string[];
  /** A driver failure (the comparison then covers what was observed until then). */
  readonly error: string | undefined;
  readonly wallMs: number;
  /** Every text frame the simulator sent in the flow (for the codec check). */
  readonly sentTexts: readonly string[];
}

export interface FlowOptions {
  readonly simOptions: SimulatorOptions;
  readonly shapes: ShapeConfig;
}

/** Replays a recording against a fresh simulator and compares. Never rejects: failures land in `error`. */
export async function runFlow(name: string, options: FlowOptions): Promise<FlowResult> {
  const began = performance.now();
  let sim: Simulator | undefined;
  let replay: Replay | undefined;
  let error: string | undefined;
  let recording: Recording | undefined;
  let sentTexts: string[] = [];
  try {
    recording = loadRecording(name);
    const starting = createSimulator({ heygen: false, ...options.simOptions });
    if (!(await settlesWithin(starting, SIM_TIMEOUT_MS))) {
      starting.then((late) => late.close()).catch(() => undefined); // do not leak a simulator that starts after all
      throw new Error(`the simulator did not start within ${SIM_TIMEOUT_MS} ms`);
    }
    sim = await starting;
    replay = new Replay(sim, recording);
    await replay.run();
  } catch (caught) {
    error = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
  } finally {
    await replay?.shutdown();
    if (sim) sentTexts = sim.control.frames.flatMap((frame) => (frame.direction === 'out' && frame.kind === 'text' && frame.text !== undefined ? [frame.text] : []));
    if (sim) {
      const closing = sim.close().catch((caught: unknown) => {
        error ??= `closing the simulator: ${String(caught)}`;
      });
      if (!(await settlesWithin(closing, SIM_TIMEOUT_MS))) error ??= `the simulator did not close within ${SIM_TIMEOUT_MS} ms`;
    }
  }
  const recorded: Observation = recording ? observationOf(recording) : { connections: new Map(), http: [] };
  const simulated: Observation = replay?.observation() ?? { connections: new Map(), http: [] };
  return { name, comparison: compareObservations(recorded, simulated, options.shapes), notes: replay?.notes ?? [], error, wallMs: performance.now() - began, sentTexts };
}

// =============================================================================================
// Report

/** The diff of one stream with `context` unchanged tokens around each change; '' if identical. */
function formatStream(stream: StreamComparison, context = 2): string {
  if (stream.differences === 0) return '';
  const { edits } = stream;
  const near = edits.map((_, i) => edits.slice(Math.max(0, i - context), i + context + 1).some((edit) => edit.op !== 'same'));
  const lines: string[] = [];
  let skipped = false;
  edits.forEach((edit, i) => {
    if (!near[i]) {
      if (!skipped) lines.push('      …');
      skipped = true;
      return;
    }
    skipped = false;
    const token = edit.op === 'ins' ? edit.b : edit.a;
    const runs = edit.op === 'same' && edit.a.frames !== edit.b.frames ? ` (×${edit.a.frames} recorded, ×${edit.b.frames} simulated)` : token.frames > 1 ? ` (×${token.frames})` : '';
    const mark = edit.op === 'same' ? '    ' : edit.op === 'del' ? '  - ' : '  + ';
    const side = edit.op === 'del' ? '   [recorded only]' : edit.op === 'ins' ? '   [simulated only]' : '';
    lines.push(`  ${mark}${token.name}${runs}${side}`);
  });
  const recorded = edits.filter((edit) => edit.op !== 'ins').length;
  const simulated = edits.filter((edit) => edit.op !== 'del').length;
  return `  ${stream.label}: ${stream.differences} difference(s) (${recorded} tokens recorded, ${simulated} simulated)\n${lines.join('\n')}`;
}

/** Every sequence difference of a flow, readable; '' if there is none. */
export function formatSequences(comparison: FlowComparison): string {
  return comparison.streams
    .map((stream) => formatStream(stream))
    .filter((text) => text !== '')
    .join('\n');
}

function formatFlow(result: FlowResult, allowed: ReadonlySet<string>): string {
  const lines = [`══ ${result.name} ══ (replayed in ${(result.wallMs / 1000).toFixed(1)} s)`];
  if (result.error) lines.push(`DRIVER ERROR: ${result.error}`);
  lines.push(`Frame sequence: ${sequenceDifferences(result.comparison)} difference(s)`);
  for (const stream of result.comparison.streams) lines.push(formatStream(stream) || `  ${stream.label}: same (${stream.edits.length} tokens)`);
  const distinct = distinctShapeDifferences(result.comparison);
  const open = distinct.filter((entry) => !allowed.has(entry.difference.key)).length;
  lines.push(`Field shapes: ${distinct.length} distinct difference(s), ${open} not allowed`);
  for (const { difference, count } of distinct) {
    lines.push(`  ${allowed.has(difference.key) ? '[allowed] ' : ''}${difference.key}`);
    lines.push(`      recorded:  ${difference.recordedDetail}`);
    lines.push(`      simulated: ${difference.simulatedDetail}`);
    lines.push(`      seen ${count}×, first at ${difference.where}`);
  }
  if (result.notes.length > 0) lines.push('Driver notes:', ...result.notes.map((note) => `  ${note}`));
  return lines.join('\n');
}

/** The full human-readable report of all flows. */
export function formatReport(results: readonly FlowResult[], allowedKeys: readonly string[], header: readonly string[] = []): string {
  const allowed = new Set(allowedKeys);
  const flowsByKey = new Map<string, string[]>();
  for (const result of results) {
    for (const { difference } of distinctShapeDifferences(result.comparison)) {
      const flows = flowsByKey.get(difference.key) ?? [];
      flows.push(result.name);
      flowsByKey.set(difference.key, flows);
    }
  }
  const width = Math.max(...results.map((result) => result.name.length), 4);
  const summary = [
    'Summary',
    `  ${'flow'.padEnd(width)}  sequence diffs  distinct shape diffs  not allowed  driver`,
    ...results.map((result) => {
      const distinct = distinctShapeDifferences(result.comparison);
      const open = distinct.filter((entry) => !allowed.has(entry.difference.key)).length;
      return `  ${result.name.padEnd(width)}  ${String(sequenceDifferences(result.comparison)).padStart(14)}  ${String(distinct.length).padStart(20)}  ${String(open).padStart(11)}  ${result.error ? 'ERROR' : result.notes.length > 0 ? `${result.notes.length} note(s)` : 'ok'}`;
    }),
    `  distinct field-shape differences over all flows: ${flowsByKey.size} (${[...flowsByKey.keys()].filter((key) => allowed.has(key)).length} allowed)`,
    `  allowed entries never seen: ${allowedKeys.filter((key) => !flowsByKey.has(key)).join('; ') || 'none'}`,
  ];
  const index = ['All distinct field-shape differences (flows that show them):', ...[...flowsByKey].sort(([a], [b]) => a.localeCompare(b)).map(([key, flows]) => `  ${allowed.has(key) ? '[allowed] ' : ''}${key}   — ${flows.join(', ')}`)];
  return [...header, '', ...summary, '', ...results.map((result) => formatFlow(result, allowed)), '', ...index, ''].join('\n');
}
