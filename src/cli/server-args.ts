/**
 * What the commands that talk to an Agent C server (`agentc-chat`, `agentc-model-paths`) read from
 * their arguments alike: where the server is (`--url`, or `AGENTC_URL`) and as whom to log in
 * (`--token`, or `--username`/`--password`, or the `AGENTC_*` variables; the development account
 * `admin` / `changeme` by default). Pure: no output, no exit.
 *
 * @module
 */
import type { AuthOptions } from '../options.js';

/** The `parseArgs` options of the server arguments. */
export const SERVER_OPTIONS = {
  url: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
} as const;

/** The server arguments as `parseArgs` gives them. */
export interface ServerArgValues {
  readonly url?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly token?: string | undefined;
}

/** Where the server is (`undefined`: none given) and how to log in, or what is wrong with them. */
export type ServerArgs = { readonly ok: true; readonly url: string | undefined; readonly auth: AuthOptions } | { readonly ok: false; readonly error: string };

/** Checks `--url` and resolves the auth from the flags and the environment. */
export function serverArgs(values: ServerArgValues, env: Readonly<Record<string, string | undefined>>): ServerArgs {
  const url = (values.url ?? env.AGENTC_URL)?.trim() || undefined;
  if (url !== undefined) {
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    if (!protocol || !['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) {
      return { ok: false, error: `--url must be an http(s) or ws(s) URL such as http://127.0.0.1:8000, got '${url}'.` };
    }
  }
  const credentials = values.username !== undefined || values.password !== undefined;
  if (values.token !== undefined && credentials) return { ok: false, error: 'Give either --token or --username/--password, not both.' };
  const token = values.token ?? (credentials ? undefined : env.AGENTC_TOKEN) ?? undefined;
  const auth: AuthOptions = token
    ? { token }
    : { username: values.username ?? env.AGENTC_USERNAME ?? 'admin', password: values.password ?? env.AGENTC_PASSWORD ?? 'changeme' };
  return { ok: true, url, auth };
}

/** The first line of an argument error (`parseArgs` adds hints on further lines). */
export function argumentError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).trim();
}
