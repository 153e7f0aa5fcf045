/**
 * The one place that says how lenient the conformance test (test/node/sim/conformance.test.ts) is:
 * the simulator options it runs with, how field shapes are normalised before they are compared,
 * and which field-shape differences with the real-server recordings are accepted, each with its
 * reason. Frame-sequence differences are never accepted.
 *
 * Path patterns are `<event type>.<path>`, with `[]` for array elements and `*` for any one
 * segment, e.g. `tool_catalog.tools[].schemas[].function.parameters`. For an HTTP reply the event
 * type is its label, e.g. `http POST /api/rt/upload_file 200`.
 */
import type { SimulatorOptions } from '../../src/sim/types.js';

/** Options the simulator of every flow is created with (on top of `heygen: false`, as recorded). */
export const conformanceSimOptions: SimulatorOptions = {};

/**
 * Subtrees compared only by their kind (`object`, `string`, …), not field by field: their keys are
 * content, not protocol. Each is a JSON Schema of some tool's parameters, which differ per tool and
 * per toolset version, and which no client reads field by field.
 */
export const FREE_FORM_PATHS: readonly string[] = [
  // The tool catalogue's OpenAI-style function schemas (`get_tool_catalog`, init burst).
  'tool_catalog.tools[].schemas[].function.parameters',
  // The Anthropic-style tool schemas inside the request `completion {running:true}` echoes (§13.6).
  'completion.completion_options.tools[].input_schema',
  // An agent file's own `prompt_metadata` (free-form variables for its prompt): other agents, other keys.
  '*.agent_config.prompt_metadata',
  '*.chat_session.agent_config.prompt_metadata',
];

/**
 * Objects whose keys are data (ids), not field names: compared as `{ '*': merged value shape }`,
 * so a different file id is not a different shape.
 */
export const MAP_PATHS: readonly string[] = [
  // Keyed by the uploaded file's id (§2.5): `session_metadata_changed` after an upload …
  'session_metadata_changed.meta.uploaded_files',
  // … and a chat session that carries uploads when it is sent whole.
  '*.chat_session.metadata.uploaded_files',
];

/** A field-shape difference the simulator keeps on purpose. */
export interface AllowedDifference {
  /** The difference key exactly as the report prints it: `<event> <path> <recorded> → <simulated>`. */
  readonly key: string;
  /** Why the simulator does not (or cannot) match the real server here. */
  readonly reason: string;
}

/** At most 12 entries, each of them seen in some flow (the test fails on stale entries). */
export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  {
    key: 'get_user_sessions_response sessions.chat_sessions array → array:empty',
    reason:
      'The recordings were made one after another against one server, so its first listing in flow 06 already holds the sessions of flows 01-05; each flow here gets a fresh simulator, which has none saved yet.',
  },
  {
    key: 'anthropic_user_message message.content[].source absent → object',
    reason:
      "The recording's scripted model could not take the uploaded document, so only the text part reached it (real-server README, caveats); the real runtime sends the file as a document block with a source, as the simulator does (§4.2).",
  },
  {
    key: 'anthropic_user_message message.content[].title absent → string',
    reason: 'The same document block: its title (the original file name) is missing from the recording for the same reason.',
  },
];
