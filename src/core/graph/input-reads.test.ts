import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from './schema.js';
import { inputReads, optionalInputProps, optionalInputReads } from './input-reads.js';

const vendor = () =>
  JSON.parse(readFileSync(new URL('../../../examples/vendor-onboarding.json', import.meta.url), 'utf8')) as Graph;

describe('input reads', () => {
  it('tells a bare read of an input property from one with a fallback', () => {
    expect(inputReads('input.country')).toEqual([{ prop: 'country', bare: true }]);
    expect(inputReads('$$.input.country.name')).toEqual([{ prop: 'country', bare: true }]);
    expect(inputReads('$uppercase(input.country)')).toEqual([{ prop: 'country', bare: true }]);
    expect(inputReads("input.country ? input.country : 'x'").every((r) => !r.bare)).toBe(true);
    expect(inputReads('$exists(input.country)')).toEqual([{ prop: 'country', bare: false }]);
    expect(inputReads('nodes.a.output')).toEqual([]);
  });

  it('finds templates of optional input properties with no fallback, and not the example once it has one', () => {
    const g = vendor();
    expect(optionalInputProps(g)).toEqual(new Set(['country']));
    expect(optionalInputReads(g)).toEqual([]);
    const screen = g.nodes.find((n) => n.id === 'policy_screen')!;
    screen.config['prompt'] = 'Screen {{input.vendor}} from {{input.country}}.';
    const found = optionalInputReads(g);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      nodeId: 'policy_screen',
      path: 'nodes[policy_screen].config.prompt',
      prop: 'country',
    });
    // A default in the schema, or making it required, answers it.
    (g.input!['properties'] as Record<string, Record<string, unknown>>)['country']!['default'] = 'DE';
    expect(optionalInputReads(g)).toEqual([]);
  });
});
