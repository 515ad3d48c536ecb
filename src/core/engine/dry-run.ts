/**
 * `--dry-run`: the execution order and a worst-case token estimate, for a new run or for what is
 * left of an existing one. Prompts are filled in with the input and with every upstream model
 * reply at its worst (a mock's scripted reply, else `maxTokens` words); references to outputs no
 * one can know yet (code, http) count as their expression's text.
 */
import type { Graph, GraphNode } from '../graph/schema.js';
import { evaluateExpression, parseTemplateString, renderTemplates } from '../graph/templates.js';
import { topology, type Topology } from '../graph/topology.js';
import type { TemplateScope } from '../ports.js';
import { countTokens, replyText } from '../nodes/llm/mock-provider.js';
import { kindOf } from '../nodes/registry.js';
import { isFinishedNode } from './machines.js';
import { retryPolicy } from './plan.js';
import { assertApprovable, assertResumable, assertRetryable, nodeIn } from './preconditions.js';
import type { RunState } from './state.js';

export interface DryRunPlan {
  order: string[];
  /** Nodes grouped by depth: each level can run in parallel. */
  levels: string[][];
  worstCaseTokens: number;
  modelCalls: number;
  /** Child runs of subgraph, map and loop nodes at most (their tokens and calls are counted above). */
  childRuns: number;
  /** Map nodes whose items are not known before the run: each counted as one item. */
  itemsUnknown: string[];
}

export interface DryRunOptions {
  /** The run's input, when known. */
  input?: unknown;
  /** Plan only these nodes (what is left of a run); the others are done or will not run. */
  only?: ReadonlySet<string>;
  /** Outputs already recorded (an existing run's succeeded nodes). */
  outputs?: Record<string, { output: unknown }>;
  /** The graphs child runs may name (the top-level file's library; its own `graphs` by default). */
  library?: Record<string, Graph>;
}

/** ~1.3 tokens per word for real tokenizers (the mock counts one per word). */
const TOKENS_PER_WORD = 1.3;
const DEFAULT_MAX_TOKENS = 4096;
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/** The longest reply a model call of `node` can give, and an output of that size for templates downstream. */
function worstReply(node: GraphNode): { tokens: number; output: unknown } {
  const c = node.config;
  const mock = c['mock'] as { reply?: unknown } | undefined;
  if (mock?.reply !== undefined) {
    const text = replyText(mock.reply);
    return {
      tokens: countTokens(text),
      output: { text, ...(typeof mock.reply === 'object' ? { json: mock.reply } : {}) },
    };
  }
  const tokens = typeof c['maxTokens'] === 'number' ? c['maxTokens'] : DEFAULT_MAX_TOKENS;
  return { tokens, output: { text: 'word '.repeat(tokens).trim() } };
}

/** A template string filled in where it can be; an expression that cannot be counts as its text. */
async function fill(
  value: unknown,
  scope: { input: unknown; nodes: Record<string, { output: unknown }> },
): Promise<string> {
  if (typeof value !== 'string') return value === undefined ? '' : asText(value);
  let parts;
  try {
    parts = parseTemplateString(value);
  } catch {
    return value;
  }
  const out = await Promise.all(
    parts.map(async (p) => {
      if ('text' in p) return p.text;
      try {
        return asText(await evaluateExpression(p.expr, scope));
      } catch {
        return p.expr;
      }
    }),
  );
  return out.join('');
}

export async function dryRunPlan(graph: Graph, topo: Topology, opts: DryRunOptions = {}): Promise<DryRunPlan> {
  const order = opts.only ? topo.order.filter((id) => opts.only!.has(id)) : topo.order;
  const included = new Set(order);
  const depth = new Map<string, number>();
  for (const id of order) {
    let d = 0;
    for (const e of topo.incoming.get(id) ?? []) if (included.has(e.source)) d = Math.max(d, depth.get(e.source)! + 1);
    depth.set(id, d);
  }
  const levels: string[][] = [];
  for (const id of order) (levels[depth.get(id)!] ??= []).push(id);

  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const scope = { input: opts.input ?? {}, nodes: { ...opts.outputs } };
  const plan: DryRunPlan = { order, levels, worstCaseTokens: 0, modelCalls: 0, childRuns: 0, itemsUnknown: [] };
  for (const id of order) {
    const node = nodes.get(id)!;
    const kind = kindOf(node);
    if (kind.children) {
      await addChildren(plan, graph, node, scope, opts.library ?? graph.graphs ?? {});
      continue;
    }
    // A transform is pure: its output is known when its inputs are (a map's items often come from one).
    if (kind.type === 'transform') {
      const output = await settle(node.config['template'], scope);
      if (output !== undefined) scope.nodes[id] = { output };
    }
    if (!kind.callsModel) continue;
    const c = node.config;
    const calls = retryPolicy(graph, node).maxAttempts * (kind.modelCalls?.(c) ?? 1);
    const prompt = (await fill(c['prompt'], scope)) + ' ' + (await fill(c['system'], scope));
    const reply = worstReply(node);
    plan.worstCaseTokens += (Math.ceil(countTokens(prompt) * TOKENS_PER_WORD) + reply.tokens) * calls;
    plan.modelCalls += calls;
    scope.nodes[id] = { output: reply.output };
  }
  return plan;
}

type Scope = { input: unknown; nodes: Record<string, { output: unknown }> };

/**
 * A composition node's children at their worst: the child graph's plan (for the largest item
 * when the items are known) times the child runs one attempt starts, times its attempts.
 */
async function addChildren(
  plan: DryRunPlan,
  graph: Graph,
  node: GraphNode,
  scope: Scope,
  library: Record<string, Graph>,
): Promise<void> {
  const kind = kindOf(node);
  const child = library[kind.childGraph?.(node.config) ?? ''];
  if (!child || !kind.children) return;
  const atMost = kind.children.atMost(node.config);
  let times = typeof atMost === 'number' ? atMost : 1;
  let itemScope: Record<string, unknown> = {};
  if (atMost === 'items') {
    const items = await settle(node.config['items'], scope);
    if (Array.isArray(items)) {
      times = items.length;
      const largest = items.reduce<unknown>((a, b) => (asText(b).length > asText(a).length ? b : a), items[0]);
      itemScope = { item: largest, index: 0 };
    } else plan.itemsUnknown.push(node.id);
  }
  const template = node.config[kind.children.input];
  const input =
    template === undefined && atMost === 'items' ? itemScope : await settle(template, { ...scope, ...itemScope });
  const sub = await dryRunPlan(child, topology(child), { input: input ?? {}, library });
  const n = times * retryPolicy(graph, node).maxAttempts;
  plan.worstCaseTokens += sub.worstCaseTokens * n;
  plan.modelCalls += sub.modelCalls * n;
  plan.childRuns += (1 + sub.childRuns) * n;
  plan.itemsUnknown.push(...sub.itemsUnknown.map((id) => `${node.id} › ${id}`));
}

/** A template rendered with what is known; undefined where it cannot be. */
async function settle(template: unknown, scope: Scope & Record<string, unknown>): Promise<unknown> {
  try {
    return await renderTemplates(template, scope as TemplateScope);
  } catch {
    return undefined;
  }
}

/** A control on an existing run, planned by `--dry-run`. */
export type DryControl =
  | { kind: 'resume' }
  | { kind: 'approve'; nodeId: string }
  | { kind: 'retry'; nodeId: string }
  | { kind: 'rerun'; nodeId: string };

/**
 * The nodes a control would leave to run, after checking it as the engine would (the same
 * errors). An approval counts as decided; a retried node's skipped descendants come back.
 */
export function nodesLeft(graph: Graph, topo: Topology, state: RunState, control: DryControl): Set<string> {
  const open = (id: string) => !isFinishedNode(state.nodes.get(id)!.status);
  switch (control.kind) {
    case 'resume':
      assertResumable(state);
      return new Set(topo.order.filter(open));
    case 'approve':
      assertApprovable(
        state,
        graph.nodes.find((n) => n.id === control.nodeId),
        control.nodeId,
      );
      return new Set(topo.order.filter((id) => id !== control.nodeId && open(id)));
    case 'retry': {
      assertRetryable(state, control.nodeId);
      const left = new Set(topo.order.filter(open));
      left.add(control.nodeId);
      for (const id of topo.descendants(control.nodeId))
        if (state.nodes.get(id)!.skipSource !== undefined) left.add(id);
      return left;
    }
    case 'rerun':
      nodeIn(state, control.nodeId);
      return new Set([control.nodeId, ...topo.descendants(control.nodeId)]);
  }
}
