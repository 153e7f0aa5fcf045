/**
 * A fast path derived from the valibot schemas, for the hot decode path.
 *
 * `compileSchema(schema)` walks a schema's description once and returns two plain functions:
 * `check` (pure: does the value match?) and `build` (the value valibot would output, called only
 * after `check` passed). It reproduces valibot's semantics for the schema kinds our wire schemas
 * use, and hands any other kind back to valibot itself, so the valibot schema stays the one source
 * of truth. Valibot also remains the authority on failure: the codec asks it for the issue list.
 * A property test (test/node/schema/compile.test.ts) checks that both agree on arbitrary input.
 */
import * as v from 'valibot';

/** The two halves of a compiled schema. */
export interface CompiledSchema {
  /** True when valibot would accept `value`. Never mutates it. */
  readonly check: (value: unknown) => boolean;
  /**
   * valibot's output for a value that passed `check`. It reuses and mutates `value` (fills
   * defaults, applies transforms, drops `__proto__`/`constructor`/`prototype` keys), so call it only
   * on a value nobody else holds, such as the fresh result of `JSON.parse`.
   */
  readonly build: (value: unknown) => unknown;
  /** True when `build` returns its input unchanged for every value that passed `check`. */
  readonly identity: boolean;
}

/** The parts of a valibot schema description this compiler reads. */
interface SchemaNode {
  readonly kind: string;
  readonly type: string;
  readonly async?: boolean;
  readonly pipe?: readonly SchemaNode[];
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly wrapped?: SchemaNode;
  readonly default?: unknown;
  readonly fallback?: unknown;
  readonly item?: SchemaNode;
  readonly key?: SchemaNode | string;
  readonly value?: SchemaNode;
  readonly options?: readonly unknown[];
  readonly literal?: unknown;
  readonly requirement?: unknown;
  readonly operation?: (value: unknown) => unknown;
  readonly check?: unknown;
}

const cache = new WeakMap<object, CompiledSchema>();
const identity = (value: unknown): unknown => value;
const PRIMITIVE_TYPES = new Set(['string', 'number', 'boolean', 'literal', 'picklist']);

/** Compiles a synchronous valibot schema into a {@link CompiledSchema}. */
export function compileSchema(schema: v.GenericSchema): CompiledSchema {
  return compileNode(schema as unknown as SchemaNode);
}

function compileNode(node: SchemaNode): CompiledSchema {
  let compiled = cache.get(node);
  if (compiled === undefined) {
    compiled = node.pipe ? compilePipe(node) : compileBare(node);
    cache.set(node, compiled);
  }
  return compiled;
}

/** Falls back to valibot for a schema kind this compiler does not reproduce. */
function viaValibot(node: SchemaNode): CompiledSchema {
  const schema = node as unknown as v.GenericSchema;
  return {
    check: (value) => v.safeParse(schema, value).success,
    build: (value) => v.safeParse(schema, value).output,
    identity: false,
  };
}

function getDefault(node: SchemaNode): unknown {
  return typeof node.default === 'function' ? (node.default as () => unknown)() : node.default;
}

function isOptionalish(node: SchemaNode): boolean {
  return node.type === 'optional' || node.type === 'nullish' || node.type === 'exact_optional';
}

function isValidObjectKey(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key) && key !== '__proto__' && key !== 'prototype' && key !== 'constructor';
}

const hasOwn = Object.prototype.hasOwnProperty;

/** valibot's object schemas accept an array and output an object of its indices; so do we. */
function asObject(value: unknown): Record<string, unknown> {
  return (Array.isArray(value) ? { ...value } : value) as Record<string, unknown>;
}

/** valibot never copies these keys into an output object; remove them from ours. */
function dropUnsafeKeys(object: Record<string, unknown>): void {
  if (hasOwn.call(object, '__proto__')) delete object['__proto__'];
  if (hasOwn.call(object, 'constructor')) delete object['constructor'];
  if (hasOwn.call(object, 'prototype')) delete object['prototype'];
}

function compileBare(node: SchemaNode): CompiledSchema {
  if (node.async || node.fallback !== undefined) return viaValibot(node);
  switch (node.type) {
    case 'string':
      return { check: (value) => typeof value === 'string', build: identity, identity: true };
    case 'number':
      return { check: (value) => typeof value === 'number' && !Number.isNaN(value), build: identity, identity: true };
    case 'boolean':
      return { check: (value) => typeof value === 'boolean', build: identity, identity: true };
    case 'custom': {
      const test = node.check as unknown as (value: unknown) => boolean;
      return { check: (value) => test(value), build: identity, identity: true };
    }
    case 'unknown':
    case 'any':
      return { check: () => true, build: identity, identity: true };
    case 'literal': {
      const literal = node.literal;
      return {
        check: (value) => value === literal || (value !== value && literal !== literal),
        build: identity,
        identity: true,
      };
    }
    case 'picklist': {
      const options = node.options ?? [];
      return { check: (value) => options.includes(value), build: identity, identity: true };
    }
    case 'optional':
      return compileWrapper(node, (value) => value === undefined);
    case 'nullable':
      return compileWrapper(node, (value) => value === null);
    case 'nullish':
      return compileWrapper(node, (value) => value === null || value === undefined);
    case 'array':
      return compileArray(node);
    case 'loose_object':
      return compileLooseObject(node);
    case 'record':
      return compileRecord(node);
    case 'union':
      return compileUnion(node);
    case 'variant':
      return compileVariant(node);
    default:
      return viaValibot(node);
  }
}

function compileWrapper(node: SchemaNode, isEmpty: (value: unknown) => boolean): CompiledSchema {
  const wrapped = compileNode(node.wrapped!);
  const hasDefault = node.default !== undefined;
  if (!hasDefault && wrapped.identity) return { check: (value) => isEmpty(value) || wrapped.check(value), build: identity, identity: true };
  return {
    identity: false,
    check(value) {
      if (!isEmpty(value)) return wrapped.check(value);
      if (!hasDefault) return true;
      const fallback = getDefault(node);
      return isEmpty(fallback) || wrapped.check(fallback);
    },
    build(value) {
      if (!isEmpty(value)) return wrapped.build(value);
      if (!hasDefault) return value;
      const fallback = getDefault(node);
      return isEmpty(fallback) ? fallback : wrapped.build(fallback);
    },
  };
}

function compileArray(node: SchemaNode): CompiledSchema {
  const item = compileNode(node.item!);
  const check = (value: unknown): boolean => {
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (!item.check(value[i])) return false;
    return true;
  };
  if (item.identity) return { check, build: identity, identity: true };
  return {
    check,
    build(value) {
      const array = value as unknown[];
      for (let i = 0; i < array.length; i++) array[i] = item.build(array[i]);
      return array;
    },
    identity: false,
  };
}

function compileLooseObject(node: SchemaNode): CompiledSchema {
  const entries = node.entries!;
  const keys = Object.keys(entries);
  const schemas = keys.map((key) => entries[key]!);
  if (schemas.some((schema) => schema.fallback !== undefined)) return viaValibot(node);
  const compiled = schemas.map(compileNode);
  const defaulted = schemas.map((schema) => isOptionalish(schema) && schema.default !== undefined);
  const optional = schemas.map(isOptionalish);
  const count = keys.length;
  /** Entries whose output can differ from their input; the others are left as they are. */
  const rebuilt = keys.map((_, i) => i).filter((i) => !compiled[i]!.identity);
  const codes = schemas.map(primitiveCode);
  return {
    check(value) {
      if (!value || typeof value !== 'object') return false;
      const input = value as Record<string, unknown>;
      for (let i = 0; i < count; i++) {
        const key = keys[i]!;
        // one lookup in the common case; `in` only tells an absent key from an undefined value
        const entry = input[key];
        if (entry !== undefined || key in input) {
          // the common primitive entries are checked here, without a call per entry
          switch (codes[i]) {
            case STRING:
              if (typeof entry !== 'string') return false;
              break;
            case NULLISH_STRING:
              if (entry !== null && entry !== undefined && typeof entry !== 'string') return false;
              break;
            case BOOLEAN:
              if (typeof entry !== 'boolean') return false;
              break;
            default:
              if (!compiled[i]!.check(entry)) return false;
          }
        } else if (defaulted[i]) {
          if (!compiled[i]!.check(getDefault(schemas[i]!))) return false;
        } else if (!optional[i]) return false;
      }
      return true;
    },
    build(value) {
      const object = asObject(value);
      dropUnsafeKeys(object);
      for (let r = 0; r < rebuilt.length; r++) {
        const i = rebuilt[r]!;
        const key = keys[i]!;
        const entry = object[key];
        if (entry !== undefined || key in object) {
          const built = compiled[i]!.build(entry);
          if (built !== entry) object[key] = built;
        } else if (defaulted[i]) object[key] = compiled[i]!.build(getDefault(schemas[i]!));
      }
      return object;
    },
    identity: false,
  };
}

/** Entry kinds a loose object checks inline (see {@link primitiveCode}). */
const OTHER = 0;
const STRING = 1;
const NULLISH_STRING = 2;
const BOOLEAN = 3;

/**
 * How a loose object checks a present entry: inline for a bare `string()` or `boolean()` and for
 * `nullish(string())` (its default, if any, a string too, so an absent or empty entry passes as
 * valibot passes it); by the entry's compiled check otherwise.
 */
function primitiveCode(node: SchemaNode): number {
  if (node.pipe || node.async) return OTHER;
  if (node.type === 'string') return STRING;
  if (node.type === 'boolean') return BOOLEAN;
  const wrapped = node.wrapped;
  if (node.type === 'nullish' && node.fallback === undefined && wrapped?.type === 'string' && !wrapped.pipe && !wrapped.async) {
    const byDefault = node.default; // a function default is left to the compiled check
    if (byDefault === undefined || byDefault === null || typeof byDefault === 'string') return NULLISH_STRING;
  }
  return OTHER;
}

function compileRecord(node: SchemaNode): CompiledSchema {
  const keySchema = compileNode(node.key as SchemaNode);
  const valueSchema = compileNode(node.value!);
  if (!keySchema.identity) return viaValibot(node);
  return {
    check(value) {
      if (!value || typeof value !== 'object') return false;
      const input = value as Record<string, unknown>;
      for (const key in input) {
        if (isValidObjectKey(input, key) && (!keySchema.check(key) || !valueSchema.check(input[key]))) return false;
      }
      return true;
    },
    build(value) {
      const object = asObject(value);
      dropUnsafeKeys(object);
      if (!valueSchema.identity) for (const key in object) object[key] = valueSchema.build(object[key]);
      return object;
    },
    identity: false,
  };
}

function compileUnion(node: SchemaNode): CompiledSchema {
  const options = (node.options as SchemaNode[]).map(compileNode);
  const pick = (value: unknown) => options.find((option) => option.check(value));
  return {
    check: (value) => pick(value) !== undefined,
    build: (value) => pick(value)!.build(value),
    identity: options.every((option) => option.identity),
  };
}

function compileVariant(node: SchemaNode): CompiledSchema {
  const key = node.key as string;
  const options = node.options as SchemaNode[];
  if (options.some((option) => option.type === 'variant' || !option.entries)) return viaValibot(node);
  const discriminators = options.map((option) => {
    const schema = option.entries![key]!;
    return { check: compileNode(schema).check, optional: isOptionalish(schema) };
  });
  const compiled = options.map(compileNode);
  const pick = (value: unknown) => {
    if (!value || typeof value !== 'object') return undefined;
    const input = value as Record<string, unknown>;
    for (let i = 0; i < compiled.length; i++) {
      const discriminator = discriminators[i]!;
      const matches = key in input ? discriminator.check(input[key]) : discriminator.optional;
      if (matches && compiled[i]!.check(value)) return compiled[i];
    }
    return undefined;
  };
  return {
    check: (value) => pick(value) !== undefined,
    build: (value) => pick(value)!.build(value),
    identity: false,
  };
}

/**
 * A pipe is a sequence of stages: schemas, validations and transforms, each seeing the previous
 * stage's output. `check` must not build (building mutates), so every schema stage before the last
 * one, and every stage a validation reads, must pass its input through unchanged.
 */
function compilePipe(node: SchemaNode): CompiledSchema {
  const stages = node.pipe!.filter((stage) => stage.kind !== 'metadata');
  const schemaStages = stages.filter((stage) => stage.kind === 'schema');
  const lastSchema = schemaStages[schemaStages.length - 1];
  const supported = stages.every(
    (stage) =>
      !stage.async &&
      (stage.kind === 'schema' ||
        (stage.kind === 'validation' && VALIDATIONS[stage.type] !== undefined) ||
        (stage.kind === 'transformation' && stage.type === 'transform')),
  );
  if (!supported || lastSchema === undefined) return viaValibot(node);
  const compiled = stages.map((stage) => (stage.kind === 'schema' ? compileNode(stage) : undefined));
  let passThrough = true;
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    if (stage.kind === 'validation' && !passThrough) return viaValibot(node);
    if (stage.kind === 'schema' && !passThrough) return viaValibot(node);
    if (stage.kind === 'schema' && !compiled[i]!.identity) passThrough = false;
    if (stage.kind === 'transformation') {
      passThrough = false;
      // a transform sees valibot's fresh copy; ours reuses the input, which is fine for objects only
      if (!PRIMITIVE_TYPES.has(lastSchema.type) && lastSchema.type !== 'loose_object') return viaValibot(node);
    }
  }
  return {
    check(value) {
      for (let i = 0; i < stages.length; i++) {
        const stage = stages[i]!;
        if (stage.kind === 'schema') {
          if (!compiled[i]!.check(value)) return false;
        } else if (stage.kind === 'validation') {
          if (!VALIDATIONS[stage.type]!(value, stage.requirement)) return false;
        } else break; // transforms come last and cannot fail
      }
      return true;
    },
    build(value) {
      let current = value;
      for (let i = 0; i < stages.length; i++) {
        const stage = stages[i]!;
        if (stage.kind === 'schema') current = compiled[i]!.build(current);
        else if (stage.kind === 'transformation') current = stage.operation!(current);
      }
      return current;
    },
    identity: stages.every((stage, i) => stage.kind === 'validation' || (stage.kind === 'schema' && compiled[i]!.identity)),
  };
}

/** The validation actions reproduced, keyed by valibot action type. */
const VALIDATIONS: Readonly<Record<string, (value: unknown, requirement: unknown) => boolean>> = {
  check: (value, requirement) => (requirement as (input: unknown) => boolean)(value),
  min_length: (value, requirement) => (value as { length: number }).length >= (requirement as number),
  max_length: (value, requirement) => (value as { length: number }).length <= (requirement as number),
  min_value: (value, requirement) => (value as number) >= (requirement as number),
  max_value: (value, requirement) => (value as number) <= (requirement as number),
  integer: (value) => Number.isInteger(value),
};
