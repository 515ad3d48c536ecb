/**
 * The expression editor's knowledge (pure): where the expressions of a field are (a template's
 * `{{ }}` pieces, or a whole condition), their problems with offsets (syntax, a node that is
 * not upstream, an input property the schema lacks or may leave out), what to complete at the
 * cursor (`input.*` from the input schema and the values at hand, `nodes.<upstream>.output.*`
 * from output shapes and the last run's values), and the rendered value for a live preview.
 */
import { NodeFailure } from '../../core/errors';
import { inputReads, optionalInputProps } from '../../core/graph/input-reads';
import type { Graph } from '../../core/graph/schema';
import { compileExpression, evalCondition, findClose, renderTemplates } from '../../core/graph/templates';
import { expressionRefs } from '../../core/graph/expression-refs';
import { topology } from '../../core/graph/topology';
import type { TemplateScope } from '../../core/ports';
import { kindUi, schemaShape, type ExpressionKind, type Shape } from '../doc/node-kinds';

/** A problem to underline: offsets into the text. */
export interface TextMarker {
  start: number;
  end: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ExprContext {
  graph: Graph;
  nodeId: string;
  /** Values at hand (the last run, or the pinned inputs), for completion and the preview. */
  scope: TemplateScope | null;
}

export interface Piece {
  expr: string;
  /** Offsets of the expression's text in the field. */
  start: number;
  end: number;
}

/** The expressions of a field, and an unterminated `{{` if there is one. */
export function piecesOf(text: string, kind: ExpressionKind): { pieces: Piece[]; unclosed?: number } {
  if (kind === 'condition') return { pieces: text.trim() ? [{ expr: text, start: 0, end: text.length }] : [] };
  const pieces: Piece[] = [];
  let pos = 0;
  for (;;) {
    const open = text.indexOf('{{', pos);
    if (open < 0) return { pieces };
    const close = findClose(text, open);
    if (close < 0) return { pieces, unclosed: open };
    const inner = text.slice(open + 2, close - 2);
    const lead = inner.length - inner.trimStart().length;
    pieces.push({ expr: inner.trim(), start: open + 2 + lead, end: open + 2 + lead + inner.trim().length });
    pos = close;
  }
}

function ancestors(graph: Graph, nodeId: string): Set<string> {
  try {
    return topology(graph).ancestors(nodeId);
  } catch {
    return new Set(); // a cycle is shown on the canvas
  }
}

/** Where in `expr` a word first occurs (for an underline), else the whole expression. */
function spot(p: Piece, word: string): { start: number; end: number } {
  const at = p.expr.indexOf(word);
  return at < 0 ? { start: p.start, end: p.end } : { start: p.start + at, end: p.start + at + word.length };
}

export function analyze(text: string, kind: ExpressionKind, ctx: ExprContext): TextMarker[] {
  const { pieces, unclosed } = piecesOf(text, kind);
  const out: TextMarker[] = [];
  if (unclosed !== undefined)
    out.push({ start: unclosed, end: unclosed + 2, message: 'this {{ has no closing }}', severity: 'error' });
  const above = ancestors(ctx.graph, ctx.nodeId);
  const ids = new Set(ctx.graph.nodes.map((n) => n.id));
  const props = schemaShape(ctx.graph.input);
  const optional = optionalInputProps(ctx.graph);
  for (const p of pieces) {
    if (!p.expr) {
      out.push({ start: p.start - 2, end: p.end + 2, message: 'an empty {{ }}', severity: 'error' });
      continue;
    }
    try {
      compileExpression(p.expr);
    } catch (err) {
      const position = (err instanceof NodeFailure ? (err.cause as { position?: unknown } | undefined) : undefined)
        ?.position;
      const at =
        typeof position === 'number' ? p.start + Math.max(0, Math.min(position - 1, p.expr.length - 1)) : p.start;
      out.push({
        start: at,
        end: typeof position === 'number' ? at + 1 : p.end,
        message: err instanceof Error ? err.message.replace(/^invalid expression "[^"]*": /, '') : String(err),
        severity: 'error',
      });
      continue;
    }
    for (const id of expressionRefs(p.expr).nodes) {
      const where = spot(p, `nodes.${id}`);
      if (!ids.has(id)) out.push({ ...where, message: `there is no node ${id}`, severity: 'error' });
      else if (!above.has(id))
        out.push({ ...where, message: `${id} is not upstream of ${ctx.nodeId}: connect it first`, severity: 'error' });
    }
    for (const r of inputReads(p.expr)) {
      const where = spot(p, `input.${r.prop}`);
      if (props && !(r.prop in props))
        out.push({ ...where, message: `input.${r.prop} is not in the graph's input schema`, severity: 'warning' });
      else if (kind === 'template' && r.bare && optional.has(r.prop))
        out.push({
          ...where,
          message: `input.${r.prop} is optional and has no default: a run without it fails here. Write {{input.${r.prop} ? input.${r.prop} : '…'}} or make it required`,
          severity: 'warning',
        });
    }
  }
  return out;
}

export interface Suggestion {
  label: string;
  detail: string;
  kind: 'field' | 'node' | 'function' | 'root';
}

const FUNCTIONS = ['$exists', '$string', '$number', '$uppercase', '$lowercase', '$trim', '$join', '$count', '$sum'];

const keysAt = (shape: Shape, path: string[]): string[] => {
  let s: Shape = shape;
  for (const k of path) s = s?.[k] ?? null;
  return s ? Object.keys(s) : [];
};
const valueKeysAt = (value: unknown, path: string[]): string[] => {
  let v = value;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
};

function fieldsOf(shape: Shape, value: unknown, path: string[], from: string): Suggestion[] {
  const known = keysAt(shape, path);
  const seen = valueKeysAt(value, path);
  return [...new Set([...known, ...seen])].map((k) => ({
    label: k,
    kind: 'field' as const,
    detail: known.includes(k) ? from : 'in the last run',
  }));
}

/** What can follow the text before the cursor; null when the cursor is not in an expression. */
export function suggest(before: string, kind: ExpressionKind, ctx: ExprContext): Suggestion[] | null {
  let expr = before;
  if (kind === 'template') {
    const open = before.lastIndexOf('{{');
    if (open < 0 || before.indexOf('}}', open) >= 0) return null;
    expr = before.slice(open + 2);
  }
  const path = (/[\w$.]*$/.exec(expr)?.[0] ?? '').split('.');
  path.pop(); // the word being typed: the editor replaces it
  const graph = ctx.graph;
  if (path.length === 0)
    return [
      { label: 'input', kind: 'root', detail: 'the run input' },
      { label: 'nodes', kind: 'root', detail: 'outputs of upstream nodes' },
      ...FUNCTIONS.map((f) => ({ label: f, kind: 'function' as const, detail: 'JSONata function' })),
    ];
  if (path[0] === 'input') return fieldsOf(schemaShape(graph.input), ctx.scope?.input, path.slice(1), 'input schema');
  if (path[0] !== 'nodes') return [];
  if (path.length === 1) {
    const above = ancestors(graph, ctx.nodeId);
    return graph.nodes
      .filter((n) => above.has(n.id))
      .map((n) => ({ label: n.id, kind: 'node' as const, detail: `${n.label ?? n.type} (upstream)` }));
  }
  if (path.length === 2) return [{ label: 'output', kind: 'field', detail: `what ${path[1]} gave` }];
  const node = graph.nodes.find((n) => n.id === path[1]);
  if (!node || path[2] !== 'output') return [];
  const shape = kindUi(node.type)?.output(node, graph) ?? null;
  return fieldsOf(shape, ctx.scope?.nodes[node.id]?.output, path.slice(3), `${node.type} output`);
}

/** The field's value against the values at hand: a template rendered, a condition's boolean. */
export async function preview(
  text: string,
  kind: ExpressionKind,
  scope: TemplateScope,
): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  try {
    return {
      ok: true,
      value: kind === 'condition' ? await evalCondition(text, scope) : await renderTemplates(text, scope),
    };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
