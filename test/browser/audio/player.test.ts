/**
 * createPlayer in a real headless Chromium: its output goes into a recording AudioWorklet (the tap),
 * which reports every render quantum with the frame it was rendered at, so gaps and the stop latency
 * are measured in frames of the context's own clock.
 */
import { AudioContext, type IAudioContext } from 'standardized-audio-context';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AudioProcessorError } from '../../../src/audio/errors.js';
import { createPlayer, type Player, type PlayerContextState, type PlayerStatus } from '../../../src/audio/player.js';
import { biggestStep, createTap, frequency, rms, sinePcm16, sleep, type Tap } from './helpers.js';

const RATE = 24_000;
const CHUNK = 2400; // 100 ms at 24 kHz
const SILENT = 1e-4;

/** Ten 100 ms chunks of one continuous 440 Hz sine at amplitude 0.5. */
const chunks = Array.from({ length: 10 }, (_, i) => sinePcm16(CHUNK, RATE, { offset: i * CHUNK }));

let context: IAudioContext;
let tap: Tap;
let player: Player;
beforeEach(async () => {
  context = new AudioContext();
  await context.resume();
  tap = await createTap(context);
  player = createPlayer({ context, destination: tap.node });
});
afterEach(async () => {
  await player.close();
  tap.close();
  await context.close();
});

function idle(): Promise<void> {
  return new Promise((resolve) => {
    const off = player.onIdle(() => {
      off();
      resolve();
    });
  });
}

/** The non-silent stretch of the recording, and the longest silent run inside it. */
function sounding(samples: Float32Array) {
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]!) > SILENT) {
      if (first < 0) first = i;
      last = i;
    }
  }
  let longestSilence = 0;
  let run = 0;
  for (let i = first; i <= last; i++) {
    run = Math.abs(samples[i]!) > SILENT ? 0 : run + 1;
    longestSilence = Math.max(longestSilence, run);
  }
  return { first, last, frames: last - first + 1, longestSilence };
}

function expectConsistent(status: PlayerStatus): void {
  expect(status.chunksPlayed + status.chunksSkipped + status.queueLength).toBe(status.chunksReceived);
}

describe('createPlayer', () => {
  for (const [name, paced] of [
    ['all at once', false],
    ['as they arrive, 60 ms apart', true],
  ] as const) {
    it(`plays ten 100 ms chunks at 24 kHz without a gap (${name})`, async () => {
      const done = idle();
      const ahead: number[] = [];
      for (const chunk of chunks) {
        ahead.push(Math.round(player.status().bufferedMs));
        player.play(chunk, RATE);
        expectConsistent(player.status());
        if (paced) await sleep(60);
      }
      const playing = player.status();
      expect(playing.isPlaying).toBe(true);
      expect(playing.chunksReceived).toBe(10);
      expect(playing.bufferedMs).toBeGreaterThan(0);
      await done;
      await sleep(60); // the tap's last quanta are still on their way

      const { samples } = tap.recording();
      const sound = sounding(samples);
      const body = samples.subarray(sound.first, sound.last + 1);
      const maxSineStep = (2 * Math.PI * 440 * 0.5) / context.sampleRate;
      const figures =
        `ahead at arrival (ms) ${ahead.join(',')}; ${sound.frames} frames sounding, longest silent run ${sound.longestSilence},` +
        ` biggest step ${biggestStep(body).toFixed(4)} (sine ${maxSineStep.toFixed(4)})`;
      expect(sound.longestSilence, figures).toBeLessThanOrEqual(2);
      expect(Math.abs(sound.frames - context.sampleRate), figures).toBeLessThan(context.sampleRate * 0.002); // 1 s ± 2 ms
      expect(biggestStep(body), figures).toBeLessThan(maxSineStep * 1.1); // no click at a chunk boundary
      expect(rms(body)).toBeCloseTo(0.5 / Math.SQRT2, 2);
      expect(frequency(body, context.sampleRate)).toBeCloseTo(440, 0);

      expect(player.status()).toEqual({
        isPlaying: false,
        chunksReceived: 10,
        chunksPlayed: 10,
        chunksSkipped: 0,
        queueLength: 0,
        volume: 1,
        bufferedMs: 0,
      });
    });
  }

  it('stop() silences the output within one render quantum and skips what had not started', async () => {
    for (const chunk of chunks) player.play(chunk, RATE);
    await sleep(300);
    const stopFrame = Math.round(context.currentTime * context.sampleRate);
    player.stop();
    const stopped = player.status();
    await sleep(150);

    // The tap is a node of the same graph: its frame numbers and currentTime are one clock.
    const { start, samples } = tap.recording();
    const sound = sounding(samples);
    const lastSounding = start + sound.last;
    const figures = `last sounding frame ${lastSounding - stopFrame} after currentTime at stop()`;
    expect(start + samples.length).toBeGreaterThan(stopFrame + 2048); // the tap kept recording after the stop
    expect(Math.abs(samples[stopFrame - start - 200]!) + Math.abs(samples[stopFrame - start - 201]!)).toBeGreaterThan(SILENT); // it was playing
    expect(lastSounding - stopFrame, figures).toBeLessThan(128);

    expect(stopped.queueLength).toBe(0);
    expect(stopped.isPlaying).toBe(false);
    expect(stopped.bufferedMs).toBe(0);
    expect(stopped.chunksSkipped).toBeGreaterThan(0);
    expect(stopped.chunksPlayed).toBeGreaterThanOrEqual(3); // ~300 ms had played
    expect(stopped.chunksPlayed + stopped.chunksSkipped).toBe(10);
    expectConsistent(stopped);
  });

  it('plays again right after stop(), from a fresh schedule; onIdle is not called for a stop', async () => {
    const onIdle = vi.fn();
    player.onIdle(onIdle);
    for (const chunk of chunks) player.play(chunk, RATE);
    await sleep(100);
    player.stop();
    await sleep(100);
    expect(onIdle).not.toHaveBeenCalled();
    const done = idle();
    player.play(chunks[0]!, RATE);
    expect(player.status().bufferedMs).toBeLessThan(130); // 100 ms + the lead, not after the old schedule
    await done;
    expect(onIdle).toHaveBeenCalledTimes(1);
    expectConsistent(player.status());
    expect(player.status()).toMatchObject({ chunksReceived: 11, queueLength: 0, isPlaying: false });
  });

  it('halves the RMS at volume 0.5, clamps the volume and refuses NaN', async () => {
    const measure = async (): Promise<number> => {
      const { samples: before } = tap.recording();
      const done = idle();
      for (const chunk of chunks.slice(0, 3)) player.play(chunk, RATE);
      await done;
      await sleep(60);
      const { samples } = tap.recording();
      const fresh = samples.subarray(before.length);
      const sound = sounding(fresh);
      return rms(fresh.subarray(sound.first + 1000, sound.last - 1000));
    };
    const full = await measure();
    player.setVolume(0.5);
    expect(player.status().volume).toBe(0.5);
    const half = await measure();
    expect(half / full).toBeCloseTo(0.5, 2);

    player.setVolume(7);
    expect(player.status().volume).toBe(1);
    player.setVolume(-1);
    expect(player.status().volume).toBe(0);
    expect(() => player.setVolume(Number.NaN)).toThrow(RangeError);
    expect(() => createPlayer({ volume: Number.NaN })).toThrow(RangeError);
    expect(() => player.play(chunks[0]!, 0)).toThrow(RangeError);
  });
});

describe('createPlayer with a context of its own', () => {
  it('creates it on first use, unlocks it, reports its states and closes it', async () => {
    const own = createPlayer();
    const states: PlayerContextState[] = [];
    own.onContextState((state) => states.push(state));
    expect(own.contextState()).toBe('none');
    expect(own.status()).toMatchObject({ chunksReceived: 0, isPlaying: false, bufferedMs: 0 });

    await own.unlock(); // the autoplay flag stands in for a user gesture
    expect(own.contextState()).toBe('running');
    await vi.waitFor(() => expect(states.at(-1)).toBe('running'));

    own.play(chunks[0]!, RATE);
    expect(own.status().queueLength).toBe(1);
    await own.close();
    expect(own.contextState()).toBe('closed');
    expect(states.at(-1)).toBe('closed');
    expect(own.status()).toMatchObject({ chunksReceived: 1, queueLength: 0 });
    expectConsistent(own.status());

    own.play(chunks[1]!, RATE); // ignored once closed
    expect(own.status().chunksReceived).toBe(1);
    await expect(own.unlock()).rejects.toBeInstanceOf(AudioProcessorError);
    await own.close(); // idempotent
  });

  it('leaves an injected context open when closed (given directly, or as the destination node\'s)', async () => {
    for (const other of [createPlayer({ context }), createPlayer({ destination: tap.node })]) {
      expect(other.contextState()).toBe('running');
      await other.close();
      expect(context.state).toBe('running');
    }
  });
});
