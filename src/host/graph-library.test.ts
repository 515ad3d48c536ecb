/**
 * withMissingGraphs: a file refused for its own problems also names the child graphs no source
 * has, and anything that is not a graph document is left as the parser refused it.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { withMissingGraphs } from './graph-library.js';

const refused = new AppError('validation', 'g.json: nodes[o].config: bad', [
  { path: 'nodes[o].config', message: 'bad' },
]);
const sources = { file: '/nowhere/g.json', saved: async () => undefined };
const issuesOf = async (doc: unknown, file = sources.file) =>
  ((await withMissingGraphs(refused, JSON.stringify(doc), { ...sources, file })) as AppError).issues?.map(
    (i) => i.path,
  );

describe('withMissingGraphs', () => {
  it('adds each missing graph, in the file and in its library; names on Object.prototype are not graphs', async () => {
    const doc = {
      nodes: [
        { id: 'm', type: 'map', config: { graph: 'constructor', items: [1] } },
        { id: 'ok', type: 'subgraph', config: { graph: 'lib' } },
        { type: 'subgraph', config: { graph: 'no-id' } },
        { id: 'empty', type: 'subgraph', config: { graph: '' } },
      ],
      graphs: { lib: { nodes: [{ id: 'deep', type: 'loop', config: { graph: 'toString' } }] } },
    };
    expect(await issuesOf(doc)).toEqual([
      'nodes[o].config',
      'nodes[m].config.graph',
      'graphs[lib].nodes[deep].config.graph',
    ]);
    const err = (await withMissingGraphs(refused, JSON.stringify(doc), sources)) as AppError;
    expect(err.message).toBe('g.json: nodes[o].config: bad (+2 more)');
  });

  it('leaves what is not a graph document as it was refused: null, a list, text, an empty YAML', async () => {
    for (const text of ['null', '[]', '"x"', '{ broken']) {
      expect(await withMissingGraphs(refused, text, sources)).toBe(refused);
    }
    expect(await withMissingGraphs(refused, '', { ...sources, file: '/nowhere/g.yaml' })).toBe(refused);
    expect(await withMissingGraphs(refused, '~', { ...sources, file: '/nowhere/g.yaml' })).toBe(refused);
  });

  it('is not news where the file named every graph it needs', async () => {
    expect(
      await issuesOf({ nodes: [{ id: 's', type: 'subgraph', config: { graph: 'a' } }], graphs: { a: {} } }),
    ).toEqual(['nodes[o].config']);
  });
});
