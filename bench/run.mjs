// `npm run bench` (after `npm run build`): every benchmark in a row, each in its own child process
// with the flags it needs and `--json`, then ONE table of every figure — value, baseline (measured
// in the same run), ratio, target, verdict — on stdout, and `bench/results.json` with the machine,
// Node's version, the date, the commit and every figure. The benches' own text goes to stderr as
// they run (progress). Exits 1 if a bench failed (or overran its time and was stopped); a target
// missed is a verdict, not a failure.
//
// Options:
//   --quick        fewer repetitions and smaller workloads (about a minute; the full run takes a few)
//   --smoke        a tiny workload, to check the tooling (the figures mean nothing)
//   --only a,b     only these benches (by name: codec, recorded, sim, pipeline, client, latency,
//                  idle, reconnect, audio, voice, size)
//   --out FILE     where to write the results (default bench/results.json)
//   --note TEXT    a note kept in the results (e.g. what else ran on the machine)
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatNumber, verdict } from './report.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const profile = args.includes('--smoke') ? 'smoke' : args.includes('--quick') ? 'quick' : 'full';
const only = option('--only')?.split(',');
const out = option('--out') ?? fileURLToPath(new URL('./results.json', import.meta.url));
const userNote = option('--note');

/**
 * The benches, in the order they run: script, node flags, and the environment of each profile
 * (what the script reads; `full` is each script's own defaults). `quick` keeps the workloads the
 * targets are stated for (200,000 deltas: the heap ratios carry fixed costs that a smaller answer
 * would inflate) and cuts the repetitions.
 */
const BENCHES = [
  { name: 'codec', script: 'codec.bench.mjs', quick: { BENCH_REPS: 3 }, smoke: { BENCH_N: 2_000, BENCH_REPS: 1 } },
  { name: 'recorded', script: 'recorded.bench.mjs', quick: { BENCH_REPS: 5, BENCH_LOOPS: 10 }, smoke: { BENCH_REPS: 1, BENCH_LOOPS: 1 } },
  { name: 'sim', script: 'sim.bench.mjs', quick: { BENCH_REPS: 3 }, smoke: { BENCH_N: 2_000, BENCH_REPS: 1 } },
  { name: 'pipeline', script: 'pipeline.bench.mjs', quick: { BENCH_REPS: 3 }, smoke: { BENCH_N: 2_000, BENCH_REPS: 1 } },
  { name: 'client', script: 'client.bench.mjs', flags: ['--expose-gc'], quick: { BENCH_REPS: 3 }, smoke: { BENCH_N: 2_000, BENCH_REPS: 1 } },
  { name: 'latency', script: 'latency.bench.mjs', quick: { BENCH_DELTAS: 500, BENCH_REPS: 3 }, smoke: { BENCH_DELTAS: 50, BENCH_REPS: 1 } },
  { name: 'idle', script: 'idle.bench.mjs', flags: ['--expose-gc'], quick: { BENCH_CLIENTS: 1_000 }, smoke: { BENCH_CLIENTS: 20 } },
  { name: 'reconnect', script: 'reconnect.bench.mjs', quick: { BENCH_DROPS: 20 }, smoke: { BENCH_DROPS: 3 } },
  { name: 'audio', script: 'audio.bench.mjs', quick: { BENCH_SECONDS: 3, BENCH_REPS: 7 }, smoke: { BENCH_SECONDS: 0.2, BENCH_REPS: 1 } },
  { name: 'voice', script: 'voice.bench.mjs', quick: { BENCH_FRAMES: 100, BENCH_CANCELS: 10 }, smoke: { BENCH_FRAMES: 10, BENCH_CANCELS: 2 } },
  { name: 'size', script: 'size.mjs', quick: {}, smoke: {} },
];

/** How long one bench may run before it is stopped and reported as failed, per profile. */
const TIMEOUT_S = { full: 300, quick: 180, smoke: 60 };

/** Runs one bench; resolves with its parsed JSON line, or rejects with what went wrong. */
function runBench(bench) {
  const env = { ...process.env, ...Object.fromEntries(Object.entries(profile === 'full' ? {} : bench[profile]).map(([k, v]) => [k, String(v)])) };
  const script = fileURLToPath(new URL(`./${bench.script}`, import.meta.url));
  // its own process group, so a bench that overruns is stopped with the simulator it started
  const child = spawn(process.execPath, [...(bench.flags ?? []), script, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, TIMEOUT_S[profile] * 1000);
  // Ctrl-C reaches only the runner (the bench has its own group): stop the bench too
  const interrupted = () => {
    stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (timedOut) return reject(new Error(`stopped after ${TIMEOUT_S[profile]} s`));
      if (code !== 0) return reject(new Error(`exited with ${signal ?? `code ${code}`}`));
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`wrote no JSON line (stdout: ${JSON.stringify(stdout.slice(0, 200))})`));
      }
    });
  });
}

function git(...gitArgs) {
  try {
    return execFileSync('git', gitArgs, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ run
const started = Date.now();
const figures = [];
const notes = [];
const benches = [];
for (const bench of BENCHES) {
  if (only && !only.includes(bench.name)) continue;
  console.error(`\n— ${bench.name} (${bench.script}, ${profile})`);
  const t0 = Date.now();
  try {
    const result = await runBench(bench);
    for (const figure of result.figures) figures.push({ bench: bench.name, ...figure, verdict: verdict(figure) });
    notes.push(...result.notes);
    benches.push({ name: bench.name, ok: true, seconds: (Date.now() - t0) / 1000, figures: result.figures.length });
  } catch (error) {
    benches.push({ name: bench.name, ok: false, seconds: (Date.now() - t0) / 1000, error: error.message });
    notes.push(`${bench.name}: FAILED, ${error.message}`);
  }
}
const seconds = (Date.now() - started) / 1000;

// ------------------------------------------------------------------ the table
const targetText = (figure) => {
  const t = figure.target;
  if (!t) return '—';
  const op = t.op === '>=' ? '≥' : '≤';
  return t.on === 'ratio' ? `ratio ${op} ${formatNumber(t.value)}` : `${op} ${formatNumber(t.value, figure.unit)}`;
};
const rows = figures.map((figure) => [
  figure.label,
  formatNumber(figure.value, figure.unit),
  figure.baseline === undefined ? '—' : formatNumber(figure.baseline, figure.unit),
  figure.ratio === undefined ? '—' : Math.abs(figure.ratio) < 100 ? figure.ratio.toFixed(2) : formatNumber(figure.ratio),
  targetText(figure),
  figure.verdict,
]);
const header = ['Figure', 'Value', 'Baseline (same run)', 'Ratio', 'Target', 'Verdict'];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
const format = (cells) => `| ${cells.map((cell, i) => (i >= 1 && i <= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
const lines = [format(header), `|${widths.map((w, i) => (i >= 1 && i <= 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(format)];

if (profile === 'smoke') notes.unshift('smoke run: tiny workloads to check the tooling; the figures mean nothing');
const short = figures.filter((figure) => figure.verdict !== 'met' && figure.verdict !== 'no target');
console.log(`\nagentc-realtime benchmarks (${profile}, node ${process.version}, ${os.cpus().length} cores, ${seconds.toFixed(0)} s)\n`);
console.log(lines.join('\n'));
console.log('');
if (short.length === 0 && figures.some((figure) => figure.target)) console.log('Every target is met.');
for (const figure of short) console.log(`Short: ${figure.label}: ${figure.verdict} (target ${targetText(figure)}, ${figure.target.source})`);
for (const note of notes) console.log(`Note: ${note}`);
if (userNote) console.log(`Note: ${userNote}`);

// ------------------------------------------------------------------ results.json
const cpus = os.cpus();
const results = {
  machine: {
    cpu: cpus[0]?.model ?? null,
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  },
  node: process.version,
  date: new Date(started).toISOString(),
  commit: git('rev-parse', 'HEAD'),
  dirty: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
  profile,
  seconds,
  benches,
  figures,
  notes: userNote ? [...notes, userNote] : notes,
};
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nResults: ${out}`);
if (benches.some((bench) => !bench.ok)) process.exitCode = 1;
