/**
 * Which nodes an expression reads (`nodes.<id>…`), from its JSONata syntax tree: for validation
 * (a reference must be upstream) and the studio (what a node test needs pinned).
 */
import { compileExpression } from './templates.js';

const MAX_CACHE = 10_000;

type Ast = Record<string, unknown>;

const isAst = (v: unknown): v is Ast => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `nodes`, `$.nodes` or `$$.nodes` at the start of a path's steps: the index of the step after it, else -1. */
function nodesStepEnd(steps: unknown[]): number {
  const s0 = steps[0];
  if (!isAst(s0)) return -1;
  if (s0['type'] === 'name' && s0['value'] === 'nodes') return isPlainStep(s0) ? 1 : -2;
  if (s0['type'] === 'variable' && (s0['value'] === '' || s0['value'] === '$')) {
    const s1 = steps[1];
    if (isAst(s1) && s1['type'] === 'name' && s1['value'] === 'nodes') return isPlainStep(s1) ? 2 : -2;
  }
  return -1;
}

/** A step with no predicate, group or sort attached. */
const isPlainStep = (step: Ast): boolean => !step['stages'] && !step['group'] && !step['predicate'];

/** The node a path reads (`nodes.<id>…`), `'*'` for a dynamic read of `nodes`, or null. */
function pathReference(path: Ast): string | null {
  const steps = path['steps'];
  if (!Array.isArray(steps)) return null;
  const end = nodesStepEnd(steps);
  if (end === -1) return null;
  if (end === -2) return '*';
  const next = steps[end];
  if (isAst(next) && (next['type'] === 'name' || next['type'] === 'string') && typeof next['value'] === 'string') {
    return next['value'];
  }
  return '*'; // `nodes`, `nodes.*`, `nodes.**`, `nodes.($x)`, `nodes{…}`
}

/** Node references of an expression, from its syntax tree. */
export interface ExpressionRefs {
  /** Ids read as `nodes.<id>…` (also `$$.nodes.<id>`, `$lookup(nodes, 'id')`). */
  nodes: Set<string>;
  /** `nodes` is read as a whole (`nodes.*`, `$keys(nodes)`, `nodes[…]`): the ids cannot be known. */
  dynamic: boolean;
}

/**
 * Walks the JSONata syntax tree of `expr` for reads of `nodes.<id>`. Conservative: a
 * path starting with `nodes` counts wherever it appears (function arguments, conditions,
 * predicates, lambdas, blocks, object constructors).
 * Throws NodeFailure('template') when `expr` does not parse.
 */
export function expressionRefs(expr: string): ExpressionRefs {
  let hit = refsCache.get(expr);
  if (!hit) {
    if (refsCache.size >= MAX_CACHE) refsCache.clear();
    refsCache.set(expr, (hit = walkRefs(expr)));
  }
  return { nodes: new Set(hit.nodes), dynamic: hit.dynamic };
}

const refsCache = new Map<string, ExpressionRefs>();

function walkRefs(expr: string): ExpressionRefs {
  const ast = compileExpression(expr).ast() as unknown;
  const refs: ExpressionRefs = { nodes: new Set(), dynamic: false };
  const handled = new Set<Ast>();
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    if (!isAst(n)) continue;
    if (n['type'] === 'function' && isAst(n['procedure']) && n['procedure']['value'] === 'lookup') {
      const args = n['arguments'];
      const [a0, a1] = Array.isArray(args) ? args : [];
      if (
        isAst(a0) &&
        a0['type'] === 'path' &&
        isAst(a1) &&
        a1['type'] === 'string' &&
        typeof a1['value'] === 'string'
      ) {
        const steps = a0['steps'];
        if (Array.isArray(steps) && nodesStepEnd(steps) === steps.length) {
          refs.nodes.add(a1['value']);
          handled.add(a0);
        }
      }
    }
    if (n['type'] === 'path' && !handled.has(n)) {
      const ref = pathReference(n);
      if (ref === '*') refs.dynamic = true;
      else if (ref !== null) refs.nodes.add(ref);
    }
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') stack.push(v);
  }
  return refs;
}

/** Node ids the expression reads as `nodes.<id>…`. Throws NodeFailure('template') if it does not parse. */
export function referencedNodes(expr: string): Set<string> {
  return expressionRefs(expr).nodes;
}
