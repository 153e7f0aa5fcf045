/**
 * The agent runtime: streams a plan (scripts.ts) with the event sequences of the real Claude and
 * OpenAI runtimes (docs/protocol.md §7.3), including where a graceful cancel is noticed (§7.4) and how a
 * delegation nests a sub-session (§7.10). I/O goes through a {@link RuntimeHost}.
 */
import type { AgentDefinition } from './catalog.js';
import { pyJson } from './pyjson.js';
import { claudeTools, CLAUDE_BETAS, CONTEXT_MANAGEMENT, PROMPT_SECTIONS } from './realistic.js';
import { batchText, FIREHOSE_TOKENS, splitDeltas, type RoundPlan, type ToolPlan } from './scripts.js';
import type { SimulatorFrames } from './types.js';

/** What the runtime needs from the bridge. */
export interface RuntimeHost {
  /** Sends an event (routing filter applies; dropped if no socket is attached). */
  emit(event: Record<string, unknown>): void;
  /** Sends a streamed delta (`text_delta`, `thought_delta`): the same as `emit`, serialised faster. */
  emitDelta(type: string, role: string, envelope: Envelope, content: string): void;
  /**
   * Waits between streamed events (pace, backpressure): a promise when there is something to wait
   * for, `undefined` to go on at once (no promise per delta on the fast path). Throws
   * {@link HardCancel} (or rejects with it) once hard-cancelled.
   */
  pace(delta: boolean): Promise<void> | undefined;
  /** Waits `ms` (a slow model, a handler's latency); throws {@link HardCancel} once hard-cancelled. */
  wait(ms: number): Promise<void>;
  /** Realistic or compact prompts and request options. */
  readonly frames: SimulatorFrames;
  /** How long the runtime takes from `text_input` to the user message (ms; 0 without realistic timing). */
  readonly userMessageMs: number;
  /** The chat session's toolsets (what the request's tools come from). */
  readonly toolsets: readonly string[];
  /** Whether a graceful cancel (`client_wants_cancel`) was requested. */
  readonly cancelRequested: boolean;
  /** A new slug of `words` words (interaction and sub-session ids). */
  slug(words: number): string;
  readonly random: () => number;
  readonly userId: string;
  /** Text the agent says at the top level (for TTS). */
  speak(text: string): void;
  /** Appends vendor-format messages to the chat session's history. */
  appendHistory(messages: Record<string, unknown>[]): void;
}


/** Thrown by `pace` when the interaction task is hard-cancelled (pre-emption): nothing more is sent. */
export class HardCancel extends Error {
  override readonly name = 'HardCancel';
}

/** An exception escaping the runtime: the bridge answers `error "Error in agent_runtime.chat: …"`. */
export class RuntimeCrash extends Error {
  override readonly name = 'RuntimeCrash';
}

/** How a run ended. */
export type RunOutcome = 'completed' | 'cancelled' | 'stream_failed';

/** Where the events of a run are addressed (§1.6, §7.10). */
export interface Envelope {
  readonly session_id: string;
  readonly parent_session_id: string | null;
  readonly user_session_id: string;
}

interface Run {
  readonly host: RuntimeHost;
  readonly agent: AgentDefinition;
  readonly envelope: Envelope;
  readonly topLevel: boolean;
  readonly systemPrompt: string;
  /**
   * The user message, until the first round's history is saved: the session's history holds it
   * only from then on, so a reconnect mid-answer resyncs without it (§13 item 1).
   */
  pendingUser: Record<string, unknown> | null;
}

/** The system prompt: the persona, then (realistic) the long guides, then the environment. */
function systemPrompt(agent: AgentDefinition, envelope: Envelope, frames: SimulatorFrames): string {
  const environment = `## Environment\n- Session ID: ${envelope.session_id}\n`;
  return frames === 'realistic' ? `# Agent Persona\n\n${agent.persona}\n\n${PROMPT_SECTIONS}\n\n${environment}` : `# Agent Persona\n\n${agent.persona}\n\n${environment}`;
}

const TRACEBACK = (message: string) =>
  `RuntimeError: ${message}\nTraceback (most recent call last):\n  File "/app/src/agent_c_api/core/realtime_bridge.py", line 1071, in _run_interaction\n    await self.agent_runtime.chat(**chat_params)\n  File "/app/src/agent_c_core/src/agent_c/agents/claude.py", line 329, in chat\n    raise RuntimeError("${message}")\nRuntimeError: ${message}\n`;

/** Runs one interaction of `agent` for the user's `text`, returning how it ended. */
export async function runInteraction(
  host: RuntimeHost,
  agent: AgentDefinition,
  plan: readonly RoundPlan[],
  userContent: string | Record<string, unknown>[],
  envelope: Envelope,
  topLevel = true,
): Promise<RunOutcome> {
  const userMessage = { role: 'user', content: userContent };
  const run: Run = { host, agent, envelope, topLevel, systemPrompt: systemPrompt(agent, envelope, host.frames), pendingUser: topLevel ? userMessage : null };
  try {
    if (topLevel && host.userMessageMs > 0) await host.wait(host.userMessageMs);
    return await (agent.behaviour === 'gpt' ? runOpenAI(run, plan, userMessage) : runClaude(run, plan, userMessage));
  } finally {
    saveHistory(run, []); // however the run ended, the user's message is not lost from the session
  }
}

/** Saves messages to the session's history, the pending user message first. */
function saveHistory(run: Run, messages: Record<string, unknown>[]): void {
  if (!run.topLevel) return;
  const all = run.pendingUser ? [run.pendingUser, ...messages] : messages;
  run.pendingUser = null;
  if (all.length > 0) run.host.appendHistory(all);
}

function event(run: Run, type: string, role: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { type, session_id: run.envelope.session_id, role, parent_session_id: run.envelope.parent_session_id, user_session_id: run.envelope.user_session_id, ...fields };
}

/** Sends one event after the pace; a promise only when the pace had something to wait for. */
function send(run: Run, type: string, role: string, fields: Record<string, unknown>, delta = false): Promise<void> | undefined {
  const wait = run.host.pace(delta);
  if (wait) return wait.then(() => emitNow(run, type, role, fields, delta));
  emitNow(run, type, role, fields, delta);
  return undefined;
}

function emitNow(run: Run, type: string, role: string, fields: Record<string, unknown>, delta: boolean): void {
  if (delta && typeof fields.content === 'string' && fields.format === 'markdown' && Object.keys(fields).length === 2) {
    run.host.emitDelta(type, role, run.envelope, fields.content);
  } else {
    run.host.emit(event(run, type, role, fields));
  }
}

/**
 * The request's options as `completion {running:true}` carries them (§13 items 6, 7): no extended
 * thinking is requested, `temperature` is the integer 1; realistic ones carry the betas, the
 * context management and every tool schema (~48 KB).
 */
function completionOptions(run: Run): Record<string, unknown> {
  const { host } = run;
  if (run.agent.behaviour === 'gpt') return { model: run.agent.modelId, system: run.systemPrompt, max_tokens: 16000, temperature: 0.7, metadata: { user_id: host.userId } };
  if (host.frames === 'compact') return { model: run.agent.modelId, system: run.systemPrompt, max_tokens: 64000, temperature: 1, metadata: { user_id: host.userId } };
  return {
    model: run.agent.modelId,
    system: run.systemPrompt,
    max_tokens: 64000,
    temperature: 1,
    betas: CLAUDE_BETAS,
    context_management: CONTEXT_MANAGEMENT,
    tools: claudeTools(run.topLevel ? host.toolsets : run.agent.toolsets),
    metadata: { user_id: host.userId },
  };
}

/** A tool-use block as the runtime streams it: the LLM SDK's extra keys included (§13 item 8). */
function toolUse(id: string, name: string, input: unknown): Record<string, unknown> {
  return { type: 'tool_use', id, name, input, caller: null, toolset_name: null };
}

async function runClaude(run: Run, plan: readonly RoundPlan[], userMessage: Record<string, unknown>): Promise<RunOutcome> {
  const { host } = run;
  const interactionId = host.slug(3);
  await send(run, 'anthropic_user_message', 'assistant', { vendor: 'anthropic', message: userMessage });
  await send(run, 'interaction', 'assistant', { started: true, id: interactionId });
  await send(run, 'system_prompt', 'assistant', { content: run.systemPrompt, format: 'markdown' });
  const end = async () => send(run, 'interaction', 'assistant', { started: false, id: interactionId });

  for (let index = 0; index < plan.length; index++) {
    const round = plan[index]!;
    if (index > 0 && host.cancelRequested) {
      // noticed before the next round (§7.4, third case)
      await send(run, 'completion', 'assistant', { running: false, completion_options: completionOptions(run), stop_reason: 'client_cancel', input_tokens: 0, output_tokens: 0 });
      await end();
      return 'cancelled';
    }
    await send(run, 'completion', 'assistant', { running: true, completion_options: completionOptions(run), stop_reason: null, input_tokens: 0, output_tokens: 0 });
    const calls: Record<string, unknown>[] = [];
    let outputChars = 0;

    if (round.thinking) {
      // every thinking block opens with an empty delta (§13 item 2)
      for (const piece of ['', ...splitDeltas(round.thinking, host.random)]) {
        await send(run, 'thought_delta', 'assistant (thought)', { content: piece, format: 'markdown' }, true);
        if (host.cancelRequested) return cancelledMidStream(end);
      }
      await send(run, 'complete_thought', 'assistant (thought)', { content: round.thinking, format: 'markdown' });
      outputChars += round.thinking.length;
    }
    if (round.text) {
      for (const piece of batchText(round.text, host.random)) {
        await send(run, 'text_delta', 'assistant', { content: piece, format: 'markdown' }, true);
        if (run.topLevel) host.speak(piece);
        if (host.cancelRequested) return cancelledMidStream(end);
      }
      outputChars += round.text.length;
    }
    if (round.slow) {
      for (const piece of round.slow.pieces) {
        await host.wait(round.slow.paceMs);
        // a cancel is noticed at the next chunk of the stream, which is then not sent (§7.4, first case)
        if (host.cancelRequested) return cancelledMidStream(end);
        await send(run, 'text_delta', 'assistant', { content: piece, format: 'markdown' }, true);
        if (run.topLevel) host.speak(piece);
        if (host.cancelRequested) return cancelledMidStream(end);
      }
      outputChars += round.slow.pieces.join('').length;
    }
    if (round.thinkTool) {
      const id = toolId(host);
      calls.push(toolUse(id, 'think', {}));
      await send(run, 'tool_select_delta', 'assistant', { tool_calls: structuredClone(calls) });
      // the `{"thought": "` prefix arrives alone (an empty delta), then the thought, then `"}`
      // alone: an empty delta and an empty complete_thought, which carries the last fragment (§5.2, §13 item 2)
      for (const piece of ['', ...splitDeltas(round.thinkTool, host.random), '']) {
        await send(run, 'thought_delta', 'assistant (thought)', { content: piece, format: 'markdown' }, true);
        if (host.cancelRequested) return cancelledMidStream(end);
      }
      await send(run, 'complete_thought', 'assistant (thought)', { content: '', format: 'markdown' });
      calls[calls.length - 1] = toolUse(id, 'think', { thought: round.thinkTool });
      outputChars += round.thinkTool.length;
    }
    let firehoseText = '';
    if (round.firehose !== undefined) {
      const pieces: string[] = [];
      for (let i = 0; i < round.firehose; i++) {
        const piece = FIREHOSE_TOKENS[i % FIREHOSE_TOKENS.length]!;
        pieces.push(piece);
        const wait = host.pace(true); // awaited only when there is something to wait for
        if (wait) await wait;
        host.emitDelta('text_delta', 'assistant', run.envelope, piece);
        if (host.cancelRequested) return cancelledMidStream(end);
      }
      firehoseText = pieces.join('');
      outputChars += firehoseText.length;
    }
    if (round.fail === 'stream') {
      // a vendor error inside the stream: a notice, no completion end, no interaction end (§7.3)
      await send(run, 'system_message', 'system', {
        content: "Exception during Claude streaming: APIStatusError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}",
        format: 'markdown',
        severity: 'error',
      });
      return 'stream_failed';
    }
    if (round.fail === 'crash') throw new RuntimeCrash(TRACEBACK('Simulated runtime failure in the middle of the answer'));

    for (const tool of round.tools ?? []) {
      calls.push(toolUse(toolId(host), tool.name, {}));
      await send(run, 'tool_select_delta', 'assistant', { tool_calls: structuredClone(calls) });
    }
    if (host.cancelRequested) return cancelledMidStream(end);
    // the runtime keeps non-think inputs as the raw JSON text of the arguments (§5.2)
    const tools = round.tools ?? [];
    tools.forEach((tool, i) => {
      const call = calls[calls.length - tools.length + i]!;
      call.input = pyJson(tool.input);
    });
    const clientCalls = calls.filter((call) => call.name !== 'think');
    if (clientCalls.length > 0) await send(run, 'tool_call', 'assistant', { active: true, vendor: 'anthropic', tool_calls: clientCalls, tool_results: null });
    const stopReason = calls.length > 0 ? 'tool_use' : 'end_turn';
    await send(run, 'completion', 'assistant', {
      running: false,
      completion_options: {},
      stop_reason: stopReason,
      input_tokens: Math.round(900 + run.systemPrompt.length / 4 + index * 250),
      output_tokens: Math.max(1, Math.round(outputChars / 4)),
    });
    const blocks: Record<string, unknown>[] = [];
    if (round.thinking) blocks.push({ type: 'thinking', thinking: round.thinking, signature: `sig-${host.slug(1)}` });
    const text = (round.text ?? '') + (round.slow?.pieces.join('') ?? '') + firehoseText;
    if (text) blocks.push({ type: 'text', text, citations: null });
    if (blocks.length > 0) {
      const assistant = { role: 'assistant', content: blocks };
      if (run.topLevel) {
        await send(run, 'history_delta', 'assistant', { vendor: 'anthropic', messages: [assistant] });
        saveHistory(run, [assistant]);
      }
    }
    if (host.cancelRequested) {
      // noticed right after the final stream event: tools are not run (§7.4, second case)
      await end();
      return 'cancelled';
    }
    if (calls.length === 0) break;

    const results: Record<string, unknown>[] = [];
    for (const call of calls) {
      const tool = tools.find((t, i) => calls[calls.length - tools.length + i] === call);
      if (tool) await runTool(run, tool);
      results.push({ type: 'tool_result', tool_use_id: call.id, content: tool ? tool.result : '' });
    }
    await send(run, 'tool_call', 'assistant', { active: false, vendor: 'anthropic', tool_calls: calls, tool_results: results });
    saveHistory(run, [
      { role: 'assistant', content: calls.map(({ type, id, name, input }) => ({ type, id, name, input: typeof input === 'string' ? JSON.parse(input) : input })) },
      { role: 'user', content: results },
    ]);
  }
  await end();
  return 'completed';
}

async function cancelledMidStream(end: () => Promise<void>): Promise<RunOutcome> {
  // noticed mid-stream: no completion end; buffered text is not flushed (§7.4, first case)
  await end();
  return 'cancelled';
}

async function runTool(run: Run, tool: ToolPlan): Promise<void> {
  const { host } = run;
  if (tool.media) {
    await send(run, 'render_media', 'tool', {
      content_type: tool.media.contentType,
      url: null,
      name: null,
      content: tool.media.content,
      content_bytes: null,
      sent_by_class: tool.toolset,
      sent_by_function: tool.name,
      foreign_content: tool.media.foreign,
    });
  }
  if (tool.delegate) {
    const { delegate } = tool;
    const bracket = { session_id: run.envelope.user_session_id, parent_session_id: run.envelope.user_session_id, user_session_id: run.envelope.user_session_id };
    // the tool's own notices belong to the calling session; only the bracket is rewritten (§7.10)
    const sendSystem = async (content: string) => send(run, 'system_message', 'system', { content, format: 'markdown', severity: 'info' });
    await sendSystem(`Oneshot interaction started by ${run.agent.name} with ${delegate.agentName}.`);
    await send({ ...run, envelope: bracket }, 'subsession_started', 'system', {
      sub_session_type: 'oneshot',
      sub_agent_type: 'assist',
      prime_agent_key: run.agent.key,
      sub_agent_key: delegate.agentKey,
    });
    const subAgent: AgentDefinition = { key: delegate.agentKey, name: delegate.agentName, description: '', modelId: run.agent.modelId, behaviour: 'plain', toolsets: [], category: ['assist'], persona: 'You find and summarise documents.' };
    const subEnvelope: Envelope = { session_id: `oneshot-${host.slug(2)}`, parent_session_id: run.envelope.session_id, user_session_id: run.envelope.user_session_id };
    await runInteraction(host, subAgent, [{ text: delegate.answer }], delegate.request, subEnvelope, false);
    await send({ ...run, envelope: bracket }, 'subsession_ended', 'system', {});
    await sendSystem(`Oneshot interaction complete between ${run.agent.name} and ${delegate.agentName}.`);
  }
}

async function runOpenAI(run: Run, plan: readonly RoundPlan[], userMessage: Record<string, unknown>): Promise<RunOutcome> {
  const { host } = run;
  const interactionId = host.slug(3);
  await send(run, 'interaction', 'assistant', { started: true, id: interactionId });
  await send(run, 'open_a_i_user_message', 'assistant', { vendor: 'openai', message: userMessage });
  await send(run, 'system_prompt', 'assistant', { content: run.systemPrompt, format: 'markdown' });
  const end = async () => send(run, 'interaction', 'assistant', { started: false, id: interactionId });
  for (const round of plan) {
    await send(run, 'completion', 'assistant', { running: true, completion_options: completionOptions(run), stop_reason: null, input_tokens: 0, output_tokens: 0 });
    // OpenAI text is not batched: one delta per token
    for (const piece of (round.text ?? '').split(/(?<=\s)/)) {
      if (!piece) continue;
      await send(run, 'text_delta', 'assistant', { content: piece, format: 'markdown' }, true);
      if (run.topLevel) host.speak(piece);
      if (host.cancelRequested) return cancelledMidStream(end);
    }
    if (round.text) saveHistory(run, [{ role: 'assistant', content: round.text }]);
    // a normal OpenAI round returns without any completion {running:false} (§7.3)
  }
  await end();
  return 'completed';
}

function toolId(host: RuntimeHost): string {
  let id = 'toolu_01';
  for (let i = 0; i < 22; i++) id += 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'[Math.floor(host.random() * 57)];
  return id;
}
