/**
 * Building blocks shared by every wire schema.
 *
 * Inbound (server → client) objects are loose: unknown fields are kept and `null` is accepted
 * wherever the server may send it (it serialises every optional field as an explicit `null`,
 * PROTOCOL.md §1.4). Outbound (client → server) objects are strict, so our own mistakes fail loudly.
 */
import * as v from 'valibot';

const notArray = (value: Record<string, unknown>): boolean => !Array.isArray(value);
const NOT_ARRAY_MESSAGE = 'Invalid type: Expected Object but received Array';

/** Any JSON object (not an array), kept as is (metadata, completion options, vendor payloads). */
export const jsonObject = v.pipe(v.record(v.string(), v.unknown()), v.check(notArray, NOT_ARRAY_MESSAGE));

/**
 * A loose object whose fields are all optional. valibot's `looseObject` accepts arrays; this one
 * does not.
 */
export function optionalFieldsObject<const E extends v.ObjectEntries>(entries: E) {
  const schema = v.looseObject(entries);
  return v.pipe(schema, v.check<v.InferOutput<typeof schema>, string>((value) => !Array.isArray(value), NOT_ARRAY_MESSAGE));
}

/** A string the server may send as `null`, or leave out. */
export const nullableString = v.nullish(v.string());

/** A list of strings where the server may send `null` for "none". */
export const stringList = v.nullish(v.array(v.string()), () => []);

/**
 * The envelope of every session event (PROTOCOL.md §1.6): who produced it and in which
 * (sub-)session. `session_id` and `role` are required; the parent and root ids may be `null`.
 */
export const sessionEnvelope = {
  session_id: v.string(),
  role: v.string(),
  parent_session_id: nullableString,
  user_session_id: nullableString,
} as const;

/** The `format` of streamed text; the server always sends `"markdown"`. */
export const textFormat = v.nullish(v.string(), 'markdown');

/**
 * An inbound event schema: a loose object with a literal `type`.
 * @internal
 */
export function inbound<const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) {
  return v.looseObject({ type: v.literal(type), ...entries });
}

/**
 * An inbound session event: the §1.6 envelope plus the event's own fields.
 * @internal
 */
export function sessionEvent<const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) {
  return v.looseObject({ type: v.literal(type), ...sessionEnvelope, ...entries });
}

/**
 * An outbound event schema: a strict object with a literal `type`, so that a misspelt or extra
 * field is an error instead of a silently ignored key on the server.
 * @internal
 */
export function outbound<const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) {
  return v.strictObject({ type: v.literal(type), ...entries });
}
