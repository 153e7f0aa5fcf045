/**
 * Model-based test of the conversation, through the testing entry (`src/testing`): the paths of
 * `createModelPaths()` — the shortest path to every state of the model, and one path per other edge —
 * each run on a fresh client against a fresh simulator. The runner (`path.run`) maps every model event
 * to real actions and checks the client's observable state after every step; this file only asks
 * that every path passes, and that the paths cover the model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { conversationModel, createModelPaths } from '../../../src/testing/index.js';
import { MODEL_EVENTS, serializeModelState, type ModelEvent, type ModelSnapshot } from '../../../src/testing/model.js';
import { cleanup, startSim } from '../integration/harness.js';

afterEach(cleanup);

const paths = createModelPaths();
const shortest = paths.filter((path) => path.kind === 'shortest');
const edgePaths = paths.filter((path) => path.kind === 'edge');

describe('the conversation model', () => {
  it('has a small, bounded graph whose shortest paths reach every state node', () => {
    const final = (path: (typeof paths)[number]) => path.steps.at(-1)?.state ?? path.initial;
    expect([...new Set(shortest.map(final))].sort()).toEqual([
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
    expect(shortest).toHaveLength(13);
    expect(shortest.some((path) => path.steps.some((step) => step.replaced))).toBe(true);
    // the same paths xstate/graph finds on the model itself
    const traversal = {
      events: MODEL_EVENTS,
      filterEvents: (snapshot: ModelSnapshot, event: ModelEvent) => snapshot.can(event),
      serializeState: serializeModelState,
      limit: 1_000,
    };
    const graph = getShortestPaths(conversationModel, traversal);
    expect(shortest.map((path) => path.steps.map((step) => step.event.type))).toEqual(graph.map((path) => path.steps.slice(1).map((step) => step.event.type)));
    // every edge of the model is run, as the last step of a shortest path or of an edge path
    const edges = adjacencyMapToArray(getAdjacencyMap(conversationModel, traversal));
    const lastSteps = new Set(
      paths
        .filter((path) => path.steps.length > 0)
        .map((path) => {
          const before = path.steps.at(-2);
          return `${before ? `${before.state}/${before.replaced}` : `${path.initial}/false`} ${path.steps.at(-1)!.event.type}`;
        }),
    );
    expect(shortest.length - 1 + edgePaths.length).toBe(edges.length);
    expect(lastSteps.size).toBe(edges.length);
    // what a server at a URL cannot do is named per path
    expect(paths.filter((path) => path.needs.includes('restart')).every((path) => path.steps.some((step) => step.event.type === 'SERVER_RESTARTS'))).toBe(true);
    expect(paths.some((path) => path.needs.includes('revoke'))).toBe(true);
    expect(paths.every((path) => path.description.startsWith('idle'))).toBe(true);
  });
});

describe('the real client runs every path of the model (simulator, firehose agent)', () => {
  it.each(paths.map((path) => [path.description, path] as const))('%s', async (_name, path) => {
    // 400 deltas at 2 ms each (~1 s): long enough to cancel, interrupt or drop mid-answer
    const sim = await startSim({ deltaMs: 2 });
    const result = await path.run({ simulator: sim });
    expect(result.reason).toBeNull();
    expect(result).toMatchObject({ status: 'passed', stepsRun: path.steps.length + 1 });
  });
});
