/**
 * The server's rules for user text (docs/protocol.md §4.2, §13 item 13), shared by the client (what it
 * refuses to send, what it treats as a chat command) and the simulator (what it ignores).
 */

/** What Python's `str.isspace()` counts as white space: JavaScript's `trim()` set plus \x1c-\x1f and \x85, without \ufeff. */
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_START = new RegExp(`^[${PY_SPACE}]+`);
const PY_SPACE_END = new RegExp(`[${PY_SPACE}]+$`);

/** Python's `str.strip()` without arguments, as the server applies it to `text_input`. */
export function pythonStrip(text: string): string {
  return text.replace(PY_SPACE_START, '').replace(PY_SPACE_END, '');
}

/** Text the server ignores without any event: empty once Python strips it (§13 item 13). */
export function isIgnoredText(text: string): boolean {
  return pythonStrip(text) === '';
}

/** A one-line text starting with `!` (after Python's strip) is a chat command: answered inline, no interaction (§4.2). */
export function isChatCommand(text: string): boolean {
  const stripped = pythonStrip(text);
  return stripped.startsWith('!') && !stripped.includes('\n');
}
