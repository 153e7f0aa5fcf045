/**
 * The shipped machines leave the states' descriptions out (scripts/strip-descriptions.mjs, part of
 * `npm run build`): every description of the source is in dist/machines/descriptions.js, none is in
 * the built machines, whose configs are otherwise the source's, and the inspector's state trees
 * (agentc-realtime/inspect, built) still carry them. `npm test` builds dist first.
 */
import { readFileSync } from 'node:fs';
import type { AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { stripDescriptions } from '../../../scripts/strip-descriptions.mjs';
import { authMachine } from '../../../src/machines/auth.machine.js';
import { avatarMachine } from '../../../src/machines/avatar.machine.js';
import { captureMachine } from '../../../src/machines/capture.machine.js';
import { clientMachine } from '../../../src/machines/client.machine.js';
import { connectionMachine } from '../../../src/machines/connection.machine.js';
import { conversationMachine } from '../../../src/machines/conversation.machine.js';
import { interactionMachine } from '../../../src/machines/interaction.machine.js';
import { outboxMachine } from '../../../src/machines/outbox.machine.js';
import { playbackMachine } from '../../../src/machines/playback.machine.js';
import { turnMachine } from '../../../src/machines/turn.machine.js';
import { voiceInputMachine } from '../../../src/machines/voice-input.machine.js';
import { voiceMachine } from '../../../src/machines/voice.machine.js';

const dist = new URL('../../../dist/', import.meta.url);
const files: Record<string, AnyStateMachine> = {
  auth: authMachine,
  avatar: avatarMachine,
  capture: captureMachine,
  client: clientMachine,
  connection: connectionMachine,
  conversation: conversationMachine,
  interaction: interactionMachine,
  outbox: outboxMachine,
  playback: playbackMachine,
  turn: turnMachine,
  'voice-input': voiceInputMachine,
  voice: voiceMachine,
};

interface NodeLike {
  readonly path: readonly string[];
  readonly description?: string;
  readonly states: Record<string, NodeLike>;
}

/** Every state node's description, keyed `<machine id>.<state path>`. */
function descriptionsOf(machine: AnyStateMachine): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (node: NodeLike) => {
    if (node.description !== undefined) found[[machine.id, ...node.path].join('.')] = node.description;
    Object.values(node.states).forEach(visit);
  };
  visit(machine.root as unknown as NodeLike);
  return found;
}

/** A machine's config as JSON, functions and descriptions left out. */
const configWithout = (machine: AnyStateMachine) =>
  JSON.parse(JSON.stringify(machine.config, (key, value) => (typeof value === 'function' || key === 'description' ? undefined : value))) as unknown;

const built = async (name: string) => {
  const module = (await import(new URL(`machines/${name}.machine.js`, dist).href)) as Record<string, AnyStateMachine>;
  return Object.values(module).find((value) => typeof value === 'object' && value !== null && 'root' in value)!;
};

describe('the states’ descriptions in the build', () => {
  it('are all in dist/machines/descriptions.js, as the source has them', async () => {
    const { descriptions } = (await import(new URL('machines/descriptions.js', dist).href)) as { descriptions: Record<string, string> };
    const expected = Object.assign({}, ...Object.values(files).map(descriptionsOf)) as Record<string, string>;
    expect(Object.keys(expected).length).toBeGreaterThan(40);
    expect(descriptions).toEqual(expected);
  });

  it.each(Object.keys(files))('are out of the built %s machine, which is otherwise the source’s', async (name) => {
    const machine = await built(name);
    expect(descriptionsOf(machine)).toEqual({});
    expect(readFileSync(new URL(`machines/${name}.machine.js`, dist), 'utf8')).not.toMatch(/\bdescription\s*:/);
    expect(configWithout(machine)).toEqual(configWithout(files[name]!));
  });

  it('still reach the viewer: the built inspector’s state tree of a built machine has them', async () => {
    const { stateTreeOf } = (await import(new URL('inspect/connect.js', dist).href)) as typeof import('../../../src/inspect/connect.js');
    const tree = stateTreeOf((await built('outbox')) as never)!;
    const server = tree.states!.find((node) => node.key === 'server')!;
    expect(server.description).toBe(descriptionsOf(outboxMachine)['outbox.server']);
    const busy = server.states!.find((node) => node.key === 'busy')!;
    expect(busy.description).toBe(descriptionsOf(outboxMachine)['outbox.server.busy']);
    expect(busy.description).toBeTypeOf('string');
  });
});

describe('stripDescriptions', () => {
  const source = [
    "export const m = setup({}).createMachine({",
    "  id: 'm',",
    "  description: 'the root',",
    "  states: {",
    "    a: { description: 'state a', on: { go: { target: 'b', description: 'a transition' } } },",
    "    'b-c': {",
    "      description: `state b`,",
    "      states: { d: { description: \"nested\" } },",
    "    },",
    "  },",
    "});",
    "const other = { description: 'not a machine' };",
  ].join('\n');

  it('blanks out state descriptions only, keeping every line and column', () => {
    const { text, descriptions } = stripDescriptions(source);
    expect(descriptions).toEqual({ m: 'the root', 'm.a': 'state a', 'm.b-c': 'state b', 'm.b-c.d': 'nested' });
    expect(text.length).toBe(source.length);
    expect(text.split('\n').map((line) => line.length)).toEqual(source.split('\n').map((line) => line.length));
    expect(text).toContain("description: 'a transition'"); // a transition's, not a state's
    expect(text).toContain("description: 'not a machine'");
    expect(text).not.toMatch(/the root|state a|state b|nested/);
    // still valid JavaScript with the same states
    const run = new Function('setup', `${text.replace('export const m =', 'return')}`) as (setup: unknown) => { states: Record<string, { description?: string; states?: object }> };
    const config = run(() => ({ createMachine: (c: unknown) => c }));
    expect(Object.keys(config.states)).toEqual(['a', 'b-c']);
    expect(config.states.a!.description).toBeUndefined();
  });
});
