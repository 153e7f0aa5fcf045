/**
 * The conversation under random interleavings of user commands, server behaviour and connection
 * drops: the real client (`createClient`, partysocket over `ws`) against the real simulator, which
 * records every frame both ways (`sim.control.frames`).
 *
 * (a) No command the server would treat as pre-emption (PROTOCOL.md §1.5 rule 6: every client event
 *     but `ping`, `pong`, `client_wants_cancel`, and `resume_chat_session` of the current session) is
 *     sent while an interaction runs. "Runs" is read off the server's recording: from a
 *     `user_turn_end` sent on a socket to the next `user_turn_start` on that socket, or the socket's
 *     drop. `sendText(…, { interrupt: true })` sends `client_wants_cancel` and waits for the run to
 *     end before its `text_input`, so NO pre-empting frame may ever be recorded inside a window.
 * (b) Every interaction that starts ends exactly once: each `sendText` promise settles, and every
 *     `interaction {started:true}` the client received for the top-level session is matched by
 *     exactly one `interaction.ended` of the conversation actor (matched by interaction id). A
 *     `sendText` that reports a finished interaction (`done` or `cancelled`) reports its own: the
 *     server received its text and started the interaction it names, and no two calls report the
 *     same one. (`send`/`cancel` promises, held ones included, must settle too.)
 * (c) At most one interaction per session id in flight: the conversation's `context.live` never
 *     holds a session twice, and no session id ever has two active interaction children. Checked on
 *     every snapshot of the conversation actor.
 *
 * Commands: sendText (with or without interrupt; `firehose` answers as many tokens as the first
 * number in the text, so with `deltaMs: 2` an answer lasts a few hundred ms), cancel, `send` of
 * pre-empting events (held by the client while an answer streams), `send` of a ping, a socket drop,
 * and a pause. Each command waits a short, bounded time for its promise, so later commands overlap
 * earlier ones. Expected rejections (`interaction_in_progress`, `not_ready`, `closed`) are recorded,
 * not failures. After the commands the run is brought to rest (answers finished, promises settled)
 * and the checks run; a failure prints the recording around the violation, with the client calls
 * (`>>`) merged in at the point the server's recording had reached when they were made.
 *
 * Found against 06ce301 (both kept below as replays of the shrunk counterexamples, so they fail
 * until fixed; the random property finds them in about half of its 30-run budgets):
 *
 * 1. ["firehose", sendText(20) wait 0, sendText(20, interrupt) wait 0, sendText(20, interrupt) wait 16, wait 10]
 *    Two `sendText(…, { interrupt: true })` calls (#2, #3) made while an answer streams both send
 *    `client_wants_cancel`, both wait for the same end and turn, then both send their
 *    `text_input`: #3's arrives after #2's `user_turn_end` and hard-cancels #2's interaction on the
 *    server (a). #2 and #3 both resolve with #3's interaction (b); #2's answer is silently lost.
 *    `sendText` does not look at `interactionRunning()` again after `await cancelAndWait()`.
 * 2. ["firehose", sendText(20) wait 1, sendText(20, interrupt) wait 0, drop socket, wait 0, wait 80]
 *    The socket drops while `sendText(…, { interrupt: true })` waits: the drop ends the running
 *    interaction (`interrupted`) and leaves the turn `unknown`, so `cancelAndWait()` returns and
 *    `sendText` goes on while the connection is `reconnecting` (it checked `ready` only before
 *    waiting): the `outbound` `text_input` is dropped by the connection machine (no handler outside
 *    `attempt`), but `text.requested` has spawned a requested interaction, which whatever the
 *    server sends next for the old answer then finishes (its `completion` and `interaction
 *    {started:false}` if it still streams on the new socket, else the reconnect's
 *    `user_turn_start`). `sendText` resolves `done` (interaction null, sometimes with the old
 *    answer's tokens) for a text the server never received (b).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActorRefFrom, SnapshotFrom } from 'xstate';
import { WebSocket } from 'ws';
import { createClient, type RealtimeClient } from '../../../src/client.js';
import { ClientError } from '../../../src/errors.js';
import type { conversationMachine } from '../../../src/machines/conversation.machine.js';
import type { InteractionOutput } from '../../../src/machines/interaction.machine.js';
import type { ClientEvent } from '../../../src/schema/client.js';
import { createSimulator } from '../../../src/sim/index.js';
import type { RecordedFrame, Simulator } from '../../../src/sim/types.js';

// ------------------------------------------------------------------------------------ settings

/** `CONVERSATION_RUNS=300` (and a larger `CONVERSATION_TIME_LIMIT_MS`) for a longer hunt. */
const NUM_RUNS = Number(process.env.CONVERSATION_RUNS ?? 30);
const MAX_COMMANDS = 12;
/** The whole property (runs and shrinking) stops after this; a failure found by then is reported. */
const TIME_LIMIT_MS = Number(process.env.CONVERSATION_TIME_LIMIT_MS ?? 35_000);
/** How long a run may take to come to rest after its commands. */
const SETTLE_MS = 5_000;
const DELTA_MS = 2;

/** PROTOCOL.md §1.5 rule 6, written out here (not imported) so the oracle does not share the client's list. */
const NEVER_PREEMPTS: ReadonlySet<string> = new Set(['ping', 'pong', 'client_wants_cancel']);
/**
 * Documented rejections a run may produce. `network`: a command waiting for its answer (a `cancel`
 * waiting for `cancelled`) when the socket drops is rejected with the connection's reason.
 */
const EXPECTED_REJECTIONS: ReadonlySet<string> = new Set(['interaction_in_progress', 'not_ready', 'closed', 'network']);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------ the world

type Conversation = ActorRefFrom<typeof conversationMachine>;

/** A promise a command started: whether (and how) it settled. */
interface Tracked {
  readonly label: string;
  /** How many frames the server had recorded when the call was made. */
  readonly calledAt: number;
  /** For sendText: the text sent (unique within a run). */
  readonly text?: string;
  settled: boolean;
  result: string | null;
  /** For sendText: what it resolved with. */
  value?: unknown;
}

/** A client call, placed in the recording at the frame count reached when it happened. */
interface Mark {
  readonly frame: number;
  readonly at: number;
  readonly text: string;
}

interface World {
  readonly sim: Simulator;
  readonly client: RealtimeClient;
  readonly conversation: Conversation;
  readonly t0: number;
  readonly marks: Mark[];
  readonly texts: Tracked[];
  /** `send` and `cancel` promises (a held command settles when it is finally sent). */
  readonly others: Tracked[];
  /** Every `interaction.ended` the conversation actor emitted. */
  readonly ended: { output: InteractionOutput; frame: number }[];
  /** Every `interaction {started:true}` of the top-level session the client received. */
  readonly started: { id: string; sessionId: string; frame: number }[];
  /** (c) breaches seen on conversation snapshots (there, throwing would only reach xstate). */
  readonly liveViolations: string[];
  readonly rejections: Map<string, number>;
  /** Unexpected errors of commands (anything but an expected rejection). */
  readonly unexpected: string[];
  counter: number;
}

function mark(w: World, text: string): void {
  w.marks.push({ frame: w.sim.control.frames.length, at: Date.now() - w.t0, text });
}

function describeError(error: unknown): string {
  return error instanceof ClientError ? error.reason : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Tracks a promise; an expected rejection is counted, anything else is recorded as unexpected. */
function track<T>(w: World, list: Tracked[], label: string, promise: Promise<T>, show: (value: T) => string, text?: string): Promise<unknown> {
  const calledAt = w.sim.control.frames.length;
  const entry: Tracked = text === undefined ? { label, calledAt, settled: false, result: null } : { label, calledAt, text, settled: false, result: null };
  list.push(entry);
  return promise.then(
    (value) => {
      entry.settled = true;
      entry.value = value;
      entry.result = show(value);
      mark(w, `${label} → ${entry.result}`);
    },
    (error: unknown) => {
      entry.settled = true;
      const reason = describeError(error);
      entry.result = `rejected ${reason}`;
      mark(w, `${label} → ${entry.result}`);
      const kind = `${label.replace(/#\d+\(.*$/, '')}: ${reason}`;
      if (error instanceof ClientError && EXPECTED_REJECTIONS.has(error.reason)) w.rejections.set(kind, (w.rejections.get(kind) ?? 0) + 1);
      else w.unexpected.push(`${label} rejected with ${reason}`);
    },
  );
}

/** Lets a command's promise run for at most `ms`. */
async function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([promise, sleep(ms)]);
}

/** (c) on one conversation snapshot. */
function checkLive(w: World, snapshot: SnapshotFrom<typeof conversationMachine>): void {
  const { live } = snapshot.context;
  const duplicates = live.filter((id, i) => live.indexOf(id) !== i);
  if (duplicates.length > 0) w.liveViolations.push(`context.live holds ${JSON.stringify(duplicates)} twice: ${JSON.stringify(live)} (at frame ${w.sim.control.frames.length})`);
  const activePerSession = new Map<string, string[]>();
  for (const [key, child] of Object.entries(snapshot.children)) {
    if (!key.startsWith('interaction:') || !child) continue;
    const childSnapshot = child.getSnapshot() as { status: string; context?: { sessionId?: string } };
    if (childSnapshot.status !== 'active') continue;
    const sessionId = childSnapshot.context?.sessionId ?? key.slice('interaction:'.length);
    activePerSession.set(sessionId, [...(activePerSession.get(sessionId) ?? []), key]);
  }
  for (const [sessionId, keys] of activePerSession) {
    if (keys.length > 1) w.liveViolations.push(`session ${sessionId} has ${keys.length} active interaction children (${keys.join(', ')}) at frame ${w.sim.control.frames.length}`);
  }
}

// ------------------------------------------------------------------------------------ commands

type Model = Record<string, never>;

abstract class Step implements fc.AsyncCommand<Model, World> {
  check(): boolean {
    return true;
  }
  abstract run(m: Model, w: World): Promise<void>;
  abstract toString(): string;
}

class SendText extends Step {
  constructor(
    readonly tokens: number,
    readonly interrupt: boolean,
    readonly waitMs: number,
  ) {
    super();
  }
  async run(_: Model, w: World) {
    const n = ++w.counter;
    // firehose answers as many tokens as the first number; the other agents answer a few short deltas
    const text = `say ${this.tokens} words (question ${n})`;
    const label = `sendText#${n}(${this.tokens}${this.interrupt ? ', interrupt' : ''})`;
    mark(w, `${label} called: ${JSON.stringify(text)}`);
    const promise = w.client.sendText(text, { interrupt: this.interrupt });
    const show = (r: unknown) => {
      const output = r as Partial<InteractionOutput>;
      return output.interactionId === undefined ? JSON.stringify(r) : `${String(output.outcome)} (interaction ${String(output.interactionId)})`;
    };
    await bounded(track(w, w.texts, label, promise, show, text), this.waitMs);
  }
  toString() {
    return `sendText(${this.tokens}${this.interrupt ? ', interrupt' : ''}) wait ${this.waitMs}`;
  }
}

class Cancel extends Step {
  constructor(readonly waitMs: number) {
    super();
  }
  async run(_: Model, w: World) {
    const label = `cancel#${++w.counter}()`;
    mark(w, `${label} called`);
    await bounded(track(w, w.others, label, w.client.cancel(), () => 'resolved'), this.waitMs);
  }
  toString() {
    return `cancel wait ${this.waitMs}`;
  }
}

class Send extends Step {
  constructor(
    readonly event: ClientEvent,
    readonly waitMs: number,
  ) {
    super();
  }
  async run(_: Model, w: World) {
    const label = `send#${++w.counter}(${JSON.stringify(this.event)})`;
    mark(w, `${label} called`);
    await bounded(track(w, w.others, label, w.client.send(this.event), () => 'resolved'), this.waitMs);
  }
  toString() {
    return `send(${JSON.stringify(this.event)}) wait ${this.waitMs}`;
  }
}

class Drop extends Step {
  constructor(readonly waitMs: number) {
    super();
  }
  async run(_: Model, w: World) {
    mark(w, `dropSocket()`);
    const dropped = w.sim.control.dropSocket();
    mark(w, `dropSocket() cut ${dropped} socket(s)`);
    await sleep(this.waitMs);
  }
  toString() {
    return `drop socket, wait ${this.waitMs}`;
  }
}

class Wait extends Step {
  constructor(readonly ms: number) {
    super();
  }
  async run() {
    await sleep(this.ms);
  }
  toString() {
    return `wait ${this.ms}`;
  }
}

/** How long a command waits for its promise: often not at all, so that the next command overlaps it. */
const waitMs = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 15 }) },
  { weight: 3, arbitrary: fc.integer({ min: 16, max: 150 }) },
);
const preempting: fc.Arbitrary<ClientEvent> = fc.oneof(
  fc.constant<ClientEvent>({ type: 'get_voices' }),
  fc.constant<ClientEvent>({ type: 'get_agents' }),
  fc.constantFrom('thinker', 'default', 'firehose').map((agent_key): ClientEvent => ({ type: 'set_agent', agent_key })),
  fc.constant<ClientEvent>({ type: 'get_user_sessions' }),
  fc.integer({ min: 0, max: 99 }).map((n): ClientEvent => ({ type: 'set_session_metadata', meta: { n } })),
);

const commandArbs: fc.Arbitrary<fc.AsyncCommand<Model, World>>[] = [
  fc.tuple(fc.integer({ min: 20, max: 180 }), fc.boolean(), waitMs).map(([tokens, interrupt, ms]) => new SendText(tokens, interrupt, ms)),
  fc.tuple(fc.integer({ min: 20, max: 180 }), waitMs).map(([tokens, ms]) => new SendText(tokens, true, ms)),
  fc.tuple(fc.integer({ min: 20, max: 180 }), waitMs).map(([tokens, ms]) => new SendText(tokens, false, ms)),
  waitMs.map((ms) => new Cancel(ms)),
  fc.tuple(preempting, waitMs).map(([event, ms]) => new Send(event, ms)),
  fc.tuple(preempting, waitMs).map(([event, ms]) => new Send(event, ms)),
  waitMs.map((ms) => new Send({ type: 'ping' }, ms)),
  fc.integer({ min: 0, max: 120 }).map((ms) => new Drop(ms)),
  fc.integer({ min: 10, max: 300 }).map((ms) => new Wait(ms)),
];

// ------------------------------------------------------------------------------------ the oracle

const typeOf = (frame: RecordedFrame): string => {
  if (frame.kind !== 'text' || frame.text === undefined) return '<binary>';
  try {
    return String((JSON.parse(frame.text) as { type?: unknown }).type);
  } catch {
    return '<not json>';
  }
};

/** A pre-empting client frame: every parsed event but ping/pong/client_wants_cancel and a resume of the current session. */
function preemptingFrame(frame: RecordedFrame, currentSession: string | null): boolean {
  if (frame.direction !== 'in' || frame.kind !== 'text' || frame.text === undefined) return false;
  let event: { type?: unknown; session_id?: unknown };
  try {
    event = JSON.parse(frame.text) as typeof event;
  } catch {
    return false; // invalid JSON never pre-empts (rule 2)
  }
  if (typeof event.type !== 'string' || NEVER_PREEMPTS.has(event.type)) return false;
  if (event.type === 'resume_chat_session' && event.session_id === currentSession) return false;
  return true;
}

interface WindowBreach {
  readonly index: number;
  /** Index of the `user_turn_end` that opened the window. */
  readonly openedAt: number;
}

/**
 * (a) on the recording. A window opens at an out `user_turn_end` on a socket and closes at the
 * next out `user_turn_start` on that socket; a drop closes it (no frame arrives on a dropped socket
 * any more, so a window is only ever checked against frames of its own socket).
 */
function windowBreaches(frames: readonly RecordedFrame[]): { breaches: WindowBreach[]; windows: number } {
  const open = new Map<number, number>();
  const breaches: WindowBreach[] = [];
  let windows = 0;
  let currentSession: string | null = null;
  frames.forEach((frame, index) => {
    if (frame.kind !== 'text' || frame.text === undefined) return;
    if (frame.direction === 'out') {
      const type = typeOf(frame);
      if (type === 'user_turn_end') {
        if (!open.has(frame.connection)) windows++;
        open.set(frame.connection, open.get(frame.connection) ?? index);
      } else if (type === 'user_turn_start') open.delete(frame.connection);
      else if (type === 'chat_session_changed') currentSession = (JSON.parse(frame.text) as { chat_session: { session_id: string } }).chat_session.session_id;
      return;
    }
    const openedAt = open.get(frame.connection);
    if (openedAt !== undefined && preemptingFrame(frame, currentSession)) breaches.push({ index, openedAt });
  });
  return { breaches, windows };
}

/** One recorded frame in a line. */
function showFrame(frame: RecordedFrame, index: number): string {
  const head = `#${index} +${frame.at}ms c${frame.connection} ${frame.direction === 'in' ? 'C→S' : 'S→C'}`;
  if (frame.kind !== 'text' || frame.text === undefined) return `${head} <binary>`;
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(frame.text) as Record<string, unknown>;
  } catch {
    return `${head} ${frame.text.slice(0, 60)}`;
  }
  const type = String(event.type);
  const detail =
    type === 'interaction'
      ? ` started=${String(event.started)} id=${String(event.id)}`
      : type === 'completion'
        ? ` running=${String(event.running)} stop=${String(event.stop_reason)}`
        : type === 'text_input'
          ? ` ${JSON.stringify(event.text)}`
          : type === 'set_agent'
            ? ` ${String(event.agent_key)}`
            : '';
  return `${head} ${type}${detail}`;
}

/** The recording from `from` to `to` (deltas collapsed), with the client calls merged in. */
function showRecording(w: World, from: number, to: number, highlight: ReadonlySet<number> = new Set()): string {
  const frames = w.sim.control.frames;
  const lines: string[] = [];
  const start = Math.max(0, from);
  const end = Math.min(frames.length, to);
  let marks = 0;
  const flushMarks = (upTo: number) => {
    while (marks < w.marks.length && w.marks[marks]!.frame <= upTo) {
      const m = w.marks[marks++]!;
      if (m.frame >= start) lines.push(`    >> +${m.at}ms ${m.text}`);
    }
  };
  let deltas = 0;
  let deltaFrom = -1;
  const flushDeltas = () => {
    if (deltas > 0) lines.push(`#${deltaFrom}… S→C text/thought_delta ×${deltas}`);
    deltas = 0;
  };
  for (let i = start; i < end; i++) {
    const frame = frames[i]!;
    const type = typeOf(frame);
    if ((type === 'text_delta' || type === 'thought_delta') && !highlight.has(i)) {
      // marks between deltas are shown after the run of deltas they fell into
      if (deltas === 0) deltaFrom = i;
      deltas++;
      continue;
    }
    flushDeltas();
    flushMarks(i);
    lines.push(`${highlight.has(i) ? '!!' : '  '} ${showFrame(frame, i)}`);
  }
  flushDeltas();
  flushMarks(end === frames.length ? Number.POSITIVE_INFINITY : end);
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------ a run

interface Totals {
  runs: number;
  commands: number;
  windows: number;
  preemptingSent: number;
  outcomes: Map<string, number>;
  rejections: Map<string, number>;
}

const totals: Totals = { runs: 0, commands: 0, windows: 0, preemptingSent: 0, outcomes: new Map(), rejections: new Map() };
const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

async function setUp(agentKey: string): Promise<World> {
  const sim = await createSimulator({ deltaMs: DELTA_MS, seed: 1 });
  const t0 = Date.now();
  const client = createClient({
    url: sim.httpUrl,
    auth: { username: 'admin', password: 'changeme' },
    WebSocket,
    agentKey,
    connectionTimeout: 2000,
    pingInterval: 300,
    pongTimeout: 300,
    reconnection: { initialDelay: 20, maxDelay: 100 },
  });
  const conversation = client.actor.system.get('conversation') as Conversation;
  const w: World = {
    sim,
    client,
    conversation,
    t0,
    marks: [],
    texts: [],
    others: [],
    ended: [],
    started: [],
    liveViolations: [],
    rejections: new Map(),
    unexpected: [],
    counter: 0,
  };
  conversation.subscribe((snapshot) => checkLive(w, snapshot));
  conversation.on('interaction.ended', ({ output }) => {
    w.ended.push({ output, frame: sim.control.frames.length });
    mark(w, `interaction.ended ${output.sessionId === conversation.getSnapshot().context.sessionId ? 'top' : output.sessionId} id=${String(output.interactionId)} ${output.outcome}`);
  });
  client.events$.subscribe((event) => {
    if (event.type !== 'interaction' || !event.started) return;
    if (event.session_id !== conversation.getSnapshot().context.sessionId) return;
    w.started.push({ id: event.id, sessionId: event.session_id, frame: sim.control.frames.length });
  });
  await Promise.race([client.connect(), sleep(3000).then(() => Promise.reject(new Error('the client did not connect within 3 s')))]);
  mark(w, 'connected');
  return w;
}

/** Waits until the run is at rest: connected, no answer running on either side, every promise settled. */
async function settle(w: World): Promise<boolean> {
  const deadline = Date.now() + SETTLE_MS;
  while (Date.now() < deadline) {
    const ready = w.sim.control.uiSessions().every((s) => !s.interactionRunning) && w.conversation.getSnapshot().context.live.length === 0;
    const settled = [...w.texts, ...w.others].every((t) => t.settled);
    if (ready && settled) {
      await sleep(30); // late frames of the last turn
      return true;
    }
    await sleep(20);
  }
  return false;
}

/** Every check of the run; an empty list when all hold. */
function findViolations(w: World): string[] {
  const problems: string[] = [];
  const frames = w.sim.control.frames;

  // (a) nothing pre-empting inside a window
  const { breaches, windows } = windowBreaches(frames);
  totals.windows += windows;
  totals.preemptingSent += frames.filter((f) => preemptingFrame(f, null)).length;
  for (const breach of breaches.slice(0, 2)) {
    problems.push(
      `(a) pre-empting ${typeOf(frames[breach.index]!)} (frame #${breach.index}) sent while an interaction ran (window opened by user_turn_end #${breach.openedAt}):\n` +
        showRecording(w, Math.min(breach.openedAt - 4, breach.index - 30), breach.index + 8, new Set([breach.index, breach.openedAt])),
    );
  }

  // (b) every sendText settles; every started interaction ends exactly once
  for (const t of w.texts.filter((entry) => !entry.settled)) problems.push(`(b) ${t.label} never settled`);
  for (const t of w.others.filter((entry) => !entry.settled)) problems.push(`(b') ${t.label} never settled (a held command never sent nor rejected)`);
  for (const start of w.started) {
    const ends = w.ended.filter((e) => e.output.interactionId === start.id);
    if (ends.length !== 1) {
      problems.push(
        `(b) interaction ${start.id} (started, frame ≈#${start.frame}) ended ${ends.length} times${ends.length ? `: ${ends.map((e) => `${e.output.outcome} at frame ≈#${e.frame}`).join(', ')}` : ''}:\n` +
          showRecording(w, start.frame - 15, (ends[1]?.frame ?? ends[0]?.frame ?? start.frame + 40) + 10),
      );
    }
  }
  const startedIds = new Set(w.started.map((s) => s.id));
  for (const end of w.ended) {
    if (end.output.interactionId !== null && end.output.sessionId === w.started[0]?.sessionId && !startedIds.has(end.output.interactionId)) {
      problems.push(`(b) interaction.ended for ${end.output.interactionId}, which the client never saw start`);
    }
  }

  // (b) each sendText that reports a finished interaction (done or cancelled; not interrupted or
  // failed) reports its own: the server received its text and started the interaction it names,
  // and no two calls report the same interaction
  const inputs = new Map<string, number>();
  frames.forEach((frame, index) => {
    if (frame.direction !== 'in' || typeOf(frame) !== 'text_input') return;
    inputs.set((JSON.parse(frame.text!) as { text: string }).text, index);
  });
  const startedAfter = (index: number): { id: string; index: number } | null => {
    for (let j = index + 1; j < frames.length; j++) {
      const frame = frames[j]!;
      if (frame.direction !== 'out' || typeOf(frame) !== 'interaction') continue;
      const event = JSON.parse(frame.text!) as { started: boolean; id: string };
      if (event.started) return { id: event.id, index: j };
    }
    return null;
  };
  const reportedBy = new Map<string, string>();
  for (const t of w.texts) {
    const output = t.value as InteractionOutput | undefined;
    if (!output || (output.outcome !== 'done' && output.outcome !== 'cancelled')) continue;
    const received = inputs.get(t.text!);
    if (received === undefined) {
      problems.push(
        `(b) ${t.label} resolved "${output.outcome}" (interaction ${String(output.interactionId)}), but the server never received its text_input:\n` +
          showRecording(w, t.calledAt - 20, frames.length),
      );
      continue;
    }
    const own = startedAfter(received);
    if (output.interactionId === null || own?.id !== output.interactionId) {
      problems.push(
        `(b) ${t.label} resolved "${output.outcome}" with interaction ${String(output.interactionId)}, but the interaction its text_input (#${received}) started is ${own ? `${own.id} (#${own.index})` : 'none'}:\n` +
          showRecording(w, received - 20, (own?.index ?? received) + 30, new Set([received, ...(own ? [own.index] : [])])),
      );
    }
    if (output.interactionId !== null) {
      const other = reportedBy.get(output.interactionId);
      if (other) problems.push(`(b) ${other} and ${t.label} both resolved with the end of interaction ${output.interactionId}`);
      reportedBy.set(output.interactionId, t.label);
    }
  }

  // (c) at most one interaction per session id
  problems.push(...w.liveViolations.slice(0, 3).map((v) => `(c) ${v}`));

  problems.push(...w.unexpected.map((u) => `unexpected error: ${u}`));
  return problems;
}

async function runOnce(agentKey: string, commands: Iterable<fc.AsyncCommand<Model, World>>): Promise<void> {
  const w = await setUp(agentKey);
  try {
    await fc.asyncModelRun(() => ({ model: {} as Model, real: w }), commands);
    const atRest = await settle(w);
    totals.runs++;
    totals.commands += w.counter;
    for (const t of w.texts) bump(totals.outcomes, (t.result ?? 'pending').replace(/ \(interaction .*\)$/, ''));
    for (const [reason, count] of w.rejections) bump(totals.rejections, reason, count);
    const problems = findViolations(w);
    if (!atRest && problems.length === 0) {
      problems.push(`the run did not come to rest within ${SETTLE_MS} ms (live: ${JSON.stringify(w.conversation.getSnapshot().context.live)}, server running: ${JSON.stringify(w.sim.control.uiSessions().map((s) => s.interactionRunning))})\n${showRecording(w, w.sim.control.frames.length - 40, w.sim.control.frames.length)}`);
    }
    if (problems.length > 0) {
      const rejections = [...w.rejections].map(([k, v]) => `${k} ×${v}`).join(', ');
      throw new Error(`${problems.join('\n\n')}\n\nexpected rejections recorded: ${rejections || 'none'}`);
    }
  } finally {
    w.client.dispose();
    await w.sim.close();
  }
}

// ------------------------------------------------------------------------------------ the property

describe('conversation properties (real client on the simulator)', () => {
  it(
    'no pre-emption while an interaction runs; every interaction ends exactly once; one interaction per session id',
    async () => {
      const started = Date.now();
      try {
        await fc.assert(
          fc.asyncProperty(fc.constantFrom('firehose', 'default'), fc.commands(commandArbs, { maxCommands: MAX_COMMANDS, size: 'max' }), async (agentKey, commands) => {
            await runOnce(agentKey, commands);
          }),
          { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
        );
      } finally {
        const show = (map: Map<string, number>) => [...map].map(([k, v]) => `${k} ×${v}`).join(', ');
        console.info(
          `conversation property: ${totals.runs} runs, ${totals.commands} client calls, ${totals.windows} interaction windows, ` +
            `${totals.preemptingSent} pre-empting frames sent, in ${Date.now() - started} ms\n  sendText: ${show(totals.outcomes)}\n  rejections: ${show(totals.rejections)}`,
        );
      }
      expect(totals.runs).toBeGreaterThan(0);
    },
    TIME_LIMIT_MS + 15_000,
  );

  // The shrunk counterexamples the property found (see the header), replayed as they are. They
  // depend on timing, so each gets a few attempts; it passes only if every attempt holds.
  const replays: { name: string; agentKey: string; commands: () => fc.AsyncCommand<Model, World>[] }[] = [
    {
      name: 'two sendText(…, { interrupt: true }) while an answer streams: both send their text once it ends, the second pre-empts the first',
      agentKey: 'firehose',
      commands: () => [new SendText(20, false, 0), new SendText(20, true, 0), new SendText(20, true, 16), new Wait(10)],
    },
    {
      name: 'the socket drops while sendText(…, { interrupt: true }) waits: its text is never sent, yet it resolves "done"',
      agentKey: 'firehose',
      commands: () => [new SendText(20, false, 1), new SendText(20, true, 0), new Drop(0), new Wait(80)],
    },
    {
      // found by the property while the release of held commands was being made to follow the busy
      // state (never committed): after a reconnect the burst's user_turn_start reached the turn before the connection
      // was ready, so the held command was never released (nor rejected)
      name: 'a command held while an answer streams survives a socket drop and goes out after the reconnect',
      agentKey: 'firehose',
      commands: () => [new SendText(64, true, 76), new Send({ type: 'set_session_metadata', meta: { n: 93 } }, 38), new Drop(85)],
    },
    {
      // found by the property after the outbox redesign: the `cancelled` of an interrupt's cancel came
      // after the answer it aimed at had ended and the interrupting text had gone out, and cancelled
      // that text's answer (then suspended by a drop, it resolved "cancelled" with no interaction)
      name: 'a late cancelled does not cancel the answer of the text sent after the answer it aimed at',
      agentKey: 'firehose',
      commands: () => [new SendText(44, true, 0), new Cancel(68), new SendText(128, true, 0), new Drop(105), new Drop(58)],
    },
  ];
  for (const replay of replays) {
    it(`shrunk counterexample: ${replay.name}`, async () => {
      for (let attempt = 0; attempt < 3; attempt++) await runOnce(replay.agentKey, replay.commands());
    });
  }
});
