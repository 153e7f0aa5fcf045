/**
 * JSON text exactly as the server's `json.dumps(model_dump())` writes it: `", "` and `": "`
 * separators and every non-ASCII character escaped as `\uXXXX` (docs/protocol.md §1.4).
 */

const NON_ASCII = /[\u0080-\uffff]/g;
const hasNonAscii = (text: string) => /[^\x00-\x7f]/.test(text);

/** A JSON string literal with Python's `ensure_ascii` escaping. */
export function pyString(text: string): string {
  const json = JSON.stringify(text);
  return hasNonAscii(json) ? json.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/** Serialises a JSON value like Python's `json.dumps` with default settings. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? (Number.isInteger(value) || Math.abs(value) >= 1e16 ? String(value) : pyFloat(value)) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [key, item] of Object.entries(value)) if (item !== undefined) parts.push(`${pyString(key)}: ${pyJson(item)}`);
    return `{${parts.join(', ')}}`;
  }
  return 'null';
}

function pyFloat(value: number): string {
  return String(value);
}

