/** The demo server's options, every one filled in. */
export interface DemoOptions {
  readonly port: number;
  readonly host: string;
  /** The real server's API base, or null for the built-in simulator. */
  readonly url: string | null;
  readonly username: string;
  readonly password: string;
  readonly deltaMs: number;
  readonly open: boolean;
}

export const DEFAULT_PORT: number;
export const DEFAULT_HOST: string;
export const DEFAULT_DELTA_MS: number;
export const DEFAULT_USERNAME: string;
export const DEFAULT_PASSWORD: string;
export const USAGE: string;

/** Parses the demo's arguments (no side effects); `env` gives the credentials' defaults. */
export function parseDemoArgs(
  argv: readonly string[],
  env?: Readonly<Record<string, string | undefined>>,
): { readonly ok: true; readonly help: boolean; readonly options: DemoOptions } | { readonly ok: false; readonly error: string };
