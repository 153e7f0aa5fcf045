/**
 * Pure rules of the outbox: which outbound events wait for `ready`, which would pre-empt a running
 * answer on the server, which start an interaction, and which catalogue lists to ask for again.
 * No xstate, no timers, no I/O.
 */
import { nonPreemptingClientEventTypes, type ClientEvent } from '../schema/client.js';
import type { ClientErrorReason } from '../errors.js';
import { isChatCommand } from '../schema/text.js';

/**
 * Requests that are safe to send late: they wait for `ready` instead of failing (README, outbound
 * policy). Everything else is refused with `not_ready` until the connection is ready.
 */
const WAITS_FOR_READY: ReadonlySet<string> = new Set(['get_agents', 'get_avatars', 'get_voices', 'get_tool_catalog', 'get_user_sessions', 'ping']);

/** The least the outbox keeps of an outbound event: its type, and what its class depends on. */
export interface OutboundSummary {
  readonly type: ClientEvent['type'];
  /** `text_input`: the text starts an interaction (not a `!command`, which is answered inline). */
  readonly interaction: boolean;
  /** `resume_chat_session`: the session it resumes. */
  readonly sessionId: string | null;
}

/** The summary of an outbound event (what the outbox's guards read; the text itself stays out of context). */
export function summarize(event: ClientEvent): OutboundSummary {
  return {
    type: event.type,
    interaction: event.type === 'text_input' && !isChatCommand(event.text),
    sessionId: event.type === 'resume_chat_session' ? event.session_id : null,
  };
}

/** Whether the event may wait for `ready` while a connection is under way. */
export const waitsForReady = (event: OutboundSummary): boolean => WAITS_FOR_READY.has(event.type);

/**
 * Whether the server would treat the event as pre-emption while an answer runs (§1.5 rule 6): every
 * type but `ping`, `pong` and `client_wants_cancel`, except a `resume_chat_session` of the current
 * session, which the server short-circuits before the rule.
 */
export const preempts = (event: OutboundSummary, currentSessionId: string | null): boolean =>
  !nonPreemptingClientEventTypes.has(event.type) && !(event.type === 'resume_chat_session' && event.sessionId !== null && event.sessionId === currentSessionId);

/** The catalogue's lists: the event that carries each, and the request that asks for it. */
export const CATALOG_LISTS = {
  agent_list: 'get_agents',
  avatar_list: 'get_avatars',
  voice_list: 'get_voices',
  tool_catalog: 'get_tool_catalog',
} as const;

export type CatalogListType = keyof typeof CATALOG_LISTS;

export const isCatalogList = (type: string): type is CatalogListType => Object.prototype.hasOwnProperty.call(CATALOG_LISTS, type);

/**
 * The list requests to send once ready: those whose list never came. A short reconnect (§7.2) sends
 * no lists, so a client that started on one (a stored `ui_session_id`) must ask.
 */
export function missingListRequests(listed: readonly string[]): (typeof CATALOG_LISTS)[CatalogListType][] {
  return (Object.keys(CATALOG_LISTS) as CatalogListType[]).filter((type) => !listed.includes(type)).map((type) => CATALOG_LISTS[type]);
}

/** How long a request waits for the server's answer: three connection timeouts, at least 10 s. */
export const replyTimeoutFor = (connectionTimeout: number): number => Math.max(10_000, connectionTimeout * 3);

/**
 * Why the outbox refused or abandoned a command, with the words a person reads (the reason is a
 * `ClientError` reason).
 */
export const REFUSALS = {
  notReady: { reason: 'not_ready', message: 'The connection is not ready; wait for client.ready()' },
  busy: { reason: 'interaction_in_progress', message: 'An answer is streaming; pass { interrupt: true } to cancel it first, or wait for it to end' },
  rawBusy: { reason: 'interaction_in_progress', message: 'An answer is streaming; use sendText(text, { interrupt: true }) or wait for it to end' },
  lostWhileInterrupting: { reason: 'not_ready', message: 'The connection was lost while waiting for the turn; the text was not sent' },
  lostBeforeReply: { reason: 'network', message: 'The connection was lost before the server answered' },
  endedBeforeReply: { reason: 'closed', message: 'The connection ended before the server answered' },
  endedBeforeSend: { reason: 'closed', message: 'The connection ended before the command could be sent' },
  noReply: { reason: 'timeout', message: 'No reply from the server in time (replyTimeout)' },
  noTextReply: { reason: 'timeout', message: 'sendText: the server did not start an answer in time (the text may have been lost); the client is free for the next text' },
  disposed: { reason: 'closed', message: 'The client was disposed' },
} as const satisfies Record<string, { reason: ClientErrorReason; message: string }>;

export type Refusal = (typeof REFUSALS)[keyof typeof REFUSALS] | { readonly reason: ClientErrorReason; readonly message: string };
