/**
 * Reads of the run input in templates (docs/graph-format.md "Templates"). A template that is only
 * a read of an optional input property (`{{input.country}}`) evaluates to nothing when a run
 * leaves the property out, and the node fails with kind `template`. `optionalInputReads` finds
 * those reads so the studio can warn before a run does: the property is not `required` by the
 * input schema, the schema gives it no `default`, and the template has no fallback of its own
 * (`{{input.country ? input.country : 'unknown'}}`, `{{$exists(input.country) ? … : …}}`).
 */
import type { Graph } from './schema.js';
import { compileExpression, templateExpressions, UNTEMPLATED_CONFIG_KEYS } from './templates.js';

type Ast = Record<string, unknown>;
const isAst = (v: unknown): v is Ast => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Functions that give a value even when their argument is missing. */
const SAFE_FUNCTIONS = new Set(['exists', 'boolean', 'not', 'count', 'type']);

/** The input property a path reads (`input.x…`, `$.input.x…`, `$$.input.x…`), or null. */
function inputProp(path: Ast): string | null {
  const steps = path['steps'];
  if (!Array.isArray(steps)) return null;
  let i = 0;
  const s0 = steps[0];
  if (isAst(s0) && s0['type'] === 'variable' && (s0['value'] === '' || s0['value'] === '$')) i = 1;
  const a = steps[i];
  const b = steps[i + 1];
  if (!isAst(a) || a['type'] !== 'name' || a['value'] !== 'input') return null;
  return isAst(b) && (b['type'] === 'name' || b['type'] === 'string') && typeof b['value'] === 'string'
    ? b['value']
    : null;
}

export interface InputRead {
  prop: string;
  /** Nothing else in the expression can give a value when the property is missing. */
  bare: boolean;
}

/** Every `input.<prop>` an expression reads. Throws NodeFailure('template') when it does not parse. */
export function inputReads(expr: string): InputRead[] {
  const ast = compileExpression(expr).ast() as unknown;
  const out: InputRead[] = [];
  const root = isAst(ast) ? ast : null;
  const bareRoots = new Set<Ast>();
  if (root?.['type'] === 'path') bareRoots.add(root);
  if (root?.['type'] === 'function' && isAst(root['procedure'])) {
    const name = root['procedure']['value'];
    if (typeof name === 'string' && !SAFE_FUNCTIONS.has(name) && Array.isArray(root['arguments']))
      for (const arg of root['arguments']) if (isAst(arg) && arg['type'] === 'path') bareRoots.add(arg);
  }
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      stack.push(...n);
      continue;
    }
    if (!isAst(n)) continue;
    if (n['type'] === 'path') {
      const prop = inputProp(n);
      if (prop !== null) out.push({ prop, bare: bareRoots.has(n) });
    }
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') stack.push(v);
  }
  return out;
}

export interface OptionalInputRead {
  nodeId: string;
  /** Where: `nodes[policy_screen].config.prompt`. */
  path: string;
  prop: string;
  message: string;
}

/** The input properties a run may leave out: not required and without a default in the input schema. */
export function optionalInputProps(graph: Pick<Graph, 'input'>): Set<string> {
  const schema = graph.input as { properties?: Record<string, { default?: unknown }>; required?: unknown } | undefined;
  const props = schema?.properties;
  if (!props || typeof props !== 'object') return new Set();
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return new Set(
    Object.entries(props)
      .filter(([k, p]) => !required.has(k) && (p === null || typeof p !== 'object' || !('default' in p)))
      .map(([k]) => k),
  );
}

/** Templates that are only a read of an optional input property: a run without it fails there. */
export function optionalInputReads(graph: Graph): OptionalInputRead[] {
  const optional = optionalInputProps(graph);
  if (optional.size === 0) return [];
  const out: OptionalInputRead[] = [];
  for (const node of graph.nodes) {
    for (const [key, value] of Object.entries(node.config ?? {})) {
      if (UNTEMPLATED_CONFIG_KEYS.has(key)) continue;
      for (const expr of templateExpressions(value)) {
        let reads: InputRead[];
        try {
          reads = inputReads(expr);
        } catch {
          continue; // a syntax error is reported by validation
        }
        for (const r of reads) {
          if (!r.bare || !optional.has(r.prop)) continue;
          out.push({
            nodeId: node.id,
            path: `nodes[${node.id}].config.${key}`,
            prop: r.prop,
            message: `{{${expr}}} reads input.${r.prop}, which the input schema neither requires nor gives a default: a run without it fails here (make it required, give it a default, or write {{input.${r.prop} ? input.${r.prop} : '…'}})`,
          });
        }
      }
    }
  }
  return out;
}
