/**
 * Shared set-up of the simulator test files: start simulators, close everything after each test,
 * and check that every text frame a simulator sent is a valid server event (`decodeServerFrame`
 * gives `kind: 'event'`), except frames a test injected on purpose with `sendMalformed` and
 * declared with {@link allowMalformed}. In profile `agentc` no binary frame may have been sent
 * either (PROTOCOL.md §8.2, §11.7) unless a test declared one with {@link allowBinaryOut}.
 */
import { afterEach, expect } from 'vitest';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import { createSimulator } from '../../../src/sim/index.js';
import type { Simulator, SimulatorOptions, SimulatorProfile } from '../../../src/sim/types.js';
import { closeAllClients, connect, login, type ConnectOptions, type Ev, type SimClient } from '../../helpers/sim-client.js';

export const PROFILES: readonly SimulatorProfile[] = ['agentc', 'full'];

/** How every Claude interaction opens (§7.3 steps 1–6), as `collapse(kinds(events))` gives it. */
export const CLAUDE_OPENING: readonly string[] = Object.freeze([
  'user_turn_end',
  'chat_session_added',
  'anthropic_user_message',
  'interaction:start',
  'system_prompt',
  'completion:start',
]);

/** How a Claude interaction that ends normally closes (§7.3 steps 7–9). */
export const CLAUDE_CLOSING: readonly string[] = Object.freeze(['completion:end', 'history_delta', 'interaction:end', 'chat_session_added', 'user_turn_start']);

/** The standard Claude sequence of the `default` agent (§7.3), as `collapse(kinds(events))` gives it. */
export const DEFAULT_SEQUENCE: readonly string[] = Object.freeze([...CLAUDE_OPENING, 'text_delta', ...CLAUDE_CLOSING]);

interface Tracked {
  readonly sim: Simulator;
  readonly profile: SimulatorProfile;
  readonly allowedTexts: Set<string>;
  allowedBinary: number;
  /** Recorded frames already checked. */
  checkedUpTo: number;
  problems: string[];
}

const tracked: Tracked[] = [];

function trackedOf(sim: Simulator): Tracked {
  const entry = tracked.find((t) => t.sim === sim);
  if (!entry) throw new Error('simulator not started with startSim');
  return entry;
}

/** Starts a simulator (port 0, deltaMs 0, seed 1 unless overridden) that `afterEach` checks and closes. */
export async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await createSimulator({ port: 0, deltaMs: 0, seed: 1, ...options });
  tracked.push({ sim, profile: options.profile ?? 'agentc', allowedTexts: new Set(), allowedBinary: 0, checkedUpTo: 0, problems: [] });
  return sim;
}

/** Declares a text frame the test injected with `sendMalformed`: the frame check skips it. */
export function allowMalformed(sim: Simulator, text: string): void {
  trackedOf(sim).allowedTexts.add(text);
}

/** Declares `count` binary frames the test injected with `sendMalformed` (profile `agentc`). */
export function allowBinaryOut(sim: Simulator, count = 1): void {
  trackedOf(sim).allowedBinary += count;
}

/** Runs the frame check on what has been recorded so far (call before `clearFrames`). */
export function checkRecordedFrames(sim: Simulator): void {
  checkEntry(trackedOf(sim));
}

function checkEntry(entry: Tracked): void {
  const sim = entry.sim;
  let binaryOut = 0;
  const frames = sim.control.frames;
  if (frames.length < entry.checkedUpTo) entry.checkedUpTo = 0;
  for (const frame of frames.slice(entry.checkedUpTo)) {
    if (frame.direction !== 'out') continue;
    if (frame.kind === 'binary') {
      binaryOut++;
      continue;
    }
    const text = frame.text ?? '';
    if (entry.allowedTexts.has(text)) continue;
    const decoded = decodeServerFrame(text);
    if (decoded.kind !== 'event') {
      const detail =
        decoded.kind === 'invalid'
          ? `${decoded.reason} ${decoded.type ?? ''}: ${decoded.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
          : decoded.kind === 'unknown'
            ? `unknown type ${decoded.type}`
            : decoded.kind;
      entry.problems.push(`frame #${frame.connection}@${frame.at.toFixed(0)}ms is not a valid server event (${detail}): ${text.slice(0, 300)}`);
    }
  }
  if (entry.profile === 'agentc' && binaryOut > entry.allowedBinary) {
    entry.problems.push(`profile agentc sent ${binaryOut - entry.allowedBinary} binary frame(s) (PROTOCOL.md §8.2: never sent)`);
  }
  entry.allowedBinary = Math.max(0, entry.allowedBinary - binaryOut);
  entry.checkedUpTo = frames.length;
}

/** Checks, then clears the recorded frames. */
export function clearFramesChecked(sim: Simulator): void {
  checkRecordedFrames(sim);
  sim.control.clearFrames();
  trackedOf(sim).checkedUpTo = 0;
}

/** Registers the `afterEach` that closes clients, checks recorded frames and closes simulators. */
export function useSimulators(): void {
  afterEach(async () => {
    await closeAllClients();
    const entries = tracked.splice(0, tracked.length);
    const problems: string[] = [];
    for (const entry of entries) {
      try {
        checkEntry(entry);
      } catch (error) {
        problems.push(`frame check threw: ${String(error)}`);
      }
      problems.push(...entry.problems);
    }
    await Promise.all(entries.map((entry) => entry.sim.close().catch(() => undefined)));
    expect(problems, 'every text frame the simulator sent decodes as a server event').toStrictEqual([]);
  });
}

// ---------------------------------------------------------------------------------------------
// Common steps

export interface Ready {
  readonly client: SimClient;
  /** The events of the burst, up to and including `user_turn_start`. */
  readonly burst: Ev[];
  readonly token: string;
  readonly uiSessionId: string;
  readonly chatSessionId: string;
}

/** Connects (token from `control.issueToken` unless given) and waits for the burst to end with `user_turn_start`. */
export async function connectReady(sim: Simulator, options: Partial<ConnectOptions> & { user?: string } = {}): Promise<Ready> {
  const token = options.token ?? sim.control.issueToken(options.user ?? 'admin');
  const client = await connect(sim, { ...options, token });
  const burst = await client.until('user_turn_start');
  const idEvent = burst.find((e) => e.type === 'ui_session_id_changed');
  const changed = burst.find((e) => e.type === 'chat_session_changed');
  const uiSessionId = (idEvent?.ui_session_id as string | undefined) ?? options.uiSessionId ?? '';
  return { client, burst, token, uiSessionId, chatSessionId: (changed?.chat_session?.session_id as string | undefined) ?? '' };
}

/** Logs in over HTTP and connects with the returned token and `ui_session_id`. */
export async function loginAndConnect(sim: Simulator, options: Partial<ConnectOptions> = {}): Promise<Ready> {
  const body = await login(sim);
  return connectReady(sim, { uiSessionId: body.ui_session_id, ...options, token: body.agent_c_token });
}

/** Sends `text_input` and returns the events up to and including the turn's `user_turn_start`. */
export async function interact(client: SimClient, text: string, timeoutMs = 5000, extra: Record<string, unknown> = {}): Promise<Ev[]> {
  client.send({ type: 'text_input', text, ...extra });
  return client.until('user_turn_start', timeoutMs);
}

/** Polls the simulator until the UI session has no socket attached (the server saw the close). */
export async function waitDetached(sim: Simulator, uiSessionId: string, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const info = sim.control.uiSessions().find((s) => s.uiSessionId === uiSessionId);
    if (info !== undefined && !info.connected) return;
    if (performance.now() > deadline) {
      throw new Error(`UI session ${uiSessionId} still attached after ${timeoutMs} ms: ${JSON.stringify(info)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Polls until `condition` holds (for state the protocol does not announce). */
export async function poll(condition: () => boolean, what: string, timeoutMs = 3000, everyMs = 10): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The types of a list of events, with `interaction`/`completion`/`tool_call` detailed. */
export function kinds(events: readonly Ev[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'interaction':
        return e.started ? 'interaction:start' : 'interaction:end';
      case 'completion':
        return e.running ? 'completion:start' : 'completion:end';
      case 'tool_call':
        return e.active ? 'tool_call:active' : 'tool_call:done';
      default:
        return e.type;
    }
  });
}

/** Collapses runs of the same kind into one entry (`text_delta, text_delta` → `text_delta`). */
export function collapse(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) if (out[out.length - 1] !== name) out.push(name);
  return out;
}

/** Events that close an interaction (none may follow a hard pre-emption, §1.5 rule 6). */
export function closingEvents(events: readonly Ev[]): Ev[] {
  return events.filter(
    (e) =>
      (e.type === 'interaction' && e.started === false) ||
      (e.type === 'completion' && e.running === false) ||
      e.type === 'user_turn_start' ||
      e.type === 'cancelled' ||
      e.type === 'chat_session_added' ||
      e.type === 'history_delta',
  );
}

/** A slug of `n` words joined by `-` (ids of §9.11). */
export const slug = (n: number) => new RegExp(`^[A-Za-z]+(?:-[A-Za-z]+){${n - 1}}$`);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
