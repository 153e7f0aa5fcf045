/**
 * The error thrown when an outbound event is malformed, and the issue shape shared with the
 * `invalid` results of decoding.
 */
import type * as v from 'valibot';
import { redactSecrets } from './redact.js';

/** One validation problem: where (`path`, dotted, empty for the frame itself) and what. */
export interface ProtocolIssue {
  /** Dotted path of the offending field, e.g. `chat_session.messages.0.role`; `''` for the whole frame. */
  readonly path: string;
  /** Human-readable description, free of secrets. */
  readonly message: string;
}

/** Converts valibot issues to {@link ProtocolIssue}s, redacting secrets from their messages. */
export function toProtocolIssues(issues: readonly v.BaseIssue<unknown>[]): ProtocolIssue[] {
  return issues.map((issue) => ({
    path: redactSecrets((issue.path ?? []).map((item) => String(item.key)).join('.')),
    message: redactSecrets(issue.message),
  }));
}

/**
 * A client event that does not match the protocol. `field` names the first offending field.
 *
 * @example
 * try { encodeClientEvent({ type: 'set_agent' } as never); }
 * catch (e) { if (e instanceof ProtocolError) console.log(e.field); } // "agent_key"
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** The event `type`, when the value had one. */
  readonly type: string | undefined;
  /** Dotted path of the first offending field (`''` when the event as a whole is wrong). */
  readonly field: string;
  /** Every problem found. */
  readonly issues: readonly ProtocolIssue[];

  /** Made by `encodeClientEvent`; the message and `type` are redacted (no JWT or `token=` value). */
  constructor(message: string, options: { type?: string | undefined; issues: readonly ProtocolIssue[] }) {
    super(redactSecrets(message));
    this.type = options.type === undefined ? undefined : redactSecrets(options.type);
    this.issues = options.issues.map((issue) => ({ path: redactSecrets(issue.path), message: redactSecrets(issue.message) }));
    this.field = this.issues[0]?.path ?? '';
  }
}
