/**
 * Templates (docs/graph-format.md "Templates"): strings may hold `{{ expr }}` where `expr` is a
 * JSONata expression evaluated against `{ input, nodes: { <id>: { output } } }`.
 * Compiled expressions and parsed template strings are cached: rendering is on the hot path.
 */
import jsonata from 'jsonata';
import { NodeFailure } from '../errors.js';
import type { TemplateScope } from '../ports.js';
import { EvalBudget, installLimits, type EvalLimits } from './template-limits.js';

export { limitsOf, TEMPLATE_MAX_DEPTH, TEMPLATE_TIME_CAP_MS, type EvalLimits } from './template-limits.js';

/** The bounds of a rendering: given ones, or the defaults (the hard time cap). */
const budgetOf = (limits: EvalLimits | EvalBudget | undefined): EvalBudget =>
  limits instanceof EvalBudget ? limits : new EvalBudget(limits);

/**
 * Matches `{{ expr }}` (group 1: the expression, trimmed). Approximate: an expression that
 * itself holds `}}` (nested object constructors) is only split correctly by the scanner
 * behind `templateExpressions` / `renderTemplates`, which tracks braces and quotes.
 */
export const TEMPLATE_RE = /\{\{\s*([\s\S]+?)\s*\}\}/g;

/** Config fields that are passed to runners as written, never rendered (see ports.ts). */
export const UNTEMPLATED_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'code',
  'mock',
  'outputSchema',
  'tools',
  'expression',
  'poll',
  'verify',
]);

/** One piece of a template string: literal text, or an expression between `{{ }}`. */
export type TemplatePart = { text: string } | { expr: string };

interface ParsedString {
  parts: TemplatePart[];
  /** The string is exactly one template: the result keeps the value's JSON type. */
  single: boolean;
}

const MAX_CACHE = 10_000;
const stringCache = new Map<string, ParsedString>();
const exprCache = new Map<string, jsonata.Expression>();

function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(key, value);
  return value;
}

/** Index just past the `}}` that closes the template opened at `start` (the `{{`), or -1. */
export function findClose(s: string, start: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = start + 2; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth > 0) depth--;
      else if (s[i + 1] === '}') return i + 2;
    }
  }
  return -1;
}

/**
 * Splits a string into literal text and `{{ }}` expressions (trimmed).
 * Throws NodeFailure('template') for an unterminated `{{` or an empty `{{ }}`.
 */
export function parseTemplateString(s: string): TemplatePart[] {
  return parseString(s).parts;
}

function parseString(s: string): ParsedString {
  const hit = stringCache.get(s);
  if (hit) return hit;
  const parts: TemplatePart[] = [];
  let pos = 0;
  for (;;) {
    const open = s.indexOf('{{', pos);
    if (open < 0) break;
    const close = findClose(s, open);
    if (close < 0)
      throw new NodeFailure('template', `unterminated template: "${s.slice(open, open + 40)}" has no closing }}`);
    const expr = s.slice(open + 2, close - 2).trim();
    if (!expr) throw new NodeFailure('template', `empty template "{{}}" in "${s.slice(0, 60)}"`);
    if (open > pos) parts.push({ text: s.slice(pos, open) });
    parts.push({ expr });
    pos = close;
  }
  if (pos < s.length) parts.push({ text: s.slice(pos) });
  const single = parts.length === 1 && 'expr' in parts[0]!;
  return remember(stringCache, s, { parts, single });
}

/** Every `{{ expr }}` inside any string of `value`, deep in objects and arrays. */
export function templateExpressions(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!v.includes('{{')) return;
      for (const p of parseString(v).parts) if ('expr' in p) out.push(p.expr);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (v !== null && typeof v === 'object') {
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(value);
  return out;
}

/** The compiled JSONata expression (cached). Throws NodeFailure('template') on a syntax error. */
export function compileExpression(expr: string): jsonata.Expression {
  const hit = exprCache.get(expr);
  if (hit) return hit;
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expr);
    installLimits(compiled);
  } catch (err) {
    throw new NodeFailure('template', `invalid expression "${expr}": ${jsonataMessage(err)}`, { cause: err });
  }
  return remember(exprCache, expr, compiled);
}

function jsonataMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; position?: unknown; code?: unknown };
    const msg = typeof e.message === 'string' ? e.message : String(err);
    return typeof e.position === 'number' ? `${msg} (at position ${e.position})` : msg;
  }
  return String(err);
}

/** JSONata sequences are arrays with extra flags; hand out plain JSON values (copying only what differs). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) {
    let copy: unknown[] | null = (v as { sequence?: unknown }).sequence !== undefined ? [] : null;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const p = plain(x);
      if (copy === null && p !== x) copy = v.slice(0, i);
      if (copy !== null) copy.push(p);
    }
    return copy ?? v;
  }
  if (v !== null && typeof v === 'object') {
    // object constructors give null-prototype objects: hand out ordinary ones
    let copy: Record<string, unknown> | null =
      Object.getPrototypeOf(v) === null ? { ...(v as Record<string, unknown>) } : null;
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (copy === null && p !== x) copy = { ...(v as Record<string, unknown>) };
      if (copy !== null) copy[k] = p;
    }
    return copy ?? v;
  }
  return v;
}

/**
 * Evaluates one expression within `limits` (template-limits.ts: a deadline, a depth bound, a
 * signal); undefined, functions, JSONata errors and a bound passed fail with kind `template`.
 */
export async function evaluateExpression(
  expr: string,
  scope: TemplateScope,
  shown = `template {{${expr}}}`,
  limits?: EvalLimits | EvalBudget,
): Promise<unknown> {
  const compiled = compileExpression(expr);
  let value: unknown;
  try {
    value = await compiled.evaluate(scope, budgetOf(limits).probe());
  } catch (err) {
    if (err instanceof NodeFailure && err.kind === 'cancelled') throw err;
    throw new NodeFailure('template', `${shown} failed: ${jsonataMessage(err)}`, { cause: err });
  }
  if (value === undefined) {
    throw new NodeFailure('template', `${shown} evaluated to nothing (undefined); give optional references a default`);
  }
  if (typeof value === 'function')
    throw new NodeFailure('template', `${shown} evaluated to a function, not a JSON value`);
  return plain(value);
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

async function renderString(s: string, scope: TemplateScope, budget: EvalBudget): Promise<unknown> {
  const parsed = parseString(s);
  const single = parsed.single ? (parsed.parts[0] as { expr: string }).expr : undefined;
  if (single !== undefined) return evaluateExpression(single, scope, undefined, budget);
  const pieces = await Promise.all(
    parsed.parts.map((p) => ('text' in p ? p.text : evaluateExpression(p.expr, scope, undefined, budget).then(asText))),
  );
  return pieces.join('');
}

/**
 * Renders every template in `value`, deep. A string that is exactly one template takes the
 * value's JSON type; a template inside a longer string renders as text (objects as compact
 * JSON, strings bare). Non-string leaves are returned as is. Every template shares `limits`.
 */
export async function renderTemplates(
  value: unknown,
  scope: TemplateScope,
  limits?: EvalLimits | EvalBudget,
): Promise<unknown> {
  return renderDeep(value, scope, budgetOf(limits));
}

async function renderDeep(value: unknown, scope: TemplateScope, budget: EvalBudget): Promise<unknown> {
  if (typeof value === 'string') return value.includes('{{') ? renderString(value, scope, budget) : value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderDeep(v, scope, budget)));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const rendered = await Promise.all(entries.map(([, v]) => renderDeep(v, scope, budget)));
    const out: Record<string, unknown> = {};
    entries.forEach(([k], i) => (out[k] = rendered[i]));
    return out;
  }
  return value;
}

/** A node's config with its templates rendered; the keys in `skip` are passed as written. */
export async function renderConfig(
  config: Record<string, unknown>,
  scope: TemplateScope,
  skip: ReadonlySet<string> = UNTEMPLATED_CONFIG_KEYS,
  limits?: EvalLimits,
): Promise<Record<string, unknown>> {
  const budget = budgetOf(limits);
  const entries = Object.entries(config);
  const rendered = await Promise.all(entries.map(([k, v]) => (skip.has(k) ? v : renderDeep(v, scope, budget))));
  const out: Record<string, unknown> = {};
  entries.forEach(([k], i) => (out[k] = rendered[i]));
  return out;
}

/** Evaluates a bare JSONata expression (no braces) that must give a boolean. */
export async function evalCondition(expr: string, scope: TemplateScope, limits?: EvalLimits): Promise<boolean> {
  const value = await evaluateExpression(expr, scope, `condition "${expr}"`, limits);
  if (typeof value !== 'boolean') {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new NodeFailure(
      'template',
      `condition "${expr}" must give a boolean, got ${got}: ${asText(value).slice(0, 80)}`,
    );
  }
  return value;
}
