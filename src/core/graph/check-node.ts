/**
 * One node's part of graph validation: its config against its kind's schema (and the kind's own
 * checks), its JSON Schemas, and the node references of its templates and expressions.
 */
import type { ValidationIssue } from '../errors.js';
import type { KindChecker } from '../nodes/kind.js';
import { findKind, kindOf, sideEffectOf } from '../nodes/registry.js';
import { codeSyntaxError, codeSyntaxText } from './code-syntax.js';
import { isObj, keySeg, zodMessage } from './issues.js';
import { jsonSchemaProblem } from './json-schema.js';
import type { GraphNode } from './schema.js';
import { expressionRefs } from './expression-refs.js';
import { parseTemplateString, UNTEMPLATED_CONFIG_KEYS } from './templates.js';
import type { Topology } from './topology.js';

export interface Ctx {
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

export function checkSchema(ctx: Ctx, path: string, schema: unknown, nodeId?: string): void {
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
export function checkNode(ctx: Ctx, node: GraphNode, templates: boolean): void {
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
