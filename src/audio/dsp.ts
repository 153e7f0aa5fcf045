/**
 * Pure DSP of the voice feature: sample-rate conversion, PCM16 conversion and byte order, levels,
 * fixed-size chunking and an energy gate for voice activity.
 *
 * No browser APIs, no xstate, no rxjs, no timers: every function here is a function of its input
 * (and, for the streaming ones, of the state they keep between calls), so it runs the same in an
 * AudioWorklet, on the main thread and in Node tests. Time is counted in samples.
 *
 * Float audio is in [-1, 1]; PCM16 is signed 16-bit; the wire carries PCM16 little-endian mono
 * (docs/protocol.md §8.1).
 *
 * @module
 */

// ---------------------------------------------------------------------------- resampling

/**
 * Zero crossings of the sinc on each side of the filter's centre. With the window below this gives
 * about 70 dB of stop-band rejection and a transition band of about 0.15 of the lower rate, for
 * 14 taps of the lower rate on each side (the latency).
 */
const ZERO_CROSSINGS = 12;
/** Kaiser window shape β: about 70 dB of rejection (Kaiser's formula β = 0.1102 · (A − 8.7)). */
const KAISER_BETA = 6.8;
/**
 * Cutoff (−6 dB) of the low-pass as a fraction of the lower Nyquist frequency. Chosen so that the
 * stop band starts at about the lower Nyquist (−45 dB there, −70 dB from 1.06 of it: what aliases
 * at all lands at the very top of the new band) while the pass band stays flat within 0.15 dB to
 * 0.75 of it (9 kHz at 24 kHz, 6 kHz at 16 kHz), which keeps the whole voice band.
 */
const CUTOFF = 0.87;
/**
 * Most filter phases kept in the table. A conversion whose reduced ratio has more output steps per
 * input sample than this (an unusual pair such as 44 100 → 48 001 Hz) interpolates linearly
 * between neighbouring phases instead of keeping one row per phase.
 */
const MAX_PHASES = 256;
/** Largest term of the reduced ratio; the conversion counts positions in integers up to this. */
const MAX_RATIO_TERM = 2 ** 20;

/**
 * A streaming sample-rate converter made by {@link createResampler}: call it with each block of
 * input, in order; it returns the output those samples complete.
 */
export interface Resampler {
  /**
   * Converts the next block of the stream. The result is a new array the caller owns (a copy
   * when the rates are equal). An empty block returns an empty array.
   */
  (input: Float32Array): Float32Array<ArrayBuffer>;
  /**
   * Delay of the signal through the filter, in seconds (0 when the rates are equal): a feature at
   * input time `t` appears at output time `t + latency`.
   */
  readonly latency: number;
  /** Forgets the stream: history, phase and counts start again as for a new converter. */
  reset(): void;
}

/** The conversion ratio `to / from` as a fraction `up / down` in lowest terms. */
interface Ratio {
  readonly up: number;
  readonly down: number;
}

/**
 * How an output sample is computed from a {@link PhaseTable}: `direct`, one row per phase;
 * `folded`, the same with symmetric rows stored as half rows; `interpolated`, between the two rows
 * nearest the phase when there are more phases than {@link MAX_PHASES}.
 */
type Kernel = 'folded' | 'direct' | 'interpolated';

/** A polyphase filter table: row `p`, `width` coefficients from `p · width`, is the filter at phase `p / phases`. */
interface PhaseTable {
  readonly kernel: Kernel;
  /** Input samples one output reads. */
  readonly taps: number;
  /** Phases the rows stand for (an interpolated table has one more row, for phase 1). */
  readonly phases: number;
  /** The `up` of the ratio: phases are counted in steps of `1 / up` input samples. */
  readonly up: number;
  /** Coefficients per row: `taps`, or `taps / 2` when folded. */
  readonly width: number;
  readonly coefficients: Float64Array;
}

/**
 * Creates a streaming sample-rate converter from `fromRate` to `toRate` (Hz) for mono float audio.
 *
 * @remarks
 * A windowed-sinc (Kaiser) polyphase FIR whose low-pass sits just below the lower of the two
 * Nyquist frequencies: when downsampling it removes what would alias, when upsampling it removes
 * the images. Each filter phase is normalised to unity gain at DC.
 *
 * Streaming: history and phase are kept between calls, so feeding a stream in blocks of any sizes
 * gives exactly the same samples as one call with the whole stream. The filter is causal: output
 * sample `k` stands for input time `k · fromRate / toRate` and the signal comes out delayed by
 * `latency` (about 14 samples of the lower rate: 0.6 ms at 24 kHz, 0.9 ms at
 * 16 kHz; the stream starts from silence). Positions are
 * counted in integers, so after `n` input samples exactly `ceil(n · toRate / fromRate)` samples have
 * come out, whatever the blocks: no drift.
 *
 * The ratio is reduced to lowest terms; when a term is above 2^20 (rates that are not whole numbers,
 * or huge coprime ones) the nearest fraction with smaller terms is used, and the count above holds
 * for that fraction. Cost per output sample grows with `fromRate / toRate` when downsampling.
 *
 * Equal rates: the result is a copy of the input (never the same array).
 *
 * @throws RangeError when a rate is not a positive finite number, or one is more than 2^20 times the other.
 * @example
 * const toWire = createResampler(48_000, 24_000);
 * socket.send(pcm16ToLittleEndianBytes(floatToPcm16(toWire(block))));
 */
export function createResampler(fromRate: number, toRate: number): Resampler {
  assertRate('fromRate', fromRate);
  assertRate('toRate', toRate);
  const quotient = toRate / fromRate;
  if (!(quotient >= 1 / MAX_RATIO_TERM && quotient <= MAX_RATIO_TERM)) {
    throw new RangeError(`toRate / fromRate must be within 2^-20 … 2^20, got ${toRate} / ${fromRate}`);
  }
  if (fromRate === toRate) return identityResampler();
  const ratio = reduceRatio(toRate, fromRate);
  const table = designPhaseTable(ratio);
  return polyphaseResampler(ratio, table, table.taps / 2 / fromRate);
}

function assertRate(name: string, rate: number): void {
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`${name} must be a positive finite number of Hz, got ${rate}`);
}

function identityResampler(): Resampler {
  const copy = (input: Float32Array): Float32Array<ArrayBuffer> => input.slice();
  return Object.assign(copy, { latency: 0, reset: () => {} });
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** `to / from` in lowest terms, or its best approximation with terms up to {@link MAX_RATIO_TERM}. */
function reduceRatio(to: number, from: number): Ratio {
  if (Number.isInteger(to) && Number.isInteger(from)) {
    const divisor = greatestCommonDivisor(to, from);
    const up = to / divisor;
    const down = from / divisor;
    if (up <= MAX_RATIO_TERM && down <= MAX_RATIO_TERM) return { up, down };
  }
  return approximateRatio(to / from);
}

/**
 * The last continued-fraction convergent of `x` whose terms stay within {@link MAX_RATIO_TERM}
 * (the convergents are the best approximations with terms that small).
 */
function approximateRatio(x: number): Ratio {
  let best: Ratio = { up: Math.max(1, Math.round(x)), down: 1 };
  // Convergents h/k: h(n) = a(n)·h(n−1) + h(n−2), the same for k, starting from 1/0 and 0/1.
  let [h, hBefore, k, kBefore] = [1, 0, 0, 1];
  let rest = x;
  for (;;) {
    const term = Math.floor(rest);
    [h, hBefore] = [term * h + hBefore, h];
    [k, kBefore] = [term * k + kBefore, k];
    if (h > MAX_RATIO_TERM || k > MAX_RATIO_TERM) return best;
    if (h >= 1) best = { up: h, down: k };
    const fraction = rest - term;
    if (fraction < 1e-12) return best;
    rest = 1 / fraction;
  }
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β < 20). */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let sum = 1;
  let term = 1;
  for (let k = 1; term > sum * 1e-16; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

/** The Kaiser window at `x` in [-1, 1] (0 outside). */
function kaiser(x: number): number {
  if (x <= -1 || x >= 1) return 0;
  return besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / besselI0(KAISER_BETA);
}

/** `sin(πx) / (πx)`. */
function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/**
 * Designs the polyphase table of the low-pass for `ratio`. Times are in input samples: the
 * cutoff `fc` (cycles per input sample) is {@link CUTOFF} of the lower Nyquist, the impulse
 * response `2fc · sinc(2fc · t)` is windowed over {@link ZERO_CROSSINGS} of its zero crossings on
 * each side. Row `p` holds the taps for an output that falls `p / phases` of the way past an input
 * sample, in input order (oldest first) so the convolution walks forward through memory, and sums
 * to 1. The tap count is a multiple of 4 (zero-padded) for the unrolled dot products.
 */
function designPhaseTable(ratio: Ratio): PhaseTable {
  const cutoff = (CUTOFF * Math.min(1, ratio.up / ratio.down)) / 2;
  const halfWidth = ZERO_CROSSINGS / (2 * cutoff);
  const taps = 4 * Math.ceil((2 * Math.ceil(halfWidth)) / 4);
  const kernel: Kernel = ratio.up <= 2 ? 'folded' : ratio.up <= MAX_PHASES ? 'direct' : 'interpolated';
  const phases = kernel === 'interpolated' ? MAX_PHASES : ratio.up;
  // An interpolated table needs the closing row (phase 1) to interpolate towards.
  const rows = kernel === 'interpolated' ? phases + 1 : phases;
  const coefficients = new Float64Array(rows * taps);
  for (let p = 0; p < rows; p++) {
    const row = coefficients.subarray(p * taps, (p + 1) * taps);
    let sum = 0;
    for (let m = 0; m < taps; m++) {
      const t = taps - 1 - m + p / phases - taps / 2;
      row[m] = 2 * cutoff * sinc(2 * cutoff * t) * kaiser(t / halfWidth);
      sum += row[m]!;
    }
    for (let m = 0; m < taps; m++) row[m]! /= sum;
  }
  const table = { kernel, taps, phases, up: ratio.up, width: taps, coefficients };
  return kernel === 'folded' ? foldPhaseTable(table) : table;
}

/**
 * Halves a table whose rows are all symmetric (phases 0 and ½, so `up` ≤ 2): the row for phase φ
 * is symmetric about tap `taps/2 − 1 + φ`, so it is kept as `taps / 2` pair coefficients; a pair
 * `q` multiplies the sum of taps `q` and `span − q` (`span = taps − 2 + 2φ`). At phase 0 the
 * middle tap pairs with itself and its coefficient is halved. Half the multiplications, same
 * response.
 */
function foldPhaseTable(table: PhaseTable): PhaseTable {
  const { taps, phases } = table;
  const width = taps / 2;
  const folded = new Float64Array(phases * width);
  for (let p = 0; p < phases; p++) {
    const span = foldSpan(taps, p, phases);
    for (let q = 0; q < width; q++) {
      const h = table.coefficients[p * taps + q]!;
      folded[p * width + q] = q === span - q ? h / 2 : h;
    }
  }
  return { ...table, width, coefficients: folded };
}

/** For a folded table: pair `q` of phase `phase` joins taps `q` and `span − q`. */
function foldSpan(taps: number, phase: number, phases: number): number {
  return taps - 2 + (2 * phase) / phases;
}

/**
 * The streaming loop around a phase table. The working buffer holds the last `taps − 1` input
 * samples of the previous block followed by the new block; `position` is the buffer index of the
 * oldest sample the next output reads, `phase` (in `0 … up − 1`) how far, in units of `1 / up`
 * input samples, that output falls past the newest sample it reads. Both advance by `down / up`
 * input samples per output, in integers.
 */
function polyphaseResampler(ratio: Ratio, table: PhaseTable, latency: number): Resampler {
  const { up, down } = ratio;
  const history = table.taps - 1;
  const wholeStep = Math.floor(down / up);
  const phaseStep = down % up;
  // Float64: the samples are read once per tap, and a double needs no conversion per read.
  let buffer = new Float64Array(history + 4096);
  let position = 0;
  let phase = 0;

  const resample = (input: Float32Array): Float32Array<ArrayBuffer> => {
    const length = input.length;
    if (buffer.length < history + length) buffer = grow(buffer, history, history + length);
    buffer.set(input, history);
    // Outputs whose newest input sample is in this block: position + (phase + k·down) / up < length.
    const count = position >= length ? 0 : Math.ceil(((length - position) * up - phase) / down);
    const output = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      output[k] = outputSample(table, buffer, position, phase);
      position += wholeStep;
      phase += phaseStep;
      if (phase >= up) {
        phase -= up;
        position++;
      }
    }
    // Keep the newest `history` samples at the front for the next block.
    buffer.copyWithin(0, length, length + history);
    position -= length;
    return output;
  };
  const reset = (): void => {
    buffer.fill(0);
    position = 0;
    phase = 0;
  };
  return Object.assign(resample, { latency, reset });
}

/** A larger working buffer with the first `keep` samples of `buffer` carried over. */
function grow(buffer: Float64Array, keep: number, needed: number): Float64Array<ArrayBuffer> {
  const larger = new Float64Array(Math.max(needed, 2 * buffer.length));
  larger.set(buffer.subarray(0, keep));
  return larger;
}

/** One output sample: the window of `table.taps` samples from `start`, filtered at phase `phase / up`. */
function outputSample(table: PhaseTable, samples: Float64Array, start: number, phase: number): number {
  const { coefficients, taps, width } = table;
  switch (table.kernel) {
    case 'folded':
      return foldedDot(samples, start, start + foldSpan(taps, phase, table.phases), coefficients, phase * width, width);
    case 'direct':
      return dot(samples, start, coefficients, phase * width, width);
    case 'interpolated':
      return interpolatedDot(table, samples, start, phase);
  }
}

/** `Σ samples[start + m] · coefficients[row + m]` for `m < count` (a multiple of 4), four sums at a time. */
function dot(samples: Float64Array, start: number, coefficients: Float64Array, row: number, count: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  for (let m = 0; m < count; m += 4) {
    a += samples[start + m]! * coefficients[row + m]!;
    b += samples[start + m + 1]! * coefficients[row + m + 1]!;
    c += samples[start + m + 2]! * coefficients[row + m + 2]!;
    d += samples[start + m + 3]! * coefficients[row + m + 3]!;
  }
  return a + b + c + d;
}

/** `Σ coefficients[row + q] · (samples[start + q] + samples[end − q])` for `q < pairs` (even), two sums at a time. */
function foldedDot(samples: Float64Array, start: number, end: number, coefficients: Float64Array, row: number, pairs: number): number {
  let a = 0;
  let b = 0;
  for (let q = 0; q < pairs; q += 2) {
    a += coefficients[row + q]! * (samples[start + q]! + samples[end - q]!);
    b += coefficients[row + q + 1]! * (samples[start + q + 1]! + samples[end - q - 1]!);
  }
  return a + b;
}

/** Phase `phase / up` lies between two rows of an interpolated table: the output is interpolated linearly between them. */
function interpolatedDot(table: PhaseTable, samples: Float64Array, start: number, phase: number): number {
  const { coefficients, width, phases } = table;
  const exact = (phase * phases) / table.up;
  const row = Math.floor(exact);
  const below = dot(samples, start, coefficients, row * width, width);
  const above = dot(samples, start, coefficients, (row + 1) * width, width);
  return below + (exact - row) * (above - below);
}

// ---------------------------------------------------------------------------- PCM16

/** Full scale of a signed 16-bit sample: float 1.0 is this many PCM16 steps. */
const PCM16_SCALE = 32_768;

/**
 * Float samples to PCM16: `round(x · 32768)`, clipped to −32768 … 32767, so −1 → −32768 and
 * 1 → 32767 (clipped by one step). NaN → 0.
 *
 * @remarks One scale for both signs, the exact inverse of {@link pcm16ToFloat}: PCM16 → float →
 * PCM16 gives back every value, and float → PCM16 → float is off by at most 1/32768 (half a step,
 * or one step in the clipped top half-step). Scaling positive values by 32767 instead would change
 * their gain and break that round trip.
 * @example floatToPcm16(new Float32Array([0.5, -1, 2])) // Int16Array [16384, -32768, 32767]
 */
export function floatToPcm16(input: Float32Array): Int16Array<ArrayBuffer> {
  const output = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    // floor(x + ½) is Math.round, and several times faster in V8. NaN fails both comparisons and
    // stays NaN, which an Int16Array stores as 0.
    const shifted = input[i]! * PCM16_SCALE + 0.5;
    output[i] = Math.floor(shifted > 32_767 ? 32_767 : shifted < -32_768 ? -32_768 : shifted);
  }
  return output;
}

/**
 * PCM16 samples to float: `x / 32768`, in [−1, 1).
 * @example pcm16ToFloat(new Int16Array([16384, -32768])) // Float32Array [0.5, -1]
 */
export function pcm16ToFloat(input: Int16Array): Float32Array<ArrayBuffer> {
  const output = new Float32Array(input.length);
  // × 2^−15 is exactly ÷ 32768, and cheaper.
  for (let i = 0; i < input.length; i++) output[i] = input[i]! * (1 / PCM16_SCALE);
  return output;
}

/** Whether this host stores multi-byte numbers little-endian (every mainstream browser and Node host does). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * PCM16 samples as the bytes of a wire frame: 16-bit little-endian (docs/protocol.md §8.1), in a new
 * `ArrayBuffer` of exactly `2 · pcm.length` bytes, whatever the host's byte order.
 * @example new Uint8Array(pcm16ToLittleEndianBytes(new Int16Array([0x1234]))) // [0x34, 0x12]
 */
export function pcm16ToLittleEndianBytes(pcm: Int16Array): ArrayBuffer {
  if (HOST_IS_LITTLE_ENDIAN) return pcm.slice().buffer;
  const bytes = new ArrayBuffer(pcm.length * 2);
  const view = new DataView(bytes);
  for (let i = 0; i < pcm.length; i++) view.setInt16(2 * i, pcm[i]!, true);
  return bytes;
}

/**
 * The samples of a 16-bit little-endian wire frame, in a new `Int16Array` (never a view of the
 * frame, so the frame's buffer may be reused and may start at any byte offset), whatever the
 * host's byte order.
 *
 * @remarks An odd byte count cannot be whole samples: the last byte is dropped (the server
 * rejects such a frame, docs/protocol.md §8.1).
 * @example littleEndianBytesToPcm16(new Uint8Array([0x34, 0x12, 0xff])) // Int16Array [0x1234]
 */
export function littleEndianBytesToPcm16(bytes: ArrayBuffer | ArrayBufferView): Int16Array<ArrayBuffer> {
  const source = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
  const samples = new Int16Array(source.length >> 1);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(samples.buffer).set(source.subarray(0, samples.length * 2));
    return samples;
  }
  const view = new DataView(source.buffer, source.byteOffset, samples.length * 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(2 * i, true);
  return samples;
}

// ---------------------------------------------------------------------------- levels

/** Level below which {@link levelToMeter} reads 0, in dBFS. */
const METER_FLOOR_DB = -60;

/**
 * Root mean square of `samples` as a fraction of full scale, in [0, 1]: float samples as they are
 * (full scale 1), PCM16 over 32768. A full-scale sine reads √½ ≈ 0.707, silence and an empty
 * block 0. Float input beyond full scale reads 1; a block with a NaN sample reads 0.
 */
export function rmsLevel(samples: Float32Array | Int16Array): number {
  if (samples.length === 0) return 0;
  const rms = Math.sqrt(addSquares(0, samples, 0, samples.length) / samples.length);
  return rms > 1 ? 1 : rms >= 0 ? rms : 0;
}

/** `1 / 32768²` = 2^−30: a PCM16 square in full-scale units, exactly (a power of two). */
const PCM16_SQUARE = 1 / (PCM16_SCALE * PCM16_SCALE);

/**
 * `sum + Σ samples[i]²` over `start ≤ i < end`, in full-scale units, added one sample at a time:
 * every square is exact, so a running sum continued across blocks is the same number whatever
 * the blocks.
 */
function addSquares(sum: number, samples: Float32Array | Int16Array, start: number, end: number): number {
  if (samples instanceof Int16Array) {
    for (let i = start; i < end; i++) sum += samples[i]! * samples[i]! * PCM16_SQUARE;
  } else {
    for (let i = start; i < end; i++) sum += samples[i]! * samples[i]!;
  }
  return sum;
}

/**
 * A level meter's reading for an RMS level (as from {@link rmsLevel}), in [0, 1]: the level in
 * dBFS mapped linearly from −60 dB (0) to 0 dB (1), i.e. `clamp(1 + 20·log10(rms) / 60, 0, 1)`.
 *
 * @remarks Decibels because loudness is heard logarithmically: a linear meter would sit near the
 * bottom for normal speech (RMS about 0.05, −26 dBFS, reads 0.57 here). Non-decreasing in `rms`;
 * 0 for silence, NaN and anything at or below −60 dBFS, 1 at full scale and above.
 * @example levelToMeter(0.1) // 0.6667 (−20 dBFS)
 */
export function levelToMeter(rms: number): number {
  if (!(rms > 0)) return 0;
  const meter = 1 - (20 * Math.log10(rms)) / METER_FLOOR_DB;
  return meter <= 0 ? 0 : meter >= 1 ? 1 : meter;
}

// ---------------------------------------------------------------------------- chunking

/** Cuts a PCM16 stream into chunks of one size; made by {@link createChunker}. */
export interface Chunker {
  /**
   * Adds the next block of the stream and returns the chunks it completed, in order (often none).
   * Every chunk is a new array of exactly `chunkSize` samples with a buffer of its own (ready to
   * send or transfer); the block is copied, never kept.
   */
  push(input: Int16Array): Int16Array<ArrayBuffer>[];
  /** The samples held back (fewer than `chunkSize`) as a last, short chunk, or `null` if none; the chunker is then empty. */
  flush(): Int16Array<ArrayBuffer> | null;
  /** Drops the samples held back. */
  reset(): void;
}

/**
 * Creates a {@link Chunker}: the stream is cut into chunks of `chunkSize` samples counted from its
 * start, whatever the sizes of the pushed blocks; what does not fill a chunk waits for the next push.
 *
 * @throws RangeError when `chunkSize` is not a positive integer.
 * @example
 * const chunker = createChunker(2048); // the reference SDK's 4096-byte frames
 * for (const chunk of chunker.push(pcm)) socket.send(pcm16ToLittleEndianBytes(chunk));
 */
export function createChunker(chunkSize: number): Chunker {
  if (!(Number.isInteger(chunkSize) && chunkSize > 0)) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  let pending = new Int16Array(chunkSize);
  let fill = 0;

  const push = (input: Int16Array): Int16Array<ArrayBuffer>[] => {
    const chunks: Int16Array<ArrayBuffer>[] = [];
    let offset = 0;
    if (fill > 0) {
      offset = Math.min(chunkSize - fill, input.length);
      pending.set(input.subarray(0, offset), fill);
      fill += offset;
      if (fill < chunkSize) return chunks;
      chunks.push(pending);
      pending = new Int16Array(chunkSize);
      fill = 0;
    }
    for (; offset + chunkSize <= input.length; offset += chunkSize) chunks.push(input.slice(offset, offset + chunkSize));
    pending.set(input.subarray(offset), 0);
    fill = input.length - offset;
    return chunks;
  };
  const flush = (): Int16Array<ArrayBuffer> | null => {
    if (fill === 0) return null;
    const last = pending.slice(0, fill);
    fill = 0;
    return last;
  };
  const reset = (): void => {
    fill = 0;
  };
  return { push, flush, reset };
}

// ---------------------------------------------------------------------------- voice activity

/** Options of {@link createEnergyGate}. Levels are RMS fractions of full scale, as {@link rmsLevel} gives. */
export interface EnergyGateOptions {
  /** Sample rate of the pushed audio, in Hz. */
  readonly sampleRate: number;
  /** A frame at or above this level counts as speech. @default 0.02 */
  readonly openThreshold?: number;
  /** An open gate counts a frame below this level as silence; must be below `openThreshold`. @default 0.01 */
  readonly closeThreshold?: number;
  /** Speech must last this long, in ms, before the gate opens (rounded up to whole frames). @default 40 */
  readonly attackMs?: number;
  /** Silence must last this long, in ms, before an open gate closes (rounded up to whole frames). @default 400 */
  readonly hangoverMs?: number;
}

/** What {@link EnergyGate.push} reports. */
export interface GateReading {
  /** Whether the gate is open after the frames completed so far. */
  readonly open: boolean;
  /** Whether `open` differs from the previous push's reading (from closed, for the first push). */
  readonly changed: boolean;
  /** RMS level of the last completed analysis frame (0 before the first frame). */
  readonly level: number;
}

/** Voice activity by energy, made by {@link createEnergyGate}. */
export interface EnergyGate {
  /** Adds the next block of the stream (float or PCM16) and reports the gate after it. */
  push(samples: Float32Array | Int16Array): GateReading;
  /** Forgets the stream: closed, no partial frame, counters at zero. */
  reset(): void;
}

/** Length of the gate's analysis frame, in ms. */
const GATE_FRAME_MS = 10;

/**
 * Creates an {@link EnergyGate}: a voice-activity detector on signal energy, with hysteresis and
 * hangover.
 *
 * @remarks The stream is cut into analysis frames of 10 ms counted from its start (not from the
 * pushes), and each frame's RMS level decides: a closed gate opens once frames at or above
 * `openThreshold` have lasted `attackMs` without a break; an open gate closes once frames below
 * `closeThreshold` have lasted `hangoverMs` without a break. A level between the two thresholds
 * keeps the gate as it is and restarts both counts, so a signal hovering there never chatters. The
 * decisions depend only on the samples, never on how they were split into pushes, and time is
 * counted in samples: pure, deterministic, no timers.
 *
 * A push reports the state after its last complete frame; a push long enough to hold both an
 * opening and the closing after it (over `attackMs + hangoverMs`) reports only where it ends.
 *
 * @throws RangeError when an option is out of range (a rate that is not positive, a negative or
 * non-finite duration or threshold, `closeThreshold` not below `openThreshold`).
 * @example
 * const gate = createEnergyGate({ sampleRate: 48_000 });
 * const { open, changed } = gate.push(block);
 * if (changed) send({ type: open ? 'speech.started' : 'speech.stopped' });
 */
export function createEnergyGate(options: EnergyGateOptions): EnergyGate {
  const settings = gateSettings(options);
  const frameSize = Math.max(1, Math.round((options.sampleRate * GATE_FRAME_MS) / 1000));
  const samplesOf = (ms: number): number => Math.round((ms * options.sampleRate) / 1000);
  const attack = samplesOf(settings.attackMs);
  const hangover = samplesOf(settings.hangoverMs);
  let open = false;
  let reported = false;
  let level = 0;
  let frameFill = 0;
  let frameSum = 0;
  /** Samples of unbroken speech while closed, of unbroken silence while open. */
  let run = 0;

  const decide = (frameLevel: number): void => {
    level = frameLevel;
    const counts = open ? frameLevel < settings.closeThreshold : frameLevel >= settings.openThreshold;
    run = counts ? run + frameSize : 0;
    if (counts && run >= (open ? hangover : attack)) {
      open = !open;
      run = 0;
    }
  };
  const push = (samples: Float32Array | Int16Array): GateReading => {
    for (let i = 0; i < samples.length; ) {
      const end = Math.min(samples.length, i + frameSize - frameFill);
      frameSum = addSquares(frameSum, samples, i, end);
      frameFill += end - i;
      i = end;
      if (frameFill === frameSize) {
        decide(Math.min(1, Math.sqrt(frameSum / frameSize)) || 0);
        frameFill = 0;
        frameSum = 0;
      }
    }
    const changed = open !== reported;
    reported = open;
    return { open, changed, level };
  };
  const reset = (): void => {
    open = reported = false;
    level = frameFill = frameSum = run = 0;
  };
  return { push, reset };
}

/** The gate's options with defaults, validated. */
function gateSettings(options: EnergyGateOptions): Required<EnergyGateOptions> {
  const settings = {
    sampleRate: options.sampleRate,
    openThreshold: options.openThreshold ?? 0.02,
    closeThreshold: options.closeThreshold ?? 0.01,
    attackMs: options.attackMs ?? 40,
    hangoverMs: options.hangoverMs ?? 400,
  };
  if (!(Number.isFinite(settings.sampleRate) && settings.sampleRate > 0)) throw new RangeError(`sampleRate must be a positive finite number of Hz, got ${settings.sampleRate}`);
  for (const name of ['openThreshold', 'closeThreshold', 'attackMs', 'hangoverMs'] as const) {
    const value = settings[name];
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (!(settings.closeThreshold < settings.openThreshold)) {
    throw new RangeError(`closeThreshold (${settings.closeThreshold}) must be below openThreshold (${settings.openThreshold})`);
  }
  return settings;
}
