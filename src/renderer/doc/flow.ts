/**
 * xyflow's nodes and edges, derived from the document. Derived objects are cached per graph
 * node/edge object, so an edit hands xyflow new objects only for what it touched.
 */
import type { Edge, Node } from '@xyflow/react';
import type { GraphEdge, GraphNode } from '../../core/graph/schema';
import type { DocState } from './store';

export type FlowNodeData = { type: string };
export type FlowNode = Node<FlowNodeData, 'statepipe'>;
export type FlowEdge = Edge<{ when?: boolean }>;

const nodeCache = new WeakMap<GraphNode, FlowNode>();
const edgeCache = new WeakMap<GraphEdge, FlowEdge>();
const dataCache = new Map<string, FlowNodeData>();

const dataFor = (type: string): FlowNodeData => {
  let d = dataCache.get(type);
  if (!d) dataCache.set(type, (d = { type }));
  return d;
};

export function flowNodes(s: Pick<DocState, 'graph' | 'selectedNodes' | 'measured' | 'issues'>): FlowNode[] {
  const selected = new Set(s.selectedNodes);
  return s.graph.nodes.map((n) => {
    const sel = selected.has(n.id);
    const m = s.measured[n.id];
    const bad = s.issues.nodes[n.id] !== undefined;
    const hit = nodeCache.get(n);
    if (hit && hit.selected === sel && hit.measured === m && (hit.className === 'has-issue') === bad) return hit;
    const fresh: FlowNode = {
      id: n.id,
      type: 'statepipe',
      position: n.position ?? { x: 0, y: 0 },
      data: dataFor(n.type),
      selected: sel,
      ...(m ? { measured: m } : {}),
      ...(bad ? { className: 'has-issue' } : {}),
    };
    nodeCache.set(n, fresh);
    return fresh;
  });
}

/** `animated`: ids of the edges data flows along in the run shown (see run-view animatedEdges). */
export function flowEdges(
  s: Pick<DocState, 'graph' | 'selectedEdges' | 'issues'> & { animated?: ReadonlySet<string> },
): FlowEdge[] {
  const selected = new Set(s.selectedEdges);
  return s.graph.edges.map((e) => {
    const sel = selected.has(e.id);
    const anim = s.animated?.has(e.id) ?? false;
    const problems = s.issues.edges[e.id];
    const cls =
      (problems ? 'has-issue' : e.when === true ? 'when-true' : e.when === false ? 'when-false' : '') +
      (anim ? ' is-flowing' : '');
    const hit = edgeCache.get(e);
    if (hit && hit.selected === sel && (hit.animated ?? false) === anim && (hit.className ?? '') === cls) return hit;
    const fresh: FlowEdge = {
      id: e.id,
      source: e.source,
      target: e.target,
      selected: sel,
      ...(anim ? { animated: true } : {}),
      ...(e.when !== undefined
        ? { sourceHandle: String(e.when), label: e.when ? 'true' : 'false', data: { when: e.when } }
        : {}),
      ...(cls ? { className: cls } : {}),
      ...(problems ? { ariaLabel: problems.join('; ') } : {}),
    };
    edgeCache.set(e, fresh);
    return fresh;
  });
}
