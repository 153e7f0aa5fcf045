/**
 * Scripted agents: what each agent "answers", as plain data the runtime (runtime.ts) streams with
 * the real server's event sequences. Deterministic: text depends on the seed and the user's text.
 */
import type { AgentBehaviour } from './catalog.js';
import { createRandom, pick } from './random.js';

/** One client tool call of a round (the `think` tool is separate). */
export interface ToolPlan {
  readonly name: string;
  readonly toolset: string;
  readonly input: Record<string, unknown>;
  readonly result: string;
  /** A render_media the tool shows while it runs. */
  readonly media?: { readonly contentType: string; readonly content: string; readonly foreign: boolean };
  /** A delegation: the tool opens a sub-session with this agent, which answers `answer`. */
  readonly delegate?: { readonly agentKey: string; readonly agentName: string; readonly request: string; readonly answer: string };
}

/** One LLM call. */
export interface RoundPlan {
  /** Extended thinking, streamed as thought deltas; `complete_thought` carries it whole. */
  readonly thinking?: string;
  /** A thought through the `think` tool; `complete_thought` carries its last fragment only. */
  readonly thinkTool?: string;
  /** Answer text. */
  readonly text?: string;
  /** Client tools called at the end of the round (stop_reason `tool_use`). */
  readonly tools?: readonly ToolPlan[];
  /** Fail after the text: a vendor stream error, or an exception escaping the runtime. */
  readonly fail?: 'stream' | 'crash';
  /** Stream this many one-token text deltas instead of `text` (firehose). */
  readonly firehose?: number;
  /** Stream these text deltas as they are, `paceMs` apart (a slow model: nothing to merge). */
  readonly slow?: { readonly pieces: readonly string[]; readonly paceMs: number };
}

const OPENERS = ['Sure thing.', 'Good question.', 'Here is what I found.', 'Happy to help.', 'Let me explain.'];
const FACTS = [
  'The realtime bridge keeps one **UI session** per browser tab, and it survives a dropped socket.',
  'Every interaction ends with `user_turn_start`, which is the only reliable end marker.',
  'Sending anything but a ping or a cancel while the agent talks cancels the answer on the server.',
  'Chat sessions are saved only once they hold at least one message.',
  'Sub-agents stream their own events, keyed by their own session id.',
  'Uploaded files belong to the chat session that was current at upload time.',
  'Tool calls arrive twice: once when they start and once with their results.',
];

/** Deterministic sentences about the protocol, in markdown. */
function answer(random: () => number, userText: string, sentences: number): string {
  const topic = userText.trim().slice(0, 80) || 'your message';
  const lines = [`${pick(random, OPENERS)} You asked about “${topic}”.`, ''];
  for (let i = 0; i < sentences; i++) lines.push(`- ${pick(random, FACTS)}`);
  lines.push('', 'Anything else?');
  return lines.join('\n');
}

function thought(random: () => number, userText: string): string {
  return `The user wrote "${userText.trim().slice(0, 60)}". I should check what they need, ${pick(random, [
    'recall how the bridge handles turns',
    'look at the workspace first',
    'keep the answer short and concrete',
  ])}, and then answer clearly.`;
}

const README = '# Project\n\nThis workspace holds the realtime client.\n\n## Files\n- `src/` the library\n- `test/` the tests\n';

function readTool(random: () => number): ToolPlan {
  const path = pick(random, ['//project/README.md', '//project/docs/protocol.md', '//project/CHANGELOG.md']);
  return {
    name: 'workspace_read',
    toolset: 'WorkspaceTools',
    input: { path },
    result: README,
    media: { contentType: 'text/markdown', content: `**Read** \`${path}\` (${README.length} characters)`, foreign: false },
  };
}

function delegateTool(random: () => number, userText: string): ToolPlan {
  const request = `Summarise what we know about: ${userText.trim().slice(0, 60) || 'the project'}`;
  return {
    name: 'aa_oneshot',
    toolset: 'AgentAssistTools',
    input: { agent_key: 'research_assistant', request },
    result: 'The research assistant found three relevant documents and summarised them.',
    delegate: { agentKey: 'research_assistant', agentName: 'Research Assistant', request, answer: answer(random, request, 2) },
  };
}

function listTool(): ToolPlan {
  return { name: 'workspace_ls', toolset: 'WorkspaceTools', input: { path: '//project' }, result: '- docs\n- src\n- test\n- README.md\n' };
}

const SLOW_WORDS = ['the', 'bridge', 'keeps', 'each', 'turn', 'in', 'order,', 'so', 'a', 'slow', 'answer', 'still', 'arrives', 'whole.'];

/**
 * Plans the default agent picks from words in the message, like the scripted model the real
 * server was recorded with (docs/protocol.md §13): `SLOW n` streams n deltas 150 ms apart, `TOOLS`
 * thinks, calls the think tool and a workspace tool, then answers, `THINK` thinks, then answers.
 */
function keywordPlan(random: () => number, userText: string): RoundPlan[] | undefined {
  const slow = /\bSLOW\b(?:\D*?(\d+))?/.exec(userText);
  if (slow) {
    const count = Math.min(Number(slow[1] ?? 20), 10_000);
    const pieces = Array.from({ length: count }, (_, i) => `${SLOW_WORDS[i % SLOW_WORDS.length]!} `);
    return [{ slow: { pieces, paceMs: 150 } }];
  }
  if (/\bTOOLS\b/.test(userText)) {
    return [
      { thinking: thought(random, userText), text: 'I will look before I answer.', thinkTool: 'First: what is asked.\nThen: look at the workspace.', tools: [listTool()] },
      { text: answer(random, userText, 1) },
    ];
  }
  if (/\bTHINK\b/.test(userText)) return [{ thinking: thought(random, userText), text: answer(random, userText, 1) }];
  return undefined;
}

/** The plan of one interaction for an agent behaviour. */
export function planFor(behaviour: AgentBehaviour, userText: string, seed: number, firehoseDefault: number): RoundPlan[] {
  const random = createRandom(seed ^ hash(userText));
  switch (behaviour) {
    case 'plain':
      return keywordPlan(random, userText) ?? [{ text: answer(random, userText, 2) }];
    case 'gpt':
      return [{ text: answer(random, userText, 2) }];
    case 'thinker':
      return [{ thinking: thought(random, userText), text: answer(random, userText, 2) }];
    case 'tools':
      return [{ thinkTool: thought(random, userText), tools: [readTool(random)] }, { text: answer(random, userText, 1) }];
    case 'delegator':
      return [{ tools: [delegateTool(random, userText)] }, { text: answer(random, userText, 1) }];
    case 'showcase':
      return [
        { thinking: thought(random, userText), thinkTool: 'I will read the README, then ask the research assistant.', tools: [readTool(random)] },
        { text: 'I read the README. Let me ask a colleague as well.\n', tools: [delegateTool(random, userText)] },
        { text: answer(random, userText, 3) },
      ];
    case 'failing':
      return [{ text: answer(random, userText, 2), fail: 'stream' }];
    case 'crashing':
      return [{ text: answer(random, userText, 2), fail: 'crash' }];
    case 'firehose': {
      const named = /\d+/.exec(userText);
      return [{ firehose: named ? Number(named[0]) : firehoseDefault }];
    }
  }
}

/**
 * Splits text into word-aligned deltas of at least `minimum` characters (the last may be shorter):
 * with 50 it is Claude's batching of a fast stream after a block's first delta (see `batchText`);
 * without, thought pieces of 12 to 42 characters (thoughts are not batched).
 */
export function splitDeltas(text: string, random: () => number, minimum?: number): string[] {
  const words = text.split(/(?<=\s)/);
  const deltas: string[] = [];
  let current = '';
  for (const word of words) {
    current += word;
    if (current.length >= (minimum ?? 12 + Math.floor(random() * 30))) {
      deltas.push(current);
      current = '';
    }
  }
  if (current) deltas.push(current);
  return deltas;
}

/** Claude's text batching threshold, in characters. */
export const TEXT_BATCH = 50;

/**
 * Splits answer text the way the real runtime batches a fast stream: the first delta of a block
 * goes out at once (one token), later ones are merged up to 50 characters (§13 item 9).
 */
export function batchText(text: string, random: () => number): string[] {
  const space = text.search(/\s/);
  if (space < 0 || space === text.length - 1) return text ? [text] : [];
  const first = text.slice(0, space);
  return [first, ...splitDeltas(text.slice(space), random, TEXT_BATCH)];
}

/** The firehose's tokens. */
export const FIREHOSE_TOKENS = [' the', ' realtime', ' stream', ' keeps', ' flowing', ',', ' token', ' after', ' token', '.', '\n'];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
