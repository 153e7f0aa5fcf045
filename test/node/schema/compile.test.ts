/**
 * The compiled fast path must agree with valibot, the source of truth: same accept/reject verdict,
 * same output, on arbitrary values and on deep random mutations of every fixture.
 */
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as client from '../../../src/schema/client.js';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import { compileSchema } from '../../../src/schema/compile.js';
import * as http from '../../../src/schema/http.js';
import * as messages from '../../../src/schema/messages.js';
import { serverEventSchema, serverEventSchemaByType } from '../../../src/schema/server/index.js';
import * as session from '../../../src/schema/session.js';
import { canonical } from '../../helpers/canonical.js';
import { fixtures } from '../../helpers/fixtures.js';

type Path = readonly (string | number)[];

/** Every path to a value inside a JSON value (the root excluded). */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => {
    const path = [...prefix, key];
    return [path, ...pathsOf((value as Record<string | number, unknown>)[key], path)];
  });
}

type Op = { kind: 'delete' } | { kind: 'replace'; value: unknown } | { kind: 'add'; key: string; value: unknown };

/** Applies one mutation at `path` (in place). */
function mutate(root: unknown, path: Path, op: Op): void {
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (op.kind === 'replace') {
    parent[last] = structuredClone(op.value); // generated values are shared between runs
  } else {
    const target = parent[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
      Object.defineProperty(target, op.key, { value: structuredClone(op.value), enumerable: true, writable: true, configurable: true });
    }
  }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'delete' }),
  fc.jsonValue({ maxDepth: 2 }).map<Op>((value) => ({ kind: 'replace', value })),
  fc.constantFrom<Op>({ kind: 'replace', value: null }, { kind: 'replace', value: [] }, { kind: 'replace', value: {} }),
  fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'type', 'role', 'id'), fc.jsonValue({ maxDepth: 1 })).map<Op>(
    ([key, value]) => ({ kind: 'add', key, value }),
  ),
);

/** A fixture parsed, with 1–3 random mutations applied anywhere in it. */
const mutatedFixtureArb = fc
  .tuple(fc.constantFrom(...fixtures), fc.array(fc.tuple(fc.nat(), opArb), { minLength: 1, maxLength: 3 }))
  .map(([f, mutations]) => {
    const value = JSON.parse(f.text) as unknown;
    for (const [pick, op] of mutations) {
      const paths = pathsOf(value);
      if (paths.length > 0) mutate(value, paths[pick % paths.length]!, op);
    }
    return value;
  });

/** Asserts compiled and valibot agree on `value` for `schema`. */
function agree(schema: v.GenericSchema, value: unknown): void {
  const compiled = compileSchema(schema);
  const expected = v.safeParse(schema, structuredClone(value));
  expect(compiled.check(value)).toBe(expected.success);
  if (expected.success) expect(canonical(compiled.build(structuredClone(value)))).toBe(canonical(expected.output));
}

const NAMED_SCHEMAS: [string, v.GenericSchema][] = [
  ['serverEvent (variant)', serverEventSchema as unknown as v.GenericSchema],
  ['chatSession', session.chatSessionSchema as v.GenericSchema],
  ['vendorMessage', messages.vendorMessageSchema as v.GenericSchema],
  ['clientEvent (strict)', client.clientEventSchema as unknown as v.GenericSchema],
  ['httpError', http.httpErrorSchema as v.GenericSchema],
];

describe('compiled schemas agree with valibot', () => {
  it('on mutated fixtures, for the schema of their own type', () => {
    fc.assert(
      fc.property(mutatedFixtureArb, (value) => {
        const type = (value as { type?: unknown }).type;
        const schema = typeof type === 'string' ? serverEventSchemaByType.get(type) : undefined;
        agree((schema ?? serverEventSchema) as unknown as v.GenericSchema, value);
      }),
      { numRuns: 2000 },
    );
  });

  it.each(NAMED_SCHEMAS)('on arbitrary JSON values and mutated fixtures: %s', (_name, schema) => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutatedFixtureArb), (value) => agree(schema, value)),
      { numRuns: 300 },
    );
  });

  it('decodeServerFrame gives valibot verdict and output on mutated fixtures', () => {
    fc.assert(
      fc.property(mutatedFixtureArb, (value) => {
        const type = (value as { type?: unknown }).type;
        const schema = typeof type === 'string' ? serverEventSchemaByType.get(type) : undefined;
        if (schema === undefined) return;
        const text = JSON.stringify(value);
        const frame = decodeServerFrame(text);
        const expected = v.safeParse(schema, JSON.parse(text));
        if (expected.success) expect(canonical(frame)).toBe(canonical({ kind: 'event', event: expected.output }));
        else expect(frame).toMatchObject({ kind: 'invalid', reason: 'schema', type });
      }),
      { numRuns: 1000 },
    );
  });

  it('never mutates the value it checks', () => {
    fc.assert(
      fc.property(mutatedFixtureArb, (value) => {
        const before = canonical(value);
        compileSchema(serverEventSchema as unknown as v.GenericSchema).check(value);
        expect(canonical(value)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('compileSchema reproduces each construct', () => {
  const cases: [string, v.GenericSchema, unknown[]][] = [
    ['nullish with default', v.nullish(v.string(), 'x'), [null, undefined, 'a', 1]],
    ['optional with function default', v.optional(v.array(v.string()), () => []), [undefined, null, ['a'], [1]]],
    ['nullable', v.nullable(v.number(), 0), [null, undefined, 2, Number.NaN]],
    ['literal and picklist', v.union([v.literal(1), v.picklist(['a', 'b'])]), [1, 'a', 'c', 2]],
    ['record', v.record(v.string(), v.number()), [{ a: 1 }, { a: 'x' }, [], null]],
    ['loose object keeps extras', v.looseObject({ a: v.string(), b: v.nullish(v.number(), 3) }), [{ a: 'x', z: 1 }, { a: 1 }, { b: 2 }]],
    ['pipe with check and transform', v.pipe(v.string(), v.check((s) => s.length > 1), v.transform((s) => s.toUpperCase())), ['ab', 'a', 3]],
    ['pipe with integer and minValue', v.pipe(v.number(), v.integer(), v.minValue(0)), [1, -1, 1.5, '1']],
    ['strict object (via valibot)', v.strictObject({ a: v.string() }), [{ a: 'x' }, { a: 'x', b: 1 }]],
  ];
  it.each(cases)('%s', (_name, schema, values) => {
    for (const value of values) agree(schema, value);
  });
});
