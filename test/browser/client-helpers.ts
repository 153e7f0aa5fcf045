/**
 * Helpers of the client browser tests: a recorder that keeps every value an observable emits and
 * waits for one with an explicit timeout, a timeline of a client (connection states and server events
 * in one order), and the calls to the control endpoint that global-setup.ts runs next to the
 * simulators (faults, tokens, the UI sessions a simulator holds).
 */
import { distinctUntilChanged, map, merge, type Observable, type Subscription } from 'rxjs';
import type { ConnectionState, ConnectionStatus, RealtimeClient, ServerEvent } from '../../src/index.js';
import { withTimeout } from '../helpers/client.js';

export const WAIT_MS = 5_000;

interface Waiter<T> {
  readonly check: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Subscribes at once and records every value, the completion and the error of an observable. */
export class Recorder<T> {
  readonly values: T[] = [];
  completed = false;
  error: unknown = undefined;
  private readonly subscription: Subscription;
  private waiters: Waiter<T>[] = [];

  constructor(
    source: Observable<T>,
    private readonly describe: (value: T) => string = (value) => JSON.stringify(value)?.slice(0, 120) ?? String(value),
  ) {
    this.subscription = source.subscribe({
      next: (value) => {
        this.values.push(value);
        this.settle();
      },
      error: (error: unknown) => {
        this.error = error;
        this.settle();
      },
      complete: () => {
        this.completed = true;
        this.settle();
      },
    });
  }

  get last(): T | undefined {
    return this.values.at(-1);
  }

  /**
   * The first value at index `from` or later that satisfies `predicate` (values recorded before the
   * call count too), with its index. Rejects after `timeoutMs`, or when the observable ends first.
   */
  next(predicate: (value: T) => boolean, what: string, { from = 0, timeoutMs = WAIT_MS } = {}): Promise<{ value: T; index: number }> {
    const find = () => {
      for (let i = from; i < this.values.length; i++) if (predicate(this.values[i]!)) return i;
      return -1;
    };
    return this.wait(
      () => find() >= 0,
      `${what} (from #${from})`,
      timeoutMs,
      true,
    ).then(() => {
      const index = find();
      return { value: this.values[index]!, index };
    });
  }

  /** Resolves once the observable completed; rejects after `timeoutMs`. */
  complete(what: string, timeoutMs = WAIT_MS): Promise<void> {
    return this.wait(() => this.completed, what, timeoutMs, false);
  }

  /** What was recorded, for failure messages. */
  summary(from = 0): string {
    return `[${this.values.slice(from).map(this.describe).join(', ')}]${this.completed ? ' (completed)' : ''}${this.error === undefined ? '' : ` (error: ${String(this.error)})`}`;
  }

  unsubscribe(): void {
    this.subscription.unsubscribe();
  }

  private wait(check: () => boolean, what: string, timeoutMs: number, failOnEnd: boolean): Promise<void> {
    if (check()) return Promise.resolve();
    const ended = () => this.completed || this.error !== undefined;
    if (failOnEnd && ended()) return Promise.reject(new Error(`the observable ended before ${what}; recorded ${this.summary()}`));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter<T> = {
        check: () => {
          if (check()) return true;
          if (failOnEnd && ended()) {
            reject(new Error(`the observable ended before ${what}; recorded ${this.summary()}`));
            return true;
          }
          return false;
        },
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; recorded ${this.summary()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private settle(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.check()) continue;
      clearTimeout(waiter.timer);
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(); // a no-op when check() already rejected
    }
  }
}

/** A promise that rejects after `ms` with a message naming what it waited for. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  return withTimeout(promise, ms, what);
}

/**
 * The simulators of global-setup.ts: `main` (client.test.ts), `faults` and `paced` (`deltaMs: 5`)
 * (client-faults.test.ts), `voice` (the `full` profile) and `voiceAgentc` (voice.test.ts). The
 * control endpoint picks one with `?sim=`.
 */
export type SimName = 'main' | 'faults' | 'paced' | 'voice' | 'voiceAgentc';

/** A fault of the control endpoint (global-setup.ts). */
export type Fault = 'drop' | 'malformed' | 'restart' | 'drop-at-event' | 'half-open' | 'revoke-tokens' | 'clear-faults';

/** The JSON body of a fault: `uiSessionId` targets one UI session (default: all of them). */
export interface FaultBody {
  readonly uiSessionId?: string;
  /** `/malformed`: the text to send. */
  readonly data?: string;
  /** `/drop-at-event`: the server event type at which the socket is killed. */
  readonly type?: string;
  /** `/half-open`: on (default) or healed. */
  readonly on?: boolean;
}

function controlAddress(controlUrl: string, path: string, sim: SimName | undefined, query: Record<string, string> = {}): string {
  const url = new URL(path, controlUrl);
  if (sim !== undefined) url.searchParams.set('sim', sim);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.href;
}

/** `POST` to the control endpoint; resolves with its JSON answer, rejects on an HTTP error. */
async function controlPost(controlUrl: string, path: string, { sim, query, body = {} }: { sim?: SimName; query?: Record<string, string>; body?: object } = {}): Promise<Record<string, unknown>> {
  const response = await fetch(controlAddress(controlUrl, path, sim, query), {
    method: 'POST',
    // a JSON content type makes the browser send a CORS preflight first: the endpoint must answer it
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${path}${sim ? `?sim=${sim}` : ''} failed: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * `POST /drop`, `/malformed`, `/restart`, `/drop-at-event`, `/half-open` or `/clear-faults` on the
 * control endpoint, for the simulator `sim` (default `main`); resolves with its JSON answer.
 */
export function injectFault(controlUrl: string, fault: Fault, body: FaultBody = {}, { sim }: { sim?: SimName } = {}): Promise<Record<string, unknown>> {
  return controlPost(controlUrl, `/${fault}`, { sim, body });
}

/** `POST /token`: a token the simulator `sim` issued for `user` (default `admin`), living `ttlMs`. */
export async function issueToken(controlUrl: string, { sim, ttlMs, user }: { sim?: SimName; ttlMs?: number; user?: string } = {}): Promise<string> {
  const query: Record<string, string> = {};
  if (ttlMs !== undefined) query.ttl = String(ttlMs);
  if (user !== undefined) query.user = user;
  const answer = await controlPost(controlUrl, '/token', { sim, query });
  if (typeof answer.token !== 'string') throw new Error(`POST /token answered ${JSON.stringify(answer)}`);
  return answer.token;
}

/** `POST /fail-refresh`: `refresh_token` of the simulator `sim` fails with `status` from now on (`'off'` restores it). */
export async function failRefresh(controlUrl: string, status: number | 'off', { sim }: { sim?: SimName } = {}): Promise<void> {
  await controlPost(controlUrl, '/fail-refresh', { sim, query: { status: String(status) } });
}

/** The `exp` claim of a JWT, in ms since the epoch. */
export function tokenExpiry(token: string): number {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error(`not a JWT: ${token}`);
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
  const claims = JSON.parse(json) as { exp?: unknown };
  if (typeof claims.exp !== 'number') throw new Error(`the JWT has no numeric exp: ${json}`);
  return claims.exp * 1000;
}

/** A UI session as the simulator holds it (`GET /sessions`). */
export interface SimSession {
  readonly uiSessionId: string;
  readonly userId: string;
  readonly chatSessionId: string;
  readonly connected: boolean;
  readonly interactionRunning: boolean;
  /** The microphone audio the simulator received from this UI session. */
  readonly audioIn: { readonly frames: number; readonly samples: number; readonly rms: number; readonly zeroCrossings: number };
}

/** `GET /sessions` on the control endpoint, for the simulator `sim` (default `main`). */
export async function simSessions(controlUrl: string, sim?: SimName): Promise<SimSession[]> {
  const response = await fetch(controlAddress(controlUrl, '/sessions', sim), { signal: AbortSignal.timeout(WAIT_MS) });
  if (!response.ok) throw new Error(`GET /sessions failed: HTTP ${response.status}`);
  return ((await response.json()) as { sessions: SimSession[] }).sessions;
}

/**
 * Asks the simulator (`sim`, default `main`) until `check` holds for the UI session `uiSessionId` (the server side changes
 * asynchronously: it sees a close only when the TCP connection ends). Rejects after `timeoutMs`.
 */
export async function untilSimSession(
  controlUrl: string,
  uiSessionId: string,
  check: (session: SimSession | undefined) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
  sim?: SimName,
): Promise<SimSession | undefined> {
  const deadline = performance.now() + timeoutMs;
  let session: SimSession | undefined;
  for (;;) {
    session = (await simSessions(controlUrl, sim)).find((s) => s.uiSessionId === uiSessionId);
    if (check(session)) return session;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the simulator holds ${JSON.stringify(session)}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20)); // poll interval, bounded by the deadline
  }
}

/** One entry of a client's timeline: a change of connection state, or a server event. */
export type TimelineEntry =
  | { readonly kind: 'state'; readonly state: ConnectionState; readonly status: ConnectionStatus }
  | { readonly kind: 'event'; readonly event: ServerEvent };

/**
 * Records connection state changes and server events of `client` in the one order the client emitted
 * them (to check, e.g., that `ready` comes right after a `user_turn_start`).
 */
export function clientTimeline(client: RealtimeClient): Recorder<TimelineEntry> {
  const states = client.connection$.pipe(
    distinctUntilChanged((a, b) => a.state === b.state),
    map((status): TimelineEntry => ({ kind: 'state', state: status.state, status })),
  );
  const events = client.events$.pipe(map((event): TimelineEntry => ({ kind: 'event', event })));
  return new Recorder<TimelineEntry>(merge(states, events), (entry) => (entry.kind === 'state' ? `[${entry.state}]` : entry.event.type));
}
