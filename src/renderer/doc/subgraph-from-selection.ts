/**
 * "Create subgraph from selection" as a pure function: the selected nodes become a graph of
 * their own (saved apart), and in the document one `subgraph` node takes their place, wired the
 * same way (docs/composition.md "Create subgraph from selection"):
 *
 * - Edges into the selection come into the subgraph node (a branch keeps its `when`); edges out
 *   of it leave from the subgraph node.
 * - The child's run input is the parent's run input (`{{input}}`), unchanged, when the selected
 *   nodes read no node outside the selection. When they do, it is `{ input, nodes: { <id>: output } }`:
 *   the child has a stand-in `transform` node of the same id for each such node (so `nodes.<id>`
 *   reads keep working), and its reads of `input` become `input.input`.
 * - Each selected node whose output is read outside (by an edge or a template) gets an `output`
 *   node `<id>_out` in the child; outside reads of `nodes.<id>.output` become
 *   `nodes.<subgraph>.output.<id>_out` (a run's result is keyed by its output nodes' ids).
 *
 * Refused, with a message naming the nodes: an empty selection, an input or output node, a node
 * outside the selection that lies between selected nodes (the graph would get a cycle), and a
 * branch (`when`) edge that leaves the selection or enters it from both branches of one node.
 */
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/schema';
import { referencedNodes } from '../../core/graph/expression-refs';
import { parseTemplateString, templateExpressions } from '../../core/graph/templates';
import { uniqueId } from './defaults';
import type { GraphChange } from './graph-edit';

export interface Extraction {
  /** The new graph (to be saved under `graphId`). */
  child: Graph;
  /** The subgraph node that replaces the selection. */
  node: GraphNode;
  /** What turns the document into its new form: applied at once, one undo step. */
  changes: GraphChange[];
}

const plainId = (id: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? id : `\`${id}\``);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Node ids a node reads: `nodes.<id>` in its templates, its condition expression and its code. */
export function nodeReads(n: Pick<GraphNode, 'config' | 'compensate'>): Set<string> {
  const out = new Set<string>();
  const exprs = [...templateExpressions(n.config), ...templateExpressions(n.compensate?.config ?? {})];
  if (typeof n.config['expression'] === 'string') exprs.push(n.config['expression']);
  for (const e of exprs) {
    try {
      for (const id of referencedNodes(e)) out.add(id);
    } catch {
      /* an expression that does not parse reads nothing we can know; validation names it */
    }
  }
  for (const code of [n.config['code'], n.compensate?.config['code']])
    if (typeof code === 'string')
      for (const m of code.matchAll(/\bnodes\s*(?:\.\s*([A-Za-z0-9_]+)|\[\s*['"]([A-Za-z0-9_-]+)['"]\s*\])/g))
        out.add((m[1] ?? m[2])!);
  return out;
}

/** Maps every string of a value (deep), returning the same object when nothing changed. */
function mapStrings<T>(value: T, fn: (s: string, key: string) => string, key = ''): T {
  if (typeof value === 'string') return fn(value, key) as T;
  if (Array.isArray(value)) {
    const out = value.map((v) => mapStrings(v, fn, key));
    return (out.some((v, i) => v !== value[i]) ? out : value) as T;
  }
  if (value && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = mapStrings(v, fn, k);
      if (out[k] !== v) changed = true;
    }
    return (changed ? out : value) as T;
  }
  return value;
}

/** `input` read as a root in a JSONata expression becomes `input.input`. */
const wrapInputInExpr = (expr: string) => expr.replace(/(^|[^\w$.`"'])input\b(?![\w-])/g, '$1input.input');

function wrapInput(n: GraphNode): GraphNode {
  const config = mapStrings(n.config, (s, key) => {
    if (key === 'code') return `input = input.input;\n${s}`;
    if (key === 'expression') return wrapInputInExpr(s);
    if (key === 'mock' || key === 'outputSchema' || !s.includes('{{')) return s;
    try {
      return parseTemplateString(s)
        .map((p) => ('expr' in p ? `{{${wrapInputInExpr(p.expr)}}}` : p.text))
        .join('');
    } catch {
      return s;
    }
  });
  return config === n.config ? n : { ...n, config };
}

/** Outside reads of `nodes.<from>.output` read the subgraph node's output instead. */
function readThrough(n: GraphNode, exported: ReadonlyMap<string, string>, sub: string): GraphNode {
  const fix = (s: string) => {
    let out = s;
    for (const [from, outId] of exported)
      out = out.replace(
        new RegExp(`\\bnodes\\.${escapeRe(from)}\\.output(?![A-Za-z0-9_-])`, 'g'),
        `nodes.${plainId(sub)}.output.${plainId(outId)}`,
      );
    return out;
  };
  const config = mapStrings(n.config, fix);
  const compensate = n.compensate ? mapStrings(n.compensate, fix) : undefined;
  if (config === n.config && compensate === n.compensate) return n;
  return { ...n, config, ...(compensate ? { compensate } : {}) };
}

/** Outside nodes both below and above the selection (they would make a cycle through the subgraph node). */
function between(graph: Graph, sel: ReadonlySet<string>): string[] {
  const reach = (forward: boolean): Set<string> => {
    const seen = new Set<string>();
    const stack = [...sel];
    while (stack.length) {
      const id = stack.pop()!;
      for (const e of graph.edges) {
        const [from, to] = forward ? [e.source, e.target] : [e.target, e.source];
        if (from !== id || seen.has(to)) continue;
        seen.add(to);
        stack.push(to);
      }
    }
    return seen;
  };
  const below = reach(true);
  return [...reach(false)].filter((id) => below.has(id) && !sel.has(id));
}

export function subgraphFromSelection(
  graph: Graph,
  selected: readonly string[],
  opts: { graphId: string; name: string },
): Extraction {
  const index = new Map(graph.nodes.map((n) => [n.id, n]));
  const sel = new Set(selected.filter((id) => index.has(id)));
  if (sel.size === 0) throw new Error('Select the nodes to turn into a subgraph first.');
  const io = [...sel].filter((id) => ['input', 'output'].includes(index.get(id)!.type));
  if (io.length) throw new Error(`Input and output nodes stay in the graph: unselect ${io.join(', ')}.`);
  const mid = between(graph, sel);
  if (mid.length)
    throw new Error(
      `${mid.join(', ')} ${mid.length > 1 ? 'lie' : 'lies'} between selected nodes: select ${mid.length > 1 ? 'them' : 'it'} too.`,
    );
  const incoming = graph.edges.filter((e) => !sel.has(e.source) && sel.has(e.target));
  const outgoing = graph.edges.filter((e) => sel.has(e.source) && !sel.has(e.target));
  const branchOut = outgoing.find((e) => e.when !== undefined);
  if (branchOut)
    throw new Error(
      `The ${String(branchOut.when)} branch of ${branchOut.source} leaves the selection (to ${branchOut.target}): select ${branchOut.target} too, or leave ${branchOut.source} out.`,
    );
  const when = new Map<string, boolean | undefined>();
  for (const e of incoming) {
    if (when.has(e.source) && when.get(e.source) !== e.when)
      throw new Error(`Both branches of ${e.source} enter the selection: leave one of their targets out.`);
    when.set(e.source, e.when);
  }

  // What the selection reads from outside, and what is read of it.
  const standIns = new Set<string>();
  for (const id of sel) for (const r of nodeReads(index.get(id)!)) if (index.has(r) && !sel.has(r)) standIns.add(r);
  const outside = graph.nodes.filter((n) => !sel.has(n.id));
  const readOutside = new Set<string>(outgoing.map((e) => e.source));
  for (const n of outside) for (const r of nodeReads(n)) if (sel.has(r)) readOutside.add(r);
  if (readOutside.size === 0)
    for (const id of sel) if (!graph.edges.some((e) => e.source === id && sel.has(e.target))) readOutside.add(id);
  const wrapped = standIns.size > 0;

  // The child graph.
  const taken = new Set<string>([...sel, ...standIns]);
  const inputId = taken.has('input') ? uniqueId('input_', taken) : 'input';
  taken.add(inputId);
  const exported = new Map<string, string>();
  for (const id of [...sel].filter((x) => readOutside.has(x))) {
    const outId = taken.has(`${id}_out`) ? uniqueId(`${id}_out`, taken) : `${id}_out`;
    taken.add(outId);
    exported.set(id, outId);
  }
  const picked = graph.nodes.filter((n) => sel.has(n.id));
  const xs = picked.map((n) => n.position?.x ?? 0);
  const ys = picked.map((n) => n.position?.y ?? 0);
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const midY = Math.round(ys.reduce((a, b) => a + b, 0) / ys.length);
  const childNodes: GraphNode[] = [{ id: inputId, type: 'input', position: { x: minX - 560, y: midY }, config: {} }];
  [...standIns].forEach((id, i) =>
    childNodes.push({
      id,
      type: 'transform',
      label: `${index.get(id)!.label ?? id} (from the parent)`,
      position: { x: minX - 280, y: midY + (i - (standIns.size - 1) / 2) * 140 },
      config: { template: `{{input.nodes.${plainId(id)}}}` },
    }),
  );
  childNodes.push(...picked.map((n) => (wrapped ? wrapInput(n) : n)));
  [...exported].forEach(([id, outId], i) =>
    childNodes.push({
      id: outId,
      type: 'output',
      position: { x: maxX + 320, y: midY + (i - (exported.size - 1) / 2) * 140 },
      config: { value: `{{nodes.${plainId(id)}.output}}` },
    }),
  );
  const childEdges: GraphEdge[] = graph.edges.filter((e) => sel.has(e.source) && sel.has(e.target));
  const link = (source: string, target: string) => {
    if (!childEdges.some((e) => e.source === source && e.target === target))
      childEdges.push({ id: uniqueId('e', new Set(childEdges.map((e) => e.id))), source, target });
  };
  for (const id of standIns) link(inputId, id);
  for (const e of incoming) link(standIns.has(e.source) ? e.source : inputId, e.target);
  for (const id of sel) for (const r of nodeReads(index.get(id)!)) if (standIns.has(r)) link(r, id);
  for (const [id, outId] of exported) link(id, outId);
  const library = Object.fromEntries(
    Object.entries(graph.graphs ?? {}).filter(([gid]) => picked.some((n) => n.config['graph'] === gid)),
  );
  const child: Graph = {
    format: 'statepipe.graph',
    version: 1,
    id: opts.graphId,
    name: opts.name,
    ...(!wrapped && graph.input ? { input: graph.input } : {}),
    ...(graph.defaults ? { defaults: graph.defaults } : {}),
    ...(graph.concurrency !== undefined ? { concurrency: graph.concurrency } : {}),
    nodes: childNodes,
    edges: childEdges,
    ...(Object.keys(library).length ? { graphs: library } : {}),
  };

  // The parent: the subgraph node in the selection's place, wired the same way.
  const outsideIds = new Set(outside.map((n) => n.id));
  const base = opts.graphId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'subgraph';
  const subId = outsideIds.has(base) ? uniqueId(`${base}_`, outsideIds) : base;
  const node: GraphNode = {
    id: subId,
    type: 'subgraph',
    label: opts.name,
    position: { x: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length), y: midY },
    config: {
      graph: opts.graphId,
      input: wrapped
        ? {
            input: '{{input}}',
            nodes: Object.fromEntries([...standIns].map((id) => [id, `{{nodes.${plainId(id)}.output}}`])),
          }
        : '{{input}}',
    },
  };
  const changes: GraphChange[] = [...sel].map((id) => ({ type: 'remove-node', id }) as const);
  changes.push({ type: 'add-node', node });
  const edgeIds = new Set(graph.edges.map((e) => e.id));
  const addEdge = (source: string, target: string, w?: boolean) => {
    const id = uniqueId('e', edgeIds);
    edgeIds.add(id);
    changes.push({ type: 'add-edge', edge: { id, source, target, ...(w !== undefined ? { when: w } : {}) } });
  };
  for (const [source, w] of when) addEdge(source, subId, w);
  for (const target of new Set(outgoing.map((e) => e.target))) addEdge(subId, target);
  for (const n of outside) {
    const fixed = readThrough(n, exported, subId);
    if (fixed !== n)
      changes.push({ type: 'update-node', id: n.id, patch: { config: fixed.config, compensate: fixed.compensate } });
  }
  return { child, node, changes };
}
