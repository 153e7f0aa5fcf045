/**
 * What the simulated server knows: scripted agents, the fixed voice list, fake HeyGen avatars and
 * the tool catalogue, serialised exactly as the real server does (docs/protocol.md §6).
 */
import { createRandom, slug } from './random.js';
import { FILLER_AGENTS, persona, toolCatalogOf, TOOLSETS } from './realistic.js';
import type { SimulatorFrames } from './types.js';

/** The kinds of scripted behaviour (see scripts.ts). */
export type AgentBehaviour =
  | 'plain'
  | 'thinker'
  | 'tools'
  | 'delegator'
  | 'showcase'
  | 'failing'
  | 'crashing'
  | 'firehose'
  | 'gpt';

/** One agent definition (the server's YAML file). */
export interface AgentDefinition {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly modelId: string;
  readonly behaviour: AgentBehaviour;
  readonly toolsets: readonly string[];
  readonly category: readonly string[];
  readonly persona: string;
  readonly defaultWorkspace?: string;
  /** The agent file's free-form `prompt_metadata`. */
  readonly promptMetadata?: Readonly<Record<string, unknown>>;
  /** Claude's extended thinking budget, when the agent is a reasoning one. */
  readonly budgetTokens?: number;
  /** Only there for the sizes of a real deployment's list (left out of compact frames). */
  readonly filler?: boolean;
}

const claude = 'claude-sonnet-4-5';
const DEFAULT_TOOLSETS = ['ThinkTools', 'MemoryTools', 'WorkspaceTools', 'WorkspacePlanningTools', 'AgentAssistTools', 'AgentCloneTools', 'MarkdownToHtmlReportTools', 'ClaudeWebSearchTools', 'ClaudeWebFetchTools'];

/** Our scripted agents (scripts.ts says what each answers); every agent equips a toolset or more, like the real ones. */
const SCRIPTED: readonly AgentDefinition[] = [
  { key: 'default', name: 'Domo', description: 'The default agent: a friendly general assistant that answers in markdown.\n', modelId: claude, behaviour: 'plain', toolsets: DEFAULT_TOOLSETS, category: ['domo', 'default'], persona: `You are Domo, a friendly and capable assistant.\n\n${persona(0xd0e0, 4700)}`, promptMetadata: { example_string: 'an example value', example_object: { key: 'value' } }, budgetTokens: 20000 },
  { key: 'thinker', name: 'Deep Thinker', description: 'Thinks out loud (extended thinking) before answering.', modelId: claude, behaviour: 'thinker', toolsets: ['ThinkTools'], category: ['domo', 'reasoning'], persona: 'You reason step by step before you answer.', budgetTokens: 8000 },
  { key: 'tool_user', name: 'Workspace Helper', description: 'Reads workspace files with tools and shows them.', modelId: claude, behaviour: 'tools', toolsets: ['ThinkTools', 'WorkspaceTools'], category: ['domo', 'tools'], persona: 'You read files before answering questions about them.', defaultWorkspace: 'project' },
  { key: 'delegator', name: 'Team Lead', description: 'Delegates research to a sub-agent and summarises it.', modelId: claude, behaviour: 'delegator', toolsets: ['AgentAssistTools'], category: ['domo', 'team'], persona: 'You delegate research to your team.' },
  { key: 'showcase', name: 'Showcase', description: 'Uses every feature in one answer: thoughts, tools, media, delegation.', modelId: claude, behaviour: 'showcase', toolsets: ['ThinkTools', 'WorkspaceTools', 'AgentAssistTools'], category: ['domo', 'demo'], persona: 'You demonstrate every capability of the platform.', defaultWorkspace: 'project', budgetTokens: 8000 },
  { key: 'failing', name: 'Flaky', description: 'Fails in the middle of its answer (a vendor stream error).', modelId: claude, behaviour: 'failing', toolsets: ['ThinkTools'], category: ['domo', 'testing'], persona: 'You are unreliable.' },
  { key: 'crashing', name: 'Crashy', description: 'Crashes in the middle of its answer (a runtime error).', modelId: claude, behaviour: 'crashing', toolsets: ['ThinkTools'], category: ['domo', 'testing'], persona: 'You crash.' },
  { key: 'firehose', name: 'Firehose', description: 'Streams a very long answer as fast as the socket takes it.', modelId: claude, behaviour: 'firehose', toolsets: ['ThinkTools'], category: ['domo', 'testing'], persona: 'You never stop talking.' },
  { key: 'gpt', name: 'GPT Helper', description: 'An OpenAI-backed assistant.', modelId: 'gpt-4o', behaviour: 'gpt', toolsets: ['ThinkTools'], category: ['domo', 'general'], persona: 'You are a helpful assistant.' },
  { key: 'research_assistant', name: 'Research Assistant', description: 'Finds and summarises documents (used by delegation).', modelId: claude, behaviour: 'plain', toolsets: ['WorkspaceTools'], category: ['assist'], persona: 'You find and summarise documents.' },
];

/** Every agent the simulator knows: the scripted ones, then a real deployment's worth of plain ones. */
export const AGENTS: readonly AgentDefinition[] = [
  ...SCRIPTED,
  ...FILLER_AGENTS.map((agent, i): AgentDefinition => ({
    ...agent,
    modelId: claude,
    behaviour: 'plain',
    persona: persona(0xa9e0 + i, 2000 + ((i * 977) % 9000)),
    promptMetadata: { specialization: agent.key, focus_areas: ['planning', 'review'] },
    budgetTokens: 20000,
    filler: true,
  })),
];

/** Looks an agent up by key. */
export function findAgent(key: string): AgentDefinition | undefined {
  return AGENTS.find((agent) => agent.key === key);
}

/** `agent_list` entries: `domo` agents, sorted by name ignoring case (§6.4). */
export function agentCatalog(frames: SimulatorFrames = 'realistic'): Record<string, unknown>[] {
  return AGENTS.filter((agent) => agent.category.includes('domo') && (frames === 'realistic' || !agent.filler))
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    .map((agent) => ({
      name: agent.name,
      key: agent.key,
      agent_description: agent.description,
      category: [...agent.category],
      toolsets: [...agent.toolsets],
    }));
}

/** The toolsets of an agent as the server loads it for a session: its own plus BridgeTools (§4.13). */
export function sessionTools(agent: AgentDefinition): string[] {
  return [...agent.toolsets, 'BridgeTools'];
}

/** A stable `uid` for an agent file (the server stores a slug per agent). */
function agentUid(key: string): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return slug(createRandom(h >>> 0), 3);
}

/** An AgentConfigurationV2 as serialised (§6.5), with the session's tool list. */
export function agentConfig(agent: AgentDefinition, tools: readonly string[]): Record<string, unknown> {
  const toolList = [...tools];
  const gpt = agent.modelId.startsWith('gpt');
  return {
    version: 2,
    name: agent.name,
    agent_description: agent.description,
    tools: toolList,
    blocked_tool_patterns: [],
    allowed_tool_patterns: [],
    key: agent.key,
    model_id: agent.modelId,
    agent_params: gpt
      ? { model_name: agent.modelId, max_tokens: 16000, user_name: null, auth: null, type: 'g_p_t_non_reasoning', temperature: 0.7 }
      : agent.budgetTokens !== undefined
        ? { model_name: agent.modelId, max_tokens: 64000, user_name: null, auth: null, type: 'claude_reasoning', budget_tokens: agent.budgetTokens, max_searches: null }
        : { model_name: agent.modelId, max_tokens: 64000, user_name: null, auth: null, type: 'claude_non_reasoning', temperature: 1, max_searches: null },
    prompt_metadata: { ...(agent.promptMetadata ?? {}), ...(agent.defaultWorkspace ? { default_workspace: agent.defaultWorkspace } : {}) },
    persona: agent.persona,
    uid: agentUid(agent.key),
    category: [...agent.category],
    short_name: agent.name.split(',')[0],
  };
}

/** Vendor of a model id, as the server computes it (`claude*`/`bedrock*` → anthropic). */
export function vendorOf(modelId: string): 'anthropic' | 'openai' | 'none' {
  if (modelId.startsWith('claude') || modelId.startsWith('bedrock')) return 'anthropic';
  if (modelId.startsWith('gpt') || modelId.startsWith('o1') || modelId.startsWith('o3')) return 'openai';
  return 'none';
}

/** The fixed voice list, in order (§6.8). */
export const VOICES: readonly Record<string, string>[] = [
  { voice_id: 'none', vendor: 'system', description: 'No Voice (text only)', output_format: 'none' },
  { voice_id: 'avatar', vendor: 'heygen', description: 'HeyGen Avatar Voice Model', output_format: 'special' },
  ...['alloy', 'ash', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer'].map((voice_id) => ({
    voice_id,
    vendor: 'openai',
    description: '',
    output_format: 'pcm16',
  })),
];

/** Fake HeyGen avatars (§6.9). */
export const AVATARS: readonly Record<string, unknown>[] = [
  { avatar_id: 'Ann_Therapist_public', created_at: 1732060800, default_voice: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', is_public: true, normal_preview: 'https://files.heygen.example/avatar/Ann_Therapist_public/preview.webp', pose_name: 'Ann Therapist', status: 'ACTIVE' },
  { avatar_id: 'Shawn_Therapist_public', created_at: 1732060900, default_voice: '0f9e8d7c6b5a49382716a5b4c3d2e1f0', is_public: true, normal_preview: 'https://files.heygen.example/avatar/Shawn_Therapist_public/preview.webp', pose_name: 'Shawn Therapist', status: 'ACTIVE' },
];

const REALISTIC_CATALOG = toolCatalogOf(TOOLSETS);
const COMPACT_CATALOG = toolCatalogOf(TOOLSETS.filter((toolset) => !toolset.filler));

/** The tool catalogue (§6.10): toolsets with OpenAI-style function schemas, at the real sizes or compact. */
export function toolCatalog(frames: SimulatorFrames = 'realistic'): readonly Record<string, unknown>[] {
  return frames === 'realistic' ? REALISTIC_CATALOG : COMPACT_CATALOG;
}

/** Toolset names the server can equip. */
export const TOOLSET_NAMES: ReadonlySet<string> = new Set(TOOLSETS.map((t) => t.name));
