// Types of bench/report.mjs, for the tests that import it.

/** A target: on the figure's value or its ratio to the baseline; where it comes from. */
export interface Target {
  readonly on: 'ratio' | 'value';
  readonly op: '>=' | '<=';
  readonly value: number;
  readonly source: string;
}

/** One figure of a bench. */
export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly baselineLabel?: string;
  readonly ratio?: number;
  readonly ratioLabel?: string;
  readonly target?: Target;
  readonly [extra: string]: unknown;
}

export declare const jsonMode: boolean;
export declare function log(...args: unknown[]): void;
export declare function verdict(figure: Pick<Figure, 'value' | 'unit' | 'ratio' | 'target'>): string;
export declare function formatNumber(value: unknown, unit?: string): string;
export declare function createReport(bench: string): { figure(figure: Figure): Figure; note(text: string): void; emit(): void };
export declare const median: (xs: readonly number[]) => number;
export declare const quantile: (xs: readonly number[], q: number) => number;
