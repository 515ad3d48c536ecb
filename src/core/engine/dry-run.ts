/**
 * `--dry-run`: the execution order and a worst-case token estimate, for a new run or for what is
 * left of an existing one. Prompts are filled in with the input and with every upstream model
 * reply at its worst (a mock's scripted reply, else `maxTokens` words); references to outputs no
 * one can know yet (code, http) count as their expression's text.
 */
import type { Graph, GraphNode } from '../graph/schema.js';
import { evaluateExpression, parseTemplateString } from '../graph/templates.js';
import type { Topology } from '../graph/topology.js';
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
}

export interface DryRunOptions {
  /** The run's input, when known. */
  input?: unknown;
  /** Plan only these nodes (what is left of a run); the others are done or will not run. */
  only?: ReadonlySet<string>;
  /** Outputs already recorded (an existing run's succeeded nodes). */
  outputs?: Record<string, { output: unknown }>;
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
  let worstCaseTokens = 0;
  let modelCalls = 0;
  for (const id of order) {
    const node = nodes.get(id)!;
    const kind = kindOf(node);
    if (!kind.callsModel) continue;
    const c = node.config;
    const calls = retryPolicy(graph, node).maxAttempts * (kind.modelCalls?.(c) ?? 1);
    const prompt = (await fill(c['prompt'], scope)) + ' ' + (await fill(c['system'], scope));
    const reply = worstReply(node);
    worstCaseTokens += (Math.ceil(countTokens(prompt) * TOKENS_PER_WORD) + reply.tokens) * calls;
    modelCalls += calls;
    scope.nodes[id] = { output: reply.output };
  }
  return { order, levels, worstCaseTokens, modelCalls };
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
