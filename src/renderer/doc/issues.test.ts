import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../core/graph/schema';
import { applyGraphChanges } from './graph-edit';
import { computeIssues, fieldOf } from './issues';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../examples/${name}.json`, import.meta.url), 'utf8')) as Graph;

describe('computeIssues', () => {
  it('finds none in the examples', () => {
    expect(computeIssues(example('document-pipeline')).all).toEqual([]);
    expect(computeIssues(example('vendor-onboarding')).all).toEqual([]);
  });

  it('marks every node and edge of a cycle', () => {
    const g = applyGraphChanges(example('document-pipeline'), [
      { type: 'add-edge', edge: { id: 'back', source: 'aggregate', target: 'extract' } },
    ]);
    const r = computeIssues(g);
    expect(Object.keys(r.nodes).sort()).toEqual(['aggregate', 'extract', 'summary']);
    expect(Object.keys(r.edges).sort()).toEqual(['back', 'e4', 'e5', 'e8']);
    expect(r.all.some((i) => /cycle/.test(i.message))).toBe(true);
  });

  it('maps missing config and bad template references to their node', () => {
    const g = applyGraphChanges(example('document-pipeline'), [
      { type: 'update-node', id: 'extract', patch: { config: { provider: 'mock', model: 'm' } } },
      {
        type: 'update-node',
        id: 'sentiment',
        patch: { config: { provider: 'mock', model: 'm', prompt: '{{nodes.result.output}}' } },
      },
    ]);
    const r = computeIssues(g);
    expect(r.nodes['extract']).toEqual(['config.prompt: is required']);
    const g2 = applyGraphChanges(example('document-pipeline'), [
      {
        type: 'update-node',
        id: 'sentiment',
        patch: { config: { provider: 'mock', model: 'm', prompt: '{{nodes.result.output}}' } },
      },
    ]);
    expect(computeIssues(g2).nodes['sentiment']![0]).toMatch(
      /config.prompt: references node "result", which is not upstream/,
    );
  });

  it('maps edge problems to the edge', () => {
    const g = applyGraphChanges(example('document-pipeline'), [
      { type: 'update-edge', id: 'e1', patch: { when: true } },
    ]);
    expect(computeIssues(g).edges['e1']![0]).toMatch(/"when" is only allowed/);
  });

  it('a graph a composition node names outside the library is a warning (the host may have it saved), one inside is checked', () => {
    const base = example('document-pipeline');
    const g: Graph = {
      ...base,
      nodes: [...base.nodes, { id: 'each', type: 'map', config: { graph: 'elsewhere', items: '{{input.list}}' } }],
    };
    const r = computeIssues(g);
    expect(r.all).toEqual([]);
    expect(r.warnings.find((w) => w.nodeId === 'each')?.message).toMatch(/"elsewhere" is not in this file's library/);
    const inLibrary = computeIssues({ ...g, graphs: { elsewhere: { ...base, id: 'elsewhere' } } });
    expect(inLibrary.warnings.filter((w) => w.nodeId === 'each')).toEqual([]);
    expect(inLibrary.all).toEqual([]);
  });

  it('fieldOf strips the node/edge prefix', () => {
    expect(fieldOf('nodes[a].config.prompt')).toBe('config.prompt');
    expect(fieldOf('edges[e1].when')).toBe('when');
    expect(fieldOf('nodes[a]')).toBe('');
  });
});
