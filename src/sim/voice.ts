/**
 * Pure audio helpers of the simulator's `full` profile: an energy-based end-of-utterance detector
 * for the client's binary PCM16 input and a deterministic fake text-to-speech for the binary output.
 *
 * No I/O and no timers: everything here is a function of its input. Audio is PCM 16-bit signed
 * mono at {@link VOICE_SAMPLE_RATE} in both directions (docs/protocol.md §8); samples are handled as
 * `Int16Array` values, so byte order is the concern of whoever converts socket frames.
 *
 * @module
 */

/** Sample rate of voice audio in both directions, in Hz (PCM16 LE mono, docs/protocol.md §8). */
export const VOICE_SAMPLE_RATE = 24_000;

/** Full scale of a signed 16-bit sample; RMS levels are fractions of it. */
const FULL_SCALE = 32_768;

/** Options of {@link UtteranceDetector}; every one is optional. */
export interface UtteranceDetectorOptions {
  /** Sample rate of the pushed audio, in Hz. @default 24000 */
  readonly sampleRate?: number;
  /** Length of the analysis window, in ms. @default 20 */
  readonly frameMs?: number;
  /** RMS level (fraction of full scale) above which a frame counts as speech. @default 0.02 */
  readonly threshold?: number;
  /** Shorter bursts of speech-level frames are noise and ignored, in ms. @default 120 */
  readonly minSpeechMs?: number;
  /** Silence after speech that ends an utterance, in ms. @default 500 */
  readonly silenceMs?: number;
  /** An utterance is ended by force once it has lasted this long, in ms. @default 30000 */
  readonly maxUtteranceMs?: number;
}

/** Speech began at `atMs` (position in the stream, in ms since the first sample or the last reset). */
export interface SpeechStartedEvent {
  readonly type: 'speech_started';
  readonly atMs: number;
}

/**
 * Speech ended at `atMs` (position in the stream, in ms): the end of the last speech-level frame,
 * or the position where `maxUtteranceMs` cut the utterance. `durationMs` is `atMs` minus the
 * `atMs` of the matching `speech_started`.
 */
export interface SpeechEndedEvent {
  readonly type: 'speech_ended';
  readonly atMs: number;
  readonly durationMs: number;
}

/** What {@link UtteranceDetector} reports. */
export type UtteranceEvent = SpeechStartedEvent | SpeechEndedEvent;

/**
 * Energy-based end-of-utterance detector, fed with PCM16 chunks of any size.
 *
 * The stream is cut into fixed analysis frames of `frameMs`, aligned to the start of the stream
 * (not to the chunks), so the events do not depend on how the audio was chunked. A frame whose RMS
 * exceeds `threshold` is a speech frame. A run of consecutive speech frames lasting at least
 * `minSpeechMs` starts an utterance (`speech_started` carries the position of the run's first
 * frame); `silenceMs` without a speech frame ends it (`speech_ended` carries the end of the last
 * speech frame); an utterance that reaches `maxUtteranceMs` is ended at that point, and speech that
 * goes on afterwards starts a new utterance once it again lasts `minSpeechMs`.
 *
 * Memory is constant: the detector keeps running sums and counters only, never the samples, so an
 * endless stream costs nothing more than a short one. (State lives in plain TypeScript-private
 * fields, so tests can inspect that it does not grow.)
 */
export class UtteranceDetector {
  private readonly sampleRate: number;
  private readonly frameSamples: number;
  /** Threshold on the mean square of a frame, in raw sample units (avoids a sqrt per frame). */
  private readonly thresholdMeanSquare: number;
  private readonly minSpeechSamples: number;
  private readonly silenceSamples: number;
  private readonly maxUtteranceSamples: number;

  /** Samples consumed since construction or the last reset (position of the next sample). */
  private position = 0;
  /** Sum of squares and sample count of the frame being filled. */
  private frameSumSquares = 0;
  private frameFill = 0;
  /** Stream position of the first sample of the current run of speech frames, or -1. */
  private runStart = -1;
  /** Whether an utterance is in progress (after `speech_started`, before `speech_ended`). */
  private inUtterance = false;
  /** Stream position where the utterance in progress started. */
  private utteranceStart = 0;
  /** Stream position just after the last speech frame of the utterance in progress. */
  private lastSpeechEnd = 0;

  /** @throws RangeError when an option is not a positive finite number (threshold: not negative). */
  constructor(options: UtteranceDetectorOptions = {}) {
    const sampleRate = options.sampleRate ?? VOICE_SAMPLE_RATE;
    const frameMs = options.frameMs ?? 20;
    const threshold = options.threshold ?? 0.02;
    const minSpeechMs = options.minSpeechMs ?? 120;
    const silenceMs = options.silenceMs ?? 500;
    const maxUtteranceMs = options.maxUtteranceMs ?? 30_000;
    for (const [name, value] of [
      ['sampleRate', sampleRate],
      ['frameMs', frameMs],
      ['silenceMs', silenceMs],
      ['maxUtteranceMs', maxUtteranceMs],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
    }
    for (const [name, value] of [
      ['threshold', threshold],
      ['minSpeechMs', minSpeechMs],
    ] as const) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must not be negative, got ${value}`);
    }
    this.sampleRate = sampleRate;
    this.frameSamples = Math.max(1, Math.round((frameMs * sampleRate) / 1000));
    const thresholdRaw = threshold * FULL_SCALE;
    this.thresholdMeanSquare = thresholdRaw * thresholdRaw;
    this.minSpeechSamples = Math.round((minSpeechMs * sampleRate) / 1000);
    this.silenceSamples = Math.round((silenceMs * sampleRate) / 1000);
    this.maxUtteranceSamples = Math.max(1, Math.round((maxUtteranceMs * sampleRate) / 1000));
  }

  /**
   * Feed the next chunk of the stream.
   * @returns the events this chunk completed, in stream order (often none).
   */
  push(pcm: Int16Array): UtteranceEvent[] {
    const events: UtteranceEvent[] = [];
    const frameSamples = this.frameSamples;
    let sumSquares = this.frameSumSquares;
    let fill = this.frameFill;
    let i = 0;
    const n = pcm.length;
    while (i < n) {
      // Fill the current frame as far as this chunk allows, without a per-sample branch on the frame end.
      const take = Math.min(frameSamples - fill, n - i);
      const end = i + take;
      for (; i < end; i++) {
        const s = pcm[i]!;
        sumSquares += s * s;
      }
      fill += take;
      if (fill === frameSamples) {
        this.position += fill;
        this.endFrame(sumSquares / fill, fill, events);
        sumSquares = 0;
        fill = 0;
      }
    }
    this.frameSumSquares = sumSquares;
    this.frameFill = fill;
    return events;
  }

  /**
   * End the stream here, as at the end of push-to-talk: a partly filled frame is analysed as it is,
   * and an utterance in progress ends now (at the end of its last speech frame). A run of speech
   * still shorter than `minSpeechMs` is dropped as noise. Later pushes continue the same timeline.
   * @returns the events this completed (at most a `speech_started` and a `speech_ended`).
   */
  flush(): UtteranceEvent[] {
    const events: UtteranceEvent[] = [];
    if (this.frameFill > 0) {
      this.position += this.frameFill;
      this.endFrame(this.frameSumSquares / this.frameFill, this.frameFill, events);
      this.frameSumSquares = 0;
      this.frameFill = 0;
    }
    if (this.inUtterance) this.endUtterance(this.lastSpeechEnd, events);
    this.runStart = -1;
    return events;
  }

  /** Forget everything, including the stream position: the next sample is at 0 ms again. */
  reset(): void {
    this.position = 0;
    this.frameSumSquares = 0;
    this.frameFill = 0;
    this.runStart = -1;
    this.inUtterance = false;
    this.utteranceStart = 0;
    this.lastSpeechEnd = 0;
  }

  /** Whether an utterance is in progress (a `speech_started` has not been followed by its `speech_ended`). */
  get speaking(): boolean {
    return this.inUtterance;
  }

  /** Analyse the frame of `length` samples that ends at `this.position` (short only when flushed). */
  private endFrame(meanSquare: number, length: number, events: UtteranceEvent[]): void {
    const frameEnd = this.position;
    const isSpeech = meanSquare > this.thresholdMeanSquare;
    if (this.inUtterance) {
      if (isSpeech) this.lastSpeechEnd = frameEnd;
      if (!isSpeech && frameEnd - this.lastSpeechEnd >= this.silenceSamples) {
        this.endUtterance(this.lastSpeechEnd, events);
      } else if (frameEnd - this.utteranceStart >= this.maxUtteranceSamples) {
        // Cut here; speech that goes on must build a new run of minSpeechMs before it counts again.
        this.endUtterance(this.utteranceStart + this.maxUtteranceSamples, events);
      }
      this.runStart = -1;
      return;
    }
    if (!isSpeech) {
      this.runStart = -1;
      return;
    }
    if (this.runStart < 0) this.runStart = frameEnd - length;
    if (frameEnd - this.runStart >= this.minSpeechSamples) {
      this.inUtterance = true;
      this.utteranceStart = this.runStart;
      this.lastSpeechEnd = frameEnd;
      this.runStart = -1;
      events.push({ type: 'speech_started', atMs: this.toMs(this.utteranceStart) });
      if (frameEnd - this.utteranceStart >= this.maxUtteranceSamples) {
        this.endUtterance(this.utteranceStart + this.maxUtteranceSamples, events);
      }
    }
  }

  private endUtterance(end: number, events: UtteranceEvent[]): void {
    this.inUtterance = false;
    const atMs = this.toMs(end);
    events.push({ type: 'speech_ended', atMs, durationMs: atMs - this.toMs(this.utteranceStart) });
  }

  private toMs(samples: number): number {
    return (samples * 1000) / this.sampleRate;
  }
}

/** Options of {@link synthesizeSpeech}. */
export interface SynthesizeSpeechOptions {
  /** Output sample rate, in Hz. @default 24000 */
  readonly sampleRate?: number;
  /** Length of the tone of each word, in ms (a 40 ms pause follows every word). @default 180 */
  readonly msPerWord?: number;
  /** Varies the pitch chosen for each word. @default 1 */
  readonly seed?: number;
}

/** Pause after each word, in ms. */
const WORD_GAP_MS = 40;
/** Fade in and out of each word, in ms (no clicks at the tone edges). */
const FADE_MS = 5;
/** Peak amplitude of a word, as a fraction of full scale. */
const AMPLITUDE = 0.3;

/**
 * Deterministic fake text-to-speech: for each whitespace-separated word, a voiced tone of
 * `msPerWord` (fundamental between 140 and 220 Hz chosen from the seed and the word, with a weaker
 * second harmonic and a slight downward glide; peak ~0.3 of full scale with a 5 ms fade in and
 * out) followed by 40 ms of silence. The result therefore has exactly
 * `words × round((msPerWord + 40) × sampleRate / 1000)` samples (the last word's pause included).
 * Same text and options, same samples. Empty or blank text gives an empty array.
 */
export function synthesizeSpeech(text: string, options: SynthesizeSpeechOptions = {}): Int16Array {
  const sampleRate = options.sampleRate ?? VOICE_SAMPLE_RATE;
  const msPerWord = options.msPerWord ?? 180;
  const seed = options.seed ?? 1;
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new RangeError(`sampleRate must be positive, got ${sampleRate}`);
  if (!(Number.isFinite(msPerWord) && msPerWord >= 0)) throw new RangeError(`msPerWord must not be negative, got ${msPerWord}`);
  const words = text.split(/\s+/u).filter((word) => word.length > 0);
  if (words.length === 0) return new Int16Array(0);

  const toneSamples = Math.round((msPerWord * sampleRate) / 1000);
  const wordSamples = Math.round(((msPerWord + WORD_GAP_MS) * sampleRate) / 1000);
  const fadeSamples = Math.min(Math.round((FADE_MS * sampleRate) / 1000), Math.floor(toneSamples / 2));
  const out = new Int16Array(words.length * wordSamples);
  const peak = AMPLITUDE * (FULL_SCALE - 1);

  words.forEach((word, index) => {
    const hash = hashWord(word, seed);
    const f0 = 140 + (hash % 81); // 140..220 Hz
    const glide = 0.9 + ((hash >>> 8) % 11) / 100; // ends at 90..100 % of f0
    const offset = index * wordSamples;
    let phase = 0;
    for (let i = 0; i < toneSamples; i++) {
      const progress = toneSamples > 1 ? i / (toneSamples - 1) : 0;
      const frequency = f0 * (1 + (glide - 1) * progress);
      phase += (2 * Math.PI * frequency) / sampleRate;
      let gain = 1;
      if (fadeSamples > 0) {
        if (i < fadeSamples) gain = i / fadeSamples;
        else if (i >= toneSamples - fadeSamples) gain = (toneSamples - 1 - i) / fadeSamples;
      }
      const value = 0.8 * Math.sin(phase) + 0.2 * Math.sin(2 * phase);
      out[offset + i] = Math.round(peak * gain * value);
    }
  });
  return out;
}

/** FNV-1a over the UTF-16 code units of `word`, mixed with `seed`; an unsigned 32-bit result. */
function hashWord(word: string, seed: number): number {
  let h = (0x811c9dc5 ^ (seed | 0)) >>> 0;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche so that neighbouring seeds give unrelated pitches.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Split PCM into chunks of `chunkMs` (`round(chunkMs × sampleRate / 1000)` samples, at least 1);
 * the last chunk may be shorter. The chunks are `subarray` views sharing `pcm`'s memory, not
 * copies: copy them (`slice()`) before changing either side.
 * @throws RangeError when `chunkMs` or `sampleRate` is not a positive number.
 */
export function chunkPcm(pcm: Int16Array, chunkMs: number, sampleRate: number = VOICE_SAMPLE_RATE): Int16Array[] {
  if (!(Number.isFinite(chunkMs) && chunkMs > 0)) throw new RangeError(`chunkMs must be positive, got ${chunkMs}`);
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new RangeError(`sampleRate must be positive, got ${sampleRate}`);
  const size = Math.max(1, Math.round((chunkMs * sampleRate) / 1000));
  const chunks: Int16Array[] = [];
  for (let start = 0; start < pcm.length; start += size) chunks.push(pcm.subarray(start, start + size));
  return chunks;
}

/** Root mean square of the samples, as a fraction of full scale (0..1); 0 for no samples. */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = pcm[i]!;
    sum += s * s;
  }
  return Math.min(1, Math.sqrt(sum / pcm.length) / FULL_SCALE);
}
