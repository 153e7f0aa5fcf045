/**
 * README.md's code does what it says. Every fenced `ts`/`js` block is one of:
 *
 * - a Node example: a `js` block whose first line names it (`// quick-start.mjs`). It is copied into
 *   a module inside the package (so `agentc-realtime` resolves to the built package through its
 *   `exports`, as it would for a user), pointed at a simulator instead of `http://127.0.0.1:8000`,
 *   run with Node, and must print what its comments promise and exit by itself;
 * - a `ts` block: type-checked (strict) against the built package, with the DOM library when the
 *   block follows `<!-- readme: browser -->`, without it otherwise; the names a block takes from the
 *   surrounding app (`client`, `render`, `talk`, …) are declared in `AMBIENT` below;
 * - a fragment, after `<!-- readme: fragment -->`: counted, not checked (there are none today).
 *
 * A guard fails for a block that fits none of these, so no example slips in unchecked. The options
 * table, the error reasons and the client's members are also held to the code.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/client.js';
import { clientErrorReasons } from '../../../src/errors.js';
import * as core from '../../../src/index.js';
import { resolveOptions } from '../../../src/options.js';
import { cleanup, startSim } from '../integration/harness.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

// ---------------------------------------------------------------- the blocks

type Kind = 'run' | 'node' | 'browser' | 'fragment';
interface Block {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly kind: Kind | 'unchecked';
  /** A Node example's name (`quick-start` for `// quick-start.mjs`). */
  readonly name?: string;
}

/** Languages whose blocks must be checked. */
const CODE = new Set(['ts', 'typescript', 'tsx', 'js', 'javascript', 'mjs']);

function readBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    const lang = open[1]!;
    const code = lines.slice(i + 1, end).join('\n');
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = /^<!-- readme: (\w+) -->$/.exec(lines[before] ?? '')?.[1];
    const line = i + 1;
    i = end;
    if (!CODE.has(lang)) continue;
    const name = /^\/\/ ([\w-]+)\.mjs\s*$/.exec(code.split('\n')[0] ?? '')?.[1];
    let kind: Block['kind'] = 'unchecked';
    if (marker === 'fragment') kind = 'fragment';
    else if (lang === 'js' && name !== undefined && marker === undefined) kind = 'run';
    else if ((lang === 'ts' || lang === 'tsx') && marker === 'browser') kind = 'browser';
    else if (lang === 'ts' && marker === undefined) kind = 'node';
    blocks.push({ lang, code, line, kind, ...(name === undefined ? {} : { name }) });
  }
  return blocks;
}

const blocks = readBlocks(readme);

// ---------------------------------------------------------------- running the Node examples

async function runExample(name: string, code: string, base: string): Promise<string> {
  const dir = `${root}out/readme-examples/`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}.mjs`;
  writeFileSync(file, code.replaceAll("'http://127.0.0.1:8000'", `'${base}'`));
  // exits by itself, or the timeout kills it and the test fails
  const { stdout } = await run(process.execPath, [file], { cwd: root, timeout: 30_000 });
  return stdout;
}

/** The code of the first block after `heading`. */
const code = (heading: string) => blocks.find((block) => block.line > readme.split('\n').indexOf(heading))!.code;

const lines = (stdout: string) => stdout.split(/[\r\n]/).map((line) => line.trim());

/** What each Node example's comments promise, checked on what it printed. */
const CHECKS: Record<string, { sim?: Parameters<typeof startSim>[0]; check(stdout: string): void }> = {
  'quick-start': {
    check(stdout) {
      const printed = lines(stdout);
      expect(printed, stdout).toContain('42 agents'); // the simulator's catalogue
      expect(printed, stdout).toContain('done stop');
      expect(stdout).toContain('You asked about “Hello!”'); // the simulator's answer, printed once complete
    },
  },
  chat: {
    sim: { deltaMs: 1 },
    check(stdout) {
      const printed = lines(stdout);
      expect(printed, stdout).toContain('stop 60'); // stopReason, outputTokens of the simulator's answer
      expect(printed).toContain('cancelled');
      expect(code('### Chat in 15 lines').split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(15);
      expect(stdout).toContain("'user'"); // messages$ listed the user's message
      expect(stdout).toContain("'assistant'");
    },
  },
  sim: {
    check(stdout) {
      expect(lines(stdout)).toContain('closed 1006');
    },
  },
  'record-replay': {
    check(stdout) {
      // the replay (it asserts its own determinism and exits non-zero otherwise) went through the drop
      expect(lines(stdout), stdout).toContain('idle → connecting → initializing → ready → reconnecting → initializing → ready');
      expect(stdout).toMatch(/^4 messages, replayed in [\d.]+ ms of simulated time$/m); // two texts, two answers
    },
  },
  protocol: {
    check(stdout) {
      expect(stdout).toContain('Hello'); // the default agent's answer repeats the question
    },
  },
};

afterEach(cleanup);

describe('README code blocks', () => {
  it('every ts/js block is run, type-checked, or a marked fragment (so none slips in unchecked)', () => {
    expect(blocks.length).toBeGreaterThan(10);
    const unchecked = blocks.filter((block) => block.kind === 'unchecked').map((block) => `line ${block.line} (${block.lang})`);
    expect(unchecked, 'a js block must start with `// name.mjs`; a ts or tsx block may follow <!-- readme: browser --> or <!-- readme: fragment -->').toEqual([]);
    const runs = blocks.filter((block) => block.kind === 'run').map((block) => block.name);
    expect(new Set(runs).size).toBe(runs.length); // names are unique
    expect([...runs].sort(), 'each Node example needs a check of what it prints').toEqual(Object.keys(CHECKS).sort());
    expect(blocks.filter((block) => block.kind === 'fragment').length).toBeLessThanOrEqual(2); // keep them few
  });

  for (const block of blocks.filter((b) => b.kind === 'run')) {
    it(`${block.name}.mjs (line ${block.line}) runs against the simulator and prints what its comments say`, async () => {
      const check = CHECKS[block.name!]!;
      const sim = await startSim(check.sim);
      const stdout = await runExample(block.name!, block.code, sim.httpUrl);
      check.check(stdout);
    }, 60_000);
  }

  /** The Node examples the README says do not compile unchanged as TypeScript (and why). */
  const NOT_TYPESCRIPT = new Set(['protocol']);

  /** What the ts blocks take from the app around them. */
  const AMBIENT = `
type RealtimeClient = import('agentc-realtime').RealtimeClient;
declare const client: RealtimeClient;
declare const url: string;
declare const auth: import('agentc-realtime').AuthOptions;
declare const session: import('agentc-realtime').AvatarSessionInfo;
declare function render(state: import('agentc-realtime').ClientStateView): void;
declare function showPickers(agents: import('agentc-realtime').Catalog['agents'], voices: import('agentc-realtime').Catalog['voices']): void;
declare function show(): void;
declare function hide(): void;
declare function setTalking(on: boolean): void;
`;
  const AMBIENT_DOM = `
declare const talk: HTMLButtonElement;
declare const meter: HTMLMeterElement;
declare const label: HTMLElement;
declare const badge: HTMLElement;
declare const input: HTMLInputElement;
declare module '*?url' {
  const url: string;
  export default url;
}
`;
  /** Proves the blocks see the real types: an unknown option must be an error there. */
  const PROBE = `import { createClient } from 'agentc-realtime';
// @ts-expect-error not an option of createClient
createClient({ url: 'http://localhost:8000', auth: { token: 't' }, notAnOption: true });
export {};
`;

  async function typecheck(kind: 'node' | 'browser'): Promise<{ code: number; output: string; files: number }> {
    const dir = `${root}out/readme-blocks/${kind}/`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // the Node examples too: the README says they compile unchanged as TypeScript
    const chosen = blocks.filter((block) => block.kind === kind || (kind === 'node' && block.kind === 'run' && !NOT_TYPESCRIPT.has(block.name!)));
    for (const block of chosen) writeFileSync(`${dir}line-${block.line}.${block.lang === 'tsx' ? 'tsx' : 'ts'}`, `${block.code}\nexport {};\n`);
    writeFileSync(`${dir}probe.ts`, PROBE);
    writeFileSync(`${dir}ambient.d.ts`, kind === 'browser' ? AMBIENT + AMBIENT_DOM : AMBIENT);
    writeFileSync(
      `${dir}tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: kind === 'browser' ? ['ES2022', 'DOM', 'DOM.Iterable'] : ['ES2022'],
          types: kind === 'browser' ? [] : ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          isolatedModules: true,
          jsx: 'react-jsx',
        },
        include: ['*.ts', '*.tsx'],
      }),
    );
    const tsc = `${root}node_modules/typescript/bin/tsc`;
    return run(process.execPath, [tsc, '-p', `${dir}tsconfig.json`], { cwd: root, timeout: 170_000 }).then(
      ({ stdout }) => ({ code: 0, output: stdout, files: chosen.length }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? '', files: chosen.length }),
    );
  }

  it('the Node ts blocks type-check against the built package (no DOM)', async () => {
    const result = await typecheck('node');
    expect(result.files).toBeGreaterThan(0);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 180_000);

  it('the browser ts blocks type-check against the built package, with the DOM', async () => {
    const result = await typecheck('browser');
    expect(result.files).toBeGreaterThan(3);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 180_000);
});

// ---------------------------------------------------------------- the reference parts, held to the code

/** The rows of the first table after `heading`: its cells, trimmed. */
function table(heading: string): string[][] {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README: no "${heading}"`);
  const rest = readme.slice(at + heading.length + 2).split('\n');
  const start = rest.findIndex((line) => line.startsWith('| '));
  const rows: string[][] = [];
  for (const line of rest.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

const cellCode = (cell: string) => /^`([^`]+)`/.exec(cell)?.[1];

describe('README reference tables', () => {
  it('the options table lists every option with the default resolveOptions fills in', () => {
    const resolved = resolveOptions({ url: 'http://localhost:8000', auth: { token: 't' } });
    const rows = table('## Options');
    const named = new Map(rows.map((row) => [cellCode(row[0]!)!, row]));
    const expected = new Map<string, unknown>();
    for (const [key, value] of Object.entries(resolved)) {
      if (key === 'auth') {
        expected.set('auth.refreshBufferMs', resolved.auth.refreshBufferMs);
        expected.set('auth.storage', resolved.auth.storage);
      } else if (key === 'reconnection') {
        for (const [field, setting] of Object.entries(resolved.reconnection)) expected.set(`reconnection.${field}`, setting);
      } else if (key !== 'url') {
        expected.set(key, value);
      }
    }
    expect([...named.keys()].sort()).toEqual([...expected.keys(), 'url', 'auth'].sort());
    for (const [name, value] of expected) {
      expect(cellCode(named.get(name)![2]!), name).toBe(value === undefined ? 'undefined' : JSON.stringify(value));
    }
    expect(named.get('url')![2]).toBe('required');
    expect(named.get('auth')![2]).toBe('required');
    // each name in the table is one createClient knows (an unknown one would be "unknown option")
    for (const name of named.keys()) {
      const [head, field] = name.split('.');
      const options: Record<string, unknown> = { url: 'http://localhost:8000', auth: { token: 't' } };
      options[head!] = field === undefined ? Symbol('bad') : { ...(head === 'auth' ? { token: 't' } : {}), [field]: Symbol('bad') };
      expect(() => resolveOptions(options), name).toThrow(new RegExp(`^${name.replace('.', '\\.')}: `, 'm'));
    }
  });

  it('the errors table explains every ClientError reason', () => {
    const reasons = table('## Errors').map((row) => cellCode(row[0]!));
    expect([...reasons].sort()).toEqual([...clientErrorReasons].sort());
  });

  it('every member of a client and every export of the core entry is documented', () => {
    const client = createClient({ url: 'http://localhost:8000', auth: { token: 't' }, WebSocket });
    try {
      const undocumented = [...Object.keys(client), ...Object.keys(core)].filter((name) => !readme.includes(`\`${name}`));
      expect(undocumented).toEqual([]);
    } finally {
      client.dispose();
    }
  });
});
