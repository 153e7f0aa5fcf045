/**
 * Agents: the catalogue entry of `agent_list` and the full configuration of
 * `agent_configuration_changed` / `chat_session.agent_config` (docs/protocol.md §6.4, §6.5).
 */
import * as v from 'valibot';
import { jsonObject, nullableString, stringList } from './common.js';

/** The four completion-parameter families the server knows (`agent_params.type`). */
export const completionParamsTypes = ['claude_non_reasoning', 'claude_reasoning', 'g_p_t_non_reasoning', 'g_p_t_reasoning'] as const;

/**
 * Completion parameters (`agent_params`). The `auth` block, when a server is configured to put LLM
 * credentials there, is removed during decode: a client never needs the server's vendor keys.
 */
export const completionParamsSchema = v.pipe(
  v.looseObject({
    type: v.string(),
    model_name: nullableString,
    max_tokens: v.nullish(v.number()),
    temperature: v.nullish(v.number()),
    budget_tokens: v.nullish(v.number()),
    max_searches: v.nullish(v.number()),
    reasoning_effort: nullableString,
    auth: v.nullish(v.unknown()),
  }),
  v.transform(({ auth: _secret, ...params }) => params),
);

const agentConfigurationCommon = {
  name: v.string(),
  key: v.string(),
  model_id: v.string(),
  agent_description: nullableString,
  agent_params: v.nullish(completionParamsSchema),
  prompt_metadata: v.nullish(jsonObject),
  persona: v.nullish(v.string(), ''),
  uid: nullableString,
  tools: stringList,
  category: stringList,
} as const;

/** Agent configuration version 1 (older agents; no tool patterns). */
export const agentConfigurationV1Schema = v.looseObject({ version: v.literal(1), ...agentConfigurationCommon });

/** Agent configuration version 2, what this server sends. `short_name` is the name up to its first comma. */
export const agentConfigurationV2Schema = v.looseObject({
  version: v.literal(2),
  ...agentConfigurationCommon,
  short_name: nullableString,
  blocked_tool_patterns: stringList,
  allowed_tool_patterns: stringList,
});

/** Either configuration version. */
export const agentConfigurationSchema = v.variant('version', [agentConfigurationV1Schema, agentConfigurationV2Schema]);

/** One entry of `agent_list`. Note `toolsets`, not `tools` (docs/protocol.md §6.4). */
export const agentCatalogEntrySchema = v.looseObject({
  name: v.string(),
  key: v.string(),
  agent_description: nullableString,
  category: stringList,
  toolsets: stringList,
});

/** The model parameters of an agent (`agent_params`), model credentials removed during decode. */
export type CompletionParams = v.InferOutput<typeof completionParamsSchema>;
/** An agent configuration in the older version-1 format. */
export type AgentConfigurationV1 = v.InferOutput<typeof agentConfigurationV1Schema>;
/** An agent configuration in the version-2 format the server sends (docs/protocol.md §6.5). */
export type AgentConfigurationV2 = v.InferOutput<typeof agentConfigurationV2Schema>;
/** An agent configuration, version 1 or 2 (`agent_configuration_changed`, `chat_session.agent_config`). */
export type AgentConfiguration = v.InferOutput<typeof agentConfigurationSchema>;
/** One agent of `agent_list`: note `toolsets`, not `tools` (docs/protocol.md §6.4). */
export type AgentCatalogEntry = v.InferOutput<typeof agentCatalogEntrySchema>;
