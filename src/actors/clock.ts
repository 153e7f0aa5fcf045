/**
 * The timer source the I/O actors wait on: xstate's clock interface, so that the runtime's injected
 * clock (a `SimulatedClock` in tests) drives their waits as it drives the machines' delays.
 */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The real timers (the default, as for xstate's machines). */
export const REAL_TIMERS: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};
