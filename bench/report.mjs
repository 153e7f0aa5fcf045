// What every bench script shares for its output. Alone, a script prints its text on stdout as it
// always did. With `--json` (what `bench/run.mjs` passes) the text goes to stderr instead and
// stdout gets exactly one line: `{"bench": name, "figures": [...], "notes": [...]}`.
//
// A figure: { id, label, value, unit, baseline?, baselineLabel?, ratio?, ratioLabel?, target?, note? }
// - baseline: the same quantity measured in the same run by the thing we compare with (raw `ws`,
//   `JSON.parse`, ...), in `unit`; ratio: how the figure compares with it, as the target states it.
// - target: { on: 'ratio' | 'value', op: '>=' | '<=', value, source } — where the target comes from
//   (README, reference-sdk.md's numbers of the old SDK, ...). No target: a figure to watch.

export const jsonMode = process.argv.includes('--json');

/** The script's human output: stdout alone, stderr under `--json` (stdout then carries the JSON). */
export function log(...args) {
  if (jsonMode) console.error(...args);
  else console.log(...args);
}

/**
 * The verdict of a figure: `met`, `short by X` (X in the target's own terms) or `no target`.
 * A figure whose number is missing (not finite) is `not measured`.
 */
export function verdict(figure) {
  const target = figure.target;
  if (!target) return 'no target';
  const measured = target.on === 'ratio' ? figure.ratio : figure.value;
  if (typeof measured !== 'number' || !Number.isFinite(measured)) return 'not measured';
  const met = target.op === '>=' ? measured >= target.value : measured <= target.value;
  if (met) return 'met';
  const gap = Math.abs(measured - target.value);
  const percent = (100 * gap) / Math.abs(target.value);
  return `short by ${formatNumber(gap, target.on === 'ratio' ? '' : figure.unit)} (${percent.toFixed(percent < 10 ? 1 : 0)} %)`;
}

/** A number with its unit, rounded for a table. */
export function formatNumber(value, unit = '') {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  if (!unit) return text;
  return unit === '×' || unit === '%' ? `${text}${unit}` : `${text} ${unit}`;
}

/** Collects the figures of one bench and, under `--json`, writes them as one line on stdout. */
export function createReport(bench) {
  const figures = [];
  const notes = [];
  return {
    figure(figure) {
      figures.push(figure);
      return figure;
    },
    note(text) {
      notes.push(text);
    },
    emit() {
      if (jsonMode) process.stdout.write(`${JSON.stringify({ bench, figures, notes })}\n`);
    },
  };
}

/** Median and quantiles (nearest rank, as the existing benches use them). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const quantile = (xs, q) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
