// `npm run bench:audio`: throughput of the voice DSP (src/audio/dsp.ts) as a multiple of real
// time on one core: seconds of audio processed per second of the run. Each run feeds BENCH_SECONDS
// of audio through a fresh resampler in blocks of 128 samples (an AudioWorklet's render quantum)
// or 2048 samples (the reference SDK's chunk), one unrecorded warm-up per path, then interleaved
// repetitions, medians. The blocks are cut before the clock starts; the outputs are allocated
// inside the run, as the library allocates them.
// - capture: float microphone blocks → createResampler(from, to) → floatToPcm16 (the wire format),
// - playback: PCM16 blocks from the wire → pcm16ToFloat → createResampler(24 kHz, 48 kHz).
// Printed: the median wall-clock and CPU-time multiples (CPU time of this process over the same
// run), and the fastest wall-clock run (interference only ever adds time: on a loaded machine the
// medians drop, the fastest run much less). A run is short (tens of ms), so there are many.
// Target: capture 48 kHz → 24 kHz >= 500× real time (median, wall), in both block sizes.
//
// BENCH_SECONDS (default 10), BENCH_REPS (default 15).
import { createResampler, floatToPcm16, pcm16ToFloat } from '../dist/audio/dsp.js';
import { createReport, log } from './report.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const REPS = Number(process.env.BENCH_REPS ?? 15);
const TARGET = 500;
const BLOCKS = [128, 2048];

/** Voice-like test audio: a few harmonics of a wandering pitch plus a little noise, deterministic. */
function audio(rate) {
  const samples = new Float32Array(Math.round(SECONDS * rate));
  let seed = 12_345;
  let phase = 0;
  for (let i = 0; i < samples.length; i++) {
    phase += (2 * Math.PI * (140 + 40 * Math.sin((2 * Math.PI * i) / rate))) / rate;
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    samples[i] = 0.3 * Math.sin(phase) + 0.15 * Math.sin(3 * phase) + 0.05 * Math.sin(7 * phase) + 0.02 * (seed / 2 ** 30 - 1);
  }
  return samples;
}

function cut(samples, size) {
  const blocks = [];
  for (let i = 0; i < samples.length; i += size) blocks.push(samples.slice(i, i + size));
  return blocks;
}

const paths = [];
for (const [from, to] of [
  [48_000, 24_000],
  [48_000, 16_000],
  [44_100, 24_000],
]) {
  const input = audio(from);
  for (const size of BLOCKS) {
    const blocks = cut(input, size);
    paths.push({
      label: `capture  ${from / 1000} kHz → ${to / 1000} kHz + floatToPcm16`,
      size,
      target: from === 48_000 && to === 24_000,
      run() {
        const resample = createResampler(from, to);
        let samples = 0;
        let check = 0;
        for (const block of blocks) {
          const pcm = floatToPcm16(resample(block));
          samples += pcm.length;
          check += pcm[0] ?? 0;
        }
        return { samples, check, expected: Math.ceil((input.length * to) / from) };
      },
    });
  }
}
{
  const wire = floatToPcm16(audio(24_000));
  for (const size of BLOCKS) {
    const blocks = [];
    for (let i = 0; i < wire.length; i += size) blocks.push(wire.slice(i, i + size));
    paths.push({
      label: 'playback pcm16ToFloat + 24 kHz → 48 kHz',
      size,
      target: false,
      run() {
        const resample = createResampler(24_000, 48_000);
        let samples = 0;
        let check = 0;
        for (const block of blocks) {
          const out = resample(pcm16ToFloat(block));
          samples += out.length;
          check += out[0] ?? 0;
        }
        return { samples, check, expected: 2 * wire.length };
      },
    });
  }
}

function time(path) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = path.run();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  if (result.samples !== result.expected) throw new Error(`${path.label}: ${result.samples} samples out, expected ${result.expected}`);
  if (!Number.isFinite(result.check)) throw new Error(`${path.label}: output is not finite`);
  return { wall: SECONDS / wall, cpu: SECONDS / ((used.user + used.system) / 1e6) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const path of paths) time(path); // warm-up
const runs = paths.map(() => []);
for (let r = 0; r < REPS; r++) {
  // rotate the order, so no path always runs right after the same one
  for (let i = 0; i < paths.length; i++) {
    const index = (i + r) % paths.length;
    runs[index].push(time(paths[index]));
  }
}

const times = (x) => `${Math.round(x).toLocaleString('en')}×`;
log(`audio: ${SECONDS} s of audio per run, ${REPS} interleaved reps after a warm-up, medians, × real time on one core`);
log(`  ${'path'.padEnd(44)}${'block'.padStart(6)}${'wall'.padStart(9)}${'CPU'.padStart(9)}${'fastest'.padStart(10)}`);
const verdicts = [];
const report = createReport('audio');
paths.forEach((path, i) => {
  const wall = median(runs[i].map((run) => run.wall));
  const cpu = median(runs[i].map((run) => run.cpu));
  const fastest = Math.max(...runs[i].map((run) => run.wall));
  log(`  ${path.label.padEnd(44)}${String(path.size).padStart(6)}${times(wall).padStart(9)}${times(cpu).padStart(9)}${times(fastest).padStart(10)}`);
  if (path.target) verdicts.push(wall >= TARGET);
  const slug = path.label.trim().split(/\s+/)[0];
  const rates = path.label.match(/([\d.]+) kHz → ([\d.]+) kHz/);
  report.figure({
    id: `audio.${slug}.${rates[1]}-${rates[2]}.${path.size}`,
    label: `audio: ${path.label.replace(/\s+/g, ' ')}, ${path.size}-sample blocks`,
    value: wall,
    unit: '× real time',
    cpu,
    fastest,
    target: path.target ? { on: 'value', op: '>=', value: TARGET, source: 'README (voice DSP on one core)' } : undefined,
  });
});
log(`  target: capture 48 kHz → 24 kHz + floatToPcm16 >= ${TARGET}× real time (median, wall), both block sizes: ${verdicts.every(Boolean) ? 'met' : 'NOT met'}`);
report.emit();
