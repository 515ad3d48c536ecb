/** The editor canvas's card source: the document (its nodes and problems) and the run on it. */
import type { NodeSource } from '../canvas/node-source';
import { useDoc } from '../doc/store';
import { useNodeView } from '../run/run-store';
import { uiStore } from '../ui/ui-store';

export const docSource: NodeSource = {
  readOnly: false,
  decide: (nodeId, approved) => uiStore.getState().open({ kind: 'approval', nodeId, approved }),
  useNode: (id) => useDoc((s) => s.index.get(id)),
  useProblems: (id) => useDoc((s) => s.issues.nodes[id]?.join('\n') ?? ''),
  useInputSchema: () => useDoc((s) => s.graph.input),
  useRunNode: useNodeView,
};
