/** Auto-layout with elkjs (layered, left to right). Returns node positions. */
import type { Graph } from '../../core/graph/schema';

const DEFAULT_SIZE = { width: 188, height: 72 };

export async function autoLayout(
  graph: Graph,
  measured: Readonly<Record<string, { width: number; height: number }>> = {},
): Promise<{ id: string; position: { x: number; y: number } }[]> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const ids = new Set(graph.nodes.map((n) => n.id));
  const res = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.crossingMinimization.semiInteractive': 'true',
    },
    children: graph.nodes.map((n) => ({ id: n.id, ...(measured[n.id] ?? DEFAULT_SIZE) })),
    edges: graph.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  return (res.children ?? []).map((c) => ({
    id: c.id,
    position: { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) },
  }));
}
