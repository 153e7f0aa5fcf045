/**
 * Conformance of the simulator with the recordings of the real server
 * (`../shared/protocol/real-server`, PROTOCOL.md §13): each flow's client side is replayed against
 * a fresh simulator on the recorded timeline, and the frame sequence must match exactly while the
 * field shapes may differ only as `conformance-allowed.ts` lists.
 *
 * All flows run at once (a flow lasts up to ~16 s of recorded time), so the file takes about as long
 * as the longest flow; each test awaits its flow's result.
 *
 * `CONFORMANCE_REPORT=out/conformance.txt npx vitest run test/node/sim/conformance.test.ts` writes the
 * full report (every sequence diff, every shape difference with both shapes) to that file.
 */
import { writeFileSync } from 'node:fs';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compareObservations,
  distinctShapeDifferences,
  formatReport,
  formatSequences,
  loadRecording,
  observationOf,
  recordingNames,
  runFlow,
  sequenceDifferences,
  type FlowResult,
  type Recording,
  type RecordingFrame,
  type ShapeConfig,
  type WsFrame,
} from '../../helpers/conformance.js';
import { ALLOWED_DIFFERENCES, conformanceSimOptions, FREE_FORM_PATHS, MAP_PATHS } from '../../helpers/conformance-allowed.js';

const SHAPES: ShapeConfig = { freeForm: FREE_FORM_PATHS, maps: MAP_PATHS };
const MAX_ALLOWED = 12;
const FLOW_TIMEOUT_MS = 60_000;

const names = recordingNames();
const allowedKeys = new Set(ALLOWED_DIFFERENCES.map((entry) => entry.key));

let flows: Map<string, Promise<FlowResult>> | undefined;
/**
 * The result of a flow. The first call starts every flow at once (each with its own simulator), so
 * the file lasts about as long as the longest flow; a run filtered to the driver's self-tests
 * starts none. `runFlow` never rejects.
 */
function flow(name: string): Promise<FlowResult> {
  flows ??= new Map(names.map((each) => [each, runFlow(each, { simOptions: conformanceSimOptions, shapes: SHAPES })]));
  return flows.get(name)!;
}
const allFlows = () => Promise.all(names.map(flow));

afterAll(async () => {
  const target = process.env.CONFORMANCE_REPORT;
  if (!target) return;
  const header = [
    'Conformance of the simulator with the real-server recordings',
    `simulator options: ${JSON.stringify({ heygen: false, ...conformanceSimOptions })}`,
    `free-form paths: ${FREE_FORM_PATHS.join(', ') || 'none'}`,
    `map paths: ${MAP_PATHS.join(', ') || 'none'}`,
    `allowed differences: ${ALLOWED_DIFFERENCES.length}`,
  ];
  writeFileSync(target, formatReport(await allFlows(), [...allowedKeys], header));
}, 2 * FLOW_TIMEOUT_MS);

// ---------------------------------------------------------------------------------------------
// The driver's own checks: comparing a recording with itself, and with a mutated copy.

/** A copy of a recording whose (deep-copied) frames went through `edit`. */
function mutated(recording: Recording, edit: (frames: RecordingFrame[]) => void): Recording {
  const frames = structuredClone(recording.frames) as RecordingFrame[];
  edit(frames);
  return { ...recording, frames };
}

function serverFrames(frames: readonly RecordingFrame[], type: string): WsFrame[] {
  return frames.filter((frame): frame is WsFrame => frame.dir === 'in' && frame.type === type);
}

describe('conformance driver', () => {
  it.each(names)('finds no difference between %s and itself', (name) => {
    const observation = observationOf(loadRecording(name));
    const comparison = compareObservations(observation, observation, SHAPES);
    expect(formatSequences(comparison)).toBe('');
    expect(comparison.shapes.map((difference) => difference.key)).toEqual([]);
  });

  it('detects a key deleted from one frame', () => {
    const recording = loadRecording('02-text-chat');
    const copy = mutated(recording, (frames) => {
      delete (serverFrames(frames, 'interaction')[0]!.data as Record<string, unknown>).id;
    });
    const comparison = compareObservations(observationOf(recording), observationOf(copy), SHAPES);
    expect(sequenceDifferences(comparison)).toBe(0);
    expect(distinctShapeDifferences(comparison).map((entry) => entry.difference.key)).toEqual(['interaction id string → absent']);
  });

  it('detects an inserted frame, and still compares the shapes of the others', () => {
    const recording = loadRecording('02-text-chat');
    const copy = mutated(recording, (frames) => {
      const at = frames.indexOf(serverFrames(frames, 'system_prompt')[0]!);
      frames.splice(at, 0, { t_ms: frames[at]!.t_ms, conn: 1, dir: 'in', type: 'pong', data: { type: 'pong' }, raw: null });
    });
    const comparison = compareObservations(observationOf(recording), observationOf(copy), SHAPES);
    expect(sequenceDifferences(comparison)).toBe(1);
    expect(formatSequences(comparison)).toMatch(/\+ pong {3}\[simulated only\]/);
    expect(comparison.shapes).toEqual([]);
  });

  it('tells a run of deltas with an empty one from a run without', () => {
    const recording = loadRecording('02-text-chat');
    const copy = mutated(recording, (frames) => {
      (serverFrames(frames, 'text_delta')[0]!.data as Record<string, unknown>).content = '';
    });
    const comparison = compareObservations(observationOf(recording), observationOf(copy), SHAPES);
    expect(distinctShapeDifferences(comparison).map((entry) => entry.difference.key)).toEqual(['text_delta content string → string|string:empty']);
  });

  it('compares a map path by its values, not its keys', () => {
    const recording = loadRecording('10-upload-refresh');
    const copy = mutated(recording, (frames) => {
      for (const frame of serverFrames(frames, 'session_metadata_changed')) {
        const meta = (frame.data as { meta: { uploaded_files: Record<string, unknown> } }).meta;
        meta.uploaded_files = Object.fromEntries(Object.entries(meta.uploaded_files).map(([key, value]) => [`other-${key}`, value]));
      }
    });
    const config: ShapeConfig = { freeForm: [], maps: ['session_metadata_changed.meta.uploaded_files'] };
    expect(compareObservations(observationOf(recording), observationOf(copy), config).shapes).toEqual([]);
    expect(compareObservations(observationOf(recording), observationOf(copy), { freeForm: [], maps: [] }).shapes.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The flows

describe.concurrent('simulator conforms to the real-server recording', () => {
  for (const name of names) {
    it(
      name,
      async ({ expect }) => {
        const result = await flow(name);
        expect(result.error, 'the driver failed').toBeUndefined();
        expect.soft(formatSequences(result.comparison), 'frame sequence differs from the recording').toBe('');
        const notAllowed = distinctShapeDifferences(result.comparison)
          .map((entry) => entry.difference.key)
          .filter((key) => !allowedKeys.has(key));
        expect(notAllowed, 'field-shape differences not in conformance-allowed.ts').toEqual([]);
        // and the client's codec takes every frame the faithful simulator sent as a server event
        expect(result.sentTexts.length).toBeGreaterThan(0);
        const undecoded = result.sentTexts.filter((text) => decodeServerFrame(text).kind !== 'event').map((text) => text.slice(0, 200));
        expect(undecoded, 'frames the codec does not decode as events').toEqual([]);
      },
      FLOW_TIMEOUT_MS,
    );
  }
});

describe('the allowed field-shape differences', () => {
  it(
    `are at most ${MAX_ALLOWED}, each with a reason, and each still seen in some flow`,
    async () => {
      expect(ALLOWED_DIFFERENCES.length).toBeLessThanOrEqual(MAX_ALLOWED);
      expect(allowedKeys.size, 'duplicate keys').toBe(ALLOWED_DIFFERENCES.length);
      for (const entry of ALLOWED_DIFFERENCES) expect(entry.reason.trim(), `reason of ${entry.key}`).not.toBe('');
      const seen = new Set((await allFlows()).flatMap((result) => result.comparison.shapes.map((difference) => difference.key)));
      expect(ALLOWED_DIFFERENCES.filter((entry) => !seen.has(entry.key)).map((entry) => entry.key), 'stale entries').toEqual([]);
    },
    2 * FLOW_TIMEOUT_MS,
  );
});
