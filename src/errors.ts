/**
 * The one error class callers see: a `ClientError` with a `reason` to switch on, the original
 * `cause`, and a message meant for people.
 */
import { redactSecrets, redactValue } from './schema/redact.js';

/** Every reason a command or the client can fail for; each is documented in README.md. */
export const clientErrorReasons = [
  /** The client is not ready (not connected, or still initializing) and the command cannot wait. */
  'not_ready',
  /** An interaction is running and the command would cancel it on the server. */
  'interaction_in_progress',
  /** No valid token and no way to get one: log in again. */
  'auth_required',
  /** Login or refresh was refused by the server. */
  'auth_failed',
  /** A frame broke the protocol (an invalid or unknown frame, or a malformed command). */
  'protocol',
  /** Something took longer than allowed (connection, a reply). */
  'timeout',
  /** The client was disconnected or disposed while the command waited. */
  'closed',
  /** The network or the server failed (socket error, HTTP 5xx, fetch failure). */
  'network',
  /**
   * The server refused the WebSocket upgrade (HTTP 500 or 403, §1.8) also with a token obtained after
   * a first refusal: an unknown `agent_key` or a `ui_session_id` of another user, or a token the server
   * keeps refusing. While the client is still renewing the token it is reported on `errors$` only.
   */
  'refused',
  /** The server answered with an `error` event. */
  'server_error',
  /** `createClient` options or a command's arguments are wrong. */
  'invalid_options',
  /** An upload is larger than `maxUploadSize`. */
  'upload_too_large',
  /** An upload's type is not in `allowedMimeTypes`. */
  'upload_type_not_allowed',
  /** More files than `maxFilesPerMessage`. */
  'too_many_files',
  /** The caller aborted (an `AbortSignal`). */
  'aborted',
  /** No avatar can be made here: the server has no HeyGen, or it cannot make a second avatar session for this UI session. */
  'avatar_unavailable',
  /** Another avatar command is still in flight. */
  'avatar_busy',
] as const;

/** Why a {@link ClientError} happened. */
export type ClientErrorReason = (typeof clientErrorReasons)[number];

/**
 * An error of the client. Switch on `reason`; `cause` keeps the underlying error or server event.
 *
 * @example
 * try { await client.sendText('hi'); }
 * catch (e) { if (e instanceof ClientError && e.reason === 'not_ready') await client.ready(); }
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';

  /**
   * The message, and a cause that is plain data (a server event), have every JWT and `token=` value
   * redacted: a server error that echoes a token does not hand it to logs.
   */
  constructor(
    readonly reason: ClientErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause;
    const plain = cause !== null && typeof cause === 'object' && !(cause instanceof Error);
    super(redactSecrets(message), options === undefined ? undefined : { cause: plain ? redactValue(cause) : cause });
  }

  /** A serialisable view (for `state$`, logs and tests). */
  toJSON(): { name: 'ClientError'; reason: ClientErrorReason; message: string } {
    return { name: this.name, reason: this.reason, message: this.message };
  }
}
