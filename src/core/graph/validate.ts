/**
 * Graph validation (docs/graph-format.md "Validation"), run input validation and the canonical
 * serialization. Every refusal is an AppError('validation') whose message names the first
 * issue (node/edge/field) and whose `issues` hold them all.
 */
import { AppError, type ValidationIssue } from '../errors.js';
import { isNodeType, kindOf, NODE_KINDS, NODE_TYPES } from '../nodes/registry.js';
import { checkNode, checkSchema, type Ctx } from './check-node.js';
import { compositionIssues, isStatic } from './composition.js';
import { fail, isObj, keySeg, refuseTooDeep, zodMessage } from './issues.js';
import { parseJsonText } from './json-text.js';
import { validateRunInput } from './run-input.js';
import { GraphSchema, type Graph, type GraphNode } from './schema.js';
import { findCycle, formatCycle, topology } from './topology.js';

export { validateRunInput };

/** Parses a graph file's text and validates it. `source` (a file name) prefixes messages. */
export function parseGraphText(text: string, source?: string, opts: ValidateOptions = {}): Graph {
  return validateGraph(parseJsonText(text, source), source, opts);
}

export interface ValidateOptions {
  /**
   * Graphs named by composition nodes and not in the library: `refuse` (default), or `ignore`
   * while the host fills the library from the database and files (then it checks again).
   */
  missing?: 'refuse' | 'ignore';
}

/** Validates a parsed graph file against every rule of docs/graph-format.md "Validation"; returns it typed. */
export function validateGraph(raw: unknown, source?: string, opts: ValidateOptions = {}): Graph {
  if (!isObj(raw)) fail([{ path: '', message: 'a graph must be a JSON object' }], source);
  refuseTooDeep(raw, '', source);
  const issues: ValidationIssue[] = [];
  if (raw['format'] !== 'statepipe.graph') {
    issues.push({
      path: 'format',
      message: `must be "statepipe.graph", got ${JSON.stringify(raw['format']) ?? 'nothing'}`,
    });
  }
  if (raw['version'] !== 1) {
    const got = JSON.stringify(raw['version']) ?? 'nothing';
    issues.push({
      path: 'version',
      message: `must be 1, got ${got}${typeof raw['version'] === 'number' ? ' (unsupported version)' : ''}`,
    });
  }
  // A name an object cannot hold as its own key: parsed, it would be dropped without a word.
  const library = raw['graphs'];
  if (isObj(library) && Object.hasOwn(library, '__proto__'))
    issues.push({ path: 'graphs.__proto__', message: '"__proto__" cannot name a graph: choose another id' });
  const shape = GraphSchema.safeParse(raw);
  if (!shape.success) {
    for (const i of shape.error.issues) {
      const [head, idx, ...rest] = i.path as (string | number)[];
      if (head === 'format' || head === 'version') continue;
      const issue: ValidationIssue = { path: '', message: zodMessage(i) };
      if ((head === 'nodes' || head === 'edges') && typeof idx === 'number') {
        const item = (raw[head] as unknown[])[idx];
        const id = isObj(item) && typeof item['id'] === 'string' && item['id'] ? item['id'] : String(idx);
        issue.path = `${head}[${id}]` + rest.map(keySeg).join('');
        if (head === 'nodes') issue.nodeId = id;
        else issue.edgeId = id;
      } else {
        issue.path = (i.path as (string | number)[]).map(keySeg).join('').replace(/^\./, '');
      }
      issues.push(issue);
    }
  }
  if (issues.length > 0) fail(issues, source);

  const graph = {
    ...(raw as unknown as Graph),
    nodes: (raw as unknown as Graph).nodes.map((n) => (n.config === undefined ? { ...n, config: {} } : n)),
  };
  const ctx: Ctx = { issues, ids: new Set(), topo: null };
  const byId = new Map<string, GraphNode>();

  if (graph.input !== undefined) checkSchema(ctx, 'input', graph.input);
  for (const node of graph.nodes) {
    if (byId.has(node.id)) {
      issues.push({ path: `nodes[${node.id}].id`, nodeId: node.id, message: `duplicate node id "${node.id}"` });
      continue;
    }
    byId.set(node.id, node);
    ctx.ids.add(node.id);
    if (!isNodeType(node.type)) {
      issues.push({
        path: `nodes[${node.id}].type`,
        nodeId: node.id,
        message: `unknown node type "${node.type}" (expected one of ${NODE_TYPES.join(', ')})`,
      });
      continue;
    }
    checkNode(ctx, node, false);
  }

  const edgeIds = new Set<string>();
  const liveEdges = [];
  for (const edge of graph.edges) {
    const base = `edges[${edge.id}]`;
    if (edgeIds.has(edge.id))
      issues.push({ path: `${base}.id`, edgeId: edge.id, message: `duplicate edge id "${edge.id}"` });
    edgeIds.add(edge.id);
    let ok = true;
    for (const end of ['source', 'target'] as const) {
      if (!byId.has(edge[end])) {
        issues.push({ path: `${base}.${end}`, edgeId: edge.id, message: `${end} node "${edge[end]}" does not exist` });
        ok = false;
      }
    }
    const src = byId.get(edge.source);
    if (edge.when !== undefined && src && isNodeType(src.type) && !kindOf(src).branch) {
      const branching = NODE_KINDS.filter((k) => 'branch' in k).map((k) => k.type);
      issues.push({
        path: `${base}.when`,
        edgeId: edge.id,
        message: `"when" is only allowed on edges leaving a ${branching.join(' or ')} node; "${src.id}" is a ${src.type} node`,
      });
    }
    if (ok) liveEdges.push(edge);
  }

  const ids = [...byId.keys()];
  const cycle = findCycle(ids, liveEdges);
  if (cycle) {
    const closing = liveEdges.find((e) => e.source === cycle[cycle.length - 1] && e.target === cycle[0]);
    issues.push({
      path: closing ? `edges[${closing.id}]` : 'edges',
      message: `the graph has a cycle: ${formatCycle(cycle)}`,
      nodeId: cycle[0]!,
      ...(closing ? { edgeId: closing.id } : {}),
    });
  } else {
    ctx.topo = topology({ ...graph, nodes: [...byId.values()], edges: liveEdges });
    for (const node of byId.values()) {
      if (isNodeType(node.type)) checkNode(ctx, node, true);
    }
  }
  // Also when the graph has problems of its own: one look at the file shows all of them.
  issues.push(...checkLibrary(graph, opts, issues.length === 0));
  if (issues.length > 0) fail(issues, source);
  return graph;
}

/**
 * The library's graphs (each a valid graph), then the composition rules, then (with `inputs`, on
 * a graph whose nodes are valid) the child inputs known before the run: each stage on a library
 * the stage before found sound.
 */
function checkLibrary(graph: Graph, opts: ValidateOptions, inputs: boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const library: Record<string, Graph> = {};
  for (const [id, entry] of Object.entries(graph.graphs ?? {})) {
    try {
      const { graphs: _own, ...g } = isObj(entry) ? entry : ({} as Record<string, unknown>);
      // Library graphs share the top-level library: a graph's own `graphs` is not read.
      library[id] = validateGraph(g, undefined, { missing: 'ignore' });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      for (const i of err.issues ?? [{ path: '', message: err.message }])
        issues.push({ ...i, path: `graphs[${id}]${i.path ? `.${i.path}` : ''}` });
    }
  }
  if (issues.length > 0) return issues;
  if (graph.graphs) graph.graphs = library;
  issues.push(...compositionIssues(graph, opts));
  if (issues.length > 0 || !inputs) return issues;
  for (const node of graph.nodes) {
    const ref = kindOf(node).childGraph?.(node.config);
    const child = ref === undefined ? undefined : graph.graphs?.[ref];
    if (!child) continue;
    for (const [key, input] of staticInputs(node.type, node.config)) {
      try {
        validateRunInput(child, input);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const why = err.message.replace(/^input/, `the input of graph "${ref}"`);
        issues.push({ path: `nodes[${node.id}].config.${key}`, nodeId: node.id, message: why });
        break;
      }
    }
  }
  return issues;
}

/** Child inputs a composition node gives that are known before the run (no templates), by config key. */
function staticInputs(type: string, config: Record<string, unknown>): [string, unknown][] {
  if (type === 'map') {
    const items = config['items'];
    const per = config['itemInput'];
    if (!Array.isArray(items) || (per !== undefined && !isStatic(per))) return [];
    return items.slice(0, 100).map((item, index) => ['items', per ?? { item, index }]);
  }
  const input = config['input'];
  return input !== undefined && isStatic(input) ? [['input', input]] : [];
}

// The canonical bytes live apart (serialize.ts): a studio page loads them without the validator.
export { serializeGraph } from './serialize.js';
