// `npm run bench:codec`: decode throughput of 200,000 realistic text_delta frames, as a ratio to
// plain JSON.parse in the same run (interleaved repetitions, medians). Target: ratio >= 0.67.
import { decodeServerFrame } from '../dist/protocol.js';
import { textDeltaFrames } from './frames.mjs';
import { createReport, log } from './report.mjs';

const N = Number(process.env.BENCH_N ?? 200_000);
const REPS = Number(process.env.BENCH_REPS ?? 7);
const frames = textDeltaFrames(N);
const bytes = frames.reduce((sum, f) => sum + f.length, 0);

function baseline() {
  let text = '';
  for (let i = 0; i < frames.length; i++) {
    const event = JSON.parse(frames[i]);
    switch (event.type) {
      case 'text_delta':
        text += event.content;
        break;
      default:
        break;
    }
  }
  return text.length;
}

function decoded() {
  let text = '';
  for (let i = 0; i < frames.length; i++) {
    const frame = decodeServerFrame(frames[i]);
    if (frame.kind === 'event' && frame.event.type === 'text_delta') text += frame.event.content;
    else throw new Error(`unexpected ${frame.kind}`);
  }
  return text.length;
}

function time(fn) {
  const start = process.hrtime.bigint();
  const length = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm-up (not recorded), then interleaved repetitions.
baseline();
decoded();
const base = [];
const dec = [];
for (let r = 0; r < REPS; r++) {
  const b = time(baseline);
  const d = time(decoded);
  if (b.length !== d.length) throw new Error('decoders disagree on the text');
  base.push(b.ms);
  dec.push(d.ms);
}
const baseRate = N / (median(base) / 1000);
const decRate = N / (median(dec) / 1000);
const ratio = decRate / baseRate;
log(`codec: ${N} text_delta frames (${(bytes / N).toFixed(1)} B avg), ${REPS} interleaved reps, medians`);
log(`  JSON.parse + switch      ${Math.round(baseRate).toLocaleString('en')} frames/s  (${median(base).toFixed(0)} ms)`);
log(`  decodeServerFrame        ${Math.round(decRate).toLocaleString('en')} frames/s  (${median(dec).toFixed(0)} ms)`);
log(`  ratio decode/JSON.parse  ${ratio.toFixed(2)}  (target >= 0.67: ${ratio >= 0.67 ? 'met' : 'NOT met'})`);

const report = createReport('codec');
report.figure({
  id: 'codec.textDelta',
  label: 'codec: decodeServerFrame, text_delta frames',
  value: decRate,
  unit: 'frames/s',
  baseline: baseRate,
  baselineLabel: 'JSON.parse + switch',
  ratio,
  ratioLabel: 'decode / JSON.parse',
  target: { on: 'ratio', op: '>=', value: 0.67, source: 'README (validation costs at most 1.5× plain parsing)' },
});
report.emit();
