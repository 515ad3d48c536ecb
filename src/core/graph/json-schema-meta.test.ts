/**
 * The meta-schema validator compiled ahead of time (json-schema-meta.generated.js) must judge
 * schemas exactly as ajv compiling the draft 2020-12 meta-schema at run time does, and must be
 * what the installed ajv generates (a stale file after an ajv upgrade fails here).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import validateMetaSchema from './json-schema-meta.generated.js';
import { jsonSchemaProblem } from './json-schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const SCHEMAS: unknown[] = [
  { type: 'object', properties: { a: { type: 'string', minLength: 1 } }, required: ['a'] },
  { type: 'array', items: { enum: ['x', 'y'] }, uniqueItems: true, minItems: 1 },
  { $defs: { n: { type: 'number' } }, anyOf: [{ $ref: '#/$defs/n' }, { type: 'null' }] },
  { type: 'object', unevaluatedProperties: false, dependentRequired: { a: ['b'] } },
  { type: 'object', required: 'a' },
  { type: 'strin' },
  { type: 'object', properties: { a: { minimum: 'zero' } } },
  { enum: 'not-an-array' },
  { items: [{ type: 'string' }] },
  { type: ['string', 'string'] },
  { minLength: -1 },
  { $defs: { bad: { type: 7 } } },
  true,
  { allOf: [] },
];

describe('the precompiled JSON Schema 2020-12 meta-schema validator', () => {
  it('gives the verdict and the errors of ajv compiling the meta-schema itself', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false });
    for (const schema of SCHEMAS) {
      const expected = ajv.validateSchema(schema as object);
      expect(validateMetaSchema(schema), JSON.stringify(schema)).toBe(expected);
      // (ajv leaves `errors` from the previous call when it accepts a boolean schema)
      if (!expected)
        expect(ajv.errorsText(validateMetaSchema.errors, { dataVar: 'schema' })).toBe(
          ajv.errorsText(ajv.errors, { dataVar: 'schema' }),
        );
    }
  });

  it('graph validation reports its errors; another $schema still goes through ajv', () => {
    expect(jsonSchemaProblem({ type: 'object', required: 'a' })).toBe('schema/required must be array');
    expect(jsonSchemaProblem({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' })).toBeNull();
    expect(jsonSchemaProblem({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' })).toMatch(
      /no schema with key or ref/,
    );
  });

  it('compiles only what the meta-schema cannot settle: references that must resolve, patterns that must parse', () => {
    expect(jsonSchemaProblem({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } })).toMatch(
      /can't resolve reference #\/\$defs\/missing/,
    );
    expect(jsonSchemaProblem({ type: 'string', pattern: '(' })).toMatch(/Invalid regular expression/);
    expect(jsonSchemaProblem({ type: 'object', patternProperties: { '[': { type: 'string' } } })).toMatch(
      /Invalid regular expression/,
    );
    expect(
      jsonSchemaProblem({ $defs: { s: { type: 'string' } }, properties: { a: { $ref: '#/$defs/s' } } }),
    ).toBeNull();
    expect(jsonSchemaProblem({ type: 'string', pattern: '^a+$' })).toBeNull();
  });

  it('is what the installed ajv generates (node scripts/gen-json-schema-meta.mjs --check)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-json-schema-meta.mjs'), '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
