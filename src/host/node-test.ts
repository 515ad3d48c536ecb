/**
 * Test one node (the studio's "Test node"): run a single node of a draft graph with pinned
 * inputs (the run input and the outputs of the nodes it reads), without a run. Nothing is
 * stored: the node's runner is called directly, as the engine calls it for one attempt (the
 * config rendered against the scope, the node's timeout, tokens and logs collected), and its
 * result or error comes back.
 */
import { AppError, NodeFailure, toNodeError, type NodeError } from '../core/errors.js';
import type { AgentStep, LogLevel, Usage } from '../core/events.js';
import { CONFIG_SCHEMAS, type Graph, type NodeType } from '../core/graph/schema.js';
import { renderConfig } from '../core/graph/templates.js';
import { topology } from '../core/graph/topology.js';
import { idempotencyKey, newRunId, type NodeId } from '../core/ids.js';
import { intrinsicRunner } from '../core/engine/intrinsic.js';
import { timeoutFor } from '../core/engine/plan.js';
import type { Clock, NodeResult, NodeRunContext, NodeRunner, RunnerServices, TemplateScope } from '../core/ports.js';

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
  runners: Partial<Record<NodeType, NodeRunner>>;
  services: RunnerServices;
  clock: Clock;
}

/** Code and agent nodes see only what is upstream of them (as in a run); the rest see every pin. */
function scopeOf(req: NodeTestRequest, type: NodeType): TemplateScope {
  let ids = Object.keys(req.outputs);
  if (type === 'code' || type === 'agent') {
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
  if (node.type === 'approval')
    throw new AppError('usage', `node ${node.id} is an approval: it waits for a person, there is nothing to run`);
  const shape = CONFIG_SCHEMAS[node.type]?.safeParse(node.config ?? {});
  if (shape && !shape.success) {
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
  const scope = scopeOf(req, node.type);
  let config: Record<string, unknown>;
  try {
    config = await renderConfig(node.config ?? {}, scope);
  } catch (err) {
    return done({ status: 'failed', error: toNodeError(err) });
  }
  const runner = intrinsicRunner(node.type) ?? deps.runners[node.type];
  if (!runner)
    return done({
      status: 'failed',
      input: config,
      error: { kind: 'internal', message: `no runner for node type ${node.type} in this host`, retryable: false },
    });
  const runId = newRunId(deps.clock.now());
  const timeoutMs = timeoutFor(req.graph, node);
  const attempt = new AbortController();
  const ctx: NodeRunContext = {
    runId,
    node,
    attempt: 1,
    idempotencyKey: idempotencyKey(runId, node.id as NodeId, 1),
    signal: attempt.signal,
    clock: deps.clock,
    scope,
    config,
    emitTokens: (text) => void stream.push(text),
    log: (level, message) => void logs.push({ level, message }),
    recordedSteps: [],
    recordStep: (step) => void steps.push(step),
    recordPoll: () => undefined,
    services: deps.services,
  };
  const timedOut = new Promise<never>((_, reject) =>
    attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true }),
  );
  timedOut.catch(() => undefined);
  const cancelTimer = deps.clock.timer(timeoutMs, () =>
    attempt.abort(new NodeFailure('timeout', `node ${node.id} timed out after ${timeoutMs} ms`)),
  );
  try {
    const r: NodeResult = await Promise.race([runner(ctx), timedOut]);
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
  } finally {
    cancelTimer();
  }
}
