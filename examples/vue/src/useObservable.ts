import { onScopeDispose, shallowRef, type ShallowRef } from 'vue';

/** What the composable needs of an observable (an RxJS `Observable` is one). */
export interface Subscribable<T> {
  subscribe(next: (value: T) => void): { unsubscribe(): void };
}

/**
 * A ref that follows an observable until the calling component (or effect scope) is disposed.
 * The client's observables emit their current value when subscribed, so the ref holds it from the
 * start; `initial` is only there for observables that do not. `shallowRef`: each value is a new
 * immutable object, there is nothing inside to make deeply reactive.
 */
export function useObservable<T, I = T>(source: Subscribable<T>, initial: I): Readonly<ShallowRef<T | I>> {
  const value = shallowRef<T | I>(initial);
  const subscription = source.subscribe((next) => {
    value.value = next;
  });
  onScopeDispose(() => subscription.unsubscribe());
  return value;
}
