import { describe, expect, it } from 'vitest';
import { buildInput, fieldKind } from './InputForm';

const schema = {
  type: 'object',
  required: ['name', 'count', 'tags'],
  properties: {
    name: { type: 'string', minLength: 2 },
    count: { type: 'integer', minimum: 1 },
    ratio: { type: 'number' },
    ok: { type: 'boolean' },
    level: { enum: ['low', 'high', 3] },
    tags: { type: 'array' },
    meta: { type: 'object' },
  },
};

describe('run input form', () => {
  it('maps schema types to fields', () => {
    expect(
      ['name', 'count', 'ratio', 'ok', 'level', 'tags', 'meta'].map((k) =>
        fieldKind(schema.properties[k as keyof typeof schema.properties] as never),
      ),
    ).toEqual(['string', 'integer', 'number', 'boolean', 'enum', 'json', 'json']);
  });

  it('builds typed input and names every bad field', () => {
    expect(
      buildInput(schema, { name: 'Al', count: '3', ratio: '0.5', ok: true, level: '2', tags: '["a"]', meta: '' }),
    ).toEqual({
      input: { name: 'Al', count: 3, ratio: 0.5, ok: true, level: 3, tags: ['a'] },
      errors: {},
    });
    const bad = buildInput(schema, {
      name: 'A',
      count: '1.5',
      ratio: 'x',
      ok: false,
      level: '',
      tags: '{"a":1}',
      meta: '{oops',
    });
    expect(bad.errors).toEqual({
      name: 'at least 2 characters',
      count: 'must be a whole number',
      ratio: 'must be a number',
      tags: 'must be array (got object)',
      meta: expect.stringContaining('not valid JSON'),
    });
    expect(buildInput(schema, {}).errors).toMatchObject({ name: 'required', count: 'required', tags: 'required' });
  });
});
