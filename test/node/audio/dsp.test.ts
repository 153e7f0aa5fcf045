/**
 * The pure DSP of the voice feature (src/audio/dsp.ts): resampling quality and streaming, PCM16
 * conversion and byte order, levels, chunking and the energy gate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createChunker,
  createEnergyGate,
  createResampler,
  floatToPcm16,
  levelToMeter,
  littleEndianBytesToPcm16,
  pcm16ToFloat,
  pcm16ToLittleEndianBytes,
  rmsLevel,
  type EnergyGateOptions,
  type GateReading,
} from '../../../src/audio/dsp.js';

const ODD_BLOCKS = [127, 331, 1000, 7, 2048, 128, 1];

/** `amplitude · sin(2π · frequency · i / rate)` for `i < length`. */
function sine(frequency: number, rate: number, length: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(length);
  for (let i = 0; i < length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / rate);
  return samples;
}

function concat(blocks: readonly Float32Array[]): Float32Array {
  const all = new Float32Array(blocks.reduce((sum, block) => sum + block.length, 0));
  let offset = 0;
  for (const block of blocks) {
    all.set(block, offset);
    offset += block.length;
  }
  return all;
}

/** Feeds `input` to `convert` in blocks of the given sizes (cycled) and joins the outputs. */
function streamed(convert: (block: Float32Array) => Float32Array, input: Float32Array, sizes: readonly number[]): Float32Array {
  const outputs: Float32Array[] = [];
  for (let offset = 0, i = 0; offset < input.length; i++) {
    const size = sizes[i % sizes.length]!;
    outputs.push(convert(input.subarray(offset, offset + size)));
    offset += size;
  }
  return concat(outputs);
}

/**
 * Least-squares fit of `a · sin(ωi) + b · cos(ωi)` at `frequency` to `samples[from…]`: the
 * amplitude, the phase (radians, of `sin(ωi + phase)`) and the RMS of what the fit leaves out
 * (noise, distortion, aliases, images).
 */
function fitSine(samples: Float32Array, frequency: number, rate: number, from: number) {
  let [ss, cc, sc, ys, yc] = [0, 0, 0, 0, 0];
  const omega = (2 * Math.PI * frequency) / rate;
  for (let i = from; i < samples.length; i++) {
    const s = Math.sin(omega * i);
    const c = Math.cos(omega * i);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += samples[i]! * s;
    yc += samples[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  let residual = 0;
  for (let i = from; i < samples.length; i++) residual += (samples[i]! - a * Math.sin(omega * i) - b * Math.cos(omega * i)) ** 2;
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a), residual: Math.sqrt(residual / (samples.length - from)) };
}

/** Frequency from the rising zero crossings of `samples[from…]` (linearly interpolated), in Hz. */
function zeroCrossingFrequency(samples: Float32Array, rate: number, from: number): number {
  const crossings: number[] = [];
  for (let i = from + 1; i < samples.length; i++) {
    const before = samples[i - 1]!;
    const after = samples[i]!;
    if (before < 0 && after >= 0) crossings.push(i - 1 + before / (before - after));
  }
  return ((crossings.length - 1) / (crossings.at(-1)! - crossings[0]!)) * rate;
}

/** Asserts the two arrays hold the same samples, exactly (`toEqual` is slow on long arrays). */
function expectSameSamples(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.findIndex((value, i) => !Object.is(value, expected[i]))).toBe(-1);
}

function rmsFrom(samples: Float32Array, from: number): number {
  let sum = 0;
  for (let i = from; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / (samples.length - from));
}

describe('createResampler', () => {
  const conversions = [
    { from: 48_000, to: 24_000, kernel: 'integer decimation (mic → wire)' },
    { from: 48_000, to: 16_000, kernel: 'integer decimation' },
    { from: 44_100, to: 24_000, kernel: 'polyphase, 80 phases' },
    { from: 24_000, to: 48_000, kernel: 'interpolation by 2 (playback)' },
    { from: 44_100, to: 48_001, kernel: 'interpolated phases (coprime rates)' },
  ];

  describe.each(conversions)('$from Hz → $to Hz ($kernel)', ({ from, to }) => {
    const input = sine(1000, from, from); // 1 s of 1 kHz at amplitude 0.5
    const oneShot = createResampler(from, to)(input);
    const blocks = streamed(createResampler(from, to), input, ODD_BLOCKS);
    const settled = Math.ceil(0.005 * to); // 5 ms: the filter spans under 2 ms

    it('gives exactly ceil(input × ratio) samples, one shot or in odd-sized blocks', () => {
      expect(oneShot.length).toBe(Math.ceil((input.length * to) / from));
      expect(Math.abs(oneShot.length - (input.length * to) / from)).toBeLessThanOrEqual(1);
      expect(blocks.length).toBe(oneShot.length);
    });

    it('gives the same samples in odd-sized blocks as in one call', () => {
      expectSameSamples(blocks, oneShot);
    });

    it('keeps the frequency and the amplitude of a 1 kHz sine within 1 %, and adds nothing else', () => {
      const fit = fitSine(blocks, 1000, to, settled);
      expect(Math.abs(zeroCrossingFrequency(blocks, to, settled) / 1000 - 1)).toBeLessThan(0.01);
      expect(Math.abs(fit.amplitude / 0.5 - 1)).toBeLessThan(0.01);
      expect(Math.abs((rmsFrom(blocks, settled) * Math.SQRT2) / 0.5 - 1)).toBeLessThan(0.01);
      // Noise, distortion, aliases and images together stay 60 dB below the tone.
      expect(fit.residual).toBeLessThan(0.5e-3);
    });

    it('delays the signal by its stated latency', () => {
      const resampler = createResampler(from, to);
      const fit = fitSine(resampler(input), 1000, to, settled);
      const expected = -2 * Math.PI * 1000 * resampler.latency;
      const error = Math.atan2(Math.sin(fit.phase - expected), Math.cos(fit.phase - expected));
      expect(resampler.latency).toBeGreaterThan(0);
      expect(resampler.latency).toBeLessThan(0.002);
      expect(Math.abs(error)).toBeLessThan(0.01);
    });
  });

  it('removes a 15 kHz tone going from 48 kHz to 24 kHz (it would alias to 9 kHz)', () => {
    const output = createResampler(48_000, 24_000)(sine(15_000, 48_000, 48_000));
    expect(rmsFrom(output, 120) * Math.SQRT2).toBeLessThan(0.01 * 0.5);
  });

  it('removes a 10 kHz tone going from 48 kHz to 16 kHz (it would alias to 6 kHz)', () => {
    const output = createResampler(48_000, 16_000)(sine(10_000, 48_000, 48_000));
    expect(rmsFrom(output, 80) * Math.SQRT2).toBeLessThan(0.01 * 0.5);
  });

  it('passes the voice band: 6 kHz to 24 kHz and 4 kHz to 16 kHz within 1 %', () => {
    const to24 = createResampler(48_000, 24_000)(sine(6000, 48_000, 48_000));
    const to16 = createResampler(48_000, 16_000)(sine(4000, 48_000, 48_000));
    expect(Math.abs(fitSine(to24, 6000, 24_000, 120).amplitude / 0.5 - 1)).toBeLessThan(0.01);
    expect(Math.abs(fitSine(to16, 4000, 16_000, 80).amplitude / 0.5 - 1)).toBeLessThan(0.01);
  });

  it('counts output exactly for any rates and block sizes: the same samples as one call, ceil(n × ratio) of them', () => {
    const rates = fc.constantFrom(8000, 11_025, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000);
    fc.assert(
      fc.property(rates, rates, fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 2 ** 31 }), (from, to, sizes, seed) => {
        const input = new Float32Array(sizes.reduce((sum, size) => sum + size, 0));
        for (let i = 0, x = seed; i < input.length; i++) input[i] = ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 30) - 1;
        const whole = createResampler(from, to)(input);
        const split = createResampler(from, to);
        const blocks: Float32Array[] = [];
        let offset = 0;
        for (const size of sizes) {
          blocks.push(split(input.subarray(offset, offset + size)));
          offset += size;
          expect(blocks.reduce((sum, block) => sum + block.length, 0)).toBe(Math.ceil((offset * to) / from));
        }
        expectSameSamples(concat(blocks), whole);
      }),
      { numRuns: 200 },
    );
  });

  it('does not drift over a long stream of small blocks (44.1 kHz → 24 kHz, ten minutes in 128-sample blocks)', () => {
    const resampler = createResampler(44_100, 24_000);
    const block = new Float32Array(128);
    let total = 0;
    const blocks = Math.ceil((600 * 44_100) / 128);
    for (let i = 0; i < blocks; i++) total += resampler(block).length;
    expect(total).toBe(Math.ceil((blocks * 128 * 24_000) / 44_100));
  });

  it('returns a copy when the rates are equal, with no latency', () => {
    const resampler = createResampler(24_000, 24_000);
    const input = sine(1000, 24_000, 100);
    const output = resampler(input);
    expect(output).toEqual(input);
    expect(output).not.toBe(input);
    expect(resampler.latency).toBe(0);
  });

  it('starts again after reset, as a new resampler would', () => {
    const input = sine(1000, 48_000, 5000);
    const resampler = createResampler(48_000, 16_000);
    resampler(input.subarray(0, 1234));
    resampler.reset();
    expectSameSamples(resampler(input), createResampler(48_000, 16_000)(input));
  });

  it('accepts rates that are not whole numbers, through a close fraction', () => {
    const input = sine(1000, 44_100.5, 44_100);
    const output = createResampler(44_100.5, 24_000)(input);
    expect(Math.abs(output.length - (input.length * 24_000) / 44_100.5)).toBeLessThanOrEqual(1);
    expect(Math.abs(fitSine(output, 1000, 24_000, 120).amplitude / 0.5 - 1)).toBeLessThan(0.01);
  });

  it('returns an empty array for an empty block', () => {
    expect(createResampler(48_000, 24_000)(new Float32Array(0))).toHaveLength(0);
  });

  it.each([0, -48_000, Number.NaN, Number.POSITIVE_INFINITY])('rejects a rate of %s with a RangeError', (rate) => {
    expect(() => createResampler(rate, 24_000)).toThrow(RangeError);
    expect(() => createResampler(48_000, rate)).toThrow(/toRate must be a positive finite number/);
  });

  it('rejects rates more than 2^20 apart', () => {
    expect(() => createResampler(48_000, 0.01)).toThrow(RangeError);
  });
});

describe('floatToPcm16 and pcm16ToFloat', () => {
  it('clips to the 16-bit range, maps ±1 to the ends and NaN to 0', () => {
    const input = new Float32Array([2, -3, Number.NaN, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 0.5, -0.5]);
    expect(Array.from(floatToPcm16(input))).toEqual([32_767, -32_768, 0, 32_767, -32_768, 32_767, -32_768, 0, 16_384, -16_384]);
  });

  it('rounds to the nearest step', () => {
    const step = 1 / 32_768;
    expect(Array.from(floatToPcm16(new Float32Array([1.4 * step, 1.6 * step, -1.4 * step, -1.6 * step])))).toEqual([1, 2, -1, -2]);
  });

  it('divides by 32768', () => {
    expect(Array.from(pcm16ToFloat(new Int16Array([16_384, -32_768, 32_767, 0])))).toEqual([0.5, -1, 32_767 / 32_768, 0]);
  });

  it('gives back every PCM16 value through float', () => {
    const all = new Int16Array(65_536);
    for (let i = 0; i < all.length; i++) all[i] = i - 32_768;
    expect(floatToPcm16(pcm16ToFloat(all))).toEqual(all);
  });

  it('round-trips float → PCM16 → float within 1/32768 (half a step below the clipped top)', () => {
    fc.assert(
      fc.property(fc.float({ min: -1, max: 1, noNaN: true }), (x) => {
        const back = pcm16ToFloat(floatToPcm16(new Float32Array([x])))[0]!;
        expect(Math.abs(back - x)).toBeLessThanOrEqual(x < 32_767 / 32_768 ? 0.5 / 32_768 : 1 / 32_768);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pcm16ToLittleEndianBytes and littleEndianBytesToPcm16', () => {
  it('writes the low byte first', () => {
    expect(Array.from(new Uint8Array(pcm16ToLittleEndianBytes(new Int16Array([0x1234, -2, -32_768]))))).toEqual([0x34, 0x12, 0xfe, 0xff, 0x00, 0x80]);
  });

  it('reads the low byte first', () => {
    expect(Array.from(littleEndianBytesToPcm16(new Uint8Array([0x34, 0x12, 0xfe, 0xff, 0x00, 0x80])))).toEqual([0x1234, -2, -32_768]);
  });

  it('agrees with DataView little-endian, both ways, for any samples', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32_768, max: 32_767 })), (values) => {
        const bytes = pcm16ToLittleEndianBytes(new Int16Array(values));
        const view = new DataView(bytes);
        expect(bytes.byteLength).toBe(2 * values.length);
        expect(values.map((_, i) => view.getInt16(2 * i, true))).toEqual(values);
        expect(Array.from(littleEndianBytesToPcm16(bytes))).toEqual(values);
      }),
    );
  });

  it('writes only the samples of a view, into a new buffer', () => {
    const backing = new Int16Array([1, 0x1234, 3]);
    const bytes = pcm16ToLittleEndianBytes(backing.subarray(1, 2));
    expect(Array.from(new Uint8Array(bytes))).toEqual([0x34, 0x12]);
    expect(bytes).not.toBe(backing.buffer);
  });

  it('reads a view at an odd byte offset, as a copy', () => {
    const frame = new Uint8Array([0xaa, 0x34, 0x12, 0x78, 0x56]);
    const samples = littleEndianBytesToPcm16(frame.subarray(1));
    expect(Array.from(samples)).toEqual([0x1234, 0x5678]);
    frame[1] = 0;
    expect(samples[0]).toBe(0x1234);
  });

  it('reads an ArrayBuffer and a Node Buffer', () => {
    expect(Array.from(littleEndianBytesToPcm16(new Uint8Array([0x01, 0x00, 0xff, 0x7f]).buffer))).toEqual([1, 32_767]);
    expect(Array.from(littleEndianBytesToPcm16(Buffer.from([0x01, 0x00, 0xff, 0x7f])))).toEqual([1, 32_767]);
  });

  it('drops the last byte of an odd byte count', () => {
    expect(Array.from(littleEndianBytesToPcm16(new Uint8Array([0x34, 0x12, 0x99])))).toEqual([0x1234]);
    expect(littleEndianBytesToPcm16(new Uint8Array([0x99]))).toHaveLength(0);
  });
});

describe('rmsLevel and levelToMeter', () => {
  it('reads silence and an empty block as 0', () => {
    expect(rmsLevel(new Float32Array(480))).toBe(0);
    expect(rmsLevel(new Int16Array(480))).toBe(0);
    expect(rmsLevel(new Float32Array(0))).toBe(0);
  });

  it('reads a full-scale sine as √½, float or PCM16', () => {
    const full = sine(1000, 48_000, 4800, 1);
    expect(rmsLevel(full)).toBeCloseTo(Math.SQRT1_2, 4);
    expect(rmsLevel(floatToPcm16(full))).toBeCloseTo(Math.SQRT1_2, 4);
    expect(rmsLevel(sine(1000, 48_000, 4800, 0.5))).toBeCloseTo(Math.SQRT1_2 / 2, 4);
  });

  it('reads PCM16 as a fraction of 32768, and stays within 0 … 1', () => {
    expect(rmsLevel(new Int16Array([16_384, -16_384]))).toBe(0.5);
    expect(rmsLevel(new Int16Array([-32_768]))).toBe(1);
    expect(rmsLevel(new Float32Array([3, -3]))).toBe(1);
    expect(rmsLevel(new Float32Array([0.5, Number.NaN]))).toBe(0);
  });

  it('maps dBFS from −60 … 0 onto the meter', () => {
    expect(levelToMeter(1)).toBe(1);
    expect(levelToMeter(0.1)).toBeCloseTo(2 / 3, 12);
    expect(levelToMeter(0.001)).toBeCloseTo(0, 12);
    expect(levelToMeter(Math.SQRT1_2)).toBeCloseTo(1 - 3.0103 / 60, 4);
  });

  it('clamps the meter to 0 … 1, with 0 for silence and NaN', () => {
    expect([0, 1e-9, -1, Number.NaN].map(levelToMeter)).toEqual([0, 0, 0, 0]);
    expect([2, Number.POSITIVE_INFINITY].map(levelToMeter)).toEqual([1, 1]);
  });

  it('never decreases as the level rises', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(levelToMeter(low)).toBeLessThanOrEqual(levelToMeter(high));
      }),
    );
  });
});

describe('createChunker', () => {
  const ramp = (start: number, length: number): Int16Array => Int16Array.from({ length }, (_, i) => start + i);

  it('cuts fixed-size chunks and carries the remainder into the next push', () => {
    const chunker = createChunker(2048);
    const first = chunker.push(ramp(0, 5000));
    expect(first.map((chunk) => chunk.length)).toEqual([2048, 2048]);
    expect(first[1]![0]).toBe(2048);
    expect(chunker.push(ramp(5000, 1000))).toEqual([]);
    const third = chunker.push(ramp(6000, 200));
    expect(third).toHaveLength(1);
    expect(third[0]).toEqual(ramp(4096, 2048));
    expect(chunker.flush()).toEqual(ramp(6144, 56));
  });

  it('flushes the remainder once, then nothing', () => {
    const chunker = createChunker(4);
    chunker.push(ramp(0, 6));
    expect(chunker.flush()).toEqual(ramp(4, 2));
    expect(chunker.flush()).toBeNull();
    expect(chunker.push(ramp(10, 4))).toEqual([ramp(10, 4)]);
  });

  it('drops the remainder on reset', () => {
    const chunker = createChunker(4);
    chunker.push(ramp(0, 3));
    chunker.reset();
    expect(chunker.flush()).toBeNull();
    expect(chunker.push(ramp(100, 5))).toEqual([ramp(100, 4)]);
  });

  it('hands out copies and keeps a copy of the remainder: the pushed block may be reused', () => {
    const chunker = createChunker(2);
    const block = ramp(1, 3);
    const [chunk] = chunker.push(block);
    block.fill(9);
    expect(chunk).toEqual(new Int16Array([1, 2]));
    expect(chunker.push(block)).toEqual([new Int16Array([3, 9]), new Int16Array([9, 9])]);
  });

  it('cuts the same chunks whatever the blocks: chunks then flush rebuild the stream', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 20 }), (size, blocks) => {
        const chunker = createChunker(size);
        const out: number[] = [];
        let next = 0;
        for (const length of blocks) {
          for (const chunk of chunker.push(ramp(next, length))) {
            expect(chunk).toHaveLength(size);
            out.push(...chunk);
          }
          next += length;
        }
        const last = chunker.flush();
        if (last !== null) {
          expect(last.length).toBeLessThan(size);
          out.push(...last);
        }
        expect(out).toEqual(Array.from(ramp(0, next)));
        expect(out.length - (last?.length ?? 0)).toBe(Math.floor(next / size) * size);
      }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a chunk size of %s with a RangeError', (size) => {
    expect(() => createChunker(size)).toThrow(RangeError);
  });
});

describe('createEnergyGate', () => {
  const RATE = 16_000;
  const FRAME = 160; // 10 ms
  /** A stretch of `ms` milliseconds of a 200 Hz tone at RMS `rms` (0: silence). */
  const tone = (ms: number, rms: number): Float32Array => sine(200, RATE, (ms * RATE) / 1000, rms * Math.SQRT2);
  /** Pushes `signal` frame by frame and returns each reading. */
  const byFrame = (gate: ReturnType<typeof createEnergyGate>, signal: Float32Array): GateReading[] => {
    const readings: GateReading[] = [];
    for (let i = 0; i < signal.length; i += FRAME) readings.push(gate.push(signal.subarray(i, i + FRAME)));
    return readings;
  };
  const openings = (readings: GateReading[]): number => readings.filter((r) => r.changed && r.open).length;
  const closings = (readings: GateReading[]): number => readings.filter((r) => r.changed && !r.open).length;

  it('opens only after attackMs of speech, at the end of the fourth 10 ms frame', () => {
    const gate = createEnergyGate({ sampleRate: RATE });
    const readings = byFrame(gate, tone(60, 0.1));
    expect(readings.map((r) => r.open)).toEqual([false, false, false, true, true, true]);
    expect(readings.map((r) => r.changed)).toEqual([false, false, false, true, false, false]);
  });

  it('ignores bursts shorter than attackMs', () => {
    const gate = createEnergyGate({ sampleRate: RATE });
    const readings = byFrame(gate, concat([tone(30, 0.2), tone(20, 0), tone(30, 0.2), tone(100, 0)]));
    expect(readings.every((r) => !r.open)).toBe(true);
  });

  it('stays open through a dip shorter than hangoverMs, and closes after hangoverMs of silence', () => {
    const gate = createEnergyGate({ sampleRate: RATE });
    const speech = byFrame(gate, tone(100, 0.1));
    const dip = byFrame(gate, tone(390, 0));
    const again = byFrame(gate, tone(100, 0.1));
    const silence = byFrame(gate, tone(500, 0));
    expect(speech.at(-1)!.open).toBe(true);
    expect(dip.every((r) => r.open)).toBe(true);
    expect(again.every((r) => r.open && !r.changed)).toBe(true);
    // Closes at the end of the 40th silent frame (400 ms), not before.
    expect(silence.findIndex((r) => !r.open)).toBe(39);
    expect(closings(silence)).toBe(1);
  });

  it('does not chatter on a level hovering between the thresholds', () => {
    // Frame levels wander between closeThreshold (0.01) and openThreshold (0.02).
    const hover = concat(Array.from({ length: 200 }, (_, i) => tone(10, 0.011 + 0.008 * Math.abs(Math.sin(i)))));
    const closedGate = createEnergyGate({ sampleRate: RATE });
    expect(byFrame(closedGate, hover).every((r) => !r.open)).toBe(true);
    const openGate = createEnergyGate({ sampleRate: RATE });
    byFrame(openGate, tone(50, 0.1));
    expect(byFrame(openGate, hover).every((r) => r.open && !r.changed)).toBe(true);
  });

  it('does not chatter on a level flickering across the open threshold', () => {
    // One frame above open, one below: never four in a row to open; never below close to shut.
    const flicker = concat(Array.from({ length: 300 }, (_, i) => tone(10, i % 2 === 0 ? 0.022 : 0.018)));
    const readings = byFrame(createEnergyGate({ sampleRate: RATE }), concat([flicker, tone(50, 0.1), flicker]));
    expect(openings(readings)).toBe(1);
    expect(closings(readings)).toBe(0);
  });

  it('reports the level of the last complete frame', () => {
    const gate = createEnergyGate({ sampleRate: RATE });
    expect(gate.push(tone(5, 0.1)).level).toBe(0);
    expect(gate.push(tone(5, 0.1)).level).toBeGreaterThan(0.05);
    expect(gate.push(tone(10, 0)).level).toBe(0);
  });

  it('reads PCM16 the same as float', () => {
    const signal = concat([tone(200, 0.05), tone(600, 0.001), tone(100, 0.3)]);
    const fromFloat = byFrame(createEnergyGate({ sampleRate: RATE }), pcm16ToFloat(floatToPcm16(signal)));
    const gate = createEnergyGate({ sampleRate: RATE });
    const pcm = floatToPcm16(signal);
    const fromPcm: GateReading[] = [];
    for (let i = 0; i < pcm.length; i += FRAME) fromPcm.push(gate.push(pcm.subarray(i, i + FRAME)));
    expect(fromPcm).toEqual(fromFloat);
  });

  it('decides the same whatever the blocks: per 10 ms of the stream, not per push', () => {
    const segment = fc.record({ ms: fc.integer({ min: 5, max: 300 }), rms: fc.constantFrom(0, 0.005, 0.012, 0.018, 0.025, 0.1) });
    const options = fc.record({ attackMs: fc.integer({ min: 0, max: 100 }), hangoverMs: fc.integer({ min: 0, max: 300 }) });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }), options, (segments, sizes, timing) => {
        const settings: EnergyGateOptions = { sampleRate: 8000, ...timing };
        const signal = concat(segments.map(({ ms, rms }) => sine(200, 8000, ms * 8, rms * Math.SQRT2)));
        // Reference: the state after every sample.
        const reference = createEnergyGate(settings);
        const after = Array.from(signal, (_, i) => reference.push(signal.subarray(i, i + 1)).open);
        const gate = createEnergyGate(settings);
        for (let offset = 0, i = 0; offset < signal.length; i++) {
          const size = sizes[i % sizes.length]!;
          const reading = gate.push(signal.subarray(offset, offset + size));
          offset = Math.min(signal.length, offset + size);
          expect(reading.open).toBe(after[offset - 1]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('starts again after reset', () => {
    const gate = createEnergyGate({ sampleRate: RATE });
    byFrame(gate, tone(100, 0.1));
    gate.push(tone(5, 0.1));
    gate.reset();
    expect(byFrame(gate, tone(60, 0.1))).toEqual(byFrame(createEnergyGate({ sampleRate: RATE }), tone(60, 0.1)));
  });

  it.each<[string, Partial<EnergyGateOptions>]>([
    ['closeThreshold not below openThreshold', { openThreshold: 0.02, closeThreshold: 0.02 }],
    ['a negative attack', { attackMs: -1 }],
    ['an infinite hangover', { hangoverMs: Number.POSITIVE_INFINITY }],
    ['a sample rate of 0', { sampleRate: 0 }],
    ['a NaN threshold', { openThreshold: Number.NaN }],
  ])('rejects %s with a RangeError', (_, options) => {
    expect(() => createEnergyGate({ sampleRate: RATE, ...options })).toThrow(RangeError);
  });
});
