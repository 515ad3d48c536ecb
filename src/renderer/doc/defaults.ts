/** Default config of each node type and the unique ids new nodes and edges get. Pure. */
import type { Graph, GraphNode, NodeType } from '../../core/graph/schema';

/** A config that validates as is, so a freshly dropped node shows no error until edited. */
export function defaultConfig(type: NodeType): Record<string, unknown> {
  switch (type) {
    case 'input':
      return {};
    case 'llm':
      return { provider: 'mock', model: 'mock-1', prompt: 'Summarize: {{input}}', mock: { reply: 'A short summary.' } };
    case 'http':
      return { method: 'GET', url: 'https://example.com/' };
    case 'code':
      return { code: 'return input;' };
    case 'transform':
      return { template: { value: '{{input}}' } };
    case 'condition':
      return { expression: 'true' };
    case 'approval':
      return { title: 'Approve this step?' };
    case 'delay':
      return { ms: 1000 };
    case 'agent':
      return {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'Help with: {{input}}',
        tools: [],
        maxSteps: 8,
        mock: { reply: 'Done.' },
      };
    case 'output':
      return { value: '{{input}}' };
  }
}

/** Human name of each type (palette and panel). */
export const TYPE_LABELS: Record<NodeType, string> = {
  input: 'Input',
  llm: 'LLM',
  http: 'HTTP',
  code: 'Code',
  transform: 'Transform',
  condition: 'Condition',
  approval: 'Approval',
  delay: 'Delay',
  agent: 'Agent',
  output: 'Output',
};

export const TYPE_HINTS: Record<NodeType, string> = {
  input: 'The run input',
  llm: 'Call a language model',
  http: 'Call an HTTP endpoint',
  code: 'Run JavaScript',
  transform: 'Shape data with templates',
  condition: 'Branch on an expression',
  approval: 'Wait for a person',
  delay: 'Wait durably',
  agent: 'Model with tools, in a loop',
  output: 'A result of the run',
};

/** The smallest `<prefix><n>` (n ≥ 1) not in `taken`. */
export function uniqueId(prefix: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const id = `${prefix}${n}`;
    if (!taken.has(id)) return id;
  }
}

/** `llm_1`, `llm_2`, … for a new node of `type`. */
export function newNodeId(graph: Pick<Graph, 'nodes'>, type: string, extra: ReadonlySet<string> = new Set()): string {
  const taken = new Set(graph.nodes.map((n) => n.id));
  for (const id of extra) taken.add(id);
  return uniqueId(`${type}_`, taken);
}

/** `e1`, `e2`, … */
export function newEdgeId(graph: Pick<Graph, 'edges'>, extra: ReadonlySet<string> = new Set()): string {
  const taken = new Set(graph.edges.map((e) => e.id));
  for (const id of extra) taken.add(id);
  return uniqueId('e', taken);
}

export function makeNode(graph: Pick<Graph, 'nodes'>, type: NodeType, position: { x: number; y: number }): GraphNode {
  return {
    id: newNodeId(graph, type),
    type,
    position: { x: Math.round(position.x), y: Math.round(position.y) },
    config: defaultConfig(type),
  };
}

/** A new empty document. */
export function emptyGraph(id = 'untitled', name = 'Untitled graph'): Graph {
  return { format: 'statepipe.graph', version: 1, id, name, nodes: [], edges: [] };
}

/** Whether edges leaving this type carry `when` (two handles: true / false). */
export const isBranching = (type: string): boolean => type === 'condition' || type === 'approval';
