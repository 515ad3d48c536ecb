import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../core/graph/schema';
import { CHOOSE_GRAPH } from '../../core/nodes/subgraph';
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

  describe("a composition node's graph, found as a run from the studio finds it: the library, else a saved graph", () => {
    const base = example('document-pipeline');
    const withMap = (graph: string, extra: Partial<Graph> = {}): Graph => ({
      ...base,
      ...extra,
      nodes: [...base.nodes, { id: 'each', type: 'map', config: { graph, items: '{{input.list}}' } }],
    });
    const notFound =
      'graph "elsewhere" not found: not in this file\'s graphs library, not saved in the database, and no such file';

    it("in neither: an error on the node and in the list, in the host's words (Run is disabled by it)", () => {
      const r = computeIssues(withMap('elsewhere'), { saved: new Set(['other']) });
      expect(r.all).toEqual([{ path: 'nodes[each].config.graph', nodeId: 'each', message: notFound }]);
      expect(r.nodes['each']).toEqual([`config.graph: ${notFound}`]);
      expect(r.warnings.filter((w) => w.nodeId === 'each')).toEqual([]);
    });

    it('a saved graph or a graph of the library: nothing to say', () => {
      const saved = computeIssues(withMap('elsewhere'), { saved: new Set(['elsewhere']) });
      expect(saved.all).toEqual([]);
      expect(saved.warnings).toEqual([]);
      const inLibrary = computeIssues(withMap('elsewhere', { graphs: { elsewhere: { ...base, id: 'elsewhere' } } }), {
        saved: new Set(),
      });
      expect(inLibrary.all).toEqual([]);
      expect(inLibrary.warnings).toEqual([]);
    });

    it('while the saved graphs are not known: a warning, not an error', () => {
      const r = computeIssues(withMap('elsewhere'));
      expect(r.all).toEqual([]);
      expect(r.warnings.find((w) => w.nodeId === 'each')?.message).toMatch(
        /"elsewhere" is not in this file's library, and the saved graphs are not known yet/,
      );
    });

    it("a library graph's own reference is checked too, listed by its path (its node is not on this canvas)", () => {
      const inner: Graph = {
        ...base,
        id: 'inner',
        nodes: [{ id: 'each', type: 'subgraph', config: { graph: 'elsewhere' } }],
        edges: [],
      };
      const r = computeIssues({ ...base, graphs: { inner } }, { saved: new Set() });
      expect(r.all).toEqual([{ path: 'graphs[inner].nodes[each].config.graph', message: notFound }]);
      expect(r.nodes).toEqual({});
    });

    it('a new node names no graph: one problem, "choose the graph"', () => {
      const r = computeIssues(withMap(''), { saved: new Set() });
      expect(r.all).toEqual([{ path: 'nodes[each].config.graph', nodeId: 'each', message: CHOOSE_GRAPH }]);
      expect(r.nodes['each']).toEqual([`config.graph: ${CHOOSE_GRAPH}`]);
    });
  });

  it("a code node's syntax error is a problem of its field, with the line and column", () => {
    const g = applyGraphChanges(example('document-pipeline'), [
      {
        type: 'add-node',
        node: { id: 'calc', type: 'code', config: { code: 'const x = input.items.map(i => i * 2\nreturn x;)' } },
      },
    ]);
    const r = computeIssues(g);
    expect(r.all).toEqual([
      {
        path: 'nodes[calc].config.code',
        nodeId: 'calc',
        message: 'syntax error at line 2, column 1: Unexpected token',
      },
    ]);
    expect(r.nodes['calc']).toEqual(['config.code: syntax error at line 2, column 1: Unexpected token']);
  });

  it('fieldOf strips the node/edge prefix', () => {
    expect(fieldOf('nodes[a].config.prompt')).toBe('config.prompt');
    expect(fieldOf('edges[e1].when')).toBe('when');
    expect(fieldOf('nodes[a]')).toBe('');
  });
});
