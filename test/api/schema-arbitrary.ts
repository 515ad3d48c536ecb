/**
 * fast-check arbitraries from JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), for the
 * Schemathesis-style tests of the HTTP API: values a schema accepts, and values mutated to
 * break it. Covers the keywords the web host's document uses (type, enum, const, pattern,
 * format date-time, lengths, bounds, items, properties/required/additionalProperties,
 * propertyNames, anyOf/oneOf); `$ref`s are resolved beforehand (swagger-parser's dereference).
 */
import fc from 'fast-check';

export type Schema = { [k: string]: unknown } | boolean;
type Obj = { [k: string]: unknown };

const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'deprecated', '$comment', 'format']);
const anyJson = fc.jsonValue({ maxDepth: 2 });
/** Printable ASCII without spaces: what survives a header or a query string unchanged. */
const plain = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~:'),
  minLength: 1,
});

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function typesOf(s: Obj): string[] {
  if (Array.isArray(s['type'])) return s['type'] as string[];
  if (typeof s['type'] === 'string') return [s['type']];
  if (isObj(s['properties']) || 'additionalProperties' in s || 'required' in s) return ['object'];
  if ('items' in s) return ['array'];
  if ('pattern' in s || 'minLength' in s || 'maxLength' in s) return ['string'];
  return [];
}

function stringOf(s: Obj, headerSafe: boolean): fc.Arbitrary<string> {
  const min = Number(s['minLength'] ?? 0);
  const max = Math.min(Number(s['maxLength'] ?? 24), 24);
  if (s['format'] === 'date-time')
    return fc
      .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (typeof s['pattern'] === 'string')
    return fc
      .stringMatching(new RegExp(s['pattern']))
      .filter((x) => x.length >= min && x.length <= Number(s['maxLength'] ?? Infinity));
  if (headerSafe) return plain.filter((x) => x.length >= Math.max(min, 1) && x.length <= Math.max(max, 1));
  return fc.string({ minLength: min, maxLength: Math.max(max, min) });
}

function numberOf(s: Obj, integer: boolean): fc.Arbitrary<number> {
  const exMin = typeof s['exclusiveMinimum'] === 'number' ? (s['exclusiveMinimum'] as number) : undefined;
  const min = typeof s['minimum'] === 'number' ? (s['minimum'] as number) : exMin !== undefined ? exMin : -1e6;
  const max = typeof s['maximum'] === 'number' ? Math.min(s['maximum'] as number, 1e9) : 1e6;
  if (integer) return fc.integer({ min: exMin !== undefined ? Math.floor(exMin) + 1 : Math.ceil(min), max });
  return fc.double({ min, max, minExcluded: exMin !== undefined, noNaN: true, noDefaultInfinity: true });
}

function objectOf(s: Obj, opts: Options): fc.Arbitrary<Obj> {
  const props = isObj(s['properties']) ? (s['properties'] as Record<string, Schema>) : {};
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  const known = fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valuesOf(v, opts)])), {
    requiredKeys: [...required].filter((k) => k in props),
  });
  const extra = s['additionalProperties'];
  if (extra === false || extra === undefined) return known;
  const keys = isObj(s['propertyNames']) ? stringOf(s['propertyNames'], false) : fc.string({ maxLength: 8 });
  return fc
    .tuple(
      known,
      fc.dictionary(
        keys.filter((k) => !(k in props)),
        valuesOf(extra as Schema, opts),
        { maxKeys: 2 },
      ),
    )
    .map(([a, b]) => ({ ...b, ...a }));
}

interface Options {
  /** Strings must survive an HTTP header or a query string unchanged. */
  headerSafe?: boolean;
}

/** Values the schema accepts. */
export function valuesOf(schema: Schema, opts: Options = {}): fc.Arbitrary<unknown> {
  if (schema === true) return anyJson;
  if (schema === false) throw new Error('no value satisfies the schema false');
  const s = schema;
  if ('const' in s) return fc.constant(s['const']);
  if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
  const choices = (s['anyOf'] ?? s['oneOf']) as Schema[] | undefined;
  if (choices) return fc.oneof(...choices.map((c) => valuesOf(c, opts)));
  const types = typesOf(s);
  if (types.length === 0 && Object.keys(s).every((k) => ANNOTATIONS.has(k))) return anyJson;
  return fc.oneof(
    ...types.map((t): fc.Arbitrary<unknown> => {
      switch (t) {
        case 'null':
          return fc.constant(null);
        case 'boolean':
          return fc.boolean();
        case 'integer':
          return numberOf(s, true);
        case 'number':
          return numberOf(s, false);
        case 'string':
          return stringOf(s, opts.headerSafe === true);
        case 'array':
          return fc.array(valuesOf((s['items'] as Schema | undefined) ?? true, opts), {
            minLength: Number(s['minItems'] ?? 0),
            maxLength: Math.min(Number(s['maxItems'] ?? 3), 3),
          });
        case 'object':
          return objectOf(s, opts);
        default:
          throw new Error(`schema type ${t} is not generated`);
      }
    }),
  );
}

/** Values close to the schema's but broken in one place (most are invalid: check with a validator). */
export function mutantsOf(schema: Schema): fc.Arbitrary<unknown> {
  const wrongType = fc.oneof(
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.constant(null),
    fc.boolean(),
    fc.constant([]),
  );
  if (!isObj(schema)) return wrongType;
  const mutations: fc.Arbitrary<unknown>[] = [wrongType];
  if (typesOf(schema).includes('object')) {
    const base = valuesOf(schema) as fc.Arbitrary<Obj>;
    const required = (schema['required'] as string[] | undefined) ?? [];
    if (required.length > 0)
      mutations.push(
        fc
          .tuple(base, fc.constantFrom(...required))
          .map(([v, k]) => Object.fromEntries(Object.entries(v).filter(([x]) => x !== k))),
      );
    if (schema['additionalProperties'] === false) mutations.push(base.map((v) => ({ ...v, unexpected_field: 1 })));
    const props = Object.keys(isObj(schema['properties']) ? schema['properties'] : {});
    if (props.length > 0)
      mutations.push(fc.tuple(base, fc.constantFrom(...props), wrongType).map(([v, k, x]) => ({ ...v, [k]: x })));
  }
  return fc.oneof(...mutations);
}
