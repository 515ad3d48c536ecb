/**
 * Graph validation (docs/graph-format.md "Validation"), run input validation and the canonical
 * serialization. Every refusal is an AppError('validation') whose message names the first
 * issue (node/edge/field) and whose `issues` hold them all.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { AppError, type ValidationIssue } from '../errors.js';
import type { KindChecker } from '../nodes/kind.js';
import { findKind, isNodeType, kindOf, NODE_KINDS, NODE_TYPES, sideEffectOf } from '../nodes/registry.js';
import { jsonSchemaProblem, schemaValidator } from './json-schema.js';
import { GraphSchema, type Graph, type GraphNode } from './schema.js';
import { depthPath, MAX_JSON_DEPTH, tooDeep } from '../json-depth.js';
import { expressionRefs, parseTemplateString, UNTEMPLATED_CONFIG_KEYS } from './templates.js';
import { codeSyntaxError, codeSyntaxText } from './code-syntax.js';
import { compositionIssues, isStatic } from './composition.js';
import { findCycle, formatCycle, topology, type Topology } from './topology.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `.key`, or `["odd key"]` when the key is not an identifier. */
const keySeg = (k: string | number): string =>
  typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;

function fail(all: ValidationIssue[], source?: string): never {
  const seen = new Set<string>();
  const issues = all.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const first = issues[0]!;
  const where = [source, first.path].filter(Boolean).join(': ');
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  throw new AppError('validation', `${where ? `${where}: ` : ''}${first.message}${more}`, issues);
}

// ---------------------------------------------------------------- JSON text

/** Offset of the first JSON syntax error in `s` (a small scanner, only to point at an error V8 does not place). */
function jsonErrorOffset(s: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++;
  };
  const str = (): boolean => {
    for (i++; i < s.length; i++) {
      const c = s[i]!;
      if (c === '"') return ++i > 0;
      if (c === '\\') i++;
      else if (c < ' ') return false;
    }
    return false;
  };
  const value = (): boolean => {
    ws();
    const open = s[i];
    if (open === '"') return str();
    if (open !== '{' && open !== '[') {
      const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
      if (m) i += m[0].length;
      return m !== null;
    }
    const close = open === '{' ? '}' : ']';
    i++;
    ws();
    if (s[i] === close) return ++i > 0;
    for (;;) {
      if (open === '{') {
        ws();
        if (s[i] !== '"' || !str()) return false;
        ws();
        if (s[i] !== ':') return false;
        i++;
      }
      if (!value()) return false;
      ws();
      if (s[i] === close) return ++i > 0;
      if (s[i] !== ',') return false;
      i++;
    }
  };
  try {
    if (value()) ws();
  } catch {
    return -1; // nested too deep to scan
  }
  return i;
}

/** Parses a graph file's text and validates it. `source` (a file name) prefixes messages. */
export function parseGraphText(text: string, source?: string, opts: ValidateOptions = {}): Graph {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : jsonErrorOffset(body);
    let where = '';
    if (pos >= 0) {
      const before = body.slice(0, pos).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    }
    const what = msg
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/[\n\r\t]/g, (c) => JSON.stringify(c).slice(1, -1));
    const reason = body.trim() === '' ? 'the file is empty' : what + where;
    fail([{ path: '', message: `not valid JSON: ${reason}` }], source);
  }
  return validateGraph(raw, source, opts);
}

// ---------------------------------------------------------------- run input (JSON Schema)

function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => keySeg(/^\d+$/.test(s) ? Number(s) : s))
    .join('');
}

function ajvIssue(e: ErrorObject, root: string): ValidationIssue {
  let message = e.message ?? 'is invalid';
  const p = e.params as Obj;
  if (typeof p['additionalProperty'] === 'string') message += ` ("${p['additionalProperty']}")`;
  if (Array.isArray(p['allowedValues'])) message += `: ${p['allowedValues'].map((v) => JSON.stringify(v)).join(', ')}`;
  return { path: root + pointerToPath(e.instancePath), message };
}

/** Refuses a value nested deeper than MAX_JSON_DEPTH before any recursive check walks it. */
function refuseTooDeep(value: unknown, root: string, source?: string): void {
  const path = tooDeep(value);
  if (!path) return;
  const where = [root, depthPath(path)].filter(Boolean).join(root && typeof path[0] !== 'number' ? '.' : '');
  fail([{ path: where, message: `nested more than ${MAX_JSON_DEPTH} levels deep` }], source);
}

/** Refuses a run input that does not satisfy `graph.input`, naming the JSON path. */
export function validateRunInput(graph: Graph, input: unknown): void {
  refuseTooDeep(input, 'input');
  if (graph.input === undefined) return;
  const validate = schemaValidator(graph.input);
  if (validate(input)) return;
  fail((validate.errors ?? []).map((e) => ajvIssue(e, 'input')));
}

// ---------------------------------------------------------------- graph rules

interface ZodIssueLike {
  message: string;
  code?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
}

/** A zod issue in a person's words: "must not be empty", not "Too small: expected string to have >=1 characters". */
function zodMessage(issue: ZodIssueLike): string {
  if (/received undefined$/.test(issue.message)) return 'is required';
  const { code, origin } = issue;
  const bound = code === 'too_small' ? issue.minimum : code === 'too_big' ? issue.maximum : undefined;
  if (bound !== undefined && (origin === 'string' || origin === 'array' || origin === 'number')) {
    const n = Number(bound);
    if (code === 'too_small' && n === 1 && origin !== 'number') return 'must not be empty';
    const cmp =
      code === 'too_small'
        ? issue.inclusive === false
          ? 'more than'
          : 'at least'
        : issue.inclusive === false
          ? 'less than'
          : 'at most';
    if (origin === 'number') return `must be ${cmp} ${n}`;
    return `must have ${cmp} ${n} ${origin === 'string' ? 'character' : 'item'}${n === 1 ? '' : 's'}`;
  }
  return issue.message.replace(/^Invalid (input|option): /, '');
}

interface Ctx {
  issues: ValidationIssue[];
  ids: Set<string>;
  topo: Topology | null;
}

/** Checks the node references of one expression at `path`, in node `node`. */
function checkExpression(
  ctx: Ctx,
  node: GraphNode,
  path: string,
  expr: string,
  allowSelf: boolean,
  shown: string,
): void {
  let refs: Set<string>;
  try {
    refs = expressionRefs(expr).nodes;
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/^invalid expression "[\s\S]*?": /, '') : String(err);
    ctx.issues.push({ path, nodeId: node.id, message: `invalid ${shown}: ${msg}` });
    return;
  }
  for (const ref of refs) {
    if (!ctx.ids.has(ref)) {
      ctx.issues.push({ path, nodeId: node.id, message: `references node "${ref}", which does not exist` });
    } else if (ctx.topo && !(allowSelf && ref === node.id) && !ctx.topo.isAncestor(ref, node.id)) {
      ctx.issues.push({
        path,
        nodeId: node.id,
        message: `references node "${ref}", which is not upstream of "${node.id}"`,
      });
    }
  }
}

/** Checks every template string under `value` (skipping `skipKeys` at its top level). */
function checkTemplates(
  ctx: Ctx,
  node: GraphNode,
  path: string,
  value: unknown,
  allowSelf: boolean,
  skipKeys?: ReadonlySet<string>,
): void {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return;
    let parts;
    try {
      parts = parseTemplateString(value);
    } catch (err) {
      ctx.issues.push({ path, nodeId: node.id, message: err instanceof Error ? err.message : String(err) });
      return;
    }
    for (const p of parts)
      if ('expr' in p) checkExpression(ctx, node, path, p.expr, allowSelf, `template {{${p.expr}}}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkTemplates(ctx, node, path + keySeg(i), v, allowSelf));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (!skipKeys?.has(k)) checkTemplates(ctx, node, path + keySeg(k), v, allowSelf);
    }
  }
}

/** The config of a node (or an agent tool's `run`, or a compensation) against its kind's schema. */
function checkConfig(ctx: Ctx, node: GraphNode, base: string, type: string, config: unknown): boolean {
  const kind = findKind(type);
  if (!kind) {
    ctx.issues.push({ path: base, nodeId: node.id, message: `unknown node type "${type}"` });
    return false;
  }
  const parsed = kind.configSchema.safeParse(config ?? {});
  if (parsed.success) {
    // JavaScript that does not parse as the function body it runs as: refused with where (nothing runs).
    let ok = true;
    for (const key of kind.javascript ?? []) {
      const code = (parsed.data as Record<string, unknown>)[key];
      const e = typeof code === 'string' ? codeSyntaxError(code) : undefined;
      if (!e) continue;
      ctx.issues.push({ path: base + keySeg(key), nodeId: node.id, message: codeSyntaxText(e) });
      ok = false;
    }
    return ok;
  }
  for (const i of parsed.error.issues) {
    ctx.issues.push({
      path: base + i.path.map((k) => keySeg(k as string | number)).join(''),
      nodeId: node.id,
      message: zodMessage(i),
    });
  }
  return false;
}

function checkSchema(ctx: Ctx, path: string, schema: unknown, nodeId?: string): void {
  if (schema === undefined) return;
  const problem = jsonSchemaProblem(schema);
  if (problem)
    ctx.issues.push({ path, message: `is not a valid JSON Schema: ${problem}`, ...(nodeId ? { nodeId } : {}) });
}

/** What a kind's own checks report into, at paths below `base` (`nodes[id].config`). */
function checkerFor(ctx: Ctx, node: GraphNode, base: string): KindChecker {
  const at = (path: string) => `${base}${path.startsWith('[') ? '' : '.'}${path}`;
  return {
    schema: (path, schema) => checkSchema(ctx, at(path), schema, node.id),
    config: (path, type, config) => checkConfig(ctx, node, at(path), type, config),
    templates: (path, value, skip) => checkTemplates(ctx, node, at(path), value, false, skip),
    expression: (path, expression, what) => checkExpression(ctx, node, at(path), expression, false, what),
    issue: (path, message) => ctx.issues.push({ path: at(path), nodeId: node.id, message }),
    sideEffect: sideEffectOf(node),
  };
}

const CODE_KEY: ReadonlySet<string> = new Set(['code']);

/** Config, schemas and templates of one node (templates only once the topology is known). */
function checkNode(ctx: Ctx, node: GraphNode, templates: boolean): void {
  const base = `nodes[${node.id}]`;
  const kind = kindOf(node);
  const config = node.config ?? {};
  const check = checkerFor(ctx, node, `${base}.config`);
  if (!templates) {
    const ok = checkConfig(ctx, node, `${base}.config`, node.type, config);
    if (node.compensate)
      checkConfig(ctx, node, `${base}.compensate.config`, node.compensate.type, node.compensate.config);
    if (ok) kind.checkConfig?.(kind.configSchema.parse(config), check);
    return;
  }
  for (const [k, v] of Object.entries(config)) {
    if (!UNTEMPLATED_CONFIG_KEYS.has(k)) checkTemplates(ctx, node, `${base}.config${keySeg(k)}`, v, false);
  }
  kind.checkTemplates?.(config, check);
  if (node.compensate) {
    const skip = node.compensate.type === 'code' ? CODE_KEY : undefined;
    checkTemplates(ctx, node, `${base}.compensate.config`, node.compensate.config, true, skip);
  }
}

/** Validates a parsed graph file against every rule of docs/graph-format.md "Validation"; returns it typed. */
export interface ValidateOptions {
  /**
   * Graphs named by composition nodes and not in the library: `refuse` (default), or `ignore`
   * while the host fills the library from the database and files (then it checks again).
   */
  missing?: 'refuse' | 'ignore';
}

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
