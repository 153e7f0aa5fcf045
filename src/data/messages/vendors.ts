/** Which vendor a model belongs to, and which message format a `vendor` string names. */

const ANTHROPIC_MODEL_PREFIXES = ['claude', 'bedrock', 'anthropic'] as const;
const OPENAI_MODEL_PREFIXES = ['gpt', 'o1', 'o3', 'o4', 'chatgpt', 'openai'] as const;

/**
 * The vendor serving a model, from its id (case-insensitive prefix); `'none'` when unknown or absent.
 *
 * @example
 * getVendorFromModelId('claude-sonnet-4-20250514'); // 'anthropic'
 * getVendorFromModelId('gpt-4.1'); // 'openai'
 * getVendorFromModelId(null); // 'none'
 */
export function getVendorFromModelId(modelId?: string | null): 'anthropic' | 'openai' | 'none' {
  if (typeof modelId !== 'string') return 'none';
  const id = modelId.trim().toLowerCase();
  if (ANTHROPIC_MODEL_PREFIXES.some((prefix) => id.startsWith(prefix))) return 'anthropic';
  if (OPENAI_MODEL_PREFIXES.some((prefix) => id.startsWith(prefix))) return 'openai';
  return 'none';
}

/**
 * The message format a `vendor` string stands for; accepts `"open_ai"`, the spelling of `tool_call` events.
 *
 * @example
 * getMessageFormat('open_ai'); // 'openai'
 * getMessageFormat('none'); // 'unknown'
 */
export function getMessageFormat(vendor: string): 'anthropic' | 'openai' | 'unknown' {
  if (typeof vendor !== 'string') return 'unknown';
  const name = vendor.trim().toLowerCase();
  if (name === 'anthropic') return 'anthropic';
  if (name === 'openai' || name === 'open_ai') return 'openai';
  return 'unknown';
}
