import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { validateGraph, validateRunInput } from './graph/validate.js';
import { depthMessage, MAX_JSON_DEPTH, tooDeep } from './json-depth.js';

const nest = (levels: number, key = 'a'): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { [key]: v };
  return v;
};

describe('tooDeep', () => {
  it('accepts values up to the bound and names the path of the first deeper one', () => {
    expect(tooDeep({ a: [1, { b: 'x' }], c: null })).toBeUndefined();
    expect(tooDeep(nest(MAX_JSON_DEPTH))).toBeUndefined();
    const path = tooDeep({ ok: 1, deep: nest(MAX_JSON_DEPTH + 5) });
    expect(path?.[0]).toBe('deep');
    expect(path).toHaveLength(MAX_JSON_DEPTH);
  });

  it('checks 100 000 levels without recursion, and stops on a cycle', () => {
    expect(tooDeep(nest(100_000))).toHaveLength(MAX_JSON_DEPTH);
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    expect(tooDeep(loop)).toHaveLength(MAX_JSON_DEPTH);
  });

  it('says where in one short line', () => {
    const msg = depthMessage('--input', tooDeep(nest(5000))!);
    expect(msg).toMatch(/^--input: nested more than 256 levels deep \(at \[0\]\.a\[0\]\.a\[0\]\.a…\)$/);
    expect(depthMessage('runs.start: input', [])).toContain('(at the top)');
  });
});

describe('graph and input validation bound the depth', () => {
  const graph = (config: unknown) => ({
    format: 'statepipe.graph',
    version: 1,
    id: 'deep',
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'shape', type: 'transform', config },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'shape' }],
  });
  const refusal = (fn: () => unknown): AppError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof AppError) return err;
      throw err;
    }
    throw new Error('not refused');
  };

  it('a graph nested 5 000 levels is a validation error naming where, not a stack overflow', () => {
    const err = refusal(() => validateGraph(graph({ template: nest(5000) }), 'g.json'));
    expect(err.code).toBe('validation');
    expect(err.message).toMatch(/^g\.json: nodes\[1\]\.config\.template.*: nested more than 256 levels deep$/);
  });

  it('a run input nested 5 000 levels is a validation error naming `input`', () => {
    const valid = validateGraph(graph({ template: '{{input}}' }));
    const err = refusal(() => validateRunInput(valid, { x: nest(5000) }));
    expect(err.code).toBe('validation');
    expect(err.message).toMatch(/^input\.x.*: nested more than 256 levels deep$/);
  });
});
