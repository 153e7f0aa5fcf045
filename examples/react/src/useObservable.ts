import { useMemo, useSyncExternalStore } from 'react';

/** What the hook needs of an observable (an RxJS `Observable` is one). */
export interface Subscribable<T> {
  subscribe(next: (value: T) => void): { unsubscribe(): void };
}

/**
 * The latest value of an observable, for rendering. The client's observables emit their current
 * value when subscribed, so `initial` is only seen before the first subscription. Keep `source`
 * stable (a client's property is): a new observable means a new subscription.
 */
export function useObservable<T, I = T>(source: Subscribable<T>, initial: I): T | I {
  const store = useMemo(() => {
    let value: T | I = initial;
    return {
      subscribe(onChange: () => void) {
        const subscription = source.subscribe((next) => {
          value = next;
          onChange();
        });
        return () => subscription.unsubscribe();
      },
      getSnapshot: () => value,
    };
    // `initial` matters only for the first render of a source
  }, [source]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
