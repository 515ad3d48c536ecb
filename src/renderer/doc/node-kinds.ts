/**
 * What the studio knows of each node kind, in one place and as data: its name and hint (the
 * palette), its minimap color, its default config, whether it branches (true/false handles),
 * the fields of its panel, what its card summarises, and its capabilities (streams text, reads
 * every upstream output, can be tested alone). The palette, the card, the panel, the node test
 * and the expression editor all read this table; a core descriptor per kind can feed it later.
 */
import type { Graph, GraphNode, NodeType } from '../../core/graph/schema';

/** Where an expression field's text is evaluated: a template string (`{{ }}` inside) or a bare condition. */
export type ExpressionKind = 'template' | 'condition';

export type FieldSpec =
  | {
      kind: 'text';
      key: string;
      label: string;
      hint?: string;
      mono?: boolean;
      /** Empty removes the key (an optional field). */
      optional?: boolean;
      rows?: number;
      expression?: ExpressionKind;
      /** Shown only when another config key has this value. */
      when?: { key: string; equals: string };
    }
  | { kind: 'select'; key: string; label: string; options: readonly string[] }
  | { kind: 'number'; key: string; label: string; min?: number }
  | { kind: 'code'; key: string; label: string; hint?: string }
  | { kind: 'json'; key: string; label: string; hint?: string; expression?: ExpressionKind }
  | { kind: 'note'; text: string }
  | { kind: 'row'; fields: FieldSpec[] };

/** What a card shows at a glance. */
export type SummarySpec =
  | { kind: 'input-fields' }
  | { kind: 'model' }
  | { kind: 'request' }
  | { kind: 'line'; key: string; mono?: boolean; max?: number }
  | { kind: 'keys'; key: string }
  | { kind: 'duration'; key: string; label: string };

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

export interface NodeKindUi {
  label: string;
  hint: string;
  /** The minimap's color (the card uses the theme's --t-<kind>). */
  color: string;
  /** A config that validates as is, so a freshly dropped node shows no error until edited. */
  defaultConfig(): Record<string, unknown>;
  /** Edges leaving it carry `when` (two handles: true / false). */
  branching: boolean;
  fields: readonly FieldSpec[];
  summary: SummarySpec;
  /** Streams text while it runs (shown on the card and in the inspector). */
  streams: boolean;
  /** Reads every upstream output (not only the ones its templates name): code and agents. */
  readsUpstream: boolean;
  /** Can run alone in "Test node" (an approval waits for a person). */
  testable: boolean;
  /** The shape of its output, as far as its config tells (completion of `nodes.<id>.output.`). */
  output(node: GraphNode, graph: Pick<Graph, 'input'>): Shape;
}

export const PROVIDERS = ['mock', 'openai', 'anthropic', 'openai-compatible'] as const;
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const TEMPLATE_HINT = 'templates: {{input.x}}, {{nodes.id.output}}';

const modelFields = (agent: boolean): FieldSpec[] => [
  {
    kind: 'row',
    fields: [
      { kind: 'select', key: 'provider', label: 'Provider', options: PROVIDERS },
      { kind: 'text', key: 'model', label: 'Model', mono: true },
    ],
  },
  {
    kind: 'text',
    key: 'baseURL',
    label: 'Base URL',
    mono: true,
    optional: true,
    when: { key: 'provider', equals: 'openai-compatible' },
  },
  { kind: 'text', key: 'system', label: 'System', rows: 2, optional: true, expression: 'template' },
  { kind: 'text', key: 'prompt', label: 'Prompt', rows: 5, hint: TEMPLATE_HINT, expression: 'template' },
  ...(agent ? [{ kind: 'number', key: 'maxSteps', label: 'Max steps', min: 1 } as const] : []),
];

export const NODE_KINDS: Record<NodeType, NodeKindUi> = {
  input: {
    label: 'Input',
    hint: 'The run input',
    color: '#64748b',
    defaultConfig: () => ({}),
    branching: false,
    fields: [
      {
        kind: 'note',
        text: "The run input enters the graph here. Its shape is the graph's input schema (Graph panel).",
      },
    ],
    summary: { kind: 'input-fields' },
    streams: false,
    readsUpstream: false,
    testable: true,
    output: (_n, g) => schemaShape(g.input),
  },
  llm: {
    label: 'LLM',
    hint: 'Call a language model',
    color: '#8b5cf6',
    defaultConfig: () => ({
      provider: 'mock',
      model: 'mock-1',
      prompt: 'Summarize: {{input}}',
      mock: { reply: 'A short summary.' },
    }),
    branching: false,
    fields: modelFields(false),
    summary: { kind: 'model' },
    streams: true,
    readsUpstream: false,
    testable: true,
    output: (n) => modelOutput(n, false),
  },
  http: {
    label: 'HTTP',
    hint: 'Call an HTTP endpoint',
    color: '#0ea5e9',
    defaultConfig: () => ({ method: 'GET', url: 'https://example.com/' }),
    branching: false,
    fields: [
      {
        kind: 'row',
        fields: [
          { kind: 'select', key: 'method', label: 'Method', options: METHODS },
          { kind: 'text', key: 'url', label: 'URL', mono: true, expression: 'template' },
        ],
      },
    ],
    summary: { kind: 'request' },
    streams: false,
    readsUpstream: false,
    testable: true,
    output: () => ({ status: null, headers: null, body: null }),
  },
  code: {
    label: 'Code',
    hint: 'Run JavaScript',
    color: '#f59e0b',
    defaultConfig: () => ({ code: 'return input;' }),
    branching: false,
    fields: [{ kind: 'code', key: 'code', label: 'Code', hint: 'body of function (input, nodes)' }],
    summary: { kind: 'line', key: 'code', mono: true, max: 60 },
    streams: false,
    readsUpstream: true,
    testable: true,
    output: () => null,
  },
  transform: {
    label: 'Transform',
    hint: 'Shape data with templates',
    color: '#14b8a6',
    defaultConfig: () => ({ template: { value: '{{input}}' } }),
    branching: false,
    fields: [
      {
        kind: 'json',
        key: 'template',
        label: 'Template',
        hint: 'JSON; strings may hold templates',
        expression: 'template',
      },
    ],
    summary: { kind: 'keys', key: 'template' },
    streams: false,
    readsUpstream: false,
    testable: true,
    output: (n) => templateShape(n.config['template']),
  },
  condition: {
    label: 'Condition',
    hint: 'Branch on an expression',
    color: '#ec4899',
    defaultConfig: () => ({ expression: 'true' }),
    branching: true,
    fields: [
      {
        kind: 'text',
        key: 'expression',
        label: 'Expression',
        rows: 2,
        mono: true,
        hint: 'JSONata, gives a boolean',
        expression: 'condition',
      },
    ],
    summary: { kind: 'line', key: 'expression', mono: true },
    streams: false,
    readsUpstream: false,
    testable: true,
    output: () => ({ value: null }),
  },
  approval: {
    label: 'Approval',
    hint: 'Wait for a person',
    color: '#f97316',
    defaultConfig: () => ({ title: 'Approve this step?' }),
    branching: true,
    fields: [
      { kind: 'text', key: 'title', label: 'Title', expression: 'template' },
      { kind: 'text', key: 'details', label: 'Details', rows: 3, optional: true, expression: 'template' },
    ],
    summary: { kind: 'line', key: 'title' },
    streams: false,
    readsUpstream: false,
    testable: false,
    output: () => ({ approved: null, by: null, comment: null, data: null }),
  },
  delay: {
    label: 'Delay',
    hint: 'Wait durably',
    color: '#6366f1',
    defaultConfig: () => ({ ms: 1000 }),
    branching: false,
    fields: [{ kind: 'number', key: 'ms', label: 'Wait (ms)' }],
    summary: { kind: 'duration', key: 'ms', label: 'wait' },
    streams: false,
    readsUpstream: false,
    testable: true,
    output: () => ({ waitedMs: null }),
  },
  agent: {
    label: 'Agent',
    hint: 'Model with tools, in a loop',
    color: '#a855f7',
    defaultConfig: () => ({
      provider: 'mock',
      model: 'mock-1',
      prompt: 'Help with: {{input}}',
      tools: [],
      maxSteps: 8,
      mock: { reply: 'Done.' },
    }),
    branching: false,
    fields: modelFields(true),
    summary: { kind: 'model' },
    streams: true,
    readsUpstream: true,
    testable: true,
    output: (n) => modelOutput(n, true),
  },
  output: {
    label: 'Output',
    hint: 'A result of the run',
    color: '#22c55e',
    defaultConfig: () => ({ value: '{{input}}' }),
    branching: false,
    fields: [
      { kind: 'text', key: 'value', label: 'Value', rows: 2, mono: true, hint: 'template', expression: 'template' },
    ],
    summary: { kind: 'line', key: 'value', mono: true },
    streams: false,
    readsUpstream: false,
    testable: true,
    output: (n) => templateShape(n.config['value']),
  },
};

/** The kind of a node type the studio may not know (a newer file): a plain one. */
export const kindOf = (type: string): NodeKindUi | undefined => NODE_KINDS[type as NodeType];
