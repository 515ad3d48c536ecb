/**
 * The studio's view of each node kind. The kind itself (its name, hint, default config, panel
 * fields, whether it branches, streams, reads every upstream output or can run alone) is the
 * core descriptor (core/nodes/<type>/index.ts); this module adds what only the studio draws,
 * in one table keyed by NodeType: the minimap color, what the card summarises, a note above
 * the panel's fields, and the shape of the node's output (completion of `nodes.<id>.output.`).
 */
import type { Graph, GraphNode } from '../../core/graph/schema';
import type { NodeKind, PanelField } from '../../core/nodes/kind';
import { NODE_KINDS, type NodeType } from '../../core/nodes/registry';

/** Where an expression field's text is evaluated: a template string (`{{ }}` inside) or a bare condition. */
export type ExpressionKind = 'template' | 'condition';

/** What a card shows at a glance. */
export type SummarySpec =
  | { kind: 'input-fields' }
  | { kind: 'model' }
  | { kind: 'request' }
  | { kind: 'line'; key: string; mono?: boolean; max?: number }
  | { kind: 'keys'; key: string }
  | { kind: 'duration'; key: string; label: string }
  /** A composition node: the graph it runs, and one more config value (`key`) under `label`. */
  | { kind: 'child'; key?: string; label?: string };

/** The keys a value has, as far as they are known before a run: nested keys, or null (unknown / a leaf). */
export type Shape = { readonly [key: string]: Shape } | null;

/** The shape a JSON Schema describes (its object properties, nested). */
export function schemaShape(schema: unknown): Shape {
  const props = (schema as { properties?: unknown } | null | undefined)?.properties;
  if (!props || typeof props !== 'object') return null;
  return Object.fromEntries(Object.entries(props as Record<string, unknown>).map(([k, v]) => [k, schemaShape(v)]));
}

/** The shape of a template's value: its object keys, nested (strings are leaves). */
function templateShape(t: unknown): Shape {
  if (!t || typeof t !== 'object' || Array.isArray(t)) return null;
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, templateShape(v)]));
}

const modelOutput = (n: GraphNode, agent: boolean): Shape => ({
  text: null,
  ...(n.config['outputSchema'] !== undefined ? { json: schemaShape(n.config['outputSchema']) } : {}),
  usage: { inputTokens: null, outputTokens: null },
  costUsd: null,
  model: null,
  ...(agent ? { steps: null } : {}),
});

/** What only the studio knows of a kind. */
interface StudioKind {
  /** The minimap's color (the card uses the theme's --t-<kind>). */
  color: string;
  summary: SummarySpec;
  /** Shown above the panel's fields. */
  note?: string;
  /** The shape of its output, as far as its config tells. */
  output(node: GraphNode, graph: Pick<Graph, 'input'>): Shape;
}

const STUDIO: Record<NodeType, StudioKind> = {
  input: {
    color: '#64748b',
    summary: { kind: 'input-fields' },
    note: "The run input enters the graph here. Its shape is the graph's input schema (Graph panel).",
    output: (_n, g) => schemaShape(g.input),
  },
  llm: { color: '#8b5cf6', summary: { kind: 'model' }, output: (n) => modelOutput(n, false) },
  http: {
    color: '#0ea5e9',
    summary: { kind: 'request' },
    output: () => ({ status: null, headers: null, body: null }),
  },
  code: { color: '#f59e0b', summary: { kind: 'line', key: 'code', mono: true, max: 60 }, output: () => null },
  transform: {
    color: '#14b8a6',
    summary: { kind: 'keys', key: 'template' },
    output: (n) => templateShape(n.config['template']),
  },
  condition: {
    color: '#ec4899',
    summary: { kind: 'line', key: 'expression', mono: true },
    output: () => ({ value: null }),
  },
  approval: {
    color: '#f97316',
    summary: { kind: 'line', key: 'title' },
    output: () => ({ approved: null, by: null, comment: null, data: null }),
  },
  delay: {
    color: '#6366f1',
    summary: { kind: 'duration', key: 'ms', label: 'wait' },
    output: () => ({ waitedMs: null }),
  },
  agent: { color: '#a855f7', summary: { kind: 'model' }, output: (n) => modelOutput(n, true) },
  subgraph: { color: '#0d9488', summary: { kind: 'child' }, output: () => null },
  map: {
    color: '#2563eb',
    summary: { kind: 'child', key: 'items', label: 'items' },
    output: () => ({ results: null, errors: null, succeeded: null, failed: null }),
  },
  loop: {
    color: '#db2777',
    summary: { kind: 'child', key: 'until', label: 'until' },
    output: () => ({ result: null, iterations: null, stoppedBy: null }),
  },
  output: {
    color: '#22c55e',
    summary: { kind: 'line', key: 'value', mono: true },
    output: (n) => templateShape(n.config['value']),
  },
};

/** A kind as the studio draws it: its core descriptor, what follows from it, and the studio's table. */
export interface NodeKindUi extends StudioKind {
  readonly core: NodeKind;
  readonly label: string;
  readonly hint: string;
  /** Edges leaving it carry `when` (two handles: true / false). */
  readonly branching: boolean;
  /** Streams text while it runs (shown on the card and in the inspector): it calls a model. */
  readonly streams: boolean;
  /** Reads every upstream output (not only the ones its templates name): code and agents. */
  readonly readsUpstream: boolean;
  /** Can run alone in "Test node": not a person's decision, not child runs of other graphs. */
  readonly testable: boolean;
  readonly fields: readonly PanelField[];
}

const UI = new Map<string, NodeKindUi>(
  NODE_KINDS.map((k) => {
    const core = k as unknown as NodeKind;
    const ui: NodeKindUi = {
      ...STUDIO[k.type],
      core,
      label: core.label,
      hint: core.hint,
      branching: core.branch !== undefined,
      streams: core.callsModel === true,
      readsUpstream: core.scopeOfAncestors === true,
      testable: core.execution !== 'person' && core.execution !== 'children',
      fields: core.panel,
    };
    return [k.type, ui];
  }),
);

/** The studio's view of a type, or undefined for a type no kind has (a file from a newer version). */
export const kindUi = (type: string): NodeKindUi | undefined => UI.get(type);

/**
 * The expression editor a panel field gets: templates and conditions evaluated over the node's
 * scope. Keys the kind renders later over a scope of its own (a loop's `until`, a map's
 * `itemInput`) get none: completion and preview would be of the wrong values.
 */
export function expressionOf(kind: NodeKind, field: PanelField): ExpressionKind | undefined {
  if (kind.untemplated?.includes(field.key)) return undefined;
  switch (field.input) {
    case 'template':
      return 'template';
    case 'expression':
      return 'condition';
    case 'text':
    case 'textarea':
    case 'code':
    case 'json':
    case 'number':
    case 'select':
      return undefined;
  }
}
