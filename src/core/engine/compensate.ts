/**
 * Compensation (docs/runtime.md "Compensation"): when a run ends failed or cancelled, the
 * `compensate` actions of its succeeded nodes run in reverse completion order, each durable and
 * retried by its node's policy. A crash during compensation resumes it: finished compensations
 * are not run again.
 */
import { NodeFailure, toNodeError } from '../errors.js';
import { ev } from '../events.js';
import { renderConfig } from '../graph/templates.js';
import { asNodeId, idempotencyKey, type NodeId } from '../ids.js';
import type { NodeRunContext } from '../ports.js';
import { backoffDelay, retryPolicy, timeoutFor } from './plan.js';
import { runAttempt, type RunContext } from './run-context.js';

/** A run that ends failed (at `failedNode`) or cancelled: its compensations, then its end, saying what they did. */
export async function compensateAndEnd(
  run: RunContext,
  kind: 'failed' | 'cancelled',
  failedNode?: string,
): Promise<void> {
  // A cancel reaches the children that have not ended (waiting for a person, paused, driven
  // elsewhere). A failed run keeps them: a retry of its composition node follows them again.
  if (kind === 'cancelled') await run.cancelChildren();
  const comp = await runCompensations(run);
  if (kind === 'cancelled') return run.commit([ev('run.cancelled', comp)]);
  const error = run.state.nodes.get(failedNode!)!.error ?? {
    kind: 'internal' as const,
    message: 'failed',
    retryable: false,
  };
  const { kind: k, message, retryable } = error;
  run.commit([ev('run.failed', { error: { kind: k, message, retryable }, nodeId: failedNode!, ...comp })]);
}

export async function runCompensations(
  run: RunContext,
): Promise<{ compensated?: boolean; compensationFailed?: string[] }> {
  const withChildren = (id: string) =>
    [...(run.state.nodes.get(id)?.children?.values() ?? [])].some((c) => c.status === 'succeeded');
  // A composition node that failed or was cancelled may have finished some children: they are
  // undone first (they ended last), then the succeeded nodes in reverse completion order.
  const unfinished = [...run.state.nodes.keys()].filter(
    (id) => run.state.nodes.get(id)!.status !== 'succeeded' && withChildren(id),
  );
  const completed = [...run.state.completed].reverse();
  const order = [...unfinished, ...completed.filter((id) => run.nodes.get(id)?.compensate || withChildren(id))];
  if (order.length === 0) return {};
  const failed: string[] = [];
  // What was undone: a run whose composition nodes' children had nothing to undo compensated nothing.
  let undone = 0;
  for (const nodeId of order) {
    const id = asNodeId(nodeId);
    const node = run.nodes.get(id)!;
    const n = run.state.nodes.get(id)!;
    if (withChildren(id)) {
      const children = await run.compensateChildren(id);
      if (children.failed.length > 0) failed.push(id);
      undone += children.undone;
    }
    if (!node.compensate) continue;
    if (n.compensation?.status === 'succeeded') {
      undone++;
      continue;
    }
    if (n.compensation?.status === 'failed') {
      failed.push(id);
      continue;
    }
    const policy = retryPolicy(run.graph, node);
    let attempt = n.compensation?.attempt ?? 0;
    for (;;) {
      attempt++;
      run.commit([ev('compensation.started', { attempt }, id)]);
      // Its start is durable before the compensation may reach the world.
      await run.durable();
      try {
        const output = await compensateOnce(run, id, attempt, timeoutFor(run.graph, node));
        run.commit([ev('compensation.succeeded', output === undefined ? { attempt } : { attempt, output }, id)]);
        undone++;
        break;
      } catch (err) {
        if (run.stopped.aborted) throw err;
        const error = toNodeError(err);
        const final = !error.retryable || attempt >= policy.maxAttempts;
        run.commit([ev('compensation.failed', { attempt, error, final }, id)]);
        if (final) {
          failed.push(id);
          break;
        }
        const delay = backoffDelay(policy, attempt, run.deps.random ?? Math.random);
        await run.deps.clock.sleep(Math.max(delay, error.retryAfterMs ?? 0), run.stopped);
      }
    }
  }
  if (failed.length > 0) return { compensated: false, compensationFailed: [...new Set(failed)] };
  return undone > 0 ? { compensated: true } : {};
}

async function compensateOnce(run: RunContext, id: NodeId, attempt: number, timeoutMs: number): Promise<unknown> {
  const comp = run.nodes.get(id)!.compensate!;
  const runner = run.deps.runners[comp.type];
  if (!runner)
    throw new NodeFailure('internal', `no ${comp.type} runner in this host to compensate ${id}`, { retryable: false });
  const scope = { input: run.state.input, nodes: run.outputs };
  const config = await renderConfig(comp.config, scope);
  const context = (signal: AbortSignal): NodeRunContext => ({
    runId: run.runId,
    node: { ...run.nodes.get(id)!, type: comp.type, config: comp.config },
    attempt,
    idempotencyKey: `${idempotencyKey(run.runId, id, attempt)}:compensate`,
    signal,
    timeoutMs,
    clock: run.deps.clock,
    scope,
    config,
    emitTokens: () => undefined,
    log: (level, message) => run.commit([ev('node.log', { level, message: `compensate: ${message}` }, id)]),
    recordedSteps: [],
    recordStep: async () => undefined,
    services: run.deps.services ?? {},
  });
  const result = await runAttempt(runner, context, {
    timeoutMs,
    parent: run.stopped,
    clock: run.deps.clock,
    what: `compensation of ${id}`,
  });
  return result.output;
}
