/**
 * Secrets never leave the edge inside diagnostics: any JWT-shaped string and any `token=` query
 * value is replaced before a frame's text or an error message is handed to application code.
 */

/** A JWS compact serialisation: base64url header starting `{"` or `{ `, payload, optional signature. */
/** A JWS compact serialisation (global: for `replace` and `matchAll`). */
export const JWT_PATTERN = /ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** Field names whose values are secrets wherever they appear (inspection records, recordings). */
export const SECRET_FIELD = /(^|_|-)(token|password|password_hash|secret|api_key|apikey|authorization)$|^(access_?token|session_?token|heygen_?token|agent_c_token|accessToken)$/i;
/** `token=…`, `access_token=…`, `refresh_token=…` in a query string or URL. */
const TOKEN_QUERY_PATTERN = /([?&;](?:[A-Za-z_]*token)=)[^&#\s"'\\]*/gi;

/** Marker that replaces a JWT. */
export const REDACTED_JWT = '[redacted-jwt]';
/** Marker that replaces a `token=` query value. */
export const REDACTED = '[redacted]';

/** Replaces every JWT and every `token=` query value in `text`. */
export function redactSecrets(text: string): string {
  if (!text.includes('ey') && !/token=/i.test(text)) return text;
  return text.replace(JWT_PATTERN, REDACTED_JWT).replace(TOKEN_QUERY_PATTERN, `$1${REDACTED}`);
}

/** Returns a copy of a parsed JSON value with every string redacted by {@link redactSecrets}. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, so a "__proto__" key from JSON stays a plain key instead of a prototype.
    Object.defineProperty(copy, redactSecrets(key), {
      value: redactValue(item, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
