/**
 * The capture processor on its own, fed by an oscillator inside the graph (no MediaStream in
 * between, so any discontinuity would be the processor's): batches, continuity, channel averaging,
 * running with no input, and the stop message.
 */
import { AudioContext, AudioWorkletNode, type IAudioContext, type IAudioWorkletNode } from 'standardized-audio-context';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { CAPTURE_PROCESSOR_NAME, CAPTURE_PROCESSOR_SOURCE } from '../../../src/audio/worklet/capture-processor.js';
import { biggestStep, concat, frequency, rms, sleep } from './helpers.js';

let context: IAudioContext;
beforeEach(async () => {
  context = new AudioContext();
  await context.resume();
  await load();
});
afterEach(() => context.close());

async function load(): Promise<void> {
  const url = URL.createObjectURL(new Blob([CAPTURE_PROCESSOR_SOURCE], { type: 'application/javascript' }));
  try {
    await context.audioWorklet!.addModule(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

function captureNode(batchFrames?: number) {
  const node: IAudioWorkletNode<IAudioContext> = new AudioWorkletNode!(context, CAPTURE_PROCESSOR_NAME, {
    channelCount: 2,
    channelCountMode: 'explicit',
    outputChannelCount: [1],
    processorOptions: batchFrames === undefined ? {} : { batchFrames },
  });
  const blocks: Float32Array[] = [];
  node.port.onmessage = (event: MessageEvent<Float32Array>) => blocks.push(event.data);
  const mute = context.createGain();
  mute.gain.value = 0;
  node.connect(mute).connect(context.destination);
  return { node, blocks };
}

function sine(amplitude: number) {
  const oscillator = context.createOscillator();
  oscillator.frequency.value = 440;
  const level = context.createGain();
  level.gain.value = amplitude;
  oscillator.connect(level);
  oscillator.start();
  return level;
}

it('posts every sample of its input, in batches of the configured size, with nothing lost between them', async () => {
  const { node, blocks } = captureNode(300); // not a multiple of the 128-frame quantum
  sine(0.5).connect(node);
  await vi.waitFor(() => expect(blocks.length * 300).toBeGreaterThan(context.sampleRate * 0.6), { timeout: 5000 });
  expect(new Set(blocks.map((block) => block.length))).toEqual(new Set([300]));
  const samples = concat(blocks).subarray(300); // the oscillator's first quantum may start mid-block
  expect(biggestStep(samples)).toBeLessThan(((2 * Math.PI * 440 * 0.5) / context.sampleRate) * 1.01);
  expect(rms(samples)).toBeCloseTo(0.5 / Math.SQRT2, 2);
  expect(frequency(samples, context.sampleRate)).toBeCloseTo(440, 0);
});

it('averages a stereo input and defaults to 2048-frame batches', async () => {
  const { node, blocks } = captureNode();
  const merger = context.createChannelMerger(2);
  sine(0.5).connect(merger, 0, 0); // left only
  merger.connect(node);
  await vi.waitFor(() => expect(blocks.length).toBeGreaterThan(4), { timeout: 5000 });
  expect(blocks[0]!.length).toBe(2048);
  expect(rms(concat(blocks.slice(1)))).toBeCloseTo(0.25 / Math.SQRT2, 2);
});

it('keeps running without input (posting nothing) and stops on { type: "stop" }', async () => {
  const { node, blocks } = captureNode(256);
  await sleep(150);
  expect(blocks).toEqual([]);
  sine(0.5).connect(node); // still alive: it was not ended by the silence
  await vi.waitFor(() => expect(blocks.length).toBeGreaterThan(3), { timeout: 5000 });
  node.port.postMessage({ type: 'stop' });
  await sleep(60); // what was posted before the stop arrived
  const count = blocks.length;
  await sleep(150);
  expect(blocks.length).toBe(count);
});

it('can be loaded twice into one context (the second registration is ignored)', async () => {
  await expect(load()).resolves.toBeUndefined();
  const { node, blocks } = captureNode(128);
  sine(0.5).connect(node);
  await vi.waitFor(() => expect(blocks.length).toBeGreaterThan(2), { timeout: 5000 });
});
