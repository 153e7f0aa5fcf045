/**
 * The outbox: the client's outbound policy as a statechart. Every command the app gives (a raw
 * event, a text, a cancel) comes in with an id and settles exactly once: `settled` is emitted with
 * `ok: true` (sent, answered, or the answer's outcome) or with a reason and a message.
 *
 * Three gates, each a region:
 * - `link`: the connection. Requests that may wait (`get_*`, `ping`) queue while a connection is
 *   under way and go out at `ready`; everything else is refused `not_ready`.
 * - `server`: whether the server is busy with an answer (fed by the conversation's events). A
 *   command that would pre-empt the answer (§1.5 rule 6) is held until the server is idle; a text
 *   is refused `interaction_in_progress`, or, with `interrupt`, waits in `text.waiting` after
 *   a `client_wants_cancel`.
 * - `text` and `answer`: one text at a time until it is on the wire; a requested answer that never
 *   starts ends after the `replyTimeout` delay (a clear `timeout`, and the client is free again).
 * - `replies`: a request that expects a reply (matched by the app-facing layer, which tells
 *   `command.answered`) is abandoned with `timeout` after `replyTimeout` (the server answers in
 *   order, §1.5 rule 1, so the oldest request is the one late).
 *
 * Cancels are matched with the server's `cancelled` in order: one sent while nothing ran must not
 * mark the next answer cancelled. The outbox talks to its parent (the root routes): frames go out as
 * `outbound`, and the conversation hears `text.requested`, `text.unanswered` and `cancel.confirmed`.
 */
import { and, assign, emit, enqueueActions, not, or, raise, setup, stateIn } from 'xstate';
import type { ClientErrorReason } from '../errors.js';
import type { InteractionOutput } from './interaction.machine.js';
import { missingListRequests, isCatalogList, preempts, REFUSALS, summarize, waitsForReady, type OutboundSummary, type Refusal } from './outbox.logic.js';
import type { ServerEvent } from '../schema/server/index.js';

/** How a settled text ended: the interaction's outcome, or `command` for a `!command` (no interaction). */
export type TextOutcome = InteractionOutput | { readonly outcome: 'command' };

/** What the outbox emits once per command. */
export type Settled =
  | { readonly type: 'settled'; readonly id: number; readonly ok: true; readonly value: TextOutcome | null }
  | { readonly type: 'settled'; readonly id: number; readonly ok: false; readonly reason: ClientErrorReason; readonly message: string };

/** What the outbox emits when a text goes on the wire (the app-facing layer echoes it then). */
export interface Sent {
  readonly type: 'sent';
  readonly id: number;
}

/** The state of the server as the conversation reports it. */
export type ServerActivity = 'unknown' | 'idle' | 'busy';

export type OutboxEvent =
  /** A raw event (encoded in `data`); `reply`: it settles when the app-facing layer says it was answered. */
  | { type: 'command.send'; id: number; event: OutboundSummary; data: string; reply: boolean }
  /** A user text (`text_input`), settled with the outcome of the answer it starts. */
  | { type: 'command.text'; id: number; event: OutboundSummary; data: string; interrupt: boolean }
  | { type: 'command.cancel'; id: number }
  /** The reply of request `id` came. */
  | { type: 'command.answered'; id: number }
  /** The server answered request `id` with an error. */
  | { type: 'command.failed'; id: number; reason: ClientErrorReason; message: string }
  | { type: 'link.connecting' }
  | { type: 'link.ready' }
  /** The socket was lost; a new attempt follows. */
  | { type: 'link.lost' }
  /** The connection ended (failed or closed on purpose). */
  | { type: 'link.ended'; reason: ClientErrorReason; message: string }
  | { type: 'server.activity'; activity: ServerActivity }
  | { type: 'interaction.started' }
  | { type: 'interaction.ended'; output: InteractionOutput; topLevel: boolean }
  | { type: 'server'; event: ServerEvent }
  | { type: 'dispose' }
  /** Internal: a text that starts an interaction went out (the server is busy from now on). */
  | { type: 'text.sent' }
  /** Internal: a gate opened (ready, idle); what waits at it may go. */
  | { type: 'gates.changed' }
  /** Internal: the waiting text may go, must interrupt first, or is refused. */
  | { type: 'text.go' }
  | { type: 'text.interrupt' }
  | { type: 'text.refuse' }
  /** Internal: a request's reply came (the next oldest gets its own deadline). */
  | { type: 'reply.settled' }
  /** Internal: the top-level interaction ended. */
  | { type: 'answer.over' }
  /** Internal: the waiting text was settled by dispose. */
  | { type: 'text.dropped' };

/** What the outbox tells its parent. */
export type OutboxNotice =
  | { type: 'outbound'; data: string }
  | { type: 'text.requested' }
  | { type: 'text.unanswered' }
  | { type: 'cancel.confirmed' }
  | { type: 'outbox.drained' };

export interface OutboxInput {
  /** How long a request waits for its reply, and a text for its answer to start (ms). */
  readonly replyTimeoutMs: number;
}

/** A command waiting at a gate (`id` null: the outbox's own request, e.g. a missing list). */
interface Waiting {
  readonly id: number | null;
  readonly event: OutboundSummary;
  readonly data: string;
  readonly reply: boolean;
}

interface PendingText {
  readonly id: number;
  readonly event: OutboundSummary;
  readonly data: string;
  readonly interrupt: boolean;
}

export interface OutboxContext {
  readonly replyTimeoutMs: number;
  /** Waiting for `ready`. */
  readonly queue: readonly Waiting[];
  /** Waiting for the server to be idle (they would pre-empt the answer). */
  readonly held: readonly Waiting[];
  /** The text that waits for the server to be idle (`cancelSent`: its interrupt's cancel is out), and texts that came meanwhile. */
  readonly waiting: (PendingText & { readonly cancelSent: boolean }) | null;
  readonly texts: readonly PendingText[];
  /**
   * The texts whose answers run, oldest first: each id, and the outcome once its interaction ended
   * (one at most, unless the server went idle without ending one: then the older one still settles,
   * at the latest at dispose).
   */
  readonly answering: readonly { readonly id: number; readonly output: InteractionOutput | null }[];
  /** Requests sent that wait for their reply, oldest first. */
  readonly awaiting: readonly number[];
  /**
   * For each `client_wants_cancel` sent, in order: the cancel command's id (null for an interrupt),
   * whether an answer ran, and which (the count of texts sent by then).
   */
  readonly cancels: readonly { readonly id: number | null; readonly running: boolean; readonly answer: number }[];
  /** How many texts that start an answer went out (numbers the answers a cancel aims at). */
  readonly answers: number;
  /** The catalogue lists the server sent at least once. */
  readonly listed: readonly string[];
  readonly sessionId: string | null;
  /** A text that starts an answer went out in this step, and the server region is not busy yet (its `text.sent` is queued). */
  readonly textSent: boolean;
}

const CANCEL = JSON.stringify({ type: 'client_wants_cancel' });
const LIST_SUMMARY = (type: string): OutboundSummary => ({ type: type as OutboundSummary['type'], interaction: false, sessionId: null });

const refused = (id: number, refusal: Refusal): Settled => ({ type: 'settled', id, ok: false, reason: refusal.reason, message: refusal.message });
const done = (id: number, value: TextOutcome | null = null): Settled => ({ type: 'settled', id, ok: true, value });

const inReady = stateIn({ link: 'ready' });
/**
 * Idle: the conversation says so, and no text that starts an answer went out since (the region moves
 * to busy on the raised `text.sent`, but texts raised in the same step are decided before that).
 */
const inIdle = and([stateIn({ server: 'idle' }), ({ context }: { context: OutboxContext }) => !context.textSent]);
const inBusy = or([stateIn({ server: 'busy' }), ({ context }: { context: OutboxContext }) => context.textSent]);

export const outboxMachine = setup({
  types: {
    input: {} as OutboxInput,
    context: {} as OutboxContext,
    events: {} as OutboxEvent,
    emitted: {} as Settled | Sent,
  },
  delays: {
    replyTimeout: ({ context }) => context.replyTimeoutMs,
  },
  guards: {
    isReady: inReady,
    isUnderWay: stateIn({ link: 'underWay' }),
    isIdle: inIdle,
    isBusy: inBusy,
    reportsIdle: ({ event }) => event.type === 'server.activity' && event.activity === 'idle',
    reportsBusy: ({ event }) => event.type === 'server.activity' && event.activity === 'busy',
    waitsForReady: ({ event }) => event.type === 'command.send' && waitsForReady(event.event),
    /** The event would pre-empt a running answer, and the server is not idle. */
    mustWait: ({ context, event }) => event.type === 'command.send' && preempts(event.event, context.sessionId),
    isRawText: ({ event }) => event.type === 'command.send' && event.event.type === 'text_input' && event.event.interaction,
    interrupts: ({ event }) => event.type === 'command.text' && event.interrupt,
    hasAwaiting: ({ context }) => context.awaiting.length > 0,
  },
  actions: {
    refuseNotReady: emit(({ event }) => refused((event as { id: number }).id, REFUSALS.notReady)),
    refuseBusy: emit(({ event }) => refused((event as { id: number }).id, event.type === 'command.send' ? REFUSALS.rawBusy : REFUSALS.busy)),
    enqueue: assign({
      queue: ({ context, event }) => (event.type === 'command.send' ? [...context.queue, { id: event.id, event: event.event, data: event.data, reply: event.reply }] : context.queue),
    }),
    hold: assign({
      held: ({ context, event }) => (event.type === 'command.send' ? [...context.held, { id: event.id, event: event.event, data: event.data, reply: event.reply }] : context.held),
    }),
    /** Sends a raw event now. */
    sendNow: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'command.send') return;
      if (self._parent) enqueue.sendTo(self._parent, { type: 'outbound', data: event.data } satisfies OutboxNotice);
      if (event.event.interaction) {
        if (self._parent) enqueue.sendTo(self._parent, { type: 'text.requested' } satisfies OutboxNotice);
        enqueue.assign({ textSent: true, answers: context.answers + 1 });
        enqueue.raise({ type: 'text.sent' });
      }
      if (event.reply) enqueue.assign({ awaiting: [...context.awaiting, event.id] });
      else enqueue.emit(done(event.id));
    }),
    /** Sends what waits at the gates that are open now: the queue once ready, the held once idle too. */
    flush: enqueueActions(({ context, enqueue, self, check }) => {
      if (!check(inReady)) return;
      const idle = check(inIdle);
      const held: Waiting[] = [];
      const awaiting = [...context.awaiting];
      for (const item of [...context.held, ...context.queue]) {
        if (!idle && preempts(item.event, context.sessionId)) {
          held.push(item);
          continue;
        }
        if (self._parent) enqueue.sendTo(self._parent, { type: 'outbound', data: item.data } satisfies OutboxNotice);
        if (item.id === null) continue;
        if (item.reply) awaiting.push(item.id);
        else enqueue.emit(done(item.id));
      }
      enqueue.assign({ queue: [], held, awaiting });
    }),
    /** A short reconnect (or a burst cut short) sends no lists: ask for those never received (§7.2). */
    requestMissingLists: assign({
      held: ({ context }) => [
        ...context.held,
        ...missingListRequests(context.listed)
          .filter((request) => !context.held.some((item) => item.event.type === request) && !context.queue.some((item) => item.event.type === request))
          .map((request) => ({ id: null, event: LIST_SUMMARY(request), data: JSON.stringify({ type: request }), reply: false })),
      ],
    }),
    /** Settles every command still waiting at a gate: the connection ended. */
    rejectWaitingAsEnded: enqueueActions(({ context, event, enqueue }) => {
      const refusal: Refusal = event.type === 'link.ended' ? { reason: event.reason, message: `${REFUSALS.endedBeforeSend.message}: ${event.message}` } : REFUSALS.endedBeforeSend;
      for (const item of [...context.queue, ...context.held]) if (item.id !== null) enqueue.emit(refused(item.id, refusal));
      enqueue.assign({ queue: [], held: [] });
    }),
    /** A request already sent is doomed when its socket goes (no replay). */
    rejectAwaiting: enqueueActions(({ context, enqueue }, params: { refusal: Refusal }) => {
      for (const id of context.awaiting) enqueue.emit(refused(id, params.refusal));
      for (const cancel of context.cancels) if (cancel.id !== null) enqueue.emit(refused(cancel.id, params.refusal));
      enqueue.assign({ awaiting: [], cancels: [] });
    }),
    settleAnswered: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'command.answered' && event.type !== 'command.failed') return;
      if (!context.awaiting.includes(event.id)) return;
      enqueue.emit(event.type === 'command.answered' ? done(event.id) : refused(event.id, { reason: event.reason, message: event.message }));
      enqueue.assign({ awaiting: context.awaiting.filter((id) => id !== event.id) });
      enqueue.raise({ type: 'reply.settled' });
    }),
    rejectOldestAwaiting: enqueueActions(({ context, enqueue }) => {
      const [oldest, ...rest] = context.awaiting;
      if (oldest === undefined) return;
      enqueue.emit(refused(oldest, REFUSALS.noReply));
      enqueue.assign({ awaiting: rest });
    }),
    sendCancel: enqueueActions(({ context, event, enqueue, self, check }) => {
      if (self._parent) enqueue.sendTo(self._parent, { type: 'outbound', data: CANCEL } satisfies OutboxNotice);
      enqueue.assign({ cancels: [...context.cancels, { id: event.type === 'command.cancel' ? event.id : null, running: !check(inIdle), answer: context.answers }] });
    }),
    /**
     * The server confirmed the oldest cancel: settle it, and tell the conversation when an answer ran
     * and it is still the one the cancel aimed at (a `cancelled` that comes after that answer ended
     * and the next text went out must not cancel the next answer).
     */
    matchCancelled: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'server' || event.event.type !== 'cancelled') return;
      const [oldest, ...rest] = context.cancels;
      if (!oldest) return;
      if (oldest.running && oldest.answer === context.answers && self._parent) enqueue.sendTo(self._parent, { type: 'cancel.confirmed' } satisfies OutboxNotice);
      if (oldest.id !== null) enqueue.emit(done(oldest.id));
      enqueue.assign({ cancels: rest });
    }),
    /**
     * Another tab deleted the session this tab is on (`delete_chat_session` for the current session,
     * §4.16, §7.13): the server keeps it current and would save it again. The tab moves to a new
     * session once the server is idle, then deletes the copy that move saved (`new_chat_session`
     * saves the session it leaves when it has messages, §4.13).
     */
    leaveDeletedSession: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'server' || event.event.type !== 'delete_chat_session') return;
      const deleted = event.event.session_id;
      if (!deleted || deleted !== context.sessionId) return;
      const move = { type: 'new_chat_session', agent_key: null } as const;
      const again = { type: 'delete_chat_session', session_id: deleted } as const;
      enqueue.assign({
        held: [
          ...context.held,
          { id: null, event: summarize(move), data: JSON.stringify(move), reply: false },
          { id: null, event: summarize(again), data: JSON.stringify(again), reply: false },
        ],
      });
      enqueue.raise({ type: 'gates.changed' });
    }),
    noteServerEvent: assign(({ context, event }) => {
      if (event.type !== 'server') return {};
      if (isCatalogList(event.event.type) && !context.listed.includes(event.event.type)) return { listed: [...context.listed, event.event.type] };
      if (event.event.type === 'chat_session_changed') return { sessionId: event.event.chat_session.session_id };
      return {};
    }),
    /** Sends a text (or a `!command`, settled at once): the event's, or the waiting one once the server is idle. */
    sendText: enqueueActions(({ context, event, enqueue, self }) => {
      const text = event.type === 'command.text' ? event : context.waiting;
      if (!text) return;
      if (self._parent) enqueue.sendTo(self._parent, { type: 'outbound', data: text.data } satisfies OutboxNotice);
      enqueue.emit({ type: 'sent', id: text.id });
      if (!text.event.interaction) {
        enqueue.emit(done(text.id, { outcome: 'command' }));
        return;
      }
      if (self._parent) enqueue.sendTo(self._parent, { type: 'text.requested' } satisfies OutboxNotice);
      enqueue.assign({ answering: [...context.answering, { id: text.id, output: null }], textSent: true, answers: context.answers + 1 });
      enqueue.raise({ type: 'text.sent' });
    }),
    startWaiting: assign({
      waiting: ({ event }) => (event.type === 'command.text' ? { id: event.id, event: event.event, data: event.data, interrupt: event.interrupt, cancelSent: false } : null),
    }),
    markCancelSent: assign({ waiting: ({ context }) => (context.waiting ? { ...context.waiting, cancelSent: true } : null) }),
    keepText: assign({
      texts: ({ context, event }) => (event.type === 'command.text' ? [...context.texts, { id: event.id, event: event.event, data: event.data, interrupt: event.interrupt }] : context.texts),
    }),
    refuseWaiting: enqueueActions(({ context, enqueue }, params: { refusal: Refusal }) => {
      if (context.waiting) enqueue.emit(refused(context.waiting.id, params.refusal));
      enqueue.assign({ waiting: null });
    }),
    /** The texts that came while one waited get their turn, in order, as new commands. */
    replayTexts: enqueueActions(({ context, enqueue }) => {
      for (const text of context.texts) enqueue.raise({ type: 'command.text', ...text });
      enqueue.assign({ texts: [], waiting: null });
    }),
    /** Decides for the waiting text once the gates moved: go (idle), interrupt (busy, asked to), or refuse (busy). */
    releaseWaitingText: enqueueActions(({ context, enqueue, check }) => {
      const waiting = context.waiting;
      if (!waiting || !check(inReady)) return;
      if (check(inIdle)) enqueue.raise({ type: 'text.go' });
      else if (check(inBusy) && !waiting.interrupt) enqueue.raise({ type: 'text.refuse' });
      else if (check(inBusy) && !waiting.cancelSent) enqueue.raise({ type: 'text.interrupt' });
    }),
    gatesChanged: raise({ type: 'gates.changed' }),
    /** The server region is busy now: it says the rest. */
    clearTextSent: assign({ textSent: false }),
    noteOutcome: assign({
      answering: ({ context, event }) => {
        if (event.type !== 'interaction.ended' || !event.topLevel) return context.answering;
        const index = context.answering.findIndex((entry) => entry.output === null);
        return index < 0 ? context.answering : context.answering.map((entry, i) => (i === index ? { ...entry, output: event.output } : entry));
      },
    }),
    /** The answer's outcome is known: resolve the text once the server gave the turn back (at once when the link ended it). */
    settleAnswer: enqueueActions(({ context, enqueue, check }) => {
      const idle = check(inIdle);
      const ready = (entry: OutboxContext['answering'][number]) => entry.output !== null && (idle || entry.output.outcome === 'interrupted');
      if (!context.answering.some(ready)) return;
      for (const entry of context.answering) if (ready(entry)) enqueue.emit(done(entry.id, entry.output));
      enqueue.assign({ answering: context.answering.filter((entry) => !ready(entry)) });
    }),
    /** No answer started in time: the text is settled `timeout` and the conversation lets the request go. */
    abandonAnswer: enqueueActions(({ context, enqueue, self }) => {
      if (self._parent) enqueue.sendTo(self._parent, { type: 'text.unanswered' } satisfies OutboxNotice);
      const unanswered = context.answering.at(-1);
      if (unanswered && unanswered.output === null) {
        enqueue.emit(refused(unanswered.id, REFUSALS.noTextReply));
        enqueue.assign({ answering: context.answering.slice(0, -1) });
      }
    }),
    disposeAll: enqueueActions(({ context, enqueue, self }) => {
      const ids = [
        ...[...context.queue, ...context.held].map((item) => item.id),
        context.waiting?.id ?? null,
        ...context.texts.map((text) => text.id),
        ...context.answering.map((entry) => entry.id),
        ...context.awaiting,
        ...context.cancels.map((cancel) => cancel.id),
      ];
      for (const id of ids) if (id !== null) enqueue.emit(refused(id, REFUSALS.disposed));
      enqueue.assign({ queue: [], held: [], waiting: null, texts: [], answering: [], awaiting: [], cancels: [] });
      if (self._parent) enqueue.sendTo(self._parent, { type: 'outbox.drained' } satisfies OutboxNotice);
    }),
  },
}).createMachine({
  id: 'outbox',
  context: ({ input }) => ({
    replyTimeoutMs: input.replyTimeoutMs,
    queue: [],
    held: [],
    waiting: null,
    texts: [],
    answering: [],
    awaiting: [],
    cancels: [],
    listed: [],
    sessionId: null,
    textSent: false,
    answers: 0,
  }),
  type: 'parallel',
  on: {
    'command.send': [
      { guard: and(['isReady', 'mustWait', not('isIdle'), 'isRawText']), actions: 'refuseBusy' },
      { guard: and(['isReady', 'mustWait', not('isIdle')]), actions: 'hold' },
      { guard: 'isReady', actions: 'sendNow' },
      { guard: and(['isUnderWay', 'waitsForReady']), actions: 'enqueue' },
      { actions: 'refuseNotReady' },
    ],
    'command.cancel': [{ guard: 'isReady', actions: 'sendCancel' }, { actions: 'refuseNotReady' }],
    'command.answered': { actions: 'settleAnswered' },
    'command.failed': { actions: 'settleAnswered' },
    server: { actions: ['leaveDeletedSession', 'noteServerEvent', 'matchCancelled'] },
    'interaction.ended': { actions: ['noteOutcome', 'settleAnswer', raise({ type: 'answer.over' })] },
    /** Raised whenever a gate opened: whatever waits at it may go now. */
    'gates.changed': { actions: ['settleAnswer', 'flush', 'releaseWaitingText'] },
    dispose: { actions: ['disposeAll', raise({ type: 'text.dropped' })] },
  },
  states: {
    link: {
      description: 'The connection, as far as sending goes.',
      initial: 'offline',
      states: {
        offline: {
          description: 'Not connected (idle, failed or closed): commands are refused `not_ready`.',
          on: { 'link.connecting': 'underWay', 'link.ready': 'ready' },
        },
        underWay: {
          description: 'Connecting, initializing or reconnecting: `get_*` and `ping` wait in the queue.',
          on: {
            'link.ready': 'ready',
            'link.ended': { target: 'offline', actions: 'rejectWaitingAsEnded' },
          },
        },
        ready: {
          entry: ['requestMissingLists', 'gatesChanged'],
          on: {
            'link.lost': { target: 'underWay', actions: { type: 'rejectAwaiting', params: { refusal: REFUSALS.lostBeforeReply } } },
            'link.connecting': 'underWay',
            'link.ended': { target: 'offline', actions: [{ type: 'rejectAwaiting', params: { refusal: REFUSALS.endedBeforeReply } }, 'rejectWaitingAsEnded'] },
          },
        },
      },
    },
    server: {
      description: 'Whether the server is busy with an answer (from the conversation; a text sent makes it busy at once).',
      initial: 'unknown',
      on: {
        'server.activity': [
          { guard: 'reportsIdle', target: '.idle' },
          { guard: 'reportsBusy', target: '.busy' },
          { target: '.unknown' },
        ],
        'text.sent': { target: '.busy', actions: 'clearTextSent' },
      },
      states: {
        unknown: { description: 'Not connected, or the server has not said whose turn it is: pre-empting commands wait.' },
        idle: { entry: 'gatesChanged' },
        busy: { description: 'An answer runs (or the server still finishes its task): pre-empting commands are held.', entry: 'gatesChanged' },
      },
    },
    text: {
      description: 'One text at a time, until it is on the wire.',
      initial: 'free',
      states: {
        free: {
          on: {
            'command.text': [
              { guard: not('isReady'), actions: 'refuseNotReady' },
              { guard: 'isIdle', actions: 'sendText' },
              { guard: and(['isBusy', not('interrupts')]), actions: 'refuseBusy' },
              { guard: 'isBusy', target: 'waiting', actions: ['startWaiting', 'sendCancel', 'markCancelSent'] },
              { target: 'waiting', actions: 'startWaiting' },
            ],
          },
        },
        waiting: {
          description: 'The text waits for the server to be idle: its cancel is out (interrupt), or the turn is not known yet.',
          on: {
            'command.text': { actions: 'keepText' },
            'text.go': { target: 'free', actions: ['sendText', 'replayTexts'] },
            'text.interrupt': { actions: ['sendCancel', 'markCancelSent'] },
            'text.refuse': { target: 'free', actions: [{ type: 'refuseWaiting', params: { refusal: REFUSALS.busy } }, 'replayTexts'] },
            'link.lost': { target: 'free', actions: [{ type: 'refuseWaiting', params: { refusal: REFUSALS.lostWhileInterrupting } }, 'replayTexts'] },
            'link.ended': { target: 'free', actions: [{ type: 'refuseWaiting', params: { refusal: REFUSALS.lostWhileInterrupting } }, 'replayTexts'] },
            'text.dropped': 'free',
          },
        },
      },
    },
    answer: {
      description: 'A requested answer must start within replyTimeout.',
      initial: 'none',
      states: {
        none: { on: { 'text.sent': 'awaitingStart' } },
        awaitingStart: {
          after: { replyTimeout: { target: 'none', actions: 'abandonAnswer' } },
          on: { 'interaction.started': 'none', 'answer.over': 'none', 'link.lost': 'none', 'link.ended': 'none' },
        },
      },
    },
    replies: {
      description: 'Requests sent wait for their reply; the oldest is abandoned after replyTimeout.',
      initial: 'idle',
      states: {
        idle: { always: { guard: 'hasAwaiting', target: 'waiting' } },
        waiting: {
          always: { guard: not('hasAwaiting'), target: 'idle' },
          after: { replyTimeout: { target: 'waiting', reenter: true, actions: 'rejectOldestAwaiting' } },
          // the next oldest gets a full replyTimeout from the answer before it
          on: { 'reply.settled': { target: 'waiting', reenter: true } },
        },
      },
    },
  },
});
