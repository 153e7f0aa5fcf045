/**
 * Building blocks shared by every wire schema.
 *
 * Inbound (server → client) objects are loose: unknown fields are kept and `null` is accepted
 * wherever the server may send it (it serialises every optional field as an explicit `null`,
 * docs/protocol.md §1.4). Outbound (client → server) objects are strict, so our own mistakes fail loudly.
 */
import * as v from 'valibot';

/** True for a JSON object: not null, not an array. */
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Refuses arrays and primitives before an object schema runs: valibot's object and record schemas
 * accept an array and turn it into an object, which would hide a type error.
 */
const plainObject = v.custom<Record<string, unknown>>(isPlainObject, (issue) =>
  `Invalid type: Expected Object but received ${Array.isArray(issue.input) ? 'Array' : issue.received}`,
);

/** Any JSON object (not an array), kept as is (metadata, completion options, vendor payloads). */
export const jsonObject = v.pipe(plainObject, v.record(v.string(), v.unknown()));

/** A loose object whose fields are all optional, which (unlike valibot's `looseObject`) refuses arrays. */
export function optionalFieldsObject<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(plainObject, v.looseObject(entries));
}

/** A string the server may send as `null`, or leave out. */
export const nullableString = v.nullish(v.string());

/** A list of strings where the server may send `null` for "none". */
export const stringList = v.nullish(v.array(v.string()), () => []);

/**
 * The envelope of every session event (docs/protocol.md §1.6): who produced it and in which
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
