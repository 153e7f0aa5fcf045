/** Loads the server-frame fixtures (Node only). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Fixture {
  /** File name without `.json`, e.g. `tool_call--openai`. */
  readonly name: string;
  /** The event type the file holds (its name before `--`). */
  readonly type: string;
  /** `server` (sent by the real server) or `server-legacy` (names it never sends). */
  readonly group: 'server' | 'server-legacy';
  /** The file's text, as a frame. */
  readonly text: string;
}

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));

function load(group: Fixture['group']): Fixture[] {
  const dir = `${root}${group}/`;
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.json'.length);
      return { name, type: name.split('--')[0]!, group, text: readFileSync(dir + file, 'utf8') };
    });
}

/** Every fixture, server ones first. */
export const fixtures: readonly Fixture[] = [...load('server'), ...load('server-legacy')];

/** The fixture with this file name (without `.json`). */
export function fixture(name: string): Fixture {
  const found = fixtures.find((f) => f.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

/** A fixture parsed as a plain object. */
export function fixtureObject(name: string): Record<string, unknown> {
  return JSON.parse(fixture(name).text) as Record<string, unknown>;
}
