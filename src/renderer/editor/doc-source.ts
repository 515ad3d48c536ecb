/** The editor canvas's card source: the document, its nodes and their problems (runs show in the run view). */
import type { NodeSource } from '../canvas/node-source';
import { useDoc } from '../doc/store';

export const docSource: NodeSource = {
  readOnly: false,
  useNode: (id) => useDoc((s) => s.index.get(id)),
  useProblems: (id) => useDoc((s) => s.issues.nodes[id]?.join('\n') ?? ''),
  useInputSchema: () => useDoc((s) => s.graph.input),
  useRunNode: () => undefined,
};
