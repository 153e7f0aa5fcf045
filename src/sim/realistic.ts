/**
 * Frame contents at the real server's sizes (docs/protocol.md §13 item 6), in our own generated words:
 * a tool catalogue of ~58 toolsets and ~250 functions (~185 KB on the wire), an agent list of ~42
 * agents (~24 KB), system prompts of ~24 KB and `completion_options` of ~48 KB per turn.
 *
 * The toolsets our scripted agents equip carry the server's real toolset and function names (a
 * client may look them up); every description, and every other toolset and agent, is generated
 * from a fixed seed, so the catalogue is the same in every run and with every simulator seed.
 */
import { createRandom, pick } from './random.js';

const VOCABULARY = (
  'agent answer archive batch bridge buffer cache channel chart client command context cursor ' +
  'data delta digest document draft event field file filter folder format frame graph handler ' +
  'history index input issue ledger list log message metric model network note outline output ' +
  'packet page panel pattern plan prompt queue record report request result route schema scope ' +
  'script search section session signal source stage state step stream summary table task token ' +
  'tool topic trace turn update value version view voice window workspace always carefully ' +
  'clearly directly exactly first gently kindly never often quickly rarely safely simply then ' +
  'calm brief careful complete concise current exact final formal full helpful local open plain ' +
  'precise quiet ready relevant short steady strict useful valid visible whole checks collects ' +
  'compares describes explains finds follows gathers keeps lists loads marks names reads records ' +
  'returns saves sends shows sorts splits stores tracks uses writes'
).split(' ');

/** Generated prose of about `chars` characters: sentences of vocabulary words, no trailing space. */
export function prose(random: () => number, chars: number): string {
  let text = '';
  while (text.length < chars) {
    const words = 6 + Math.floor(random() * 10);
    const sentence = Array.from({ length: words }, () => pick(random, VOCABULARY)).join(' ');
    text += `${text ? ' ' : ''}${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
  }
  return text.slice(0, Math.max(chars, 1)).trimEnd();
}

/** Prose in lines of varied length, some blank, like the server's long markdown texts. */
export function paragraphs(random: () => number, chars: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < chars) {
    const line = random() < 0.15 ? '' : prose(random, 20 + Math.floor(random() * 140));
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/** One function of a toolset. */
export interface ToolFunction {
  readonly name: string;
  readonly description: string;
  /** A JSON schema of the arguments. */
  readonly parameters: Record<string, unknown>;
}

/** A toolset as the server's catalogue knows it. */
export interface Toolset {
  readonly name: string;
  readonly description: string;
  /** What the runtime puts before a function's name when it hands the tool to the model. */
  readonly prefix: string;
  readonly functions: readonly ToolFunction[];
  /** Only there for the sizes: nobody here equips it (left out of the compact catalogue). */
  readonly filler: boolean;
  /** A server-side tool of the vendor (Claude's web search/fetch): no functions of its own. */
  readonly serverTool?: { readonly type: string; readonly name: string; readonly max_uses: number };
}

type Spec = readonly [toolset: string, prefix: string, functions: string];

/** The toolsets our agents equip, with the server's names (§6.10). */
const NAMED: readonly Spec[] = [
  ['ThinkTools', '', 'think'],
  ['MemoryTools', 'memory_', 'clear store'],
  ['WorkspaceTools', 'workspace_', 'cp get_meta_keys glob grep inspect_code is_directory ls mv read read_lines read_meta render_media replace_strings set_active tree write write_meta'],
  ['WorkspacePlanningTools', 'wsp_', 'add_lesson_learned create_plan create_task delete_task export_plan_report get_plan get_task list_lessons_learned list_plans list_tasks set_active_plan update_task'],
  ['AgentAssistTools', 'aa_', 'chat load_agent oneshot'],
  ['AgentCloneTools', 'act_', 'chat oneshot'],
  ['MarkdownToHtmlReportTools', '', 'generate_custom_md_viewer generate_md_viewer markdown_to_docx'],
  ['WebTools', 'web_', 'get'],
  ['BridgeTools', 'bridge_', 'set_session_name'],
];

const SERVER_TOOLS: readonly (readonly [string, { type: string; name: string; max_uses: number }])[] = [
  ['ClaudeWebSearchTools', { type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
  ['ClaudeWebFetchTools', { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 5 }],
];

const FILLER_SUBJECTS = (
  'Archive Atlas Beacon Canvas Cipher Compass Crate Delta Ember Forge Garden Harbor Helix Index ' +
  'Journal Kiln Lantern Ledger Loom Mosaic Nimbus Orbit Palette Prism Quarry Relay Rover Scribe ' +
  'Signal Sketch Spindle Summit Tally Tapestry Thread Timber Vault Vector Weaver Yardstick Zephyr ' +
  'Anchor Bastion Cobalt Drift Fable Grove Jigsaw Meridian'
).split(' ');
const FILLER_VERBS = 'collect compare convert describe export fetch filter inspect list load merge plot query rank read render save score search sort split store summarize tag update validate write'.split(' ');
const FILLER_OBJECTS = 'records entries pages items rows notes charts files events reports tables nodes'.split(' ');

/** A JSON schema of a few arguments, of the kinds the real catalogue uses. */
function parameters(random: () => number, richness: number): Record<string, unknown> {
  const count = 1 + Math.floor(random() * richness);
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${pick(random, FILLER_OBJECTS).slice(0, -1)}_${pick(random, ['path', 'name', 'id', 'limit', 'mode', 'query', 'flag', 'tags', 'format', 'offset'])}${i > 3 ? `_${i}` : ''}`;
    const description = prose(random, 25 + Math.floor(random() * 70));
    const kind = Math.floor(random() * 6);
    properties[name] =
      kind === 0 ? { type: 'boolean', description, default: random() < 0.5 }
      : kind === 1 ? { type: 'integer', description, minimum: 0, maximum: 100 + Math.floor(random() * 900) }
      : kind === 2 ? { type: 'array', description, items: { type: 'string' } }
      : kind === 3 ? { type: 'string', description, enum: ['fast', 'full', 'summary'] }
      : { type: 'string', description };
    if (random() < 0.6) required.push(name);
  }
  return { type: 'object', properties, required };
}

function toolFunction(random: () => number, name: string, richness: number): ToolFunction {
  return { name, description: prose(random, 100 + Math.floor(random() * 200)), parameters: parameters(random, richness) };
}

/** The catalogue's toolsets, sorted by name like the server's. */
export const TOOLSETS: readonly Toolset[] = (() => {
  const random = createRandom(0x5eed_7001);
  const toolsets: Toolset[] = [];
  for (const [name, prefix, functions] of NAMED) {
    toolsets.push({
      name,
      prefix,
      filler: false,
      description: `\n${paragraphs(random, 260)}`,
      functions: functions.split(' ').map((fn) => toolFunction(random, fn, name === 'ThinkTools' ? 1 : 4)),
    });
  }
  for (const [name, serverTool] of SERVER_TOOLS) toolsets.push({ name, prefix: '', filler: false, description: prose(random, 180), functions: [], serverTool });
  // the rest of a real deployment's catalogue: toolsets nobody here equips, for the sizes
  const subjects = [...FILLER_SUBJECTS];
  while (toolsets.length < 58 && subjects.length > 0) {
    const subject = subjects.splice(Math.floor(random() * subjects.length), 1)[0]!;
    const verbs = new Set<string>();
    const wanted = 1 + Math.floor(random() * 7);
    while (verbs.size < wanted) verbs.add(`${pick(random, FILLER_VERBS)}_${pick(random, FILLER_OBJECTS)}`);
    toolsets.push({
      name: `${subject}Tools`,
      prefix: `${subject.toLowerCase()}_`,
      filler: true,
      description: `\n${paragraphs(random, 150 + Math.floor(random() * 600))}`,
      functions: [...verbs].sort().map((fn) => toolFunction(random, fn, 5)),
    });
  }
  return toolsets.sort((a, b) => a.name.localeCompare(b.name));
})();

/** Looks a toolset up by name. */
export function findToolset(name: string): Toolset | undefined {
  return TOOLSETS.find((toolset) => toolset.name === name);
}

/** `tool_catalog.tools` (§6.10): OpenAI-style function schemas under the functions' own names. */
export function toolCatalogOf(toolsets: readonly Toolset[]): Record<string, unknown>[] {
  return toolsets.map((toolset) => ({
    name: toolset.name,
    description: toolset.description,
    schemas: toolset.functions.map((fn) => ({ type: 'function', function: { name: fn.name, description: fn.description, parameters: fn.parameters } })),
  }));
}

/** The tools a Claude request carries for these toolsets: prefixed functions, then server tools. */
export function claudeTools(toolsetNames: readonly string[]): Record<string, unknown>[] {
  const tools: Record<string, unknown>[] = [];
  const server: Record<string, unknown>[] = [];
  for (const name of toolsetNames) {
    const toolset = findToolset(name);
    if (!toolset) continue; // BridgeTools too: a session that has it sends its tool (§13: 06's second session)
    for (const fn of toolset.functions) tools.push({ name: `${toolset.prefix}${fn.name}`, description: fn.description, input_schema: fn.parameters });
    if (toolset.serverTool) server.push({ ...toolset.serverTool });
  }
  return [...tools, ...server];
}

/** The betas and context management every Claude request of the real server carries. */
export const CLAUDE_BETAS: readonly string[] = [
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'files-api-2025-04-14',
  'interleaved-thinking-2025-05-14',
  'code-execution-2025-08-25',
  'computer-use-2025-01-24',
  'web-fetch-2025-09-10',
  'mcp-client-2025-04-04',
];

export const CONTEXT_MANAGEMENT = {
  edits: [
    {
      type: 'clear_tool_uses_20250919',
      trigger: { type: 'input_tokens', value: 80000 },
      keep: { type: 'tool_uses', value: 4 },
      clear_at_least: { type: 'input_tokens', value: 5000 },
      exclude_tools: ['think', 'wsp_get_task', 'wsp_update_task', 'wsp_add_lesson_learned', 'act_chat', 'ateam_chat'],
    },
  ],
} as const;

/** A generated persona of about `chars` characters. */
export function persona(seed: number, chars: number): string {
  return paragraphs(createRandom(seed), chars);
}

/** The long sections of a system prompt after the persona (~19 KB: tool guides, rules, environment). */
export const PROMPT_SECTIONS: string = (() => {
  const random = createRandom(0x5eed_7002);
  const sections: string[] = [];
  for (const title of ['Operating rules', 'Workspace guide', 'Planning guide', 'Delegation guide', 'Formatting', 'Safety']) {
    sections.push(`## ${title}\n\n${paragraphs(random, 3100)}`);
  }
  return sections.join('\n\n');
})();

/** Filler agents of a real deployment: name, key, description; behaviour plain. */
export const FILLER_AGENTS: readonly { readonly name: string; readonly key: string; readonly description: string; readonly toolsets: readonly string[]; readonly category: readonly string[] }[] =
  (() => {
    const random = createRandom(0x5eed_7003);
    const first = 'Avery Blair Casey Dana Ellis Finley Gray Harper Indy Jules Kai Logan Morgan Noel Oakley Parker Quinn Reese Sage Tatum Uma Vale Wren Xan Yael Zion Remy Sky Rowan Emery Jordan Lane Milan'.split(' ');
    const roles = 'Archivist Analyst Architect Builder Curator Designer Editor Guide Mentor Navigator Planner Reviewer Scout Strategist Tester Writer'.split(' ');
    const toolsetNames = TOOLSETS.filter((t) => t.functions.length > 0 && t.name !== 'BridgeTools').map((t) => t.name);
    return first.map((name) => {
      const role = pick(random, roles);
      const subject = pick(random, FILLER_SUBJECTS);
      const toolsets = ['ThinkTools', 'WorkspaceTools', ...Array.from({ length: Math.floor(random() * 5) }, () => pick(random, toolsetNames))];
      return {
        name: `${name} the ${subject} ${role}`,
        key: `${name}_${subject}_${role}`.toLowerCase(),
        description: `${prose(random, 250 + Math.floor(random() * 250))}\n`,
        toolsets: [...new Set(toolsets)],
        category: random() < 0.3 ? ['domo', 'agent_assist'] : ['domo'],
      };
    });
  })();
