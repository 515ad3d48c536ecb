/**
 * Test one node (the studio's "Test node"): run a single node of a draft graph with pinned
 * inputs (the run input and the outputs of the nodes it reads), without a run. Nothing is
 * stored: the node's runner is called directly, as the engine calls it for one attempt (the
 * config rendered against the scope, the node's timeout, tokens and logs collected), and its
 * result or error comes back.
 */
import { AppError, toNodeError, type NodeError } from '../core/errors.js';
import type { AgentStep, LogLevel, Usage } from '../core/events.js';
import type { Graph } from '../core/graph/schema.js';
import { renderConfig } from '../core/graph/templates.js';
import { topology } from '../core/graph/topology.js';
import { idempotencyKey, newRunId, type NodeId } from '../core/ids.js';
import type { RunnerRegistry } from '../core/engine/context.js';
import { untemplatedOf } from '../core/engine/node-task.js';
import { timeoutFor } from '../core/engine/plan.js';
import { runAttempt } from '../core/engine/run-context.js';
import type { NodeKind } from '../core/nodes/kind.js';
import { findKind } from '../core/nodes/registry.js';
import type { Clock, NodeRunContext, RunnerServices, TemplateScope } from '../core/ports.js';

export interface NodeTestRequest {
  graph: Graph;
  nodeId: string;
  /** The run input the node sees. */
  input: unknown;
  /** Pinned outputs of other nodes (those the node reads). */
  outputs: Record<string, unknown>;
}

export interface NodeTestResult {
  status: 'succeeded' | 'failed';
  /** The config with its templates rendered (what an attempt records as its input). */
  input?: unknown;
  output?: unknown;
  error?: NodeError;
  durationMs: number;
  stream: string;
  logs: { level: LogLevel; message: string }[];
  steps: AgentStep[];
  usage?: Usage;
  costUsd?: number;
  model?: string;
}

export interface NodeTestDeps {
  runners: RunnerRegistry;
  services: RunnerServices;
  clock: Clock;
}

/** Code and agent nodes see only what is upstream of them (as in a run); the rest see every pin. */
function scopeOf(req: NodeTestRequest, kind: NodeKind): TemplateScope {
  let ids = Object.keys(req.outputs);
  if (kind.scopeOfAncestors) {
    try {
      const above = topology(req.graph).ancestors(req.nodeId);
      ids = ids.filter((id) => above.has(id));
    } catch {
      /* a draft with a cycle: the pins as given */
    }
  }
  return { input: req.input, nodes: Object.fromEntries(ids.map((id) => [id, { output: req.outputs[id] }])) };
}

export async function testNode(deps: NodeTestDeps, req: NodeTestRequest): Promise<NodeTestResult> {
  const node = req.graph.nodes.find((n) => n.id === req.nodeId);
  if (!node) throw new AppError('not-found', `node ${req.nodeId} is not in graph ${req.graph.id}`);
  const kind = findKind(node.type);
  if (!kind) throw new AppError('validation', `nodes.${node.id}.type: unknown node type ${node.type}`);
  if (kind.execution === 'person')
    throw new AppError('usage', `node ${node.id} is an approval: it waits for a person, there is nothing to run`);
  if (kind.execution === 'children')
    throw new AppError(
      'usage',
      `node ${node.id} runs another graph as child runs: run the graph, or test the nodes of the graph it runs`,
    );
  const shape = kind.configSchema.safeParse(node.config ?? {});
  if (!shape.success) {
    const i = shape.error.issues[0]!;
    throw new AppError('validation', `nodes.${node.id}.config.${i.path.join('.')}: ${i.message}`);
  }
  const stream: string[] = [];
  const logs: NodeTestResult['logs'] = [];
  const steps: AgentStep[] = [];
  const started = deps.clock.now();
  const done = (r: Partial<NodeTestResult> & Pick<NodeTestResult, 'status'>): NodeTestResult => ({
    durationMs: deps.clock.now() - started,
    stream: stream.join(''),
    logs,
    steps,
    ...r,
  });
  const scope = scopeOf(req, kind);
  const timeoutMs = timeoutFor(req.graph, node);
  let config: Record<string, unknown>;
  try {
    // Bounded as in a run (template-limits.ts): a template that loops fails the test, never hangs the host.
    const limits = {
      timeoutMs,
      signal: new AbortController().signal,
      ...(deps.clock.turn ? { turn: deps.clock.turn } : {}),
    };
    config = await renderConfig(node.config ?? {}, scope, untemplatedOf(kind), limits);
  } catch (err) {
    return done({ status: 'failed', error: toNodeError(err) });
  }
  // As the engine does: in-process kinds run their own runner; the host supplies the others'.
  const runner = kind.execution === 'effect' ? (deps.runners[node.type] ?? kind.runner) : kind.runner;
  if (!runner)
    return done({
      status: 'failed',
      input: config,
      error: { kind: 'internal', message: `no runner for node type ${node.type} in this host`, retryable: false },
    });
  const runId = newRunId(deps.clock.now());
  const context = (signal: AbortSignal): NodeRunContext => ({
    runId,
    node,
    attempt: 1,
    idempotencyKey: idempotencyKey(runId, node.id as NodeId, 1),
    signal,
    timeoutMs,
    clock: deps.clock,
    scope,
    config,
    emitTokens: (text) => void stream.push(text),
    log: (level, message) => void logs.push({ level, message }),
    recordedSteps: [],
    recordStep: async (step) => void steps.push(step),
    recordPoll: async () => undefined,
    services: deps.services,
  });
  try {
    // Every kind gets the node's time limit here (a test of a long delay ends at it).
    const limit = { timeoutMs, parent: new AbortController().signal, clock: deps.clock, what: `node ${node.id}` };
    const r = await runAttempt(runner, context, limit);
    return done({
      status: 'succeeded',
      input: config,
      output: r.output,
      ...(r.usage ? { usage: r.usage } : {}),
      ...(r.costUsd !== undefined ? { costUsd: r.costUsd } : {}),
      ...(r.model ? { model: r.model } : {}),
    });
  } catch (err) {
    return done({ status: 'failed', input: config, error: toNodeError(err) });
  }
}
