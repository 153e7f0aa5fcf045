/**
 * The recording format: what `record(client)` captured of a live session, as plain JSON — each
 * socket attempt (its URL, open, every frame both ways, the client's close call, the close, the
 * error that refused an upgrade), each HTTP request and response, the user's commands and their
 * results, the simulator's faults as labels, and the seed — with times in ms since the start.
 * The valibot schema is the only source of its types; {@link parseRecording} checks a loaded file.
 */
import * as v from 'valibot';

/** The `format` marker of a recording. */
export const RECORDING_FORMAT = 'agentc-realtime/recording';

/** The commands a recording captures (the client's methods of that name; `uploadFile(s)` are not recorded). */
export const RECORDED_COMMANDS = [
  'connect',
  'disconnect',
  'sendText',
  'cancel',
  'send',
  'setAgent',
  'refreshAgents',
  'setAgentTools',
  'newSession',
  'resumeSession',
  'renameSession',
  'deleteSession',
  'listSessions',
  'setSessionMetadata',
  'setVoice',
  'setAvatar',
  'setAvatarSession',
  'clearAvatar',
  'dispose',
] as const;

/** A command a recording captures. */
export type RecordedCommand = (typeof RECORDED_COMMANDS)[number];

const at = v.pipe(v.number(), v.finite(), v.minValue(0));
const index = v.pipe(v.number(), v.integer(), v.minValue(0));
/** A frame's payload: `text`, or `base64` for a binary frame. */
const payload = {
  text: v.optional(v.string()),
  base64: v.optional(v.pipe(v.string(), v.base64())),
};
const hasOnePayload = (event: { text?: string | undefined; base64?: string | undefined }) => (event.text === undefined) !== (event.base64 === undefined);

const eventSchema = v.variant('type', [
  /** The client constructed a WebSocket (attempt numbers count from 0). */
  v.strictObject({ type: v.literal('socket'), at, attempt: index, url: v.string() }),
  v.strictObject({ type: v.literal('open'), at, attempt: index }),
  /** A frame from the server. */
  v.strictObject({ type: v.literal('in'), at, attempt: index, ...payload }),
  /** A frame the client sent. */
  v.strictObject({ type: v.literal('out'), at, attempt: index, ...payload }),
  /** The client called `close` on the socket. */
  v.strictObject({ type: v.literal('closing'), at, attempt: index, code: v.optional(v.number()), reason: v.optional(v.string()) }),
  /** The socket reported an error (a refused upgrade: `Unexpected server response: 401`). */
  v.strictObject({ type: v.literal('error'), at, attempt: index, message: v.string() }),
  v.strictObject({ type: v.literal('close'), at, attempt: index, code: v.number(), reason: v.string(), wasClean: v.boolean() }),
  /** An HTTP request the client made (login, refresh, upload); ids count from 0. */
  v.strictObject({
    type: v.literal('request'),
    at,
    id: index,
    method: v.string(),
    url: v.string(),
    authorization: v.optional(v.string()),
    body: v.optional(v.string()),
  }),
  v.strictObject({
    type: v.literal('response'),
    at,
    id: index,
    status: v.pipe(v.number(), v.integer(), v.minValue(200), v.maxValue(599)),
    statusText: v.string(),
    contentType: v.optional(v.string()),
    body: v.string(),
  }),
  /** The request failed without a response (the network). */
  v.strictObject({ type: v.literal('request_failed'), at, id: index, message: v.string() }),
  /**
   * The user called a command (ids count from 0). `sync`: in the same job as the event before it (no
   * promise job ran in between, e.g. `connect()` right after `record(client)`), so a replay issues it
   * at once after that event.
   */
  v.strictObject({ type: v.literal('command'), at, id: index, name: v.picklist(RECORDED_COMMANDS), args: v.array(v.unknown()), sync: v.optional(v.literal(true)) }),
  /** How a command settled. */
  v.strictObject({
    type: v.literal('result'),
    at,
    id: index,
    ok: v.boolean(),
    value: v.optional(v.unknown()),
    error: v.optional(v.strictObject({ reason: v.string(), message: v.string() })),
  }),
  /** A fault the simulator was told to inject (a label; the client's view of it is in the socket events). */
  v.strictObject({ type: v.literal('fault'), at, label: v.string() }),
]);

const authSchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('credentials'), username: v.string(), refreshBufferMs: v.number() }),
  /** `token` is a stand-in for the app's token. */
  v.strictObject({ kind: v.literal('token'), token: v.string(), refreshBufferMs: v.number() }),
  /** The app's provider: a replay hands out the tokens the recorded attempts used, in order. */
  v.strictObject({ kind: v.literal('getToken'), refreshBufferMs: v.number() }),
]);

const optionsSchema = v.strictObject({
  url: v.string(),
  auth: authSchema,
  agentKey: v.optional(v.string()),
  chatSessionId: v.optional(v.string()),
  uiSessionId: v.optional(v.string()),
  autoReconnect: v.boolean(),
  reconnection: v.strictObject({ initialDelay: v.number(), maxDelay: v.number(), backoffMultiplier: v.number(), maxAttempts: v.number(), jitterFactor: v.number() }),
  connectionTimeout: v.number(),
  pingInterval: v.number(),
  pongTimeout: v.number(),
  maxMessageSize: v.number(),
  maxUploadSize: v.number(),
  maxFilesPerMessage: v.number(),
  allowedMimeTypes: v.optional(v.array(v.string())),
});

/** The schema of a recording file. */
export const recordingSchema = v.pipe(
  v.strictObject({
    format: v.literal(RECORDING_FORMAT),
    version: v.literal(1),
    // the client's wall clock at the start (ms since the epoch): a replay's clock starts there
    startedAt: v.number(),
    // from the start to `stop()`, in ms
    duration: at,
    // the reconnect jitter's seed
    seed: v.pipe(v.number(), v.integer()),
    // the client's options (plain fields; secrets replaced)
    options: optionsSchema,
    events: v.array(eventSchema),
  }),
  v.check((recording) => recording.events.every((event) => (event.type !== 'in' && event.type !== 'out') || hasOnePayload(event)), 'a frame has exactly one of text and base64'),
  v.check((recording) => recording.events.every((event, i) => i === 0 || event.at >= recording.events[i - 1]!.at), 'events must be in time order'),
  v.check((recording) => recording.events.every((event) => event.at <= recording.duration), 'no event may come after the duration'),
);

/** A recorded session (JSON-serialisable). */
export type Recording = v.InferOutput<typeof recordingSchema>;
/** One event of a recording. */
export type RecordingEvent = v.InferOutput<typeof eventSchema>;
/** The client options a recording keeps. */
export type RecordedOptions = v.InferOutput<typeof optionsSchema>;

/** Why a recording could not be used: the file is not a recording (`invalid_recording`), or a strict replay diverged (`divergence`). */
export type RecordingErrorReason = 'invalid_recording' | 'divergence';

/** A recording that is not one, or a strict replay that diverged from it. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';

  constructor(
    readonly reason: RecordingErrorReason,
    message: string,
    /** What was wrong, one line each (the schema's issues with their paths, or the divergences). */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * Checks a recording: a parsed value, or the JSON text of a file.
 * @throws {RecordingError} `invalid_recording`, naming each problem with its path (e.g. `events.3.attempt`).
 * @example const recording = parseRecording(await readFile('session.json', 'utf8'));
 */
export function parseRecording(input: unknown): Recording {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      throw new RecordingError('invalid_recording', `Not a recording: the text is not JSON (${(error as Error).message})`);
    }
  }
  const parsed = v.safeParse(recordingSchema, value);
  if (parsed.success) return parsed.output;
  const issues = parsed.issues.slice(0, 20).map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`);
  throw new RecordingError('invalid_recording', `Not a valid recording: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (and ${parsed.issues.length - 3} more)` : ''}`, issues);
}
