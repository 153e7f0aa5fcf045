import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdict } from '../../../bench/report.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const runner = fileURLToPath(new URL('../../../bench/run.mjs', import.meta.url));
const recordings = new URL('../../../../shared/protocol/real-server/', import.meta.url);

/** Every figure `npm run bench` reports (the recorded ones only where the recordings are). */
const EXPECTED = [
  'codec.textDelta',
  ...(existsSync(recordings) ? ['recorded.burst', 'recorded.turn'] : []),
  'sim.firehose',
  'pipeline.events',
  'pipeline.streaming',
  'pipeline.eventsRate',
  'client.events',
  'client.eventsCpu',
  'client.eventsVsReference',
  'client.streaming',
  'client.streamingCpu',
  'client.heap',
  'client.heapPerDelta',
  'client.answerHeap',
  'latency.streaming.p50',
  'latency.streaming.p99',
  'idle.heapPerClient',
  'idle.heapPerClientVsData',
  'reconnect.ready.p50',
  'reconnect.ready.p99',
  'reconnect.metrics.p50',
  'reconnect.metrics.p99',
  ...['capture.48-24', 'capture.48-16', 'capture.44.1-24', 'playback.24-48'].flatMap((path) => [`audio.${path}.128`, `audio.${path}.2048`]),
  'voice.micToSocket.p50',
  'voice.micToSocket.p99',
  'voice.cancelToStop.p50',
  'voice.cancelToStop.p99',
  'size.core',
  'size.coreVsReference',
  'size.createClient',
  'size.audio',
  'size.audioAdds',
];

interface ResultFigure {
  bench: string;
  id: string;
  label: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: { on: string; op: string; value: number; source: string };
  verdict: string;
}

describe('verdict()', () => {
  it('is met when the measured side of the target is on the right side of it', () => {
    expect(verdict({ value: 10, unit: 'KB', target: { on: 'value', op: '<=', value: 35, source: 's' } })).toBe('met');
    expect(verdict({ value: 1, unit: 'x', ratio: 0.9, target: { on: 'ratio', op: '>=', value: 0.85, source: 's' } })).toBe('met');
  });

  it('names the shortfall in the target’s terms when it is missed', () => {
    expect(verdict({ value: 70, unit: 'KB', target: { on: 'value', op: '<=', value: 35, source: 's' } })).toBe('short by 35 KB (100 %)');
    expect(verdict({ value: 1, unit: 'x', ratio: 0.8, target: { on: 'ratio', op: '>=', value: 0.85, source: 's' } })).toBe('short by 0.05 (5.9 %)');
  });

  it('says when there is no target, or no number to judge', () => {
    expect(verdict({ value: 3, unit: 'ms' })).toBe('no target');
    expect(verdict({ value: 3, unit: 'ms', ratio: Number.NaN, target: { on: 'ratio', op: '>=', value: 1, source: 's' } })).toBe('not measured');
  });
});

describe('npm run bench (bench/run.mjs --smoke)', () => {
  let dir = '';
  let stdout = '';
  let code: number | null = null;
  let results: { machine: { cores: number; cpu: string | null }; node: string; date: string; commit: string | null; profile: string; figures: ResultFigure[]; notes: string[]; benches: { name: string; ok: boolean }[] };

  beforeAll(async () => {
    // `npm run bench` builds first; a bare `vitest run` may not have.
    if (!['index.js', 'protocol.js', 'sim/index.js', 'audio/dsp.js'].every((file) => existsSync(join(root, 'dist', file)))) {
      const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
      spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
    }
    dir = mkdtempSync(join(tmpdir(), 'agentc-bench-'));
    const out = join(dir, 'results.json');
    ({ code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, [runner, '--smoke', '--out', out], { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 100_000 }, (error, out) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out });
      });
    }));
    results = JSON.parse(readFileSync(out, 'utf8'));
  }, 150_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every bench to the end', () => {
    expect(results.benches.filter((bench) => !bench.ok)).toEqual([]);
    expect(code).toBe(0);
  });

  it('writes results.json with the machine, Node, the date, the commit and the profile', () => {
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
    expect(results.commit === null || /^[0-9a-f]{40}$/.test(results.commit)).toBe(true);
    expect(results.profile).toBe('smoke');
  });

  it('has every expected figure once, with finite numbers, a unit and a verdict', () => {
    expect(results.figures.map((figure) => figure.id).sort()).toEqual([...EXPECTED].sort());
    for (const figure of results.figures) {
      expect(Number.isFinite(figure.value), figure.id).toBe(true);
      expect(figure.unit, figure.id).not.toBe('');
      if (figure.baseline !== undefined) expect(Number.isFinite(figure.baseline), figure.id).toBe(true);
      if (figure.ratio !== undefined) expect(Number.isFinite(figure.ratio), figure.id).toBe(true);
      expect(figure.verdict, figure.id).toMatch(figure.target ? /^(met|short by .+)$/ : /^no target$/);
      if (figure.target) expect(figure.target.source, figure.id).not.toBe('');
    }
  });

  it('states a ratio to a baseline measured in the same run where there is one', () => {
    // rates and times are positive on any workload
    for (const id of ['codec.textDelta', 'pipeline.events', 'client.events', 'latency.streaming.p50', 'voice.micToSocket.p50']) {
      const figure = results.figures.find((f) => f.id === id);
      expect(figure?.baseline, id).toBeGreaterThan(0);
      expect(figure?.ratio, id).toBeGreaterThan(0);
    }
    // a heap difference on the smoke run's tiny workload is within the collector's noise (it can come
    // out at or below zero): there the baseline and the ratio only have to be measured numbers
    for (const id of ['client.heap', 'idle.heapPerClient']) {
      const figure = results.figures.find((f) => f.id === id);
      expect(typeof figure?.baseline, id).toBe('number');
      expect(typeof figure?.ratio, id).toBe('number');
    }
  });

  it('prints one table with a row per figure: its value and its verdict', () => {
    expect(stdout).toMatch(/^\| Figure +\| +Value \| +Baseline \(same run\) \| +Ratio \| Target +\| Verdict +\|$/m);
    const rows = stdout.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Figure'));
    expect(rows).toHaveLength(results.figures.length);
    for (const figure of results.figures) {
      const row = rows.find((line) => line.startsWith(`| ${figure.label} `));
      expect(row, figure.id).toBeDefined();
      expect(row!.trimEnd().endsWith(`${figure.verdict} |`) || row!.includes(`| ${figure.verdict} `), figure.id).toBe(true);
    }
  });

  it('names every shortfall under the table, with the target’s source', () => {
    for (const figure of results.figures.filter((f) => f.verdict.startsWith('short'))) {
      expect(stdout).toContain(`Short: ${figure.label}: ${figure.verdict} (target `);
      expect(stdout).toContain(figure.target!.source);
    }
  });

});

describe('bench/recorded.bench.mjs without the recordings of the real server', () => {
  it('says it skipped, reports no figure and exits 0', () => {
    const script = fileURLToPath(new URL('../../../bench/recorded.bench.mjs', import.meta.url));
    const missing = join(tmpdir(), `agentc-no-recordings-${process.pid}`);
    const result = spawnSync(process.execPath, [script, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, BENCH_RECORDINGS: missing }, timeout: 30_000 });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('recorded: skipped');
    const line = JSON.parse(result.stdout.trim()) as { bench: string; figures: unknown[]; notes: string[] };
    expect(line.bench).toBe('recorded');
    expect(line.figures).toEqual([]);
    expect(line.notes.some((note) => note.startsWith('recorded: skipped'))).toBe(true);
  });
});
