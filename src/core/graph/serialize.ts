/**
 * The canonical bytes of a graph file (docs/graph-format.md "Saving and versions"): what save, export and the dirty marker
 * compare. Apart from validate.ts so that a reader of graphs need not load the validator (ajv).
 */
import type { Graph } from './schema.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const TOP_KEYS = [
  'format',
  'version',
  'id',
  'name',
  'description',
  'input',
  'defaults',
  'budget',
  'concurrency',
  'nodes',
  'edges',
  'graphs',
];
const NODE_KEYS = [
  'id',
  'type',
  'label',
  'description',
  'position',
  'config',
  'retry',
  'timeoutMs',
  'sideEffect',
  'compensate',
];
const EDGE_KEYS = ['id', 'source', 'target', 'when'];

function ordered(obj: Obj, keys: string[], map: (k: string, v: unknown) => unknown = (_k, v) => v): Obj {
  const out: Obj = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = map(k, obj[k]);
  for (const [k, v] of Object.entries(obj)) if (!keys.includes(k) && v !== undefined) out[k] = map(k, v);
  return out;
}

/**
 * The canonical bytes of a graph: 2-space JSON with a stable key order (top level, nodes and
 * edges in the order of the example files; nested objects keep their own order) and a final
 * newline. An empty `config` is left out (it means the same as none).
 */
export function serializeGraph(graph: Graph): string {
  return JSON.stringify(canonicalGraph(graph), null, 2) + '\n';
}

/** A graph's canonical form; the graphs of its library are canonical too. */
function canonicalGraph(graph: Graph): Obj {
  return ordered(graph as Obj, TOP_KEYS, (k, v) => {
    if (k === 'graphs' && isObj(v))
      return Object.fromEntries(Object.entries(v).map(([id, g]) => [id, canonicalGraph(g as Graph)]));
    if (k === 'nodes' && Array.isArray(v)) {
      return v.map((n: Obj) => {
        const node = ordered(n, NODE_KEYS);
        if (isObj(node['config']) && Object.keys(node['config']).length === 0) delete node['config'];
        return node;
      });
    }
    if (k === 'edges' && Array.isArray(v)) return v.map((e: Obj) => ordered(e, EDGE_KEYS));
    return v;
  });
}
