import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { Graph } from '../../core/graph/schema';
import { emptyGraph } from './defaults';
import type { SavedGraphsState } from './saved-graphs';
import { createDocStore } from './store';
import { watchValidation } from './validation';

const parent: Graph = {
  ...emptyGraph('parent'),
  nodes: [{ id: 'sub', type: 'subgraph', config: { graph: 'child', input: {} } }],
};

describe('live validation', () => {
  it('checks composition nodes against the saved graphs, again as soon as they change', async () => {
    const doc = createDocStore(parent);
    const saved = createStore<SavedGraphsState>()(() => ({ ids: new Set<string>() }));
    const stop = watchValidation(doc, 10, saved);
    try {
      await expect
        .poll(() => doc.getState().issues.nodes['sub']?.[0], { timeout: 20_000 })
        .toMatch(/graph "child" not found/);
      saved.setState({ ids: new Set(['child']) });
      await expect.poll(() => doc.getState().issues.all).toEqual([]);
      expect(doc.getState().issues.warnings).toEqual([]);
      saved.setState({ ids: new Set() }); // deleted meanwhile
      await expect.poll(() => doc.getState().issues.all.length).toBe(1);
    } finally {
      stop();
    }
  });
});
