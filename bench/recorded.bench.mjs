// `npm run bench:recorded`: decode of the real server's frames, at their real sizes, as a ratio to
// plain JSON.parse of the same frames in the same run (interleaved repetitions, medians):
// - the initialization burst: the frames the real server sends on connect, up to the first
//   `user_turn_start` (~207 KB: an agent list, a ~176 KB tool catalogue, the chat session, ...),
// - the per-turn frames: every frame of the answers to a text chat and to a turn with thinking and
//   tools (the ~25 KB `system_prompt`, the ~47 KB `completion`s, deltas, tool calls, ...).
// The frames come from the recordings of the real server in `../shared/protocol/real-server/` (the
// repository's sibling folder, present at development time only). The recordings hold each frame
// parsed; it is serialised again with JSON.stringify (compact, so a little smaller than the
// server's own spacing), the same string for both decoders. Without the folder the bench says so
// and reports nothing. Target: the codec's (ratio >= 0.67), applied to the real frames.
//
// BENCH_REPS (default 9), BENCH_LOOPS (default 40: how many times one repetition decodes each set).
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { decodeServerFrame } from '../dist/protocol.js';
import { createReport, log, median } from './report.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 9);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 40);
// BENCH_RECORDINGS: another folder of recordings (the tests point it at a missing one).
const dir = process.env.BENCH_RECORDINGS ? pathToFileURL(`${process.env.BENCH_RECORDINGS}/`) : new URL('../../shared/protocol/real-server/', import.meta.url);
const report = createReport('recorded');

if (!existsSync(dir)) {
  log('recorded: skipped: no recordings of the real server (../shared/protocol/real-server/ beside the repository: present at development time only)');
  report.note('recorded: skipped, no recordings of the real server (../shared/protocol/real-server/ beside the repository: present at development time only)');
  report.emit();
  process.exit(0);
}

const recording = (name) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')).frames;

/** The server's frames on the first socket: before the client's first frame, and after it. */
function split(frames) {
  const first = frames.filter((frame) => frame.conn === 1 && (frame.dir === 'in' || frame.dir === 'out'));
  const sent = first.findIndex((frame) => frame.dir === 'out');
  const text = (frame) => JSON.stringify(frame.data);
  const incoming = (list) => list.filter((frame) => frame.dir === 'in' && frame.type !== null && frame.raw === null).map(text);
  return { burst: incoming(first.slice(0, sent)), turn: incoming(first.slice(sent + 1)) };
}

const chat = split(recording('02-text-chat'));
const tools = split(recording('03-thinking-tools'));
const sets = {
  burst: { label: 'init burst', frames: chat.burst },
  turn: { label: 'per-turn frames', frames: [...chat.turn, ...tools.turn] },
};
for (const set of Object.values(sets)) {
  set.bytes = set.frames.reduce((sum, frame) => sum + Buffer.byteLength(frame), 0);
  for (const frame of set.frames) {
    const decoded = decodeServerFrame(frame);
    if (decoded.kind !== 'event') throw new Error(`recorded: ${set.label}: decodeServerFrame gave ${decoded.kind} for ${frame.slice(0, 80)}`);
  }
}

function parse(frames) {
  let types = 0;
  for (let loop = 0; loop < LOOPS; loop++) {
    for (let i = 0; i < frames.length; i++) {
      const event = JSON.parse(frames[i]);
      switch (event.type) {
        case 'text_delta':
          types += 2;
          break;
        default:
          types += 1;
      }
    }
  }
  return types;
}

function decode(frames) {
  let types = 0;
  for (let loop = 0; loop < LOOPS; loop++) {
    for (let i = 0; i < frames.length; i++) {
      const frame = decodeServerFrame(frames[i]);
      if (frame.kind !== 'event') throw new Error(`unexpected ${frame.kind}`);
      types += frame.event.type === 'text_delta' ? 2 : 1;
    }
  }
  return types;
}

function time(fn, frames) {
  const start = process.hrtime.bigint();
  const check = fn(frames);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, check };
}

const results = {};
for (const [key, set] of Object.entries(sets)) {
  parse(set.frames);
  decode(set.frames); // warm-up
  const base = [];
  const dec = [];
  for (let r = 0; r < REPS; r++) {
    const b = time(parse, set.frames);
    const d = time(decode, set.frames);
    if (b.check !== d.check) throw new Error(`recorded: the decoders disagree on ${set.label}`);
    base.push(b.ms / LOOPS);
    dec.push(d.ms / LOOPS);
  }
  results[key] = { parse: median(base), decode: median(dec) };
}

log(`recorded: frames of the real server (recordings), ${REPS} interleaved reps of ${LOOPS} passes, medians`);
for (const [key, set] of Object.entries(sets)) {
  const { parse: p, decode: d } = results[key];
  const ratio = p / d;
  log(`  ${set.label.padEnd(16)} ${String(set.frames.length).padStart(3)} frames, ${(set.bytes / 1024).toFixed(1)} KB: JSON.parse ${(p * 1000).toFixed(0)} µs, decodeServerFrame ${(d * 1000).toFixed(0)} µs, ratio ${ratio.toFixed(2)}  (target >= 0.67: ${ratio >= 0.67 ? 'met' : 'NOT met'})`);
  report.figure({
    id: `recorded.${key}`,
    label: `recorded: decode of the real ${set.label} (${set.frames.length} frames, ${(set.bytes / 1024).toFixed(0)} KB)`,
    value: d * 1000,
    unit: 'µs',
    baseline: p * 1000,
    baselineLabel: 'JSON.parse + switch of the same frames',
    ratio,
    ratioLabel: 'decode / JSON.parse, as rates',
    frames: set.frames.length,
    bytes: set.bytes,
    target: { on: 'ratio', op: '>=', value: 0.67, source: 'README (the codec target, applied to the real frames)' },
  });
}
report.emit();
