/**
 * The stop reason of a `completion` (docs/protocol.md §5.2) in one vocabulary, whichever vendor (or the
 * framework itself) produced it. The transcript puts it on answer messages; the conversation and
 * interaction machines read it for an interaction's outcome.
 */

/** A vendor stop reason in one vocabulary (docs/protocol.md §5.2 `completion`). */
export type NormalizedStopReason =
  | 'stop'
  | 'tool_calls'
  | 'length'
  | 'cancelled'
  | 'content_filter'
  | 'refusal'
  | 'pause'
  | 'error'
  | 'other';

const STOP_REASONS: Readonly<Record<string, NormalizedStopReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  stop: 'stop',
  tool_use: 'tool_calls',
  tool_calls: 'tool_calls',
  max_tokens: 'length',
  length: 'length',
  client_cancel: 'cancelled',
  content_filter: 'content_filter',
  refusal: 'refusal',
  pause_turn: 'pause',
  exception: 'error',
  overload: 'error',
};

/**
 * The raw `stop_reason` of a `completion` (Claude's, OpenAI's or the framework's) in one vocabulary;
 * an unknown value is `'other'`, no value `null`.
 *
 * @example
 * normalizeStopReason('end_turn'); // 'stop'
 * normalizeStopReason('client_cancel'); // 'cancelled'
 */
export function normalizeStopReason(raw: string | null | undefined): NormalizedStopReason | null {
  if (raw === null || raw === undefined) return null;
  return Object.hasOwn(STOP_REASONS, raw) ? STOP_REASONS[raw]! : 'other';
}
