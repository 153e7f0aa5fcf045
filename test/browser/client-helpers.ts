/**
 * Helpers of the client browser tests: a recorder that keeps every value an observable emits and
 * waits for one with an explicit timeout, and the fault-injection calls to the control endpoint that
 * global-setup.ts runs next to the simulator.
 */
import type { Observable, Subscription } from 'rxjs';

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A fault of the control endpoint (global-setup.ts). */
export type Fault = 'drop' | 'malformed' | 'restart';

/** `POST /drop`, `/malformed` or `/restart` on the control endpoint; resolves with its JSON answer. */
export async function injectFault(controlUrl: string, fault: Fault, body: { uiSessionId?: string; data?: string } = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${controlUrl}/${fault}`, {
    method: 'POST',
    // a JSON content type makes the browser send a CORS preflight first: the endpoint must answer it
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST /${fault} failed: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A UI session as the simulator holds it (`GET /sessions`). */
export interface SimSession {
  readonly uiSessionId: string;
  readonly userId: string;
  readonly chatSessionId: string;
  readonly connected: boolean;
  readonly interactionRunning: boolean;
}

/** `GET /sessions` on the control endpoint. */
export async function simSessions(controlUrl: string): Promise<SimSession[]> {
  const response = await fetch(`${controlUrl}/sessions`, { signal: AbortSignal.timeout(WAIT_MS) });
  if (!response.ok) throw new Error(`GET /sessions failed: HTTP ${response.status}`);
  return ((await response.json()) as { sessions: SimSession[] }).sessions;
}

/**
 * Asks the simulator until `check` holds for the UI session `uiSessionId` (the server side changes
 * asynchronously: it sees a close only when the TCP connection ends). Rejects after `timeoutMs`.
 */
export async function untilSimSession(
  controlUrl: string,
  uiSessionId: string,
  check: (session: SimSession | undefined) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<SimSession | undefined> {
  const deadline = performance.now() + timeoutMs;
  let session: SimSession | undefined;
  for (;;) {
    session = (await simSessions(controlUrl)).find((s) => s.uiSessionId === uiSessionId);
    if (check(session)) return session;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the simulator holds ${JSON.stringify(session)}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20)); // poll interval, bounded by the deadline
  }
}
