/**
 * HTTP bodies of the `/api/rt` routes (docs/protocol.md §2).
 */
import * as v from 'valibot';
import { nullableString, optionalFieldsObject } from './common.js';

/** `POST /api/rt/login` body. Lengths are the server's limits (otherwise 422). */
export const loginRequestSchema = v.strictObject({
  username: v.pipe(v.string(), v.minLength(3), v.maxLength(50)),
  password: v.pipe(v.string(), v.minLength(6), v.maxLength(100)),
});

/** `POST /api/rt/login` 200 body. `heygen_token` is the string `"None"` when the server has no HeyGen. */
export const loginResponseSchema = v.looseObject({
  agent_c_token: v.string(),
  heygen_token: nullableString,
  ui_session_id: nullableString,
});

/** `GET /api/rt/refresh_token` 200 body. */
export const refreshResponseSchema = v.looseObject({
  agent_c_token: v.string(),
  heygen_token: nullableString,
});

/** `POST /api/rt/upload_file` 200 body. The id is `YYYYMMDDHHMMSS_<filename>`; the MIME type is guessed from the name. */
export const uploadResponseSchema = v.looseObject({
  id: v.string(),
  filename: v.string(),
  mime_type: v.nullish(v.string(), 'application/octet-stream'),
  size: v.number(),
});

/** `POST /api/rt/cancel` 200 body. */
export const cancelResponseSchema = v.looseObject({ status: v.string(), message: nullableString });

/** One FastAPI validation item (422). */
export const validationItemSchema = v.looseObject({
  loc: v.nullish(v.array(v.union([v.string(), v.number()]))),
  msg: v.string(),
  type: nullableString,
});

/** A FastAPI error body: `{detail: "text"}` or, for 422, `{detail: [items]}`. */
export const httpErrorSchema = v.looseObject({
  detail: v.union([v.string(), v.array(validationItemSchema)]),
});

/** The claims of an Agent C JWT (HS256). Only `exp` matters to a client. */
export const jwtClaimsSchema = v.looseObject({
  sub: v.string(),
  exp: v.number(),
  iat: v.nullish(v.number()),
  user: v.nullish(optionalFieldsObject({ user_id: nullableString, user_name: nullableString })),
});

export type LoginRequest = v.InferInput<typeof loginRequestSchema>;
/** The answer of `POST /api/rt/login`: `{ agent_c_token, heygen_token, ui_session_id }` (docs/protocol.md §2.2). */
export type LoginResponse = v.InferOutput<typeof loginResponseSchema>;
/** The answer of `GET /api/rt/refresh_token`: `{ agent_c_token, heygen_token }` (docs/protocol.md §2.3). */
export type RefreshResponse = v.InferOutput<typeof refreshResponseSchema>;
/** The answer of `POST /api/rt/upload_file`: `{ id, filename, mime_type, size }`; use `id` in `sendText`'s `fileIds` (docs/protocol.md §2.5). */
export type UploadResponse = v.InferOutput<typeof uploadResponseSchema>;
export type CancelResponse = v.InferOutput<typeof cancelResponseSchema>;
/** An HTTP error body of the API: `{ detail }` (docs/protocol.md §2.1). */
export type HttpError = v.InferOutput<typeof httpErrorSchema>;
export type JwtClaims = v.InferOutput<typeof jwtClaimsSchema>;
