/**
 * The bridge to RxJS: actor snapshots as observables, and the hub, the lean multicast of the
 * per-frame streams. The data plane (data/plane.ts) builds its streams from these; no other module
 * creates a Subject or a hub.
 */
import { Observable, type MonoTypeOperatorFunction, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import type { AnyActorRef, SnapshotFrom } from 'xstate';

/** An actor's snapshots: the current one on subscribe, then every change. */
export function snapshots<T extends AnyActorRef>(actor: T): Observable<SnapshotFrom<T>> {
  return new Observable<SnapshotFrom<T>>((subscriber) => {
    subscriber.next(actor.getSnapshot() as SnapshotFrom<T>);
    const subscription = actor.subscribe({
      next: (snapshot) => subscriber.next(snapshot as SnapshotFrom<T>),
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => subscription.unsubscribe();
  });
}

/** A multicast stream for the per-frame data plane; see {@link createHub}. */
export interface Hub<T> {
  /** Subscribers get the current value first (when the hub has one), then every value. */
  readonly observable: Observable<T>;
  next(value: T): void;
  /** Completes every subscriber; later subscribers complete at once. */
  complete(): void;
}

/**
 * A lean multicast for the streams that emit per frame (`events$`, `streaming$`, `audio$`): what
 * RxJS's `Subject` does, without its per-emission allocations (in the ES5 build Node loads, a
 * closure and an iterator object per `next`, garbage at the rate of the frames). Subscribers
 * are RxJS subscribers, so an error thrown in an app's callback is reported by RxJS and does not
 * stop the others. The list is copied on change, never on emission, so (un)subscribing while
 * emitting is safe. With `initial`, it behaves like a `BehaviorSubject`.
 */
export function createHub<T>(...initial: [] | [T]): Hub<T> {
  let subscribers: readonly Subscriber<T>[] = [];
  let current = initial[0] as T;
  const replays = initial.length > 0;
  let completed = false;
  return {
    observable: new Observable<T>((subscriber) => {
      if (completed) {
        subscriber.complete();
        return undefined;
      }
      subscribers = [...subscribers, subscriber];
      if (replays) subscriber.next(current);
      return () => {
        subscribers = subscribers.filter((s) => s !== subscriber);
      };
    }),
    next(value: T): void {
      if (completed) return;
      if (replays) current = value; // kept for replay only, not held on to otherwise
      const list = subscribers;
      for (let i = 0; i < list.length; i++) list[i]!.next(value);
    },
    complete(): void {
      if (completed) return;
      completed = true;
      const list = subscribers;
      subscribers = [];
      for (const subscriber of list) subscriber.complete();
    },
  };
}


// ---------------------------------------------------------------- operators
// The few RxJS operators the client's views need, written out: RxJS's own pull in its `innerFrom`
// (promises, iterables, async iterables, readable streams), the ES5 helpers those need and
// `ReplaySubject`, for inputs the views never see; writing them out took 3 KB min+gzip off the core
// bundle (`map`, `filter` and `distinctUntilChanged` another 0.3 KB: RxJS's pull in its operator
// subscriber). Each behaves as its RxJS namesake does for observables (test/node/actors/rx.test.ts
// holds them to RxJS's results). Observable, Subject and BehaviorSubject stay RxJS's: every
// observable of the client is an RxJS `Observable`, so apps pipe RxJS's operators on them.

/**
 * Subscribes `source` for `subscriber`, calling `next` for each value in its place; errors and
 * completion pass through, and an error thrown by `next` (the app's projection, say) is sent as an
 * error notification, as RxJS's operators do.
 */
function through<T, R>(source: Observable<T>, subscriber: Subscriber<R>, next: (value: T) => void): Subscription {
  return source.subscribe({
    next: (value) => {
      try {
        next(value);
      } catch (error) {
        subscriber.error(error);
      }
    },
    error: (error) => subscriber.error(error),
    complete: () => subscriber.complete(),
  });
}

/** Like RxJS's `map(project)`. */
export function map<T, R>(project: (value: T) => R): OperatorFunction<T, R> {
  return (source) => new Observable<R>((subscriber) => through(source, subscriber, (value) => subscriber.next(project(value))));
}

/** Like RxJS's `filter(predicate)` (a type guard narrows, as RxJS's does). */
export function filter<T, S extends T>(predicate: (value: T) => value is S): OperatorFunction<T, S>;
export function filter<T>(predicate: (value: T) => boolean): MonoTypeOperatorFunction<T>;
export function filter<T>(predicate: (value: T) => boolean): MonoTypeOperatorFunction<T> {
  return (source) => new Observable<T>((subscriber) => through(source, subscriber, (value) => predicate(value) && subscriber.next(value)));
}

/** Like RxJS's `distinctUntilChanged(equal)`: a value is passed on unless `equal` to the last one passed (`===` by default). */
export function distinctUntilChanged<T>(equal: (previous: T, current: T) => boolean = (a, b) => a === b): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let first = true;
      let last: T;
      return through(source, subscriber, (value) => {
        if (first || !equal(last, value)) {
          first = false;
          last = value;
          subscriber.next(value);
        }
      });
    });
}

/** Like RxJS's `defer`: `make` runs on each subscribe, and its observable is the one subscribed. */
export function defer<T>(make: () => Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => make().subscribe(subscriber));
}

/** Like RxJS's `of(value)`: one value, then complete. */
export function just<T>(value: T): Observable<T> {
  return new Observable<T>((subscriber) => {
    subscriber.next(value);
    subscriber.complete();
  });
}

/**
 * Like RxJS's `combineLatest(sources)`: once every source has emitted, an array of their latest
 * values on every emission; completes when all have completed; errors with the first error.
 */
export function combineLatest<T extends readonly unknown[]>(sources: { readonly [K in keyof T]: Observable<T[K]> }): Observable<T> {
  return new Observable<T>((subscriber) => {
    const count = sources.length;
    const values: unknown[] = new Array(count);
    const seen: boolean[] = new Array(count).fill(false);
    let waiting = count;
    let active = count;
    if (count === 0) subscriber.complete();
    for (let i = 0; i < count && !subscriber.closed; i++) {
      subscriber.add(
        (sources[i] as Observable<unknown>).subscribe({
          next: (value) => {
            values[i] = value;
            if (!seen[i]) {
              seen[i] = true;
              waiting--;
            }
            if (waiting === 0) subscriber.next(values.slice() as unknown as T);
          },
          error: (error) => subscriber.error(error),
          complete: () => {
            if (--active === 0) subscriber.complete();
          },
        }),
      );
    }
  });
}

/** Like RxJS's `takeUntil(notifier)`: the source's values until `notifier` emits, then complete. */
export function takeUntil<T>(notifier: Observable<unknown>): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      subscriber.add(notifier.subscribe({ next: () => subscriber.complete(), error: (error) => subscriber.error(error) }));
      if (!subscriber.closed) source.subscribe(subscriber);
    });
}

/** Like RxJS's `takeWhile(predicate, true)`: values while `predicate` holds, then the first that fails it, then complete. */
export function takeWhileInclusive<T>(predicate: (value: T) => boolean): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (value) => {
          const more = predicate(value);
          subscriber.next(value);
          if (!more) subscriber.complete();
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

/**
 * Like RxJS's `switchMap(project)`: each value's observable replaces the one before (which is
 * unsubscribed); completes once the source and the current inner observable have completed.
 */
export function switchMap<T, R>(project: (value: T) => Observable<R>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let index = 0;
      let inner: Subscription | undefined;
      let innerActive = false;
      let sourceDone = false;
      subscriber.add(() => inner?.unsubscribe());
      subscriber.add(
        source.subscribe({
          next: (value) => {
            const mine = ++index;
            inner?.unsubscribe();
            inner = undefined;
            innerActive = true;
            const subscription = project(value).subscribe({
              next: (result) => subscriber.next(result),
              error: (error) => subscriber.error(error),
              complete: () => {
                if (mine !== index) return;
                innerActive = false;
                if (sourceDone) subscriber.complete();
              },
            });
            if (mine !== index) subscription.unsubscribe(); // replaced while it subscribed
            else if (innerActive) inner = subscription;
          },
          error: (error) => subscriber.error(error),
          complete: () => {
            sourceDone = true;
            if (!innerActive) subscriber.complete();
          },
        }),
      );
    });
}

/**
 * Like RxJS's `shareReplay({ bufferSize: 1, refCount: false })`: the source is subscribed once, by
 * the first subscriber, and stays subscribed; every subscriber gets the latest value first, and the
 * source's completion, also after it happened. One difference: after an error RxJS's subscribes
 * the source again for the next subscriber; this one replays the error (the latest value first),
 * as a `ReplaySubject` would. The client's sources (actor snapshots) end by completing.
 */
export function shareLatest<T>(): MonoTypeOperatorFunction<T> {
  return (source) => {
    let subscribers: readonly Subscriber<T>[] = [];
    let connected = false;
    let has = false;
    let latest: T;
    let ended: { error: boolean; value?: unknown } | undefined;
    const end = (state: NonNullable<typeof ended>) => {
      ended = state;
      const list = subscribers;
      subscribers = [];
      for (const subscriber of list) (state.error ? subscriber.error(state.value) : subscriber.complete());
    };
    return new Observable<T>((subscriber) => {
      if (has) subscriber.next(latest);
      if (ended) return ended.error ? subscriber.error(ended.value) : subscriber.complete();
      subscribers = [...subscribers, subscriber];
      subscriber.add(() => {
        subscribers = subscribers.filter((s) => s !== subscriber);
      });
      if (connected) return;
      connected = true;
      source.subscribe({
        next: (value) => {
          has = true;
          latest = value;
          const list = subscribers;
          for (let i = 0; i < list.length; i++) list[i]!.next(value);
        },
        error: (error) => end({ error: true, value: error }),
        complete: () => end({ error: false }),
      });
    });
  };
}
