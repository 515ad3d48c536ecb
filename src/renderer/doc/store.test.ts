import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../core/graph/schema';
import { serializeGraph } from '../../core/graph/validate';
import { makeNode } from './defaults';
import { createDocStore } from './store';
import { emptyHistory, record, redo, undo, HISTORY_LIMIT } from './history';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../examples/${name}.json`, import.meta.url), 'utf8')) as Graph;

describe('history', () => {
  it('undoes and redoes snapshots and caps its length', () => {
    const a = example('document-pipeline');
    const b = { ...a, name: 'b' };
    const h = record(emptyHistory(), a);
    const u = undo(h, b)!;
    expect(u.graph).toBe(a);
    const r = redo(u.history, u.graph)!;
    expect(r.graph).toBe(b);
    expect(undo(emptyHistory(), a)).toBeNull();
    let big = emptyHistory();
    for (let i = 0; i < HISTORY_LIMIT + 10; i++) big = record(big, a);
    expect(big.past).toHaveLength(HISTORY_LIMIT);
  });
});

describe('doc store', () => {
  it('tracks dirty by canonical bytes and undo/redo restores the exact graph', () => {
    const g = example('document-pipeline');
    const store = createDocStore();
    store.getState().load(g);
    const original = serializeGraph(store.getState().graph);
    expect(store.getState().dirty).toBe(false);
    store.getState().apply({ type: 'add-node', node: makeNode(g, 'delay', { x: 1, y: 2 }) });
    store.getState().apply({ type: 'add-edge', edge: { id: 'e10', source: 'result', target: 'delay_1' } });
    const edited = serializeGraph(store.getState().graph);
    expect(store.getState().dirty).toBe(true);
    store.getState().undo();
    store.getState().undo();
    expect(serializeGraph(store.getState().graph)).toBe(original);
    expect(store.getState().dirty).toBe(false);
    store.getState().redo();
    store.getState().redo();
    expect(serializeGraph(store.getState().graph)).toBe(edited);
    store.getState().markSaved(edited, 2, 'g');
    expect(store.getState().dirty).toBe(false);
  });

  it('coalesces typing in one field and a drag into one undo step each', () => {
    let t = 0;
    const store = createDocStore(example('document-pipeline'), () => t);
    const s = () => store.getState();
    for (const label of ['S', 'St', 'Sta']) {
      t += 100;
      s().apply({ type: 'update-node', id: 'start', patch: { label } }, { coalesce: 'start.label' });
    }
    expect(s().history.past).toHaveLength(1);
    t += 5000;
    s().apply({ type: 'update-node', id: 'start', patch: { label: 'Start' } }, { coalesce: 'start.label' });
    expect(s().history.past).toHaveLength(2);
    s().move([{ id: 'start', position: { x: 5, y: 5 } }], true);
    s().move([{ id: 'start', position: { x: 9, y: 9 } }], true);
    s().move([{ id: 'start', position: { x: 9, y: 9 } }], false);
    expect(s().history.past).toHaveLength(3);
    s().undo();
    expect(s().graph.nodes[0]!.position).toEqual({ x: 0, y: 150 });
    expect(s().graph.nodes[0]!.label).toBe('Start');
  });

  it('drops removed ids from the selection', () => {
    const store = createDocStore(example('document-pipeline'));
    store.getState().select(['start', 'extract'], ['e1']);
    store.getState().apply({ type: 'remove-node', id: 'start' });
    expect(store.getState().selectedNodes).toEqual(['extract']);
    expect(store.getState().selectedEdges).toEqual([]);
  });

  it('saving an unchanged graph gives identical bytes', () => {
    for (const name of ['document-pipeline', 'vendor-onboarding']) {
      const g = example(name);
      const store = createDocStore();
      store.getState().load(g);
      const once = serializeGraph(store.getState().graph);
      store.getState().load(JSON.parse(once) as Graph);
      expect(serializeGraph(store.getState().graph)).toBe(once);
    }
  });
});
