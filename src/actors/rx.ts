/**
 * The bridge to RxJS: actor snapshots as observables, and the hub, the lean multicast of the
 * per-frame streams. The data plane (data/plane.ts) builds its streams from these; no other module
 * creates a Subject or a hub.
 */
import { Observable, type Subscriber } from 'rxjs';
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

