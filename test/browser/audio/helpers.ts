/**
 * Helpers of the audio browser tests: signal figures, a scripted `mediaDevices` around the real one
 * (Chromium's fake microphone), and a tap that records what reaches a point of a real audio graph.
 */
import { AudioWorkletNode, type IAudioContext, type IAudioWorkletNode, type IGainNode } from 'standardized-audio-context';
import type { MediaDevicesLike } from '../../../src/audio/capture.js';

/** Raw microphone: Chromium's processing would reshape the sine (toolchain.md, P4). */
export const RAW = { echoCancellation: false, noiseSuppression: false, autoGainControl: false } as const;

export function concat(blocks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}

export function rms(samples: Float32Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / samples.length);
}

/**
 * The frequency from the median period between rising zero crossings (interpolated between
 * samples): one discontinuity in the recording moves a single period, not the answer.
 */
export function frequency(samples: Float32Array, sampleRate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  const periods = crossings.slice(1).map((at, i) => at - crossings[i]!).sort((x, y) => x - y);
  if (periods.length === 0) return 0;
  return sampleRate / periods[Math.floor(periods.length / 2)]!;
}

/** The biggest step between neighbouring samples: a lost, repeated or inserted stretch shows as a step far above a sine's. */
export function biggestStep(samples: Float32Array): number {
  let step = 0;
  for (let i = 1; i < samples.length; i++) step = Math.max(step, Math.abs(samples[i]! - samples[i - 1]!));
  return step;
}

/** A PCM16 sine, continuing its phase across chunks (`offset` is the first sample's index). */
export function sinePcm16(frames: number, sampleRate: number, { hz = 440, amplitude = 0.5, offset = 0 } = {}): Int16Array {
  const pcm = new Int16Array(frames);
  for (let i = 0; i < frames; i++) pcm[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * (offset + i)) / sampleRate));
  return pcm;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `navigator.mediaDevices` with a script: `failures` are thrown by the next getUserMedia calls (one
 * each; `null` lets a call through), `streamFor` replaces the real stream, `listed` replaces
 * enumerateDevices' answer. Every stream handed out is kept in `streams`.
 */
export class ScriptedDevices extends EventTarget implements MediaDevicesLike {
  readonly streams: MediaStream[] = [];
  readonly requests: MediaStreamConstraints[] = [];
  failures: (Error | null)[] = [];
  streamFor: (() => MediaStream) | undefined;
  listed: MediaDeviceInfo[] | undefined;

  async getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    this.requests.push(constraints);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const stream = this.streamFor ? this.streamFor() : await navigator.mediaDevices.getUserMedia(constraints);
    this.streams.push(stream);
    return stream;
  }

  enumerateDevices(): Promise<MediaDeviceInfo[]> {
    return this.listed ? Promise.resolve(this.listed) : navigator.mediaDevices.enumerateDevices();
  }

  tracks(): MediaStreamTrack[] {
    return this.streams.flatMap((stream) => stream.getTracks());
  }
}

/** Ends a track as the browser does when its device is unplugged. */
export function unplug(track: MediaStreamTrack): void {
  track.stop();
  track.dispatchEvent(new Event('ended'));
}

// Posts every render quantum's input (channel 0) with the frame it was rendered at. The frame is
// counted from the first quantum: Chromium's \`currentFrame\` was seen to repeat a value for two
// consecutive quanta now and then (and skip the next), which would misplace a quantum.
const TAP_SOURCE = `registerProcessor('test-tap', class extends AudioWorkletProcessor {
  process(inputs) {
    if (this.first === undefined) { this.first = currentFrame; this.count = 0; }
    const channel = inputs[0] && inputs[0][0];
    const copy = new Float32Array(128);
    if (channel && channel.length) copy.set(channel);
    this.port.postMessage({ frame: this.first + 128 * this.count++, samples: copy }, [copy.buffer]);
    return true;
  }
});`;

/** A recording AudioWorklet: connect audio to `node`; `recording()` is what it heard, from frame `start`. */
export interface Tap {
  readonly node: IAudioWorkletNode<IAudioContext>;
  recording(): { start: number; samples: Float32Array };
  close(): void;
}

export async function createTap(context: IAudioContext): Promise<Tap> {
  const url = URL.createObjectURL(new Blob([TAP_SOURCE], { type: 'application/javascript' }));
  await context.audioWorklet!.addModule(url);
  URL.revokeObjectURL(url);
  const node = new AudioWorkletNode!(context, 'test-tap', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
  const quanta: { frame: number; samples: Float32Array }[] = [];
  node.port.onmessage = (event: MessageEvent<{ frame: number; samples: Float32Array }>) => quanta.push(event.data);
  const mute: IGainNode<IAudioContext> = context.createGain();
  mute.gain.value = 0;
  node.connect(mute).connect(context.destination);
  return {
    node,
    recording() {
      const start = quanta[0]?.frame ?? 0;
      const samples = new Float32Array(quanta.length === 0 ? 0 : quanta.at(-1)!.frame + 128 - start);
      for (const quantum of quanta) samples.set(quantum.samples, quantum.frame - start);
      return { start, samples };
    },
    close() {
      node.port.onmessage = null;
      node.disconnect();
      mute.disconnect();
    },
  };
}
