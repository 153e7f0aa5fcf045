/**
 * Seeded randomness, so a simulator run is reproducible: ids, scripted text, jitter.
 */

import { stepRandom } from '../machines/seeded.js';

/** A seeded PRNG (the same mulberry32 step the machines use): returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const next = stepRandom(state);
    state = next.seed;
    return next.value;
  };
}

const WORDS = (
  'amber brisk calm dapper eager fabled gentle hardy ivory jolly keen lively mellow nimble opal ' +
  'plucky quiet rapid sunny tidy upbeat vivid witty young zesty harbor falcon otter maple cedar ' +
  'river meadow summit canyon comet lagoon willow ember glacier orchard prairie quartz raven sparrow'
).split(' ');

/** Picks one element. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A slug of `count` words joined by `-`, like the server's ids (`quiet-harbor`). */
export function slug(random: () => number, count: number): string {
  return Array.from({ length: count }, () => pick(random, WORDS)).join('-');
}
