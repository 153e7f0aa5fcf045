/**
 * Tool calls: one `tool_call` message per call id, whichever vendor, upserted as selections, runs
 * and results arrive.
 */
import { getMessageFormat } from '../messages/vendors.js';
import { isRecord, type JsonRecord } from '../json.js';
import type { Context } from './context.js';
import { parseInput, stringOr, stringOrNull } from './read.js';
import type { TranscriptStore } from './store.js';
import type { ToolCallMessage, ToolStatus } from './types.js';

const STATUS_RANK: Readonly<Record<ToolStatus, number>> = { cancelled: -1, selected: 0, running: 1, done: 2 };

/** True when the input says nothing yet (a `tool_select_delta` sends `{}` before the arguments stream). */
function isEmptyInput(input: unknown): boolean {
  if (input === null || input === undefined || input === '') return true;
  return isRecord(input) && Object.keys(input).length === 0;
}

/** The arguments of a call in either vendor's shape (Claude `input`, OpenAI flat `arguments` or `function.arguments`). */
function callInput(call: JsonRecord): unknown {
  if (call.input !== undefined && call.input !== null) return parseInput(call.input);
  if (call.arguments !== undefined && call.arguments !== null) return parseInput(call.arguments);
  if (isRecord(call.function)) return parseInput(call.function.arguments);
  return {};
}

function callName(call: JsonRecord): string {
  if (typeof call.name === 'string') return call.name;
  return isRecord(call.function) ? stringOr(call.function.name, '') : '';
}

function normalizeVendor(vendor: unknown): string {
  if (typeof vendor !== 'string') return 'anthropic';
  const format = getMessageFormat(vendor);
  return format === 'unknown' ? vendor : format;
}

/**
 * Upserts one `tool_call` message per call id. `think` calls are skipped: their thought streams as
 * thought deltas. A status never goes back (selected → running → done), except that a call
 * cancelled by `interrupt` comes back when the server reports it again.
 */
export function upsertCalls(
  t: TranscriptStore,
  ctx: Context,
  calls: readonly unknown[],
  status: ToolStatus,
  vendor: unknown,
  results: readonly unknown[] | null,
): void {
  const resultById = new Map<string, unknown>();
  if (results !== null && Array.isArray(results)) {
    for (const result of results) {
      if (!isRecord(result)) continue;
      const id = stringOrNull(result.tool_use_id) ?? stringOrNull(result.tool_call_id);
      if (id !== null) resultById.set(id, result.content ?? null);
    }
  }
  const seen = new Set<string>();
  for (const raw of Array.isArray(calls) ? calls : []) {
    if (!isRecord(raw)) continue;
    const id = stringOrNull(raw.id);
    const name = callName(raw);
    if (id === null || name === 'think' || seen.has(id)) continue;
    seen.add(id);
    const hasResult = resultById.has(id);
    upsertCall(t, ctx, id, name, callInput(raw), status, normalizeVendor(vendor), hasResult ? resultById.get(id) : undefined);
  }
  // Results whose call this event did not list (e.g. listed by an earlier event).
  for (const [id, result] of resultById) {
    if (seen.has(id)) continue;
    const index = ctx.calls.get(id);
    const call = index === undefined ? undefined : ctx.items[index];
    if (index !== undefined && call?.kind === 'tool_call') t.replace(ctx, index, { ...call, status: 'done', result });
  }
}

function upsertCall(t: TranscriptStore, ctx: Context, id: string, name: string, input: unknown, status: ToolStatus, vendor: string, result: unknown): void {
  const index = ctx.calls.get(id);
  const existing = index === undefined ? undefined : ctx.items[index];
  if (index !== undefined && existing?.kind === 'tool_call') {
    const nextStatus = STATUS_RANK[status] >= STATUS_RANK[existing.status] ? status : existing.status;
    const next: ToolCallMessage = {
      ...existing,
      name: name || existing.name,
      input: isEmptyInput(input) ? existing.input : input,
      status: nextStatus,
      result: result === undefined ? existing.result : result,
      vendor: status === 'selected' ? existing.vendor : vendor,
    };
    if (next.name !== existing.name || next.input !== existing.input || next.status !== existing.status || next.result !== existing.result || next.vendor !== existing.vendor) {
      t.replace(ctx, index, next);
    }
    return;
  }
  // A new call ends the message being built; text Claude flushes after the selection still
  // belongs to that message (reopenId).
  const stream = ctx.stream;
  t.commit(ctx);
  if (stream !== null && stream.kind === 'assistant') ctx.reopenId = stream.id;
  t.push(ctx, {
    ...t.base(ctx),
    kind: 'tool_call',
    toolCallId: id,
    name,
    input,
    status,
    result: result === undefined ? null : result,
    vendor,
    subSessions: Object.freeze([]),
  });
}
