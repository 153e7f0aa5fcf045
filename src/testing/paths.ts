/**
 * `createModelPaths()`: the conversation model (model.ts) as paths a user can run against a server —
 * the embedded simulator or their own. Each path is a list of model events; running it drives a real
 * client (`createClient` with `ws`) through real actions (a `sendText`, a `cancel()`, a dropped
 * socket, a bounded wait) and checks after every step that what the client shows (`connection$`,
 * `turn$`, `interaction$`, the outcome of the last `sendText`) matches the model state reached.
 *
 * Paths: the shortest path to every model state (`xstate/graph`'s `getShortestPaths`), plus, for
 * transition coverage, every edge that ends no shortest path, appended to the shortest path to its
 * source state. Traversal and serialisation are bounded (the state name and one flag).
 *
 * Targets: a simulator (every event is possible through its `control`), or a server at a URL. On a
 * server, `DROP_CONNECTION` goes through a loopback fault proxy (proxy.ts) that kills the socket on
 * both sides; paths that need the server to restart or to revoke every token are skipped, and say so.
 *
 * Node only (`ws`, `node:http`).
 *
 * @module
 */
import { WebSocket } from 'ws';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { createClient, type ConnectionState, type InteractionView, type RealtimeClient, type SendTextResult, type Turn } from '../client.js';
import type { AuthOptions, WebSocketConstructor } from '../options.js';
import type { Simulator } from '../sim/types.js';
import { conversationModel, MODEL_EVENTS, serializeModelState, stateName, type ModelEvent, type ModelSnapshot } from './model.js';
import { createFaultProxy, type FaultProxy } from './proxy.js';

/** A state of the conversation model, by name. */
export type ModelStateName =
  | 'idle'
  | 'answering'
  | 'cancelling'
  | 'ended.done'
  | 'ended.cancelled'
  | 'ended.failed'
  | 'ended.interrupted'
  | 'reconnecting.idle'
  | 'reconnecting.suspended'
  | 'reconnecting.interrupted'
  | 'reconnecting.refused';

/** One step of a path: an event and the model state it leads to. */
export interface ModelStep {
  readonly event: ModelEvent;
  readonly state: ModelStateName;
  /** The answer in flight replaced an interrupted one (whose `sendText` must have resolved `cancelled`). */
  readonly replaced: boolean;
}

/** What a path needs of its target beyond sending text and losing the socket. */
export type ModelCapability =
  /** The server restarts (`SERVER_RESTARTS`). */
  | 'restart'
  /** The server revokes every token (`REVOKE_AND_DROP`). */
  | 'revoke';

/** Where a path runs. */
export interface ModelTarget {
  /**
   * A simulator (`createSimulator` of `agentc-realtime/sim`): every event is possible through its
   * `control`. Its answers must take long enough to be cancelled (`deltaMs` of 1 or more).
   */
  readonly simulator?: Simulator;
  /**
   * The API base of your server (`http(s)://host[:port]`), when no `simulator` is given. Socket
   * losses go through a loopback fault proxy; paths needing a restart or a revocation are skipped.
   */
  readonly url?: string;
  /** @default { username: 'admin', password: 'changeme' } (the simulator's development account) */
  readonly auth?: AuthOptions;
}

/** How a path went. */
export interface ModelPathResult {
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed (what was expected, what the client showed) or why it was skipped; `null` when it passed. */
  readonly reason: string | null;
  /** The steps performed and checked (the initial state counts as step 0). */
  readonly stepsRun: number;
  readonly durationMs: number;
}

/** A path of the model, ready to run. */
export interface ModelPath {
  /** `shortest-<n>` or `edge-<n>`. */
  readonly id: string;
  /** `shortest`: the shortest path to a state; `edge`: a shortest path plus one edge no shortest path ends with. */
  readonly kind: 'shortest' | 'edge';
  /** The path in words: `idle → SEND_TEXT → answering → CANCEL → cancelling`. */
  readonly description: string;
  /** The initial state (`idle`). */
  readonly initial: ModelStateName;
  /** The events in order, each with the state it leads to. */
  readonly steps: readonly ModelStep[];
  /** What the target must be able to do (a simulator can do all). */
  readonly needs: readonly ModelCapability[];
  /** Runs the path on a fresh client against `target`; never rejects (a failure is a result). */
  run(target: ModelTarget): Promise<ModelPathResult>;
}

/** Options of {@link createModelPaths}: what the model's events mean on your server. The defaults fit the simulator. */
export interface ModelPathsOptions {
  /** The agent that answers `SEND_TEXT` with a long streamed answer. @default 'firehose' */
  readonly answeringAgent?: string;
  /** The text `SEND_TEXT` sends; its answer must stream long enough (≥ ~0.5 s) to be cancelled, interrupted or cut. @default 'stream 400' */
  readonly longText?: string;
  /** The agent whose answer fails (`ANSWER_FAILS`). @default 'failing' */
  readonly failingAgent?: string;
  /** The text sent to the failing agent. @default 'please fail' */
  readonly failingText?: string;
  /** How long an answer may take to end (ms). @default 10000 */
  readonly answerTimeout?: number;
  /** How long connecting, reconnecting and every other wait may take (ms). @default 5000 */
  readonly stepTimeout?: number;
}

const DEFAULTS: Required<ModelPathsOptions> = {
  answeringAgent: 'firehose',
  longText: 'stream 400',
  failingAgent: 'failing',
  failingText: 'please fail',
  answerTimeout: 10_000,
  stepTimeout: 5_000,
};

const DEVELOPMENT_ACCOUNT: AuthOptions = { username: 'admin', password: 'changeme' };

// ---------------------------------------------------------------------------------------------
// the paths

const TRAVERSAL = {
  events: MODEL_EVENTS,
  filterEvents: (snapshot: ModelSnapshot, event: ModelEvent) => snapshot.can(event),
  serializeState: (snapshot: ModelSnapshot) => serializeModelState(snapshot),
  limit: 1_000,
};

type GraphSteps = readonly { readonly event: { type: string }; readonly state: ModelSnapshot }[];

/** The shortest paths and the extra edge paths of the model, as `xstate/graph` steps. */
function graphPaths(): { shortest: GraphSteps[]; edges: GraphSteps[] } {
  const paths = getShortestPaths(conversationModel, TRAVERSAL);
  const shortest = paths.map((path) => path.steps as GraphSteps);
  const byState = new Map(paths.map((path) => [serializeModelState(path.state), path.steps as GraphSteps]));
  const ending = new Set(
    shortest.flatMap((steps) => (steps.length < 2 ? [] : [`${serializeModelState(steps.at(-2)!.state)} ${steps.at(-1)!.event.type}`])),
  );
  const edges = adjacencyMapToArray(getAdjacencyMap(conversationModel, TRAVERSAL))
    .filter((edge) => !ending.has(`${serializeModelState(edge.state)} ${edge.event.type}`))
    .map((edge) => [...byState.get(serializeModelState(edge.state))!, { event: edge.event, state: edge.nextState }]);
  return { shortest, edges };
}

const label = (state: ModelStateName, replaced: boolean) => `${state}${replaced ? ' (replacing an interrupted answer)' : ''}`;

/**
 * The conversation model's paths, ready to run: the shortest path to every state, then one path per
 * edge that ends no shortest path (transition coverage). Run each on a fresh client with
 * `path.run(target)`; a path never rejects, it resolves `passed`, `failed` (with the reason) or
 * `skipped` (what the target cannot do).
 *
 * @example
 * import { createModelPaths } from 'agentc-realtime/testing';
 * for (const path of createModelPaths()) {
 *   const result = await path.run({ url: 'http://127.0.0.1:8000', auth: { username: 'admin', password: 'changeme' } });
 *   console.log(result.status, path.description, result.reason ?? '');
 * }
 */
export function createModelPaths(options: ModelPathsOptions = {}): ModelPath[] {
  const settings: Required<ModelPathsOptions> = { ...DEFAULTS, ...stripUndefined(options) };
  const { shortest, edges } = graphPaths();
  const make = (kind: ModelPath['kind'], index: number, graph: GraphSteps): ModelPath => {
    const [first, ...rest] = graph;
    const initial = stateName(first!.state) as ModelStateName;
    const steps: ModelStep[] = rest.map((step) => ({ event: step.event as ModelEvent, state: stateName(step.state) as ModelStateName, replaced: step.state.context.replaced }));
    const description =
      steps.length === 0 ? `${initial} (initial)` : [label(initial, false), ...steps.map((step) => `${step.event.type} → ${label(step.state, step.replaced)}`)].join(' → ');
    const needs: ModelCapability[] = [];
    if (steps.some((step) => step.event.type === 'SERVER_RESTARTS')) needs.push('restart');
    if (steps.some((step) => step.event.type === 'REVOKE_AND_DROP')) needs.push('revoke');
    const path: ModelPath = {
      id: `${kind}-${index + 1}`,
      kind,
      description,
      initial,
      steps,
      needs,
      run: (target) => runPath(path, target, settings),
    };
    return path;
  };
  return [...shortest.map((graph, index) => make('shortest', index, graph)), ...edges.map((graph, index) => make('edge', index, graph))];
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// running a path

/** A check that did not hold: the runner reports its message as the path's reason. */
class Mismatch extends Error {}

function expectThat(condition: boolean, what: string): void {
  if (!condition) throw new Mismatch(what);
}

function timeoutAfter<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Mismatch(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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

const describeError = (error: unknown) => (error instanceof Error ? `${(error as { reason?: string }).reason ? `${(error as { reason?: string }).reason}: ` : ''}${error.message}` : String(error));

/** A `WebSocket` constructor that records the URLs the client opens. */
function recording(Base: WebSocketConstructor, urls: string[]): WebSocketConstructor {
  return class extends (Base as unknown as new (url: string, protocols?: string | string[]) => object) {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      urls.push(String(url));
    }
  } as unknown as WebSocketConstructor;
}

/** One client against one target, the latest values it showed, and the `sendText` calls in flight. */
class Driver {
  turn: Turn | null = null;
  interaction: InteractionView | null = null;
  connection: ConnectionState | null = null;
  uiSessionId: string | null = null;
  /** turn$ values since the last loss. */
  turnsSinceDrop: Turn[] = [];
  /** The sendText whose answer the model says is in flight. */
  pending: Pending | null = null;
  /** The sendText an interrupting send replaced. */
  replaced: Pending | null = null;
  /** The outcome of the last sendText that settled. */
  last: SendTextResult | null = null;
  /** The token in use when the server revoked every token, until the reconnect. */
  revoked: string | null = null;
  private sent = 0;

  constructor(
    readonly client: RealtimeClient,
    readonly settings: Required<ModelPathsOptions>,
    readonly faults: { drop(uiSessionId: string | null): number; restart(): void; revoke(): void },
    readonly socketUrls: readonly string[],
  ) {
    client.turn$.subscribe((turn) => {
      this.turn = turn;
      this.turnsSinceDrop.push(turn);
    });
    client.interaction$.subscribe((view) => {
      this.interaction = view;
    });
    client.connection$.subscribe((status) => {
      this.connection = status.state;
      if (status.uiSessionId) this.uiSessionId = status.uiSessionId;
    });
  }

  /** What the client shows now, for failure messages. */
  view(): string {
    const pending = this.pending ? (this.pending.settled ? `settled ${this.pending.result?.outcome ?? describeError(this.pending.error)}` : 'pending') : 'none';
    const interaction = this.interaction ? `${this.interaction.state}/${this.interaction.streaming}` : 'null';
    return `connection ${this.connection}, turn ${this.turn}, interaction ${interaction}, sendText ${pending}, last outcome ${this.last?.outcome ?? 'none'}`;
  }

  private async wait(condition: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Mismatch(`timed out after ${ms} ms waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async settle(pending: Pending, ms: number, what: string): Promise<SendTextResult> {
    const result = await timeoutAfter(pending.promise, ms, what).catch((error: unknown) => {
      throw new Mismatch(error instanceof Mismatch ? error.message : `${what}: it rejected (${describeError(error)})`);
    });
    this.last = result;
    return result;
  }

  /** Waits until the answer of the last text streams (the server started it and took the turn). */
  private async streaming(previousId: string | null) {
    await this.wait(
      () => this.interaction?.state === 'streaming' && this.interaction.interactionId !== previousId && this.turn === 'agent',
      this.settings.stepTimeout,
      'the answer streams (interaction$ streaming, turn$ agent)',
    );
  }

  private async lost() {
    await this.wait(() => this.connection !== 'ready', this.settings.stepTimeout, 'connection$ leaves ready');
  }

  /** Performs a model event on the client and the target. */
  async perform(event: ModelEvent): Promise<void> {
    const { client, settings } = this;
    switch (event.type) {
      case 'SEND_TEXT': {
        const text = `${settings.longText} #${++this.sent}`;
        this.pending = track(text, client.sendText(text));
        this.replaced = null;
        await this.streaming(null);
        return;
      }
      case 'SEND_TEXT_INTERRUPT': {
        const previousId = this.interaction?.interactionId ?? null;
        const text = `${settings.longText} #${++this.sent}`;
        this.replaced = this.pending;
        this.pending = track(text, client.sendText(text, { interrupt: true }));
        await this.settle(this.replaced!, settings.stepTimeout, 'the interrupted sendText to resolve');
        await this.streaming(previousId);
        return;
      }
      case 'CANCEL':
        await timeoutAfter(client.cancel(), settings.stepTimeout, 'cancel() to resolve');
        return;
      case 'ANSWER_FINISHES':
        await this.settle(this.pending!, settings.answerTimeout, `sendText(${this.pending!.text}) to resolve`);
        this.pending = null;
        this.replaced = null;
        return;
      case 'ANSWER_FAILS': {
        await timeoutAfter(client.setAgent(settings.failingAgent), settings.stepTimeout, `setAgent('${settings.failingAgent}')`);
        this.pending = track(settings.failingText, client.sendText(settings.failingText));
        await this.settle(this.pending, settings.answerTimeout, `sendText to the agent '${settings.failingAgent}' to resolve`);
        this.pending = null;
        await timeoutAfter(client.setAgent(settings.answeringAgent), settings.stepTimeout, `setAgent('${settings.answeringAgent}')`);
        return;
      }
      case 'DROP_CONNECTION': {
        this.turnsSinceDrop = [];
        const dropped = this.faults.drop(this.uiSessionId);
        expectThat(dropped === 1, `one socket to drop, dropped ${dropped}`);
        await this.lost();
        return;
      }
      case 'SERVER_RESTARTS': {
        this.turnsSinceDrop = [];
        this.faults.restart();
        await this.lost();
        if (this.pending) {
          await this.settle(this.pending, settings.answerTimeout, 'the sendText in flight to resolve after the restart');
          this.pending = null;
        }
        return;
      }
      case 'REVOKE_AND_DROP': {
        this.turnsSinceDrop = [];
        const last = this.socketUrls.at(-1);
        this.revoked = last ? new URL(last).searchParams.get('token') : null;
        this.faults.revoke();
        const dropped = this.faults.drop(this.uiSessionId);
        expectThat(dropped === 1, `one socket to drop, dropped ${dropped}`);
        await this.lost();
        return;
      }
      case 'RECONNECTED':
        await this.wait(() => this.connection === 'ready', this.settings.stepTimeout * 2, 'connection$ is ready again');
        if (this.revoked !== null) {
          // the revoked token was refused once and never used again: the client logged in anew
          const used = this.socketUrls.map((url) => new URL(url).searchParams.get('token'));
          const withRevoked = used.filter((token) => token === this.revoked).length;
          expectThat(withRevoked === 2, `the revoked token to be used twice (accepted, then refused once), used ${withRevoked} times`);
          expectThat(used.at(-1) !== this.revoked, 'the reconnect to use a new token (the client logs in again)');
          this.revoked = null;
        }
        return;
    }
  }

  /** Checks that the client shows what the model state says. */
  async check(name: ModelStateName, replaced: boolean): Promise<void> {
    const is = (condition: boolean, what: string) => expectThat(condition, `expected ${what}`);
    if (name === 'idle' || name.startsWith('ended.')) {
      // the turn comes back with user_turn_start, which may trail the end of the answer
      await this.wait(() => this.turn === 'user', this.settings.stepTimeout, "turn$ is 'user'");
      is(this.connection === 'ready', 'connection$ ready');
      is(this.interaction === null, 'interaction$ null');
      is(this.pending === null, 'no sendText pending');
      if (name === 'idle') return;
      const outcome = name.slice('ended.'.length);
      const last = this.last as (SendTextResult & { stopReason?: string | null; reason?: string | null }) | null;
      is(last?.outcome === outcome, `the last sendText to resolve '${outcome}'`);
      if (outcome === 'done') is(last?.stopReason === 'stop' && last.reason === null, "a done answer with stopReason 'stop' and no reason");
      if (outcome === 'cancelled') is(last?.stopReason === 'cancelled', "a cancelled answer with stopReason 'cancelled'");
      if (outcome === 'failed') is(typeof last?.reason === 'string' && last.reason !== '', 'a failed answer saying why');
      if (outcome === 'interrupted') is(/server restarted/.test(last?.reason ?? ''), 'an answer interrupted because the server restarted');
      return;
    }
    if (name === 'answering') {
      is(this.connection === 'ready', 'connection$ ready');
      is(this.turn === 'agent', "turn$ 'agent'");
      is(this.interaction?.state === 'streaming', "interaction$ 'streaming'");
      is(this.pending?.settled === false, 'the sendText still pending while its answer streams');
      if (replaced) {
        const result = this.replaced?.result as { outcome?: string; stopReason?: string | null; interactionId?: string | null } | undefined;
        is(result?.outcome === 'cancelled' && result.stopReason === 'cancelled', 'the interrupted sendText to have resolved cancelled');
        is(result?.interactionId !== this.interaction?.interactionId, 'the new answer to be a new interaction');
      }
      return;
    }
    if (name === 'cancelling') {
      // cancel() resolved; the wind-down may or may not have reached the client yet
      is(this.connection === 'ready', 'connection$ ready');
      if (this.pending?.settled) is(this.pending.result?.outcome === 'cancelled', 'the sendText, if settled, to be cancelled');
      return;
    }
    if (name === 'reconnecting.suspended') {
      // the server runs the answer on: nothing ends, the turn stays the agent's
      is(this.connection !== 'ready', 'connection$ not ready');
      is(this.turn === 'agent', "turn$ still 'agent'");
      is(this.interaction?.state === 'suspended', "interaction$ 'suspended'");
      is(this.pending?.settled === false, 'the sendText still pending while its answer is suspended');
      return;
    }
    // reconnecting.idle, .interrupted, .refused
    is(this.connection !== 'ready', 'connection$ not ready');
    is(this.turnsSinceDrop.includes('unknown'), "turn$ 'unknown' since the loss");
    is(this.turn === 'unknown', "turn$ 'unknown'");
    is(this.interaction === null, 'interaction$ null');
    is(this.pending === null, 'no sendText pending');
    if (name === 'reconnecting.interrupted') is(this.last?.outcome === 'interrupted', "the last sendText to resolve 'interrupted'");
  }
}

const CAPABILITY_REASON: Record<ModelCapability, string> = {
  restart: 'needs a server restart, which a server at a URL cannot be told to do',
  revoke: 'needs the server to revoke every token, which a server at a URL cannot be told to do',
};

async function runPath(path: ModelPath, target: ModelTarget, settings: Required<ModelPathsOptions>): Promise<ModelPathResult> {
  const started = Date.now();
  const result = (status: ModelPathResult['status'], reason: string | null, stepsRun: number): ModelPathResult => ({
    status,
    reason,
    stepsRun,
    durationMs: Date.now() - started,
  });
  const sim = target.simulator;
  const url = sim?.httpUrl ?? target.url;
  if (!url) return result('failed', 'the target has neither a simulator nor a url', 0);
  if (!sim) {
    const missing = path.needs[0];
    if (missing) return result('skipped', CAPABILITY_REASON[missing], 0);
  }

  let proxy: FaultProxy | null = null;
  let client: RealtimeClient | null = null;
  let stepsRun = 0;
  let driver: Driver | null = null;
  try {
    if (!sim && path.steps.some((step) => step.event.type === 'DROP_CONNECTION')) proxy = await createFaultProxy(url);
    const urls: string[] = [];
    client = createClient({
      url,
      auth: target.auth ?? DEVELOPMENT_ACCOUNT,
      WebSocket: recording(proxy?.WebSocket ?? (WebSocket as unknown as WebSocketConstructor), urls),
      agentKey: settings.answeringAgent,
      connectionTimeout: settings.stepTimeout,
      // no heartbeat noise; a first reconnection delay long enough that `reconnecting` is seen
      pingInterval: 60_000,
      pongTimeout: settings.stepTimeout,
      reconnection: { initialDelay: 300, maxDelay: 600 },
    });
    const faults = sim
      ? {
          drop: (uiSessionId: string | null) => (uiSessionId ? sim.control.dropSocket({ uiSessionId }) : 0),
          restart: () => sim.control.restart(),
          revoke: () => sim.control.revokeTokens(),
        }
      : {
          drop: () => proxy?.dropSockets() ?? 0,
          restart: () => {
            throw new Mismatch('the target cannot restart');
          },
          revoke: () => {
            throw new Mismatch('the target cannot revoke tokens');
          },
        };
    driver = new Driver(client, settings, faults, urls);
    await timeoutAfter(client.connect(), settings.stepTimeout * 2, 'connect()').catch((error: unknown) => {
      throw new Mismatch(error instanceof Mismatch ? error.message : `connect() failed (${describeError(error)})`);
    });
    await driver.check(path.initial, false);
    stepsRun = 1;
    for (const step of path.steps) {
      const where = `step ${stepsRun} (${step.event.type} → ${label(step.state, step.replaced)})`;
      try {
        await driver.perform(step.event);
        await driver.check(step.state, step.replaced);
      } catch (error) {
        throw new Mismatch(`${where}: ${error instanceof Mismatch ? error.message : describeError(error)}; the client shows ${driver.view()}`);
      }
      stepsRun++;
    }
    return result('passed', null, stepsRun);
  } catch (error) {
    const message = error instanceof Mismatch ? error.message : describeError(error);
    return result('failed', stepsRun === 0 && driver ? `${message}; the client shows ${driver.view()}` : message, stepsRun);
  } finally {
    client?.dispose();
    await proxy?.close();
  }
}
