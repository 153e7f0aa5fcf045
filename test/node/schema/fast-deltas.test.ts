/**
 * The codec's fast path for `text_delta` and `thought_delta` must give what the general path gives
 * (the compiled schema, then valibot): the same verdict, the same object (keys, their order, the
 * prototype), the same invalid frame. Each frame is decoded both ways, from the same text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServerEvent, NotAnEvent, type DecodedFrame } from '../../../src/schema/codec.js';
import { textDeltaSchema, thoughtDeltaSchema } from '../../../src/schema/server/runtime.js';
import { canonical } from '../../helpers/canonical.js';

/** Both ways: the fast path (the default) and the general one. */
function decodeBoth(text: string): { fast: DecodedFrame; general: DecodedFrame } {
  const frame = (result: ReturnType<typeof decodeServerEvent>): DecodedFrame =>
    result instanceof NotAnEvent ? result.frame : { kind: 'event', event: result };
  return { fast: frame(decodeServerEvent(text)), general: frame(decodeServerEvent(text, { fastDeltas: false })) };
}

function expectSame(text: string): DecodedFrame {
  const { fast, general } = decodeBoth(text);
  expect(canonical(fast)).toBe(canonical(general));
  if (fast.kind === 'event' && general.kind === 'event') {
    expect(Object.keys(fast.event)).toEqual(Object.keys(general.event));
    expect(Object.getPrototypeOf(fast.event)).toBe(Object.getPrototypeOf(general.event));
  }
  return fast;
}

/** A frame's text from its entries, in order: duplicate and unsafe keys are written as given. */
const frameText = (entries: readonly (readonly [string, unknown])[]): string =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(', ')}}`;

const SERVER_DELTA: [string, unknown][] = [
  ['type', 'text_delta'],
  ['session_id', 'admin-mellow-falcon'],
  ['role', 'assistant'],
  ['parent_session_id', null],
  ['user_session_id', 'admin-mellow-falcon'],
  ['content', ' the'],
  ['format', 'markdown'],
];

const withEntries = (...extra: [string, unknown][]) => frameText([...SERVER_DELTA, ...extra]);
const withField = (key: string, value: unknown) => frameText(SERVER_DELTA.map(([k, v]) => [k, k === key ? value : v]));
const without = (key: string) => frameText(SERVER_DELTA.filter(([k]) => k !== key));

describe('the delta fast path gives what the general path gives', () => {
  it('is written for the delta schemas as they are (a change to them must change isPlainDelta too)', () => {
    type Node = { type: string; pipe?: unknown; wrapped?: Node; default?: unknown };
    const shape = (node: Node): string =>
      `${node.type}${node.pipe ? ' with a pipe' : ''}${node.wrapped ? `(${shape(node.wrapped)})` : ''}${node.default !== undefined ? ` = ${String(node.default)}` : ''}`;
    for (const schema of [textDeltaSchema, thoughtDeltaSchema]) {
      expect(Object.fromEntries(Object.entries(schema.entries).map(([key, node]) => [key, shape(node as Node)]))).toEqual({
        type: 'literal',
        session_id: 'string',
        role: 'string',
        parent_session_id: 'nullish(string)',
        user_session_id: 'nullish(string)',
        content: 'string',
        format: 'nullish(string) = markdown',
      });
      expect(schema.type).toBe('loose_object');
    }
  });

  it('for the server’s delta: the parsed object, its keys in order', () => {
    const frame = expectSame(frameText(SERVER_DELTA));
    expect(frame).toEqual({ kind: 'event', event: Object.fromEntries(SERVER_DELTA) });
    expect(Object.keys((frame as { event: object }).event)).toEqual(SERVER_DELTA.map(([key]) => key));
    expectSame(frameText(SERVER_DELTA.map(([k, v]) => [k, k === 'type' ? 'thought_delta' : v])));
  });

  it('for an extra key (kept)', () => {
    const frame = expectSame(withEntries(['extra', { a: 1 }]));
    expect(frame).toMatchObject({ kind: 'event', event: { extra: { a: 1 } } });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('for a %s key (dropped, the prototype untouched)', (key) => {
    const frame = expectSame(withEntries([key, { polluted: true }]));
    if (frame.kind !== 'event') throw new Error('expected an event');
    expect(Object.keys(frame.event)).not.toContain(key);
    expect(Object.getPrototypeOf(frame.event)).toBe(Object.prototype);
  });

  it('for an unsafe key written with an escape', () => {
    const frame = expectSame(`${frameText(SERVER_DELTA).slice(0, -1)}, "\\u005f_proto__": {"polluted": true}}`);
    if (frame.kind !== 'event') throw new Error('expected an event');
    expect(Object.keys(frame.event)).not.toContain('__proto__');
  });

  it('for a missing or null format (filled in)', () => {
    expect(expectSame(without('format'))).toMatchObject({ kind: 'event', event: { format: 'markdown' } });
    expect(expectSame(withField('format', null))).toMatchObject({ kind: 'event', event: { format: 'markdown' } });
  });

  it('for missing optional ids', () => {
    expectSame(without('parent_session_id'));
    expectSame(without('user_session_id'));
  });

  it('for a wrong-typed or missing field (invalid, naming it)', () => {
    for (const [key, value] of [['content', 7], ['role', null], ['session_id', ['s']], ['format', 1], ['parent_session_id', 2]] as const) {
      const frame = expectSame(withField(key, value));
      expect(frame).toMatchObject({ kind: 'invalid', reason: 'schema', type: 'text_delta' });
      if (frame.kind === 'invalid') expect(frame.issues.map((issue) => issue.path)).toContain(key);
    }
    expect(expectSame(without('content'))).toMatchObject({ kind: 'invalid', reason: 'schema' });
  });

  it('on generated delta frames', () => {
    const anyValue = fc.oneof(fc.string(), fc.constant(null), fc.integer(), fc.boolean(), fc.jsonValue({ maxDepth: 1 }));
    /** Mostly what the server sends, sometimes anything, sometimes nothing. */
    const field = (good: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 6, arbitrary: good.map((value) => ({ value })) }, { weight: 1, arbitrary: anyValue.map((value) => ({ value })) }, { weight: 1, arbitrary: fc.constant(null) });
    const idOrNull = fc.oneof(fc.string(), fc.constant(null));
    const entryArb = fc.record({
      type: fc.constantFrom('text_delta', 'thought_delta'),
      session_id: field(fc.string()),
      role: field(fc.constantFrom('assistant', 'tool', 'system', 'assistant (thought)')),
      parent_session_id: field(idOrNull),
      user_session_id: field(idOrNull),
      content: field(fc.string()),
      format: field(fc.oneof({ weight: 4, arbitrary: fc.constant('markdown') }, { weight: 1, arbitrary: fc.constant(null) })),
    });
    const extraArb = fc.array(
      fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'prototype', 'toString', 'content', 'format', 'type'), anyValue),
      { maxLength: 2 },
    );
    const frameArb = fc
      .tuple(entryArb, extraArb, fc.boolean(), fc.boolean())
      .map(([fields, extra, shuffled, escaped]) => {
        const entries: [string, unknown][] = [];
        for (const [key, field] of Object.entries(fields)) {
          if (typeof field === 'string') entries.push([key, field]);
          else if (field !== null) entries.push([key, field.value]);
        }
        if (shuffled) entries.reverse();
        entries.push(...extra);
        const text = frameText(entries);
        // an unsafe key spelt with an escape is the same key to JSON.parse
        return escaped ? text.replace('"__proto__"', '"\\u005f_proto__"').replace('"constructor"', '"\\u0063onstructor"') : text;
      });
    let events = 0;
    fc.assert(
      fc.property(frameArb, (text) => {
        if (expectSame(text).kind === 'event') events++;
      }),
      { numRuns: 2000 },
    );
    expect(events).toBeGreaterThan(200); // the fast path was taken, not only refused
  });
});
