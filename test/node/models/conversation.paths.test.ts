/**
 * Model-based test of the conversation: the shortest paths (`xstate/graph`) of the abstract model in
 * `conversation.model.ts`, each replayed against the real client on a fresh simulator. Every model
 * event is mapped to real actions (a `sendText`, a `cancel()`, a dropped socket, a bounded wait), and
 * after every step the client's observable state (`connection$`, `turn$`, `interaction$`, the
 * outcome of the last `sendText`) must match the model state reached.
 *
 * The model has no `invoke`/`after`, so `getShortestPaths` runs on it directly; its serialisation is
 * bounded (the state name and one flag, toolchain pitfall P9) and so is the traversal (`limit`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import type { InteractionView, SendTextResult, Turn } from '../../../src/client.js';
import type { ConnectionState } from '../../../src/client.js';
import type { Simulator } from '../../../src/sim/types.js';
import { cleanup, makeClient, startSim, until, withTimeout, type Harness } from '../integration/harness.js';
import { conversationModel, MODEL_EVENTS, serializeModelState, stateName, type ModelEvent, type ModelSnapshot } from './conversation.model.js';

afterEach(cleanup);

/** Long enough to cancel, interrupt or drop mid-answer: 400 deltas at 2 ms each (~1 s). */
const LONG_TEXT = 'stream 400';
const SIM = { deltaMs: 2 } as const;
/**
 * No heartbeat noise, and a first reconnection delay long enough (300 ms) that the `reconnecting`
 * state is still observable when the step after the drop checks it.
 */
const CLIENT = {
  agentKey: 'firehose',
  pingInterval: 60_000,
  pongTimeout: 5_000,
  reconnection: { initialDelay: 300, maxDelay: 600 },
} as const;

// ---------------------------------------------------------------------------------------------
// the paths

const TRAVERSAL = {
  events: MODEL_EVENTS,
  filterEvents: (snapshot: ModelSnapshot, event: ModelEvent) => snapshot.can(event),
  serializeState: (snapshot: ModelSnapshot) => serializeModelState(snapshot),
  limit: 1_000,
};
const paths = getShortestPaths(conversationModel, TRAVERSAL);

type Steps = readonly { event: ModelEvent | { type: string }; state: ModelSnapshot }[];

/**
 * Transition coverage on top of state coverage: every edge of the model that is the last step of no
 * shortest path (a self-loop such as a second SEND_TEXT after an ended answer, RECONNECTED back to
 * idle, …), appended to the shortest path to its source state.
 */
const byState = new Map(paths.map((path) => [serializeModelState(path.state), path.steps as Steps]));
const shortestEdges = new Set(
  paths.flatMap((path) => {
    const steps = path.steps;
    return steps.length < 2 ? [] : [`${serializeModelState(steps.at(-2)!.state)} ${steps.at(-1)!.event.type}`];
  }),
);
const edgePaths: Steps[] = adjacencyMapToArray(getAdjacencyMap(conversationModel, TRAVERSAL))
  .filter((edge) => !shortestEdges.has(`${serializeModelState(edge.state)} ${edge.event.type}`))
  .map((edge) => [...byState.get(serializeModelState(edge.state))!, { event: edge.event, state: edge.nextState }]);

/** The model state with its flag, as the test names it. */
const label = (snapshot: ModelSnapshot) => `${stateName(snapshot)}${snapshot.context.replaced ? ' (replacing an interrupted answer)' : ''}`;

function pathName(steps: Steps): string {
  const [first, ...rest] = steps;
  if (rest.length === 0) return `${label(first!.state)} (initial)`;
  return [label(first!.state), ...rest.map((step) => `${step.event.type} → ${label(step.state)}`)].join(' → ');
}

// ---------------------------------------------------------------------------------------------
// the real client

interface Pending {
  readonly text: string;
  readonly promise: Promise<SendTextResult>;
  settled: boolean;
  result?: SendTextResult;
  error?: unknown;
}

function track(text: string, promise: Promise<SendTextResult>): Pending {
  const pending: Pending = { text, promise, settled: false };
  promise.then(
    (result) => Object.assign(pending, { settled: true, result }),
    (error: unknown) => Object.assign(pending, { settled: true, error }),
  );
  return pending;
}

/** One client on one simulator, the latest values it emitted, and the sendText calls in flight. */
class Driver {
  turn: Turn | null = null;
  interaction: InteractionView | null = null;
  connection: ConnectionState | null = null;
  /** turn$ values since the last drop. */
  turnsSinceDrop: Turn[] = [];
  /** The sendText whose answer the model says is in flight. */
  pending: Pending | null = null;
  /** The sendText an interrupting send replaced. */
  replaced: Pending | null = null;
  /** The outcome of the last sendText that settled. */
  last: SendTextResult | null = null;
  /** The token in use when the simulator revoked every token (REVOKE_AND_DROP), until the reconnect. */
  revoked: string | null = null;
  private sent = 0;

  constructor(
    readonly sim: Simulator,
    readonly h: Harness,
  ) {
    h.client.turn$.subscribe((turn) => {
      this.turn = turn;
      this.turnsSinceDrop.push(turn);
    });
    h.client.interaction$.subscribe((view) => {
      this.interaction = view;
    });
    h.client.connection$.subscribe((status) => {
      this.connection = status.state;
    });
  }

  /** What the client shows now, for failure messages. */
  view(): string {
    const pending = this.pending ? (this.pending.settled ? `settled ${this.pending.result?.outcome ?? String(this.pending.error)}` : 'pending') : 'none';
    return `connection ${this.connection}, turn ${this.turn}, interaction ${this.interaction ? `${this.interaction.state}/${this.interaction.streaming}` : 'null'}, sendText ${pending}, last outcome ${this.last?.outcome ?? 'none'}; timeline: ${this.h.describe(Math.max(0, this.h.timeline.length - 25))}`;
  }

  private async wait(condition: () => boolean, ms: number, what: string): Promise<void> {
    try {
      await until(condition, ms, what);
    } catch (error) {
      throw new Error(`${(error as Error).message}; ${this.view()}`, { cause: error });
    }
  }

  private async settle(pending: Pending, ms: number, what: string): Promise<SendTextResult> {
    const result = await withTimeout(pending.promise, ms, what).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; ${this.view()}`, { cause: error });
    });
    this.last = result;
    return result;
  }

  /** Waits until the answer of the last text streams (the server started it and took the turn). */
  private async streaming(previousId: string | null) {
    await this.wait(
      () => this.interaction?.state === 'streaming' && this.interaction.interactionId !== previousId && this.turn === 'agent',
      3000,
      'the answer to stream (interaction$ streaming, turn$ agent)',
    );
  }

  /** Performs a model event on the real client and simulator. */
  async perform(event: ModelEvent): Promise<void> {
    const client = this.h.client;
    switch (event.type) {
      case 'SEND_TEXT': {
        const text = `${LONG_TEXT} #${++this.sent}`;
        this.pending = track(text, client.sendText(text));
        this.replaced = null;
        await this.streaming(null);
        return;
      }
      case 'SEND_TEXT_INTERRUPT': {
        const previousId = this.interaction?.interactionId ?? null;
        const text = `${LONG_TEXT} #${++this.sent}`;
        this.replaced = this.pending;
        this.pending = track(text, client.sendText(text, { interrupt: true }));
        await this.settle(this.replaced!, 3000, 'the interrupted sendText to resolve');
        await this.streaming(previousId);
        return;
      }
      case 'CANCEL':
        await withTimeout(client.cancel(), 2000, 'cancel() to resolve');
        return;
      case 'ANSWER_FINISHES':
        await this.settle(this.pending!, 5000, `sendText(${this.pending!.text}) to resolve`);
        this.pending = null;
        this.replaced = null;
        return;
      case 'ANSWER_FAILS': {
        await withTimeout(client.setAgent('failing'), 2000, "setAgent('failing')");
        this.pending = track('please fail', client.sendText('please fail'));
        await this.settle(this.pending, 3000, 'sendText to the failing agent to resolve');
        this.pending = null;
        await withTimeout(client.setAgent(CLIENT.agentKey), 2000, `setAgent('${CLIENT.agentKey}')`);
        return;
      }
      case 'DROP_CONNECTION': {
        this.turnsSinceDrop = [];
        expect(this.sim.control.dropSocket(), 'sockets the simulator dropped').toBe(1);
        await this.wait(() => this.connection !== 'ready', 2000, 'connection$ to leave ready');
        return;
      }
      case 'SERVER_RESTARTS': {
        this.turnsSinceDrop = [];
        this.sim.control.restart();
        await this.wait(() => this.connection !== 'ready', 2000, 'connection$ to leave ready');
        if (this.pending) {
          await this.settle(this.pending, 5000, 'the sendText in flight to resolve after the restart');
          this.pending = null;
        }
        return;
      }
      case 'REVOKE_AND_DROP': {
        this.turnsSinceDrop = [];
        this.revoked = this.h.spy.param('token');
        this.sim.control.revokeTokens();
        expect(this.sim.control.dropSocket(), 'sockets the simulator dropped').toBe(1);
        await this.wait(() => this.connection !== 'ready', 2000, 'connection$ to leave ready');
        return;
      }
      case 'RECONNECTED':
        await this.wait(() => this.connection === 'ready', 5000, 'connection$ ready again');
        if (this.revoked !== null) {
          // the revoked token was refused once and never used again: the client logged in anew
          const used = this.h.spy.sockets.map((s) => new URL(s.url).searchParams.get('token'));
          expect(used.filter((token) => token === this.revoked), `tokens used; ${this.view()}`).toHaveLength(2);
          expect(used.at(-1)).not.toBe(this.revoked);
          this.revoked = null;
        }
        return;
    }
  }

  /** Checks that the client shows what the model state says. */
  async check(state: ModelSnapshot): Promise<void> {
    const name = stateName(state);
    const where = `in model state ${label(state)}: ${this.view()}`;
    if (name === 'idle' || name.startsWith('ended.')) {
      // the turn comes back with user_turn_start, which may trail the end of the answer
      await this.wait(() => this.turn === 'user', 2000, "turn$ 'user'");
      expect(this.connection, where).toBe('ready');
      expect(this.interaction, where).toBeNull();
      expect(this.pending, where).toBeNull();
      if (name === 'idle') return;
      const outcome = name.slice('ended.'.length);
      expect(this.last?.outcome, where).toBe(outcome);
      if (outcome === 'done') expect(this.last, where).toMatchObject({ stopReason: 'stop', rawStopReason: 'end_turn', reason: null });
      if (outcome === 'cancelled') expect(this.last, where).toMatchObject({ stopReason: 'cancelled' });
      if (outcome === 'failed') expect((this.last as { reason: string | null }).reason, where).toMatch(/^Exception /);
      // (reached by a restart: the server forgot the answer)
      if (outcome === 'interrupted') expect((this.last as { reason: string | null }).reason, where).toMatch(/server restarted/);
      return;
    }
    if (name === 'answering') {
      expect(this.connection, where).toBe('ready');
      expect(this.turn, where).toBe('agent');
      expect(this.interaction?.state, where).toBe('streaming');
      expect(this.pending?.settled, `sendText settled while its answer streams; ${where}`).toBe(false);
      if (state.context.replaced) {
        expect(this.replaced?.result, `the interrupted sendText; ${where}`).toMatchObject({ outcome: 'cancelled', stopReason: 'cancelled' });
        expect((this.replaced?.result as { interactionId: string | null }).interactionId, where).not.toBe(this.interaction?.interactionId);
      }
      return;
    }
    if (name === 'cancelling') {
      // cancel() resolved; the wind-down (system_message, interaction end, user_turn_start) may or
      // may not have reached the client yet, so sendText is pending or already cancelled
      expect(this.connection, where).toBe('ready');
      if (this.pending?.settled) expect(this.pending.result?.outcome, where).toBe('cancelled');
      return;
    }
    if (name === 'reconnecting.suspended') {
      // the server runs the answer on: nothing ends, the turn stays the agent's
      expect(this.connection, where).not.toBe('ready');
      expect(this.turn, where).toBe('agent');
      expect(this.interaction?.state, where).toBe('suspended');
      expect(this.pending?.settled, `sendText settled while its answer is suspended; ${where}`).toBe(false);
      return;
    }
    if (name.startsWith('reconnecting.')) {
      expect(this.connection, where).not.toBe('ready');
      expect(this.turnsSinceDrop, `turn$ since the drop; ${where}`).toContain('unknown');
      expect(this.turn, where).toBe('unknown');
      expect(this.interaction, where).toBeNull();
      expect(this.pending, where).toBeNull();
      if (name === 'reconnecting.interrupted') expect(this.last?.outcome, where).toBe('interrupted');
      return;
    }
    throw new Error(`no check for model state ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------

describe('the conversation model', () => {
  it('has a small, bounded graph whose shortest paths reach every state node', () => {
    const reached = new Set(paths.map((path) => stateName(path.state)));
    expect([...reached].sort()).toEqual([
      'answering',
      'cancelling',
      'ended.cancelled',
      'ended.done',
      'ended.failed',
      'ended.interrupted',
      'idle',
      'reconnecting.idle',
      'reconnecting.interrupted',
      'reconnecting.refused',
      'reconnecting.suspended',
    ]);
    // two more: an answer that replaced an interrupted one, streaming or suspended
    expect(paths).toHaveLength(13);
    expect(paths.some((path) => path.steps.some((step) => step.event.type === 'SEND_TEXT_INTERRUPT'))).toBe(true);
    // every edge of the model is replayed, by a shortest path or by an edge path
    const edges = adjacencyMapToArray(getAdjacencyMap(conversationModel, TRAVERSAL));
    expect(paths.length - 1 + edgePaths.length).toBe(edges.length);
  });
});

/** Replays a path on a fresh simulator and client, checking the model state after every step. */
async function replay(path: Steps): Promise<void> {
  const sim = await startSim(SIM);
  const h = makeClient(sim, CLIENT);
  await h.connect(3000);
  const driver = new Driver(sim, h);
  const [initial, ...steps] = path;
  expect(initial!.event.type).toBe('xstate.init');
  await driver.check(initial!.state);
  for (const step of steps) {
    await driver.perform(step.event as ModelEvent);
    await driver.check(step.state);
  }
}

describe('the real client replays every shortest path of the model (simulator, firehose agent)', () => {
  it.each(paths.map((path) => [pathName(path.steps), path.steps] as const))('%s', (_name, steps) => replay(steps));
});

describe('the real client replays every other transition of the model (shortest path to its source, then the edge)', () => {
  it.each(edgePaths.map((steps) => [pathName(steps), steps] as const))('%s', (_name, steps) => replay(steps));
});
