/**
 * Per-state metrics: how long the connection spends in each state, and the latencies users ask
 * about — the stages of a connect, reconnect → ready, text sent → first delta, cancel → the
 * server's confirmation and → the end of the answer. A pure fold over what the client already
 * observes (connection states, frames sent and received), fed by the client and read as `metrics$`.
 */
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { ServerEvent } from '../schema/server/index.js';

/** A latency's last value and its count, in ms. */
export interface Latency {
  readonly last: number | null;
  readonly count: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** What `metrics$` emits. */
export interface ClientMetrics {
  /** Total ms spent in each connection state so far (the current one up to its last change). */
  readonly timeInState: Readonly<Record<string, number>>;
  /** `connecting` → `initializing`: the socket opened. */
  readonly connectOpen: Latency;
  /** `initializing` → `ready`: the burst (or the short form) arrived. */
  readonly connectInitialize: Latency;
  /** `reconnecting` → `ready`. */
  readonly reconnectToReady: Latency;
  /** A text sent → the first text or thought delta of its answer. */
  readonly timeToFirstDelta: Latency;
  /** A cancel sent → the server's `cancelled`. */
  readonly cancelToConfirmed: Latency;
  /** A cancel sent → the end of the answer it stopped (no more output). */
  readonly cancelToSilence: Latency;
}

const EMPTY: Latency = Object.freeze({ last: null, count: 0, min: null, max: null, mean: null });

function add(latency: Latency, ms: number): Latency {
  const count = latency.count + 1;
  return {
    last: ms,
    count,
    min: latency.min === null ? ms : Math.min(latency.min, ms),
    max: latency.max === null ? ms : Math.max(latency.max, ms),
    mean: latency.mean === null ? ms : latency.mean + (ms - latency.mean) / count,
  };
}

/** The metrics of one client; `now` is the runtime's clock. */
export function createMetrics(now: () => number) {
  const metrics = new BehaviorSubject<ClientMetrics>({
    timeInState: {},
    connectOpen: EMPTY,
    connectInitialize: EMPTY,
    reconnectToReady: EMPTY,
    timeToFirstDelta: EMPTY,
    cancelToConfirmed: EMPTY,
    cancelToSilence: EMPTY,
  });
  let state: string | null = null;
  let since = now();
  let connectingAt: number | null = null;
  let initializingAt: number | null = null;
  let reconnectingAt: number | null = null;
  let textAt: number | null = null;
  let cancelAt: number | null = null;
  let confirmAt: number | null = null;
  const update = (change: Partial<ClientMetrics>): void => metrics.next({ ...metrics.value, ...change });

  return {
    metrics$: metrics.asObservable() as Observable<ClientMetrics>,
    /** The connection's state changed. */
    connection(next: string): void {
      if (next === state) return;
      const at = now();
      const change: { -readonly [K in keyof ClientMetrics]?: ClientMetrics[K] } = {};
      if (state !== null) change.timeInState = { ...metrics.value.timeInState, [state]: (metrics.value.timeInState[state] ?? 0) + (at - since) };
      if (next === 'connecting') connectingAt = at;
      if (next === 'reconnecting' && reconnectingAt === null) reconnectingAt = at;
      if (next === 'initializing') {
        if (connectingAt !== null) change.connectOpen = add(metrics.value.connectOpen, at - connectingAt);
        connectingAt = null;
        initializingAt = at;
      }
      if (next === 'ready') {
        if (initializingAt !== null) change.connectInitialize = add(metrics.value.connectInitialize, at - initializingAt);
        if (reconnectingAt !== null) change.reconnectToReady = add(metrics.value.reconnectToReady, at - reconnectingAt);
        initializingAt = null;
        reconnectingAt = null;
      }
      if (next === 'failed' || next === 'closed' || next === 'idle') reconnectingAt = null;
      state = next;
      since = at;
      if (Object.keys(change).length > 0) update(change);
    },
    /** A text that starts an answer went out. */
    textSent(): void {
      textAt = now();
    },
    /** A text or thought delta arrived (only the first after a text counts). */
    delta(): void {
      if (textAt === null) return;
      update({ timeToFirstDelta: add(metrics.value.timeToFirstDelta, now() - textAt) });
      textAt = null;
    },
    cancelSent(): void {
      cancelAt = now();
      confirmAt = cancelAt;
      textAt = null;
    },
    /** The server confirmed a cancel (`cancelled`). */
    cancelled(): void {
      if (confirmAt === null) return;
      update({ cancelToConfirmed: add(metrics.value.cancelToConfirmed, now() - confirmAt) });
      confirmAt = null;
    },
    /** The answer in flight ended. */
    answerEnded(): void {
      if (cancelAt === null) return;
      update({ cancelToSilence: add(metrics.value.cancelToSilence, now() - cancelAt) });
      cancelAt = null;
    },
    /** A latency that needs the server's events is being measured. */
    measuring(): boolean {
      return textAt !== null || confirmAt !== null;
    },
    complete(): void {
      metrics.complete();
    },
  };
}

/** Where the metrics come from (a client's data plane and machines). */
export interface MetricsSources {
  readonly now: () => number;
  readonly events$: Observable<ServerEvent>;
  readonly cancels$: Observable<void>;
  /** Calls `listener` when a text that starts an answer went out (the outbox's `sent`). */
  textsSent(listener: () => void): { unsubscribe(): void };
  /** Calls `listener` when an answer of the current session ended. */
  answersEnded(listener: () => void): { unsubscribe(): void };
}

/**
 * The metrics of a client, fed from its sources. `events$` is listened to only while a latency that
 * needs the server's events is measured, never on every delta of a long answer.
 */
export function watchMetrics(sources: MetricsSources) {
  const metrics = createMetrics(sources.now);
  let watching: Subscription | null = null;
  const watch = (): void => {
    watching ??= sources.events$.subscribe((event) => {
      if (event.type === 'text_delta' || event.type === 'thought_delta') metrics.delta();
      else if (event.type === 'cancelled') metrics.cancelled();
      if (!metrics.measuring()) {
        watching?.unsubscribe();
        watching = null;
      }
    });
  };
  const subscriptions = [
    sources.textsSent(() => {
      metrics.textSent();
      watch();
    }),
    sources.cancels$.subscribe(() => {
      metrics.cancelSent();
      watch();
    }),
    sources.answersEnded(() => metrics.answerEnded()),
  ];
  return {
    metrics$: metrics.metrics$,
    /** The connection's state changed. */
    connection: metrics.connection,
    dispose(): void {
      for (const subscription of subscriptions) subscription.unsubscribe();
      watching?.unsubscribe();
      metrics.complete();
    },
  };
}
