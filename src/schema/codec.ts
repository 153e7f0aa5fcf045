/**
 * The only JSON boundary of the library: server frames in, client events out.
 *
 * `decodeServerFrame` never throws. Every frame becomes one of four results, so a malformed or
 * hostile frame is an event to report, not an exception to catch.
 */
import * as v from 'valibot';
import { clientEventSchemaByType, type ClientEvent } from './client.js';
import { compileSchema, type CompiledSchema } from './compile.js';
import { ProtocolError, toProtocolIssues, type ProtocolIssue } from './protocol-error.js';
import { redactSecrets, redactValue } from './redact.js';
import { serverEventSchemaByType, type ServerEvent } from './server/index.js';

/** Frames larger than this (in bytes) are refused unparsed. */
export const DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/** Why a frame was refused. */
export type InvalidFrameReason = 'json' | 'not_object' | 'no_type' | 'schema' | 'too_large' | 'bad_audio';

/** The result of decoding one server frame. */
export type DecodedFrame =
  /** A validated server event. */
  | { readonly kind: 'event'; readonly event: ServerEvent }
  /** A binary frame: PCM16 little-endian mono samples. */
  | { readonly kind: 'audio'; readonly pcm: Int16Array }
  /** A well-formed event whose `type` this library does not know; `raw` is the parsed object, secrets redacted. */
  | { readonly kind: 'unknown'; readonly type: string; readonly raw: Readonly<Record<string, unknown>> }
  /** A frame that cannot be used; `raw` is its text (secrets redacted, cut to 4,096 characters). */
  | {
      readonly kind: 'invalid';
      readonly reason: InvalidFrameReason;
      readonly issues: readonly ProtocolIssue[];
      readonly raw: string;
      /** The frame's `type`, for `schema` failures. */
      readonly type?: string;
    };

/** Options of {@link decodeServerFrame}. */
export interface DecodeOptions {
  /** Frames larger than this many bytes are `too_large`. @default 10485760 (10 MB) */
  readonly maxMessageSize?: number;
}

/** Longest `raw` text kept on an `invalid` result. */
export const RAW_PREVIEW_LENGTH = 4096;

/** The fast path per server event type (its `type` already matched), derived from the schemas on first use. */
const compiledByType = new Map<string, CompiledSchema>();

function compiledFor(type: string): CompiledSchema | undefined {
  let compiled = compiledByType.get(type);
  if (compiled === undefined) {
    const schema = serverEventSchemaByType.get(type);
    if (schema === undefined) return undefined;
    compiled = compileSchema(v.omit(schema, ['type']));
    compiledByType.set(type, compiled);
  }
  return compiled;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A decoded frame that is not an event (audio, unknown, invalid). */
export type NonEventFrame = Exclude<DecodedFrame, { kind: 'event' }>;

/**
 * What {@link decodeServerEvent} returns for a frame that is not an event. A class, so the hot path
 * tells it from an event with `instanceof` (events are loose objects: any field name can occur).
 * @internal
 */
export class NotAnEvent {
  constructor(readonly frame: NonEventFrame) {}
}

/**
 * Decodes one frame received from the server. Never throws.
 *
 * @param data - a text frame (`string`) or a binary frame (`ArrayBuffer` or a byte view).
 * @example
 * const frame = decodeServerFrame(message.data);
 * if (frame.kind === 'event' && frame.event.type === 'text_delta') print(frame.event.content);
 */
export function decodeServerFrame(data: string | ArrayBuffer | ArrayBufferView, options?: DecodeOptions): DecodedFrame {
  const result = decodeServerEvent(data, options);
  return result instanceof NotAnEvent ? result.frame : { kind: 'event', event: result };
}

/**
 * {@link decodeServerFrame} for the client's per-frame path: a validated event comes back as itself,
 * without the `{ kind, event }` wrapper (one allocation less per frame); anything else as a
 * {@link NotAnEvent}. Never throws.
 * @internal
 */
export function decodeServerEvent(
  data: string | ArrayBuffer | ArrayBufferView,
  options?: DecodeOptions & { /** @internal Tests only: `false` decodes every delta the general way. */ readonly fastDeltas?: boolean },
): ServerEvent | NotAnEvent {
  const maxMessageSize = options?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  try {
    if (typeof data === 'string') return decodeText(data, maxMessageSize, options?.fastDeltas !== false);
    return decodeBinary(data, maxMessageSize);
  } catch (error) {
    // Defence in depth: nothing above is expected to throw, but a frame must never crash the caller.
    return undecodable(error, data);
  }
}

function decodeBinary(data: ArrayBuffer | ArrayBufferView, maxMessageSize: number): NotAnEvent {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return new NotAnEvent(decodeAudio(data, maxMessageSize));
  return invalid('json', 'A frame must be text or binary data', describe(data));
}

function undecodable(error: unknown, data: unknown): NotAnEvent {
  return invalid('schema', `Frame could not be decoded: ${errorMessage(error)}`, typeof data === 'string' ? data : '');
}

/**
 * A text frame. Kept small, the rare outcomes in functions of their own: the compiler inlines what
 * is small enough, up to a budget per caller, and this is on the socket's per-frame path.
 */
function decodeText(text: string, maxMessageSize: number, fastDeltas: boolean): ServerEvent | NotAnEvent {
  if (text.length > maxMessageSize || (text.length * 3 > maxMessageSize && utf8Length(text) > maxMessageSize)) return tooLarge(text, maxMessageSize);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return notJson(error, text);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return notAnObject(value, text);
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return noType(text);
  if (fastDeltas && (type === 'text_delta' || type === 'thought_delta') && isPlainDelta(value as Record<string, unknown>)) {
    return value as ServerEvent;
  }
  return decodeObject(value, type, text);
}

/** A parsed frame with a string `type`: validated if the type is known, `unknown` otherwise. */
function decodeObject(value: object, type: string, text: string): ServerEvent | NotAnEvent {
  const compiled = compiledFor(type);
  if (compiled === undefined) {
    return new NotAnEvent({ kind: 'unknown', type: redactSecrets(type), raw: redactValue(value) as Record<string, unknown> });
  }
  if (compiled.check(value)) return compiled.build(value) as ServerEvent;
  // valibot is the authority on failures: it names every issue.
  const result = v.safeParse(serverEventSchemaByType.get(type)!, value);
  if (result.success) return result.output as ServerEvent;
  return new NotAnEvent({ kind: 'invalid', reason: 'schema', issues: toProtocolIssues(result.issues), raw: preview(text), type });
}

function notJson(error: unknown, text: string): NotAnEvent {
  return invalid('json', `Frame is not valid JSON: ${errorMessage(error)}`, text);
}

function noType(text: string): NotAnEvent {
  return invalid('no_type', 'Frame has no string `type` field', text);
}

function tooLarge(text: string, maxMessageSize: number): NotAnEvent {
  return invalid('too_large', `Frame exceeds maxMessageSize (${maxMessageSize} bytes)`, text.slice(0, 256));
}

function notAnObject(value: unknown, text: string): NotAnEvent {
  const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
  return invalid('not_object', `Frame must be a JSON object, got ${got}`, text);
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * True for a `text_delta` or `thought_delta` (its `type` already matched) that the general path
 * would accept and hand back unchanged: the envelope and `content` of the right types, a string
 * `format` (a missing or null one gets its default there), and no `__proto__`, `constructor` or
 * `prototype` key (dropped there). Deltas are nearly every frame of an answer, and the general path
 * costs them about 150 ns: its compiled check serves every event type, reading entries by a key from
 * a list (megamorphic loads), and its build runs after it. Here the reads are by name and see one
 * shape, the server's. Anything else takes the general path, which stays the authority:
 * test/node/schema/fast-deltas.test.ts compares both on generated frames, and pins the schemas this
 * was written for.
 */
function isPlainDelta(event: Record<string, unknown>): boolean {
  const parentSessionId = event.parent_session_id;
  const userSessionId = event.user_session_id;
  return (
    typeof event.content === 'string' &&
    typeof event.session_id === 'string' &&
    typeof event.role === 'string' &&
    typeof event.format === 'string' &&
    (parentSessionId === null || parentSessionId === undefined || typeof parentSessionId === 'string') &&
    (userSessionId === null || userSessionId === undefined || typeof userSessionId === 'string') &&
    // An own `constructor` or `prototype` key holds a JSON value, never the `Object` function nor
    // `undefined`, so these reads refuse exactly the objects that have one (and all of them, safely,
    // should Object.prototype be tampered with); a read of one shape costs next to nothing, a
    // `hasOwnProperty` call about 100 instructions. `__proto__` is asked about: reading it calls an
    // accessor, which `node --disable-proto=throw` makes throw.
    event.constructor === Object &&
    event.prototype === undefined &&
    !hasOwn.call(event, '__proto__')
  );
}

function decodeAudio(data: ArrayBuffer | ArrayBufferView, maxMessageSize: number): NonEventFrame {
  const byteLength = data.byteLength;
  if (byteLength > maxMessageSize) {
    return invalidFrame('too_large', `Binary frame exceeds maxMessageSize (${maxMessageSize} bytes)`, `<binary ${byteLength} bytes>`);
  }
  if (byteLength % 2 !== 0) {
    return invalidFrame('bad_audio', `Binary frame has an odd length (${byteLength} bytes); PCM16 needs whole samples`, `<binary ${byteLength} bytes>`);
  }
  // A view may sit at an odd offset inside a shared buffer (Node's Buffer pool), so views are copied.
  const buffer =
    data instanceof ArrayBuffer
      ? data
      : (new Uint8Array(data.buffer, data.byteOffset, byteLength).slice().buffer as ArrayBuffer);
  const pcm = new Int16Array(buffer);
  if (!LITTLE_ENDIAN) {
    const bytes = new DataView(buffer);
    for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.getInt16(i * 2, true);
  }
  return { kind: 'audio', pcm };
}

/**
 * Validates a client event and returns the JSON text to send, with the server's defaults filled in.
 *
 * @throws {ProtocolError} when the event is not a known client event or a field is wrong; `field` names it.
 * @example
 * socket.send(encodeClientEvent({ type: 'text_input', text: 'Hello' }));
 * // '{"type":"text_input","text":"Hello","file_ids":[]}'
 */
export function encodeClientEvent(event: ClientEvent): string {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new ProtocolError('A client event must be an object with a string `type`', {
      issues: [{ path: '', message: 'Expected an object' }],
    });
  }
  const type: unknown = (event as { type?: unknown }).type;
  const schema = typeof type === 'string' ? clientEventSchemaByType.get(type) : undefined;
  if (schema === undefined) {
    const shown = redactSecrets(typeof type === 'string' ? `"${type}"` : String(type));
    throw new ProtocolError(`Unknown client event type ${shown}`, {
      type: typeof type === 'string' ? redactSecrets(type) : undefined,
      issues: [{ path: 'type', message: `Unknown client event type ${shown}` }],
    });
  }
  const result = v.safeParse(schema, event);
  if (!result.success) {
    const issues = toProtocolIssues(result.issues);
    const first = issues[0]!;
    throw new ProtocolError(`Invalid ${type as string} event: ${first.path || 'event'}: ${first.message}`, {
      type: redactSecrets(type as string),
      issues,
    });
  }
  return JSON.stringify(result.output);
}

function invalidFrame(reason: InvalidFrameReason, message: string, raw: string): NonEventFrame {
  return { kind: 'invalid', reason, issues: [{ path: '', message: redactSecrets(message) }], raw: preview(raw) };
}

function invalid(reason: InvalidFrameReason, message: string, raw: string): NotAnEvent {
  return new NotAnEvent(invalidFrame(reason, message, raw));
}

function preview(text: string): string {
  return redactSecrets(text.length > RAW_PREVIEW_LENGTH ? `${text.slice(0, RAW_PREVIEW_LENGTH)}…` : text);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  return `<${value === null ? 'null' : typeof value}>`;
}

/** UTF-8 byte length of a string, without allocating. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
