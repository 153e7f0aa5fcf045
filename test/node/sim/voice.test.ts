import { describe, expect, it } from 'vitest';
import {
  UtteranceDetector,
  VOICE_SAMPLE_RATE,
  chunkPcm,
  rms,
  synthesizeSpeech,
  type UtteranceEvent,
} from '../../../src/sim/voice.js';

const SR = VOICE_SAMPLE_RATE;
const samples = (ms: number): number => Math.round((ms * SR) / 1000);

/** A sine tone of `ms` at `amplitude` (fraction of full scale). */
function tone(ms: number, amplitude = 0.2, hz = 180): Int16Array {
  const out = new Int16Array(samples(ms));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / SR));
  return out;
}

/** Low-level noise well under the default threshold (0.02 of full scale). */
function quiet(ms: number, level = 0.002, seed = 7): Int16Array {
  const out = new Int16Array(samples(ms));
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = Math.round(((x / 2 ** 32) * 2 - 1) * level * 32767);
  }
  return out;
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Feed `pcm` in chunks of `size` samples and collect every event. */
function feed(detector: UtteranceDetector, pcm: Int16Array, size: number): UtteranceEvent[] {
  const events: UtteranceEvent[] = [];
  for (let i = 0; i < pcm.length; i += size) events.push(...detector.push(pcm.subarray(i, i + size)));
  return events;
}

/**
 * Rough count of what an object keeps reachable: every array element, typed-array byte, string
 * character, map/set entry and own property (TypeScript-private fields are ordinary properties),
 * followed through nested objects. If the detector kept audio or frame history anywhere, this
 * number would grow with the stream.
 */
function retainedSize(root: unknown): number {
  const seen = new Set<unknown>();
  let total = 0;
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      total += value.length;
      return;
    }
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      total += 1;
      return;
    }
    if (seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      total += value.buffer.byteLength; // a view keeps its whole buffer alive
      return;
    }
    if (value instanceof ArrayBuffer) {
      total += value.byteLength;
      return;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        visit(k);
        visit(v);
      }
    } else if (value instanceof Set) {
      for (const v of value) visit(v);
    }
    if (typeof value === 'function') return; // methods are shared with the prototype; not state
    for (const key of Object.getOwnPropertyNames(value)) {
      total += 1;
      visit((value as Record<string, unknown>)[key]);
    }
  };
  visit(root);
  return total;
}

describe('UtteranceDetector', () => {
  const utterance = concat(quiet(300), tone(600), quiet(700));

  it('finds one utterance in silence, 600 ms of speech, 700 ms of silence', () => {
    const events = feed(new UtteranceDetector(), utterance, 4096);
    expect(events.map((e) => e.type)).toEqual(['speech_started', 'speech_ended']);
    const [started, ended] = events;
    expect(started!.atMs).toBeGreaterThanOrEqual(300 - 40);
    expect(started!.atMs).toBeLessThanOrEqual(300 + 40);
    expect(ended!.type === 'speech_ended' && ended!.durationMs).toBeGreaterThanOrEqual(600 - 40);
    expect(ended!.type === 'speech_ended' && ended!.durationMs).toBeLessThanOrEqual(600 + 40);
    expect(ended!.atMs).toBeCloseTo(900, -2);
  });

  it('reports speech_ended only after silenceMs of silence', () => {
    const detector = new UtteranceDetector();
    expect(detector.push(concat(quiet(300), tone(600), quiet(400)))).toEqual([
      expect.objectContaining({ type: 'speech_started' }),
    ]);
    expect(detector.speaking).toBe(true);
    expect(detector.push(quiet(200))).toEqual([expect.objectContaining({ type: 'speech_ended' })]);
    expect(detector.speaking).toBe(false);
  });

  it('ignores a 60 ms click', () => {
    const pcm = concat(quiet(500), tone(60, 0.8, 1000), quiet(1000));
    const detector = new UtteranceDetector();
    expect(feed(detector, pcm, 480)).toEqual([]);
    expect(detector.flush()).toEqual([]);
  });

  it('gives identical events for chunks of 1, 7, 480 and 4096 samples', () => {
    const pcm = concat(utterance, tone(200, 0.1, 150), quiet(50), tone(300), quiet(900), tone(30, 0.5));
    const reference = feed(new UtteranceDetector(), pcm, pcm.length);
    expect(reference.length).toBe(4); // two utterances
    for (const size of [1, 7, 480, 4096]) {
      expect(feed(new UtteranceDetector(), pcm, size), `chunks of ${size}`).toEqual(reference);
    }
  });

  it('flush ends an utterance in progress (push-to-talk released)', () => {
    const detector = new UtteranceDetector();
    const events = feed(detector, concat(quiet(200), tone(500)), 1000);
    expect(events.map((e) => e.type)).toEqual(['speech_started']);
    const flushed = detector.flush();
    expect(flushed).toHaveLength(1);
    const [ended] = flushed;
    expect(ended?.type).toBe('speech_ended');
    expect(ended!.atMs).toBeCloseTo(700, -1);
    expect(ended?.type === 'speech_ended' && ended.durationMs).toBeCloseTo(500, -2);
    expect(detector.speaking).toBe(false);
    expect(detector.flush()).toEqual([]); // nothing left to end
  });

  it('flush drops a run of speech shorter than minSpeechMs', () => {
    const detector = new UtteranceDetector();
    detector.push(concat(quiet(200), tone(80)));
    expect(detector.flush()).toEqual([]);
  });

  it('maxUtteranceMs forces an end, and continued speech starts a new utterance', () => {
    const detector = new UtteranceDetector({ maxUtteranceMs: 1000 });
    const events = feed(detector, concat(tone(2500), quiet(700)), 4096);
    expect(events.map((e) => e.type)).toEqual(['speech_started', 'speech_ended', 'speech_started', 'speech_ended', 'speech_started', 'speech_ended']);
    expect(events[0]).toEqual({ type: 'speech_started', atMs: 0 });
    expect(events[1]).toEqual({ type: 'speech_ended', atMs: 1000, durationMs: 1000 });
    expect(events[2]!.atMs).toBeGreaterThanOrEqual(1000);
    expect(events[5]!.atMs).toBeCloseTo(2500, -1);
  });

  it('reset starts the timeline again', () => {
    const detector = new UtteranceDetector();
    detector.push(concat(quiet(1000), tone(300)));
    detector.reset();
    expect(detector.speaking).toBe(false);
    const events = detector.push(concat(quiet(100), tone(300), quiet(600)));
    expect(events[0]).toEqual({ type: 'speech_started', atMs: 100 });
  });

  it('honours its options', () => {
    const pcm = concat(quiet(100), tone(300, 0.05), quiet(300), tone(300, 0.05), quiet(1000));
    // Default: the 300 ms gap is shorter than silenceMs, so one utterance.
    expect(feed(new UtteranceDetector(), pcm, 960).filter((e) => e.type === 'speech_started')).toHaveLength(1);
    // A shorter silence splits it; a higher threshold hears nothing.
    expect(feed(new UtteranceDetector({ silenceMs: 200 }), pcm, 960).filter((e) => e.type === 'speech_started')).toHaveLength(2);
    expect(feed(new UtteranceDetector({ threshold: 0.1 }), pcm, 960)).toEqual([]);
    // Another sample rate: positions are still in ms.
    const at16k = new Int16Array(16_000); // 1 s at 16 kHz: 240 ms silence, 500 ms tone (frame-aligned)
    for (let i = 3840; i < 11_840; i++) at16k[i] = Math.round(8000 * Math.sin((2 * Math.PI * 200 * i) / 16_000));
    const events = new UtteranceDetector({ sampleRate: 16_000, silenceMs: 200 }).push(at16k);
    expect(events).toEqual([
      { type: 'speech_started', atMs: 240 },
      { type: 'speech_ended', atMs: 740, durationMs: 500 },
    ]);
  });

  it('rejects nonsensical options', () => {
    expect(() => new UtteranceDetector({ frameMs: 0 })).toThrow(RangeError);
    expect(() => new UtteranceDetector({ sampleRate: Number.NaN })).toThrow(RangeError);
    expect(() => new UtteranceDetector({ threshold: -1 })).toThrow(RangeError);
  });

  it('keeps bounded memory over a 10-minute stream (no growing buffer)', () => {
    const detector = new UtteranceDetector();
    const chunk = quiet(4096 / (SR / 1000)); // 4096 samples of near-silence, reused: only the detector could grow
    expect(chunk.length).toBe(4096);
    const chunks = Math.ceil((10 * 60 * SR) / 4096);
    detector.push(chunk);
    const afterOne = retainedSize(detector);
    let events = 0;
    for (let i = 1; i < chunks / 2; i++) events += detector.push(chunk).length;
    const afterFive = retainedSize(detector);
    for (let i = Math.ceil(chunks / 2); i < chunks; i++) events += detector.push(chunk).length;
    expect(events).toBe(0);
    expect(afterFive).toBe(afterOne);
    expect(retainedSize(detector)).toBe(afterOne);
    // And the stream position still counts: speech after the 10 minutes is placed correctly.
    const more = detector.push(concat(tone(300), quiet(600)));
    expect(more[0]?.atMs).toBeGreaterThanOrEqual(10 * 60 * 1000);
    expect(retainedSize(detector)).toBe(afterOne);
  });

  it('the memory probe does notice a detector that keeps what it is fed', () => {
    // Guard for the test above: a leaky variant must measurably grow under the same probe.
    class Leaky extends UtteranceDetector {
      readonly history: Int16Array[] = [];
      override push(pcm: Int16Array): UtteranceEvent[] {
        this.history.push(pcm.slice(0, 16));
        return super.push(pcm);
      }
    }
    const leaky = new Leaky();
    const chunk = quiet(100);
    leaky.push(chunk);
    const before = retainedSize(leaky);
    for (let i = 0; i < 100; i++) leaky.push(chunk);
    expect(retainedSize(leaky)).toBeGreaterThan(before);
  });
});

describe('synthesizeSpeech', () => {
  const text = 'hello there this is the simulator speaking';
  const words = text.split(' ').length;

  it('is deterministic, and the seed changes it', () => {
    expect(synthesizeSpeech(text, { seed: 5 })).toEqual(synthesizeSpeech(text, { seed: 5 }));
    expect(synthesizeSpeech(text, { seed: 5 })).not.toEqual(synthesizeSpeech(text, { seed: 6 }));
    expect(synthesizeSpeech(text)).toEqual(synthesizeSpeech(text, { seed: 1 }));
  });

  it('has words × (msPerWord + 40 ms) of samples', () => {
    expect(synthesizeSpeech(text).length).toBe(words * samples(180 + 40));
    expect(synthesizeSpeech(text, { msPerWord: 100 }).length).toBe(words * samples(100 + 40));
    expect(synthesizeSpeech('  spaced\n\tout  ', { sampleRate: 16_000 }).length).toBe(2 * 16 * 220);
  });

  it('gives no samples for empty or blank text', () => {
    expect(synthesizeSpeech('')).toEqual(new Int16Array(0));
    expect(synthesizeSpeech('  \n ')).toHaveLength(0);
  });

  it('stays under ~0.3 of full scale, fades in and out, and leaves 40 ms pauses', () => {
    const pcm = synthesizeSpeech('one two');
    const peak = pcm.reduce((max, s) => Math.max(max, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(0.2 * 32768);
    expect(peak).toBeLessThanOrEqual(0.3 * 32768);
    expect(Math.abs(pcm[0]!)).toBeLessThan(200); // fade in: starts near zero
    const pause = pcm.subarray(samples(180), samples(220));
    expect(rms(pause)).toBe(0);
    expect(rms(pcm.subarray(0, samples(180)))).toBeGreaterThan(0.1);
  });

  it('is loud enough for the detector: synth and detector agree on one utterance', () => {
    const speech = synthesizeSpeech(text, { seed: 9 });
    expect(rms(speech)).toBeGreaterThan(0.02);
    const events = feed(new UtteranceDetector(), concat(quiet(200), speech, quiet(700)), 2048);
    expect(events.map((e) => e.type)).toEqual(['speech_started', 'speech_ended']);
    const ended = events[1]!;
    const spoken = words * 220 - 40; // the last word's pause is silence
    expect(ended.type === 'speech_ended' && ended.durationMs).toBeGreaterThanOrEqual(spoken - 40);
    expect(ended.type === 'speech_ended' && ended.durationMs).toBeLessThanOrEqual(spoken + 40);
  });
});

describe('chunkPcm', () => {
  it('splits into chunks of the duration, the last one shorter', () => {
    const pcm = new Int16Array(samples(1000) + 100).map((_, i) => i);
    const chunks = chunkPcm(pcm, 100);
    expect(chunks.map((c) => c.length)).toEqual([...Array<number>(10).fill(2400), 100]);
    expect(concat(...chunks)).toEqual(pcm);
    expect(chunkPcm(pcm, 85.3333).every((c, i, all) => i === all.length - 1 || c.length === 2048)).toBe(true);
    expect(chunkPcm(new Int16Array(32_000), 20, 16_000).map((c) => c.length)).toEqual(Array<number>(100).fill(320));
  });

  it('returns views sharing the input memory', () => {
    const pcm = new Int16Array(4800);
    const [first] = chunkPcm(pcm, 50);
    expect(first!.buffer).toBe(pcm.buffer);
  });

  it('gives no chunks for no samples and rejects a non-positive duration', () => {
    expect(chunkPcm(new Int16Array(0), 20)).toEqual([]);
    expect(() => chunkPcm(new Int16Array(10), 0)).toThrow(RangeError);
  });
});

describe('rms', () => {
  it('is a fraction of full scale', () => {
    expect(rms(new Int16Array(0))).toBe(0);
    expect(rms(new Int16Array(100))).toBe(0);
    expect(rms(new Int16Array(100).fill(-32768))).toBe(1);
    expect(rms(tone(1000, 0.5))).toBeCloseTo(0.5 / Math.SQRT2, 3);
  });
});
