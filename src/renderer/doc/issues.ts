/**
 * Live validation: runs the core `validateGraph` over the document and maps its issues onto
 * the nodes and edges they concern, so the canvas can outline them. A cycle marks every node
 * and edge on it (validateGraph names only where it closes). Pure.
 */
import { AppError } from '../../core/errors';
import type { Graph } from '../../core/graph/schema';
import { graphRefPath, graphRefs, missingGraphText } from '../../core/graph/composition';
import { findCycle } from '../../core/graph/topology';
import { optionalInputReads } from '../../core/graph/input-reads';
import { validateGraph } from '../../core/graph/validate';
import { EDGE_PATH, fieldOf, NODE_PATH, type DocIssue, type IssueMap } from './issue-map';

export { NO_ISSUES, fieldOf, type DocIssue, type IssueMap } from './issue-map';

/**
 * Schema compilation needs `new Function`, which the studio's CSP forbids: such a refusal is
 * about the page, not the graph (the host validates schemas on save and run).
 */
const CSP_REFUSAL = /unsafe-eval|Content Security Policy|EvalError|Refused to evaluate/i;

function push(map: Record<string, string[]>, id: string, msg: string): void {
  const list = (map[id] ??= []);
  if (!list.includes(msg)) list.push(msg);
}

/**
 * Nodes that lie on some cycle, mapped to their strongly connected component (Tarjan, iterative).
 * Every node and edge inside a component of two or more nodes is on a cycle.
 */
export function cyclicComponents(graph: Pick<Graph, 'nodes' | 'edges'>): Map<string, number> {
  const ids = graph.nodes.map((n) => n.id);
  const at = new Map(ids.map((id, i) => [id, i]));
  const adj: number[][] = ids.map(() => []);
  for (const e of graph.edges) {
    const s = at.get(e.source);
    const t = at.get(e.target);
    if (s !== undefined && t !== undefined) adj[s]!.push(t);
  }
  const index = new Array<number>(ids.length).fill(-1);
  const low = new Array<number>(ids.length).fill(0);
  const onStack = new Array<boolean>(ids.length).fill(false);
  const stack: number[] = [];
  const out = new Map<string, number>();
  let counter = 0;
  let compNo = 0;
  for (let root = 0; root < ids.length; root++) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      if (i === 0) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      if (i < adj[v]!.length) {
        frame[1]++;
        const w = adj[v]![i]!;
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          members.push(w);
        } while (w !== v);
        if (members.length > 1) {
          for (const m of members) out.set(ids[m]!, compNo);
          compNo++;
        }
      }
    }
  }
  return out;
}

/** What the studio knows of the graphs a composition node may run besides the file's own library. */
export interface KnownGraphs {
  /** The ids of the graphs saved on the host (graphs.list); null while not known (not yet answered). */
  saved: ReadonlySet<string> | null;
}

/**
 * Graphs the composition nodes name (of this graph and of its library's graphs) that are not in
 * the file's library. A run from the studio finds them as the host does when it starts (a draft
 * has no file next to it): in the library, else among the saved graphs. So a graph in neither is
 * an error, with the host's own words, and one that is saved is fine. While the saved graphs are
 * not known, such a reference is a warning.
 */
function outsideLibrary(graph: Graph, known: KnownGraphs): { errors: DocIssue[]; warnings: DocIssue[] } {
  const library = graph.graphs ?? {};
  const out = { errors: [] as DocIssue[], warnings: [] as DocIssue[] };
  const sources: [string, Graph][] = [['', graph], ...Object.entries(library)];
  for (const [from, g] of sources) {
    if (!Array.isArray(g?.nodes)) continue; // a library entry too broken to read: its errors say so
    for (const r of graphRefs(g)) {
      if (r.graph === '' || Object.hasOwn(library, r.graph) || known.saved?.has(r.graph)) continue;
      // A library graph's node is not a node of this canvas: listed by its path only.
      const issue = { path: graphRefPath(from, r.nodeId), ...(from === '' ? { nodeId: r.nodeId } : {}) };
      if (known.saved) out.errors.push({ ...issue, message: missingGraphText(r.graph) });
      else
        out.warnings.push({
          ...issue,
          message: `graph "${r.graph}" is not in this file's library, and the saved graphs are not known yet: a graph saved under that id runs`,
        });
    }
  }
  return out;
}

/**
 * The document's problems. `known`: the graphs saved on the host, which composition nodes may
 * run as well as the file's library (unknown by default: a reference outside the library is
 * then a warning).
 */
export function computeIssues(graph: Graph, known: KnownGraphs = { saved: null }): IssueMap {
  let issues: DocIssue[] = [];
  try {
    validateGraph(graph, undefined, { missing: 'ignore' });
  } catch (err) {
    if (err instanceof AppError && err.issues) issues = err.issues.map((i) => ({ ...i }));
    else issues = [{ path: '', message: err instanceof Error ? err.message : String(err) }];
  }
  issues = issues.filter((i) => !CSP_REFUSAL.test(i.message));
  let warnings: DocIssue[] = [];
  try {
    warnings = optionalInputReads(graph).map((w) => ({
      path: w.path,
      message: w.message,
      nodeId: w.nodeId,
      prop: w.prop,
    }));
  } catch {
    /* a graph too broken to read: its errors say so */
  }
  try {
    const refs = outsideLibrary(graph, known);
    // One problem per field: the schema's (an empty graph) comes first.
    issues.push(...refs.errors.filter((e) => !issues.some((i) => i.path === e.path)));
    warnings.push(...refs.warnings);
  } catch {
    /* a graph too broken to read: its errors say so */
  }
  const out: IssueMap = { all: issues, warnings, nodes: {}, edges: {} };
  const nodeIds = new Set(graph.nodes.map((n) => n.id));
  const edgeIds = new Set(graph.edges.map((e) => e.id));
  for (const i of issues) {
    const field = fieldOf(i.path);
    const msg = field ? `${field}: ${i.message}` : i.message;
    if (/the graph has a cycle/.test(i.message)) continue; // marked below, on every member
    const nodeId = i.nodeId ?? NODE_PATH.exec(i.path)?.[1];
    const edgeId = i.edgeId ?? EDGE_PATH.exec(i.path)?.[1];
    if (edgeId && edgeIds.has(edgeId)) push(out.edges, edgeId, msg);
    else if (nodeId && nodeIds.has(nodeId)) push(out.nodes, nodeId, msg);
  }
  const cycle = findCycle(
    graph.nodes.map((n) => n.id),
    graph.edges,
  );
  if (cycle) {
    const text = `on a cycle: ${[...cycle, cycle[0]].join(' → ')}`;
    const comp = cyclicComponents(graph);
    for (const n of graph.nodes)
      if (comp.has(n.id)) push(out.nodes, n.id, comp.get(n.id) === comp.get(cycle[0]!) ? text : 'on a cycle');
    for (const e of graph.edges) {
      const c = comp.get(e.source);
      if (c !== undefined && c === comp.get(e.target)) push(out.edges, e.id, 'on a cycle');
    }
    if (!issues.some((i) => /cycle/.test(i.message)))
      out.all = [...out.all, { path: 'edges', message: `the graph has a cycle: ${text}` }];
  }
  return out;
}
