/**
 * Readers of loose JSON (server payloads, user input typed as `unknown`): total, never throwing.
 * Shared by the data plane's transcript and message helpers.
 */

export type JsonRecord = Record<string, unknown>;

/** A plain object (not `null`, not an array). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The `type` of a block or part, when it is an object with a string `type`. */
export function typeOf(value: unknown): string | undefined {
  return isRecord(value) ? stringOf(value.type) : undefined;
}
