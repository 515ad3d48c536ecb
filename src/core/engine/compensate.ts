/**
 * Compensation (docs/runtime.md "Compensation"): when a run ends failed or cancelled, the `compensate` actions of
 * its succeeded nodes run in reverse completion order, each durable and retried by its node's
 * policy. A crash during compensation resumes it: finished compensations are not run again.
 */
import { NodeFailure, toNodeError } from '../errors.js';
import { ev } from '../events.js';
import { idempotencyKey, type NodeId } from '../ids.js';
import type { NodeRunContext } from '../ports.js';
import type { RunDriver } from './driver.js';
import { renderConfig } from '../graph/templates.js';
import { backoffDelay, retryPolicy, timeoutFor } from './plan.js';

export async function runCompensations(
  d: RunDriver,
): Promise<{ compensated?: boolean; compensationFailed?: string[] }> {
  const order = [...d.state.completed].reverse().filter((id) => d.nodes.get(id)?.compensate);
  if (order.length === 0) return {};
  const failed: string[] = [];
  for (const id of order) {
    const node = d.nodes.get(id)!;
    const comp = node.compensate!;
    const n = d.state.nodes.get(id)!;
    if (n.compensation?.status === 'succeeded') continue;
    if (n.compensation?.status === 'failed') {
      failed.push(id);
      continue;
    }
    const policy = retryPolicy(d.graph, node);
    let attempt = n.compensation?.attempt ?? 0;
    for (;;) {
      attempt++;
      d.commit([ev('compensation.started', { attempt }, id as NodeId)]);
      try {
        const output = await runOne(d, id, comp, attempt, timeoutFor(d.graph, node));
        d.commit([
          ev('compensation.succeeded', output === undefined ? { attempt } : { attempt, output }, id as NodeId),
        ]);
        break;
      } catch (err) {
        const error = toNodeError(err);
        const final = !error.retryable || attempt >= policy.maxAttempts;
        d.commit([ev('compensation.failed', { attempt, error, final }, id as NodeId)]);
        if (final) {
          failed.push(id);
          break;
        }
        await d.deps.clock.sleep(
          Math.max(backoffDelay(policy, attempt, d.deps.random ?? Math.random), error.retryAfterMs ?? 0),
        );
      }
    }
  }
  return failed.length === 0 ? { compensated: true } : { compensated: false, compensationFailed: failed };
}

async function runOne(
  d: RunDriver,
  id: string,
  comp: { type: 'http' | 'code'; config: Record<string, unknown> },
  attempt: number,
  timeoutMs: number,
): Promise<unknown> {
  const runner = d.deps.runners[comp.type];
  if (!runner)
    throw new NodeFailure('internal', `no ${comp.type} runner in this host to compensate ${id}`, { retryable: false });
  const scope = { input: d.state.input, nodes: d.outputs };
  const config = await renderConfig(comp.config, scope);
  const controller = new AbortController();
  const cancelTimer = d.deps.clock.timer(timeoutMs, () =>
    controller.abort(new NodeFailure('timeout', `compensation of ${id} timed out after ${timeoutMs} ms`)),
  );
  const ctx: NodeRunContext = {
    runId: d.runId,
    node: { ...d.nodes.get(id)!, type: comp.type, config: comp.config },
    attempt,
    idempotencyKey: `${idempotencyKey(d.runId, id as NodeId, attempt)}:compensate`,
    signal: controller.signal,
    clock: d.deps.clock,
    scope,
    config,
    emitTokens: () => undefined,
    log: (level, message) => d.commit([ev('node.log', { level, message: `compensate: ${message}` }, id as NodeId)]),
    recordedSteps: [],
    recordStep: () => undefined,
    services: d.deps.services ?? {},
  };
  try {
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
    );
    return (await Promise.race([runner(ctx), aborted])).output;
  } finally {
    cancelTimer();
  }
}
