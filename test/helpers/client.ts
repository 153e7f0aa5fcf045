/**
 * Helpers shared by the client tests in Node and in Chromium (nothing here needs Node's modules).
 */
import { expect } from 'vitest';
import type { UploadProgress } from '../../src/actors/upload.js';
import type { ClientError } from '../../src/errors.js';

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The rejection of `promise` (fails the test if it resolves), within `ms`. */
export async function rejection(promise: Promise<unknown>, ms: number, what: string): Promise<ClientError> {
  const outcome = await withTimeout(
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    ms,
    what,
  );
  if (outcome.ok) throw new Error(`${what} resolved (${JSON.stringify(outcome.value)?.slice(0, 200)}) instead of rejecting`);
  return outcome.error as ClientError;
}

/** A `fetch` that records the path of every call (and still goes to the network). */
export function countingFetch() {
  const paths: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    paths.push(new URL(url).pathname);
    return fetch(input, init);
  };
  return { fetch: fetchImpl, paths, count: (path: string) => paths.filter((p) => p === path).length };
}

/** Upload progress never goes back, and ends at 100 % of the multipart body (the file plus its envelope). */
export function expectUploadProgress(progress: readonly UploadProgress[], fileSize: number): void {
  expect(progress.length, 'progress events').toBeGreaterThanOrEqual(1);
  for (let i = 1; i < progress.length; i++) {
    expect(progress[i]!.loaded, `progress #${i}`).toBeGreaterThanOrEqual(progress[i - 1]!.loaded);
    expect(progress[i]!.percentage, `progress #${i}`).toBeGreaterThanOrEqual(progress[i - 1]!.percentage);
  }
  const last = progress.at(-1)!;
  expect(last.percentage).toBe(100);
  expect(last.loaded).toBe(last.total);
  expect(last.total).toBeGreaterThanOrEqual(fileSize);
}
