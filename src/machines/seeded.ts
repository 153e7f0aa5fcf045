/**
 * A random number as a pure function of a seed, so a machine can keep its PRNG state in context
 * (a number: serialisable, replayable) instead of calling `Math.random` from an action.
 */

/** One step of mulberry32: a value in [0, 1) and the next seed. */
export function stepRandom(seed: number): { readonly value: number; readonly seed: number } {
  const next = (seed + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, seed: next };
}
