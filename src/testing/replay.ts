/**
 * `replay(recording)`: plays a recorded session against a fresh client built on the runtime — the
 * real socket actor, partysocket, codec and machines — with a simulated clock, a replay `WebSocket`
 * and a replay `fetch`, and re-issues the user's commands through the public client.
 *
 * Timing is causal: each recorded event is placed after the event before it by the recorded gap,
 * where what the client produced (a socket, a frame, a close call, a request) happens when the
 * replayed client produces it. So a server frame that answered a client frame comes after it, by
 * the same gap, however much sooner the replay got there. The clock advances event by event (and
 * timer by timer), and everything the client does in between (promise jobs, partysocket's own
 * zero-delay timer) settles before the next step: the same recording gives the same run.
 */
import { SimulatedClock } from 'xstate';
import { connectClient, type ClientStateView, type ConnectionState, type RealtimeClient } from '../client.js';
import { createRuntime } from '../runtime.js';
import type { ClientOptions, WebSocketConstructor } from '../options.js';
import type { TranscriptMessage } from '../data/transcript/index.js';
import { REDACTED } from '../schema/redact.js';
import { parseRecording, RecordingError, type Recording, type RecordingEvent } from './recording.js';

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Reject with a {@link RecordingError} (`divergence`) when the replayed client did anything the recording does not have. @default false */
  readonly strict?: boolean;
  /** How long (simulated ms) past its expected time a frame, socket or request the client should produce is waited for before it counts as missing. @default 2000 */
  readonly tolerance?: number;
}

/** Where the replayed client did something other than the recorded one. */
export interface Divergence {
  /** Simulated ms since the start. */
  readonly at: number;
  readonly kind: 'socket' | 'frame' | 'close' | 'request' | 'result';
  /** `different`: not what was recorded; `extra`: not in the recording; `missing`: recorded, not done. */
  readonly problem: 'different' | 'extra' | 'missing';
  readonly attempt?: number;
  /** The frame's index within its attempt, the request's id, or the command's id. */
  readonly index?: number;
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly message: string;
}

/** How a re-issued command settled. */
export type ReplayedResult = { readonly id: number; readonly name: string; readonly ok: true; readonly value?: unknown } | { readonly id: number; readonly name: string; readonly ok: false; readonly error: { readonly reason: string; readonly message: string } };

/** What a replay gives back. Everything in it is plain data, the same for every replay of a recording. */
export interface ReplayResult {
  /** The transcript at the recording's end (`messages$`'s last value). */
  readonly transcript: readonly TranscriptMessage[];
  /** Every `state$` view, in order. */
  readonly states: readonly ClientStateView[];
  /** The connection states (`connection$`'s `state`), in order, without repeats. */
  readonly connection: readonly ConnectionState[];
  /** How each command settled, by id. */
  readonly results: readonly ReplayedResult[];
  /** What differed from the recording (empty when the replay went as recorded). */
  readonly divergences: readonly Divergence[];
  /** Simulated ms from the start to the recording's end. */
  readonly duration: number;
}

/** xstate's simulated clock, stepped one timer at a time (its own `increment` runs every due timer in one go). */
class ReplayClock extends SimulatedClock {
  private get pending(): Map<number, { start: number; timeout: number; fn: () => void }> {
    return (this as unknown as { timeouts: Map<number, { start: number; timeout: number; fn: () => void }> }).timeouts;
  }

  private setNow(time: number): void {
    (this as unknown as { _now: number })._now = time;
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const timer of this.pending.values()) {
      const due = timer.start + timer.timeout;
      if (next === undefined || due < next) next = due;
    }
    return next;
  }

  /** Runs the next due timer (the earliest; the first set among equals), moving the time to it. */
  runNext(): void {
    let found: [number, { start: number; timeout: number; fn: () => void }] | undefined;
    for (const entry of this.pending) if (!found || entry[1].start + entry[1].timeout < found[1].start + found[1].timeout) found = entry;
    if (!found) return;
    this.pending.delete(found[0]);
    this.setNow(Math.max(this.now(), found[1].start + found[1].timeout));
    found[1].fn.call(null);
  }

  /** Moves the time forward without running anything. */
  advanceTo(time: number): void {
    if (time > this.now()) this.setNow(time);
  }
}

type Ev = RecordingEvent;
type Produced = Extract<Ev, { type: 'socket' | 'out' | 'closing' | 'request' }>;

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
/** Steps (timers and events) after which a replay is taken to be looping. */
const MAX_STEPS = 1_000_000;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));
const realTimeout = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/**
 * Replays a recording (or its JSON text) against a fresh client on a simulated clock. Deterministic:
 * two replays of one recording give deep-equal results. Never hangs: what the client fails to do is
 * reported as a divergence once it is `tolerance` late.
 * @throws {RecordingError} `invalid_recording` for a file that is not a recording; `divergence` in strict mode.
 * @example
 * const { transcript, states, divergences } = await replay(JSON.parse(await readFile('session.json', 'utf8')));
 */
export async function replay(input: Recording | string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const recording = parseRecording(input);
  const tolerance = options.tolerance ?? 2_000;
  const clock = new ReplayClock();
  const divergences: Divergence[] = [];
  /** Past the recording's end (cleanup): nothing more is compared. */
  let finished = false;
  const diverge = (divergence: Omit<Divergence, 'at'>) => {
    if (!finished) divergences.push({ at: clock.now(), ...divergence });
  };
  /** Bumped by everything the client does: a step has settled when it stops moving. */
  let progress = 0;
  /** A socket actor started since the last real turn: its partysocket is waiting on a real timer. */
  let expectingSocket = false;

  // ---------------------------------------------------------------- the recording, indexed
  const keyOf = (event: Produced, outIndex: number): string =>
    event.type === 'socket' ? `socket:${event.attempt}` : event.type === 'out' ? `out:${event.attempt}:${outIndex}` : event.type === 'closing' ? `closing:${event.attempt}` : `request:${event.id}`;
  const recordedOut = new Map<number, Extract<Ev, { type: 'out' }>[]>();
  const recordedSockets = new Map<number, Extract<Ev, { type: 'socket' }>>();
  const recordedRequests = new Map<number, Extract<Ev, { type: 'request' }>>();
  const recordedResults = new Map<number, Extract<Ev, { type: 'result' }>>();
  /** The causal chain: every event but the observations (results, fault labels), with its key if the client produces it. */
  const chain: { event: Ev; key?: string }[] = [];
  /** Commands issued in the same job as another command's settlement (`await client.connect(); client.sendText(…)`), by that command's id. */
  const followers = new Map<number, Extract<Ev, { type: 'command' }>>();
  const followerIds = new Set<number>();
  recording.events.forEach((event, i) => {
    const before = recording.events[i - 1];
    if (event.type !== 'command' || !event.sync || before?.type !== 'result') return;
    followers.set(before.id, event);
    followerIds.add(event.id);
  });
  for (const event of recording.events) {
    if (event.type === 'result') recordedResults.set(event.id, event);
    else if (event.type === 'fault') continue;
    else if (event.type === 'out') {
      const list = recordedOut.get(event.attempt) ?? [];
      list.push(event);
      recordedOut.set(event.attempt, list);
      chain.push({ event, key: keyOf(event, list.length - 1) });
    } else if (event.type === 'socket' || event.type === 'closing' || event.type === 'request') {
      if (event.type === 'socket') recordedSockets.set(event.attempt, event);
      if (event.type === 'request') recordedRequests.set(event.id, event);
      chain.push({ event, key: keyOf(event, 0) });
    } else chain.push({ event });
  }
  /** When the replayed client produced each recorded thing (simulated ms). */
  const happened = new Map<string, number>();
  const produce = (key: string) => {
    progress++;
    if (!happened.has(key)) happened.set(key, clock.now());
  };

  // ---------------------------------------------------------------- the replay WebSocket
  const sockets: ReplaySocket[] = [];
  const sentCount = new Map<number, number>();
  class ReplaySocket extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    readyState = 0;
    binaryType: string = 'blob';
    readonly protocol = '';
    readonly extensions = '';
    readonly bufferedAmount = 0;
    readonly attempt: number;
    onopen: ((event: Event) => void) | null = null;
    onmessage: ((event: Event) => void) | null = null;
    onerror: ((event: Event) => void) | null = null;
    onclose: ((event: Event) => void) | null = null;

    constructor(
      readonly url: string,
      _protocols?: string | string[],
    ) {
      super();
      this.attempt = sockets.length;
      sockets.push(this);
      produce(`socket:${this.attempt}`);
      const recorded = recordedSockets.get(this.attempt);
      if (!recorded) diverge({ kind: 'socket', problem: 'extra', attempt: this.attempt, actual: url, message: `The client opened socket ${this.attempt}, which the recording does not have` });
      else if (recorded.url !== url) diverge({ kind: 'socket', problem: 'different', attempt: this.attempt, expected: recorded.url, actual: url, message: `Socket ${this.attempt} was opened with another URL` });
    }

    send(data: string | ArrayBuffer | ArrayBufferView): void {
      if (this.readyState !== OPEN) return;
      const index = sentCount.get(this.attempt) ?? 0;
      sentCount.set(this.attempt, index + 1);
      produce(`out:${this.attempt}:${index}`);
      const actual = typeof data === 'string' ? { text: data } : { base64: Buffer.from(ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)).toString('base64') };
      const recorded = recordedOut.get(this.attempt)?.[index];
      const shown = actual.text ?? `[binary ${actual.base64?.length ?? 0} base64 chars]`;
      if (!recorded) diverge({ kind: 'frame', problem: 'extra', attempt: this.attempt, index, actual: shown, message: `The client sent frame ${index} on socket ${this.attempt}, which the recording does not have` });
      else if (recorded.text !== actual.text || recorded.base64 !== actual.base64) {
        diverge({ kind: 'frame', problem: 'different', attempt: this.attempt, index, expected: recorded.text ?? '[binary]', actual: shown, message: `Frame ${index} on socket ${this.attempt} differs from the recording` });
      }
    }

    close(_code?: number, _reason?: string): void {
      if (this.readyState >= CLOSING) return;
      this.readyState = CLOSING;
      produce(`closing:${this.attempt}`);
    }

    /** As `ws`'s: closes at once (the client cuts a socket whose close handshake takes too long). */
    terminate(): void {
      if (this.readyState !== CLOSED) this.deliver({ type: 'close', at: 0, attempt: this.attempt, code: 1006, reason: '', wasClean: false });
    }

    deliver(event: Extract<Ev, { type: 'open' | 'in' | 'error' | 'close' }>): void {
      if (this.readyState === CLOSED) return;
      progress++;
      let dispatched: Event;
      if (event.type === 'open') {
        this.readyState = OPEN;
        dispatched = new Event('open');
      } else if (event.type === 'in') {
        const data = event.text ?? toArrayBuffer(Buffer.from(event.base64 ?? '', 'base64'));
        dispatched = new MessageEvent('message', { data });
      } else if (event.type === 'error') {
        this.readyState = CLOSING;
        dispatched = Object.assign(new Event('error'), { message: event.message, error: new Error(event.message) });
      } else {
        this.readyState = CLOSED;
        dispatched = Object.assign(new Event('close'), { code: event.code, reason: event.reason, wasClean: event.wasClean });
      }
      const handler = this[`on${event.type === 'in' ? 'message' : event.type}` as 'onopen'];
      handler?.call(this, dispatched);
      this.dispatchEvent(dispatched);
    }
  }

  // ---------------------------------------------------------------- the replay fetch
  const pendingRequests = new Map<number, { resolve: (response: Response) => void; reject: (error: unknown) => void }>();
  let requestCount = 0;
  const replayFetch: typeof globalThis.fetch = (input, init) => {
    const id = requestCount++;
    produce(`request:${id}`);
    const request = input instanceof Request ? input : null;
    const url = request ? request.url : String(input);
    const method = init?.method ?? request?.method ?? 'GET';
    const recorded = recordedRequests.get(id);
    if (!recorded) {
      diverge({ kind: 'request', problem: 'extra', index: id, actual: `${method} ${url}`, message: `The client made request ${id}, which the recording does not have` });
      return Promise.reject(new TypeError('replay: the recording has no response to this request'));
    }
    if (recorded.method !== method || recorded.url !== url) {
      diverge({ kind: 'request', problem: 'different', index: id, expected: `${recorded.method} ${recorded.url}`, actual: `${method} ${url}`, message: `Request ${id} differs from the recording` });
    }
    return new Promise<Response>((resolve, reject) => {
      pendingRequests.set(id, { resolve, reject });
      init?.signal?.addEventListener(
        'abort',
        () => {
          pendingRequests.delete(id);
          reject(new DOMException('The operation was aborted', 'AbortError'));
        },
        { once: true },
      );
    });
  };

  // ---------------------------------------------------------------- the client
  const recordedTokens = [...new Set([...recordedSockets.values()].map((socket) => new URL(socket.url).searchParams.get('token')).filter((token): token is string => token !== null))];
  let provided = 0;
  const { auth: recordedAuth, ...plain } = recording.options;
  const auth: ClientOptions['auth'] =
    recordedAuth.kind === 'credentials'
      ? { username: recordedAuth.username, password: REDACTED, refreshBufferMs: recordedAuth.refreshBufferMs }
      : recordedAuth.kind === 'token'
        ? { token: recordedAuth.token, refreshBufferMs: recordedAuth.refreshBufferMs }
        : { getToken: () => recordedTokens[Math.min(provided++, recordedTokens.length - 1)] ?? '', refreshBufferMs: recordedAuth.refreshBufferMs };
  const runtime = createRuntime(
    {
      ...plain,
      auth,
      WebSocket: ReplaySocket as unknown as WebSocketConstructor,
      fetch: replayFetch,
      inspect: (event) => {
        progress++;
        // a socket actor starts: partysocket waits a real 0 ms timer before it makes the socket
        const actor = event.actorRef as { id?: unknown; src?: unknown };
        if (event.type === '@xstate.actor' && (actor.id === 'socket' || actor.src === 'socket')) expectingSocket = true;
      },
    },
    { clock, now: () => recording.startedAt + clock.now(), seed: recording.seed },
  );
  const client: RealtimeClient = connectClient(runtime);
  let transcript: readonly TranscriptMessage[] = [];
  const states: ClientStateView[] = [];
  const connection: ConnectionState[] = [];
  let recordingStates = true;
  const subscriptions = [
    client.messages$.subscribe((messages) => {
      transcript = messages;
    }),
    client.state$.subscribe((view) => {
      if (recordingStates) states.push({ ...view });
    }),
    client.connection$.subscribe((status) => {
      if (recordingStates && connection.at(-1) !== status.state) connection.push(status.state);
    }),
  ];
  const results = new Map<number, ReplayedResult>();
  const settleCommand = (id: number, name: string, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
    progress++;
    const result: ReplayedResult = outcome.ok
      ? { id, name, ok: true, ...(outcome.value === undefined ? {} : { value: JSON.parse(JSON.stringify(outcome.value)) as unknown }) }
      : { id, name, ok: false, error: errorOf(outcome.error) };
    results.set(id, result);
    // the command that went out in the same job as this settlement goes out in it again
    const follower = followers.get(id);
    if (follower && !issued.has(follower.id)) issue(follower);
    const recorded = recordedResults.get(id);
    if (!recorded || finished) return;
    const expected = recorded.ok ? { ok: true, value: recorded.value } : { ok: false, error: recorded.error };
    const actual = result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error };
    if (JSON.stringify(expected) !== JSON.stringify(actual)) diverge({ kind: 'result', problem: 'different', index: id, expected, actual, message: `Command ${id} (${name}) settled otherwise than recorded` });
  };
  /** When each command was issued (simulated ms). */
  const issued = new Map<number, number>();
  const issue = (event: Extract<Ev, { type: 'command' }>) => {
    if (issued.has(event.id)) return;
    issued.set(event.id, clock.now());
    progress++;
    const method = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[event.name];
    try {
      const value = method!.apply(client, event.args);
      if (value instanceof Promise) value.then((v: unknown) => settleCommand(event.id, event.name, { ok: true, value: v }), (error: unknown) => settleCommand(event.id, event.name, { ok: false, error }));
      else settleCommand(event.id, event.name, { ok: true, value });
    } catch (error) {
      settleCommand(event.id, event.name, { ok: false, error });
    }
  };
  const deliver = (event: Ev) => {
    switch (event.type) {
      case 'open':
      case 'in':
      case 'error':
      case 'close':
        sockets[event.attempt]?.deliver(event);
        return;
      case 'response': {
        const pending = pendingRequests.get(event.id);
        pendingRequests.delete(event.id);
        const empty = event.status === 204 || event.status === 205 || event.status === 304;
        pending?.resolve(new Response(empty ? null : event.body, { status: event.status, statusText: event.statusText, headers: event.contentType ? { 'content-type': event.contentType } : {} }));
        progress++;
        return;
      }
      case 'request_failed': {
        const pending = pendingRequests.get(event.id);
        pendingRequests.delete(event.id);
        pending?.reject(new TypeError(event.message));
        progress++;
        return;
      }
      case 'command':
        issue(event);
        return;
      default:
        return;
    }
  };

  // ---------------------------------------------------------------- the steps
  let steps = 0;
  /**
   * Lets everything the last step set going finish: promise jobs and turns of the event loop until
   * nothing moves — and, when a socket actor started, one real timer turn, for partysocket's own
   * zero-delay wait before each socket (the only real timer on the client's path).
   */
  const settle = async () => {
    for (;;) {
      const before = progress;
      await immediate();
      await immediate();
      if (progress !== before) continue;
      if (!expectingSocket) return;
      expectingSocket = false;
      await realTimeout(); // set after partysocket's (which is as long): it fires first
      await immediate();
      if (progress === before) return;
    }
  };
  /** Runs the timers due until `deadline` (then moves the time there) or until `done()`. */
  const runUntil = async (done: () => boolean, deadline: number) => {
    while (!done()) {
      if (++steps > MAX_STEPS) throw new RecordingError('divergence', `The replay did not finish within ${MAX_STEPS} steps (a timer loop?)`);
      const due = clock.nextDue();
      if (due !== undefined && due <= deadline) {
        clock.runNext();
        await settle();
        continue;
      }
      clock.advanceTo(deadline);
      await settle();
      return;
    }
  };

  try {
    let previousReplay = 0;
    let previousAt = 0;
    for (const { event, key } of chain) {
      if (event.type === 'command' && event.sync && !followerIds.has(event.id)) {
        deliver(event); // in the same job as the event before it, as it was
        continue;
      }
      await settle();
      const expected = previousReplay + (event.at - previousAt);
      if (event.type === 'command' && followerIds.has(event.id)) {
        // issued by the settlement it followed; if that never came, now
        await runUntil(() => issued.has(event.id), expected + tolerance);
        deliver(event);
        previousReplay = issued.get(event.id)!;
      } else if (key !== undefined) {
        await runUntil(() => happened.has(key), expected + tolerance);
        const when = happened.get(key);
        if (when === undefined) {
          const missing = missingDivergence(event as Produced);
          if (missing) diverge(missing);
          previousReplay = expected;
        } else previousReplay = when;
      } else {
        await runUntil(() => false, expected);
        deliver(event);
        previousReplay = Math.max(expected, clock.now());
      }
      previousAt = event.at;
    }
    await settle();
    await runUntil(() => false, previousReplay + (recording.duration - previousAt));
    // what the recording's end saw
    const duration = clock.now();
    recordingStates = false;
    finished = true;
    const result: ReplayResult = {
      transcript: JSON.parse(JSON.stringify(transcript)) as TranscriptMessage[],
      states,
      connection,
      results: [...results.values()].sort((a, b) => a.id - b.id),
      divergences,
      duration,
    };
    if (options.strict && divergences.length > 0) {
      throw new RecordingError('divergence', `The replay diverged from the recording: ${divergences[0]!.message}${divergences.length > 1 ? ` (and ${divergences.length - 1} more)` : ''}`, divergences.map((d) => d.message));
    }
    return result;
  } finally {
    finished = true;
    client.dispose();
    for (const subscription of subscriptions) subscription.unsubscribe();
    for (const pending of pendingRequests.values()) pending.reject(new TypeError('replay: finished'));
    pendingRequests.clear();
    // let the disposal's own jobs run (sockets close, the actors stop) before handing back
    await settle();
  }

  function missingDivergence(event: Produced): Omit<Divergence, 'at'> | undefined {
    switch (event.type) {
      case 'socket':
        return { kind: 'socket', problem: 'missing', attempt: event.attempt, expected: event.url, message: `The client did not open socket ${event.attempt}` };
      case 'out': {
        const index = recordedOut.get(event.attempt)?.indexOf(event) ?? -1;
        return { kind: 'frame', problem: 'missing', attempt: event.attempt, index, expected: event.text ?? '[binary]', message: `The client did not send frame ${index} on socket ${event.attempt}` };
      }
      case 'closing':
        return { kind: 'close', problem: 'missing', attempt: event.attempt, message: `The client did not close socket ${event.attempt}` };
      case 'request':
        return { kind: 'request', problem: 'missing', index: event.id, expected: `${event.method} ${event.url}`, message: `The client did not make request ${event.id}` };
    }
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function errorOf(error: unknown): { reason: string; message: string } {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return { reason: typeof reason === 'string' ? reason : 'error', message: error instanceof Error ? error.message : String(error) };
}
