/**
 * The hub: the lean multicast behind events$, streaming$ and audio$ (src/actors/rx.ts). It must keep
 * the promises of an RxJS Subject / BehaviorSubject that the public observables make.
 */
import { config, map } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHub } from '../../../src/actors/rx.js';

afterEach(() => {
  config.onUnhandledError = null;
});

describe('createHub', () => {
  it('without an initial value, a subscriber gets only what is emitted after it subscribed', () => {
    const hub = createHub<number>();
    hub.next(1);
    const seen: number[] = [];
    hub.observable.subscribe((n) => seen.push(n));
    hub.next(2);
    hub.next(3);
    expect(seen).toEqual([2, 3]);
  });

  it('with an initial value, a subscriber gets the current value first (like a BehaviorSubject)', () => {
    const hub = createHub<string | null>(null);
    const first: (string | null)[] = [];
    hub.observable.subscribe((s) => first.push(s));
    hub.next('a');
    const second: (string | null)[] = [];
    hub.observable.subscribe((s) => second.push(s));
    hub.next('b');
    expect(first).toEqual([null, 'a', 'b']);
    expect(second).toEqual(['a', 'b']);
  });

  it('delivers every value to every subscriber, through operators too', () => {
    const hub = createHub<number>();
    const a: number[] = [];
    const b: number[] = [];
    hub.observable.subscribe((n) => a.push(n));
    hub.observable.pipe(map((n) => n * 10)).subscribe((n) => b.push(n));
    for (let i = 0; i < 5; i++) hub.next(i);
    expect(a).toEqual([0, 1, 2, 3, 4]);
    expect(b).toEqual([0, 10, 20, 30, 40]);
  });

  it('a subscriber that unsubscribes itself or another while a value is delivered breaks nothing', () => {
    const hub = createHub<number>();
    const seen: string[] = [];
    const first = hub.observable.subscribe((n) => {
      seen.push(`first ${n}`);
      first.unsubscribe();
      second.unsubscribe(); // an unsubscribed subscriber gets nothing more, not even the value being delivered
    });
    const second = hub.observable.subscribe((n) => seen.push(`second ${n}`));
    const third = hub.observable.subscribe((n) => seen.push(`third ${n}`));
    hub.next(1);
    hub.next(2);
    third.unsubscribe();
    hub.next(3);
    expect(seen).toEqual(['first 1', 'third 1', 'third 2']);
  });

  it('a subscriber added while a value is delivered gets the next value, not this one', () => {
    const hub = createHub<number>();
    const late: number[] = [];
    let added = false;
    hub.observable.subscribe(() => {
      if (added) return;
      added = true;
      hub.observable.subscribe((n) => late.push(n));
    });
    hub.next(1);
    hub.next(2);
    expect(late).toEqual([2]);
  });

  it('an error thrown by one subscriber is reported by RxJS and does not stop the others', () => {
    const reported: unknown[] = [];
    config.onUnhandledError = (error) => reported.push(error);
    vi.useFakeTimers();
    try {
      const hub = createHub<number>();
      const after: number[] = [];
      hub.observable.subscribe(() => {
        throw new Error('app bug');
      });
      hub.observable.subscribe((n) => after.push(n));
      expect(() => hub.next(1)).not.toThrow();
      expect(after).toEqual([1]);
      vi.runAllTimers(); // RxJS reports unhandled errors on a timeout
      expect(reported).toHaveLength(1);
      expect((reported[0] as Error).message).toBe('app bug');
    } finally {
      vi.useRealTimers();
    }
  });

  it('complete() completes every subscriber once; later values are ignored and late subscribers complete at once', () => {
    const hub = createHub<number>(0);
    const events: string[] = [];
    hub.observable.subscribe({ next: (n) => events.push(`next ${n}`), complete: () => events.push('complete') });
    hub.complete();
    hub.complete();
    hub.next(1);
    hub.observable.subscribe({ next: (n) => events.push(`late next ${n}`), complete: () => events.push('late complete') });
    expect(events).toEqual(['next 0', 'complete', 'late complete']);
  });
});
