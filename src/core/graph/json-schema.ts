/**
 * JSON Schemas in graphs (the input schema, llm `outputSchema`, agent tool `inputSchema`):
 * checked against their meta-schema, compiled by ajv once each, and the compiled validator shared
 * by graph validation and the nodes that validate replies and tool calls. Pure: no node:* imports.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import validateMetaSchema from './json-schema-meta.generated.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Created on first use: most graphs, and most commands, never compile a schema. */
let ajvInstance: Ajv2020 | undefined;
// The meta-schema check is done before compiling (below), so ajv need not compile the meta-schema.
const ajv = (): Ajv2020 =>
  (ajvInstance ??= new Ajv2020({
    allErrors: true,
    strict: false,
    validateFormats: false,
    logger: false,
    validateSchema: false,
    // No optimization passes over the generated code: compiling is most of a schema's cost in a
    // short process (a CLI `validate` or `run`), and graph schemas are small.
    code: { optimize: false },
  }));
const validators = new WeakMap<object, ValidateFunction>();
/** Also by content: a graph saved and loaded again has new objects but the same schemas. */
const byText = new Map<string, ValidateFunction>();

const META_2020 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/**
 * Why `schema` does not conform to its meta-schema, or undefined. Draft 2020-12 (the default)
 * goes through the validator generated ahead of time (json-schema-meta.generated.js: the same
 * code ajv would compile, without the 50-150 ms of compiling it); any other `$schema` through ajv.
 */
function metaSchemaProblem(schema: Obj): string | undefined {
  const $schema = schema['$schema'];
  if ($schema === undefined || (typeof $schema === 'string' && META_2020.test($schema))) {
    return validateMetaSchema(schema) ? undefined : ajv().errorsText(validateMetaSchema.errors, { dataVar: 'schema' });
  }
  return ajv().validateSchema(schema) ? undefined : ajv().errorsText(ajv().errors, { dataVar: 'schema' });
}

/**
 * The compiled validator of a schema, cached per schema object and per content. Throws if it is
 * not a valid JSON Schema. Also what llm and agent nodes validate replies and tool calls with.
 */
export function schemaValidator(schema: Obj): ValidateFunction {
  const hit = validators.get(schema);
  if (hit) return hit;
  const text = JSON.stringify(schema);
  let fn = byText.get(text);
  if (!fn) {
    const problem = metaSchemaProblem(schema);
    if (problem !== undefined) throw new Error(problem);
    try {
      fn = ajv().compile(schema);
    } finally {
      ajv().removeSchema(schema); // keep no strong reference (and allow the same $id in other graphs)
    }
    if (byText.size >= 1000) byText.clear();
    byText.set(text, fn);
  }
  validators.set(schema, fn);
  return fn;
}

/**
 * Keywords whose validity the meta-schema does not settle: references must resolve and patterns
 * must be regular expressions (ajv's `u` flag), which only compiling tells.
 */
const NEEDS_COMPILE = /"(\$ref|\$dynamicRef|\$recursiveRef|pattern|patternProperties)"\s*:/;

/**
 * Why `schema` is not a valid JSON Schema (draft 2020-12), or null when it is. A schema that
 * conforms to its meta-schema and has no reference or pattern always compiles, so it is not
 * compiled here (ajv's compile is most of a `validate` command's time); the nodes that use it
 * compile it on first use.
 */
export function jsonSchemaProblem(schema: unknown): string | null {
  if (typeof schema === 'boolean') return null;
  if (!isObj(schema)) return 'must be a JSON Schema (an object)';
  try {
    if (validators.has(schema)) return null;
    const problem = metaSchemaProblem(schema);
    if (problem !== undefined) return problem;
    if (NEEDS_COMPILE.test(JSON.stringify(schema))) schemaValidator(schema);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
