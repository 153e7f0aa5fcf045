/**
 * Property tests of the decode edge: for arbitrary input, and for random mutations of every
 * fixture, decodeServerFrame never throws and classifies the frame exactly as the protocol says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServerFrame, type DecodedFrame } from '../../../src/schema/codec.js';
import { canonical } from '../../helpers/canonical.js';
import { acceptsKind, FIELD_SPEC, isOptional, kindOf, NESTED_REQUIRED, type FieldKind } from '../../helpers/field-spec.js';
import { fixtures } from '../../helpers/fixtures.js';

/** The known event types as PROTOCOL.md lists them (the field spec), not as the code under test does. */
const KNOWN = new Set<string>(Object.keys(FIELD_SPEC));
const RUNS = { numRuns: 300 };

/** Never throws; returns what decodeServerFrame returned. */
function decode(data: string | ArrayBuffer | Uint8Array): DecodedFrame {
  let frame: DecodedFrame | undefined;
  expect(() => {
    frame = decodeServerFrame(data);
  }).not.toThrow();
  return frame!;
}

/** What the protocol says a text frame is, up to the schema check (which needs the field spec). */
function expectedClass(text: string): 'json' | 'not_object' | 'no_type' | 'unknown' | 'known' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'json';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not_object';
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string') return 'no_type';
  return KNOWN.has(type) ? 'known' : 'unknown';
}

function classOf(frame: DecodedFrame): string {
  if (frame.kind === 'invalid') return frame.reason === 'schema' ? 'known' : frame.reason;
  return frame.kind === 'event' ? 'known' : frame.kind;
}

/** Sets a key the way JSON.parse would (a "__proto__" key stays a plain key). */
function setKey(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A JSON value of the given kind, other than null. Arrays are empty, so that an array field's
 * verdict depends on the top-level kind only (its item schema has nothing to judge).
 */
const valueOfKind = (kind: FieldKind): fc.Arbitrary<unknown> =>
  ({
    s: fc.string(),
    n: fc.double({ noNaN: true, noDefaultInfinity: true }),
    b: fc.boolean(),
    o: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
    a: fc.constant([]),
    '*': fc.jsonValue(),
  })[kind];

const KINDS: FieldKind[] = ['s', 'n', 'b', 'o', 'a'];
const serverFixtures = fixtures.filter((f) => FIELD_SPEC[f.type] !== undefined);

describe('arbitrary input', () => {
  it('arbitrary JSON values are classified as json, not_object, no_type, unknown or by schema', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(classOf(decode(text))).toBe(expectedClass(text));
      }),
      RUNS,
    );
  });

  it('arbitrary objects with a known type are either events or schema failures, never anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }), (type, fields) => {
        const object: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(fields)) setKey(object, key, value);
        object.type = type;
        const frame = decode(JSON.stringify(object));
        expect(frame.kind === 'event' || (frame.kind === 'invalid' && frame.reason === 'schema')).toBe(true);
        if (frame.kind === 'event') expect(frame.event.type).toBe(type);
      }),
      RUNS,
    );
  });

  it('arbitrary strings are classified like JSON.parse would', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(classOf(decode(text))).toBe(expectedClass(text));
      }),
      RUNS,
    );
  });

  it('arbitrary bytes are audio when whole samples, bad_audio otherwise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, asBuffer) => {
        const frame = decode(asBuffer ? (bytes.slice().buffer as ArrayBuffer) : bytes);
        if (bytes.length % 2 === 0) {
          expect(frame.kind).toBe('audio');
          if (frame.kind === 'audio') expect(frame.pcm.length).toBe(bytes.length / 2);
        } else {
          expect(frame).toMatchObject({ kind: 'invalid', reason: 'bad_audio' });
        }
      }),
      RUNS,
    );
  });
});

describe('mutations of every fixture', () => {
  const fixtureArb = fc.constantFrom(...serverFixtures);

  it('dropping a field gives invalid exactly when the field is required', () => {
    fc.assert(
      fc.property(fixtureArb, fc.nat(), (f, pick) => {
        const object = JSON.parse(f.text) as Record<string, unknown>;
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        delete object[key];
        const frame = decode(JSON.stringify(object));
        if (key === 'type') expect(frame).toMatchObject({ kind: 'invalid', reason: 'no_type' });
        else if (isOptional(FIELD_SPEC[f.type]!, key)) expect(frame.kind).toBe('event');
        else expect(frame).toMatchObject({ kind: 'invalid', reason: 'schema' });
      }),
      RUNS,
    );
  });

  it('changing the JSON kind of a field gives invalid exactly when the field does not accept it', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.nat(),
        fc.constantFrom<FieldKind | 'null'>(...KINDS, 'null').chain((kind) =>
          (kind === 'null' ? fc.constant(null) : valueOfKind(kind)).map((value) => [kind, value] as const),
        ),
        (f, pick, [kind, value]) => {
          const object = JSON.parse(f.text) as Record<string, unknown>;
          const keys = Object.keys(object).filter((k) => k !== 'type');
          if (keys.length === 0) return;
          const key = keys[pick % keys.length]!;
          if (kindOf(object[key]) === kind) return; // not a change of kind
          object[key] = value;
          const frame = decode(JSON.stringify(object));
          const spec = FIELD_SPEC[f.type]!;
          const accepted = kind === 'null' ? isOptional(spec, key) : acceptsKind(spec, key, kind);
          const required = NESTED_REQUIRED[f.type]?.[key];
          if (accepted && kind !== 'null' && spec[key]?.startsWith('o') && (required === undefined || (required.length > 0 && required.every((k) => Object.hasOwn(value as object, k))))) {
            // an object with the nested keys the protocol requires (or a field the spec gives no verdict on)
            expect(['event', 'invalid']).toContain(frame.kind);
          } else if (accepted && kind !== 'null' && required !== undefined && required.length > 0) {
            // an object without a key the protocol says the nested object always has
            expect(frame).toMatchObject({ kind: 'invalid', reason: 'schema', type: f.type });
          } else if (accepted) {
            expect(frame.kind).toBe('event');
          } else {
            expect(frame).toMatchObject({ kind: 'invalid', reason: 'schema', type: f.type });
          }
        },
      ),
      RUNS,
    );
  });

  it('an object field loses a key the protocol requires of it: invalid; a free-form object field accepts any object', () => {
    const objectFields = serverFixtures.flatMap((f) =>
      Object.entries(NESTED_REQUIRED[f.type] ?? {})
        .filter(([key]) => key in (JSON.parse(f.text) as object))
        .map(([key, required]) => ({ f, key, required })),
    );
    expect(objectFields.filter(({ required }) => required.length > 0).length).toBeGreaterThan(10);
    fc.assert(
      fc.property(fc.constantFrom(...objectFields), fc.nat(), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }), ({ f, key, required }, pick, extra) => {
        const object = JSON.parse(f.text) as Record<string, unknown>;
        if (required.length === 0) {
          object[key] = extra;
          expect(decode(JSON.stringify(object)).kind, `${f.name}.${key} is free-form`).toBe('event');
          return;
        }
        // the fixture's own nested object, one required key removed, unknown keys added
        const nested = { ...(object[key] as Record<string, unknown>) };
        const missing = required[pick % required.length]!;
        for (const [k, value] of Object.entries(extra)) if (!required.includes(k)) setKey(nested, k, value);
        delete nested[missing];
        object[key] = nested;
        expect(decode(JSON.stringify(object)), `${f.name}.${key} without ${missing}`).toMatchObject({ kind: 'invalid', reason: 'schema', type: f.type });
      }),
      RUNS,
    );
  });

  it('adding unknown fields keeps the event valid and keeps the fields', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.dictionary(fc.string().filter((k) => k !== 'type'), fc.jsonValue(), { minKeys: 1, maxKeys: 4 }), // known fields are filtered out below, per event
        (f, extra) => {
          const object = JSON.parse(f.text) as Record<string, unknown>;
          const spec = FIELD_SPEC[f.type]!;
          const added = Object.entries(extra).filter(([key]) => !(key in object) && spec[key] === undefined);
          for (const [key, value] of added) setKey(object, key, value);
          const frame = decode(JSON.stringify(object));
          expect(frame.kind).toBe('event');
          if (frame.kind !== 'event') return;
          for (const [key, value] of added) {
            if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue; // never copied
            const sent = JSON.parse(JSON.stringify(value)) as unknown; // as it went over the wire (-0 is 0)
            expect(canonical(Object.getOwnPropertyDescriptor(frame.event, key)?.value)).toBe(canonical(sent));
          }
        },
      ),
      RUNS,
    );
  });

  it('truncating the frame gives json', () => {
    fc.assert(
      fc.property(fixtureArb, fc.nat(), (f, cut) => {
        const text = f.text.trimEnd();
        const frame = decode(text.slice(0, cut % text.length));
        expect(frame).toMatchObject({ kind: 'invalid', reason: 'json' });
      }),
      RUNS,
    );
  });

  it('overwriting bytes of the frame is classified like JSON.parse would', () => {
    fc.assert(
      fc.property(fixtureArb, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), (f, at, noise) => {
        const position = at % f.text.length;
        const text = f.text.slice(0, position) + noise + f.text.slice(position + noise.length);
        expect(classOf(decode(text))).toBe(expectedClass(text));
      }),
      RUNS,
    );
  });
});
