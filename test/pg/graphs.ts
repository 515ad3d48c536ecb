/** Graphs the PostgreSQL tests share. */

/** start → an approval `gate` → out (the decision): a run that waits for a person. */
export const GATED_GRAPH = {
  format: 'statepipe.graph',
  version: 1,
  id: 'gated',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'gate', type: 'approval', config: { title: 'Go?' } },
    { id: 'out', type: 'output', config: { value: '{{nodes.gate.output.approved}}' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'gate' },
    { id: 'e2', source: 'gate', target: 'out' },
  ],
};
