import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../core/graph/schema';
import { serializeGraph, validateGraph } from '../../core/graph/validate';
import { defaultConfig, emptyGraph, makeNode, newEdgeId, newNodeId, uniqueId } from './defaults';
import { applyGraphChanges, connectEdge, copySelection, pasteChanges, removeChanges, renameRefs } from './graph-edit';
import { NODE_TYPES, findKind } from '../../core/nodes/registry';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../examples/${name}.json`, import.meta.url), 'utf8')) as Graph;

describe('ids', () => {
  it('picks the smallest free suffix', () => {
    expect(uniqueId('e', new Set(['e1', 'e3']))).toBe('e2');
    const g = { ...emptyGraph(), nodes: [makeNode(emptyGraph(), 'llm', { x: 0, y: 0 })] };
    expect(g.nodes[0]!.id).toBe('llm_1');
    expect(newNodeId(g, 'llm')).toBe('llm_2');
    expect(newNodeId(g, 'code')).toBe('code_1');
    expect(newNodeId(g, 'llm', new Set(['llm_2']))).toBe('llm_3');
    expect(newEdgeId({ edges: [{ id: 'e1', source: 'a', target: 'b' }] })).toBe('e2');
  });

  it('gives every type a default config that validates (a composition node once its graph is chosen)', () => {
    for (const type of NODE_TYPES) {
      const g: Graph = { ...emptyGraph(), nodes: [{ id: 'n', type, config: defaultConfig(type) }] };
      // The composition kinds name no graph until one is chosen: here, one of the file's library.
      if (findKind(type)?.childGraph) {
        expect(g.nodes[0]!.config!['graph'], type).toBe('');
        g.nodes[0]!.config!['graph'] = 'chosen';
        g.graphs = { chosen: { ...emptyGraph(), id: 'chosen' } };
      }
      expect(() => validateGraph(g), type).not.toThrow();
    }
  });
});

describe('applyGraphChanges', () => {
  const g = example('document-pipeline');

  it('returns the same object when nothing changes and shares untouched nodes', () => {
    expect(applyGraphChanges(g, [{ type: 'move-node', id: 'start', position: { x: 0, y: 150 } }])).toBe(g);
    expect(applyGraphChanges(g, [{ type: 'remove-node', id: 'nope' }])).toBe(g);
    const moved = applyGraphChanges(g, [{ type: 'move-node', id: 'start', position: { x: 10.4, y: 20.6 } }]);
    expect(moved.nodes[0]!.position).toEqual({ x: 10, y: 21 });
    expect(moved.nodes[1]).toBe(g.nodes[1]);
    expect(g.nodes[0]!.position).toEqual({ x: 0, y: 150 });
  });

  it('removes a node with its edges', () => {
    const r = applyGraphChanges(g, [{ type: 'remove-node', id: 'extract' }]);
    expect(r.nodes.map((n) => n.id)).not.toContain('extract');
    expect(r.edges.some((e) => e.source === 'extract' || e.target === 'extract')).toBe(false);
    expect(r.edges).toHaveLength(6);
  });

  it('patches node fields and removes undefined ones', () => {
    const r = applyGraphChanges(g, [{ type: 'update-node', id: 'start', patch: { label: 'Begin', timeoutMs: 5 } }]);
    expect(r.nodes[0]).toMatchObject({ label: 'Begin', timeoutMs: 5 });
    const back = applyGraphChanges(r, [
      { type: 'update-node', id: 'start', patch: { label: undefined, timeoutMs: undefined } },
    ]);
    expect(serializeGraph(back)).toBe(serializeGraph(g));
  });

  it('renames a node, its edges and the template references to it', () => {
    const r = applyGraphChanges(g, [{ type: 'rename-node', id: 'extract', newId: 'ner' }]);
    expect(r.edges.filter((e) => e.source === 'ner')).toHaveLength(2);
    expect(r.nodes.find((n) => n.id === 'summary')!.config['prompt']).toBe(
      'Summarize {{input.text}} mentioning {{nodes.ner.output.json.entities}}',
    );
    expect(() => validateGraph(r)).not.toThrow();
    expect(applyGraphChanges(g, [{ type: 'rename-node', id: 'extract', newId: 'start' }])).toBe(g);
  });

  it('renameRefs keeps longer ids alone', () => {
    expect(renameRefs({ a: ['{{nodes.x.output}} {{nodes.x_2.output}}'] }, 'x', 'y')).toEqual({
      a: ['{{nodes.y.output}} {{nodes.x_2.output}}'],
    });
  });

  it('connects with `when` from branching nodes only, no duplicates or self loops', () => {
    const v = example('vendor-onboarding');
    expect(connectEdge(v, 'is_risky', 'final_decision', 'false')).toEqual({
      id: 'e8',
      source: 'is_risky',
      target: 'final_decision',
      when: false,
    });
    expect(connectEdge(v, 'start', 'result', 'true')).toEqual({ id: 'e8', source: 'start', target: 'result' });
    expect(connectEdge(v, 'start', 'docs_collect', null)).toBeNull();
    expect(connectEdge(v, 'start', 'start', null)).toBeNull();
  });

  it('copies and pastes with new ids and internal references renamed', () => {
    const clip = copySelection(g, new Set(['extract', 'summary']));
    expect(clip.edges.map((e) => e.id)).toEqual(['e4']);
    const { changes, ids } = pasteChanges(g, clip);
    expect(ids).toEqual(['llm_1', 'llm_2']);
    const r = applyGraphChanges(g, changes);
    expect(r.nodes).toHaveLength(9);
    expect(r.edges.at(-1)).toEqual({ id: 'e10', source: 'llm_1', target: 'llm_2' });
    expect(r.nodes.find((n) => n.id === 'llm_2')!.config['prompt']).toContain('nodes.llm_1.output');
    expect(r.nodes.find((n) => n.id === 'llm_1')!.position).toEqual({ x: 260, y: 190 });
  });

  it('removeChanges drops edges then nodes', () => {
    const r = applyGraphChanges(g, removeChanges(['result'], ['e1']));
    expect(r.nodes).toHaveLength(6);
    expect(r.edges.map((e) => e.id)).not.toContain('e1');
    expect(r.edges.map((e) => e.id)).not.toContain('e9');
  });
});
