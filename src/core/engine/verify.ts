/**
 * In-doubt without a coin toss: after a crash, an unsafe http node that was in flight and
 * declares `verify` asks its effect's owner before anyone is asked (graph-format: http `verify`).
 *
 * - effect present → `node.succeeded` with the check's output (`verified: true`);
 * - effect absent → the attempt is known not applied: `node.retrying` (`verified: false`) and a
 *   new attempt (new key) runs at once;
 * - check unanswerable (network, 5xx, timeout after the node's retries; a broken expression) →
 *   `node.in-doubt` with the check's error (`verifyError`), for a person as before.
 *
 * The check itself is the host's (RunnerServices.verifyEffect); replay answers it from the record.
 */
import { NodeFailure, toNodeError, type NodeError } from '../errors.js';
import { ev } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import { idempotencyKey, type NodeId } from '../ids.js';
import type { RunnerServices } from '../ports.js';
import type { RunDriver } from './driver.js';
import { NodeTask } from './node-task.js';
import { backoffDelay, retryPolicy, timeoutFor } from './plan.js';

/** The node can check its effect here: an http node with `verify`, on a host that can run the check. */
export function canVerify(node: GraphNode, services: RunnerServices | undefined): boolean {
  const v = node.type === 'http' ? node.config['verify'] : undefined;
  return v !== null && typeof v === 'object' && typeof services?.verifyEffect === 'function';
}

/** Runs in the driver's place of the node's task: the check, then the outcome (or the new attempt). */
export class VerifyTask {
  readonly grouped = false;
  private readonly controller = new AbortController();
  private next: NodeTask | undefined;
  private readonly id: NodeId;

  constructor(
    private readonly d: RunDriver,
    private readonly node: GraphNode,
    private readonly attempt: number,
  ) {
    this.id = node.id as NodeId;
  }

  abort(reason: NodeFailure): void {
    this.controller.abort(reason);
    this.next?.abort(reason);
  }

  async run(): Promise<void> {
    const { clock } = this.d.deps;
    const started = clock.now();
    const policy = retryPolicy(this.d.graph, this.node);
    let error: NodeError | undefined;
    for (let check = 1; ; check++) {
      if (this.controller.signal.aborted) return this.stopped();
      try {
        const verdict = await this.check();
        if (verdict.applied) {
          const data = { attempt: this.attempt, durationMs: clock.now() - started, output: verdict.output };
          return this.d.batch(() => {
            this.d.commit([ev('node.succeeded', { ...data, verified: true }, this.id)]);
            this.d.afterFinish(this.node.id);
          });
        }
        const message = `attempt ${this.attempt} was in flight at a crash; its verify check says the effect is absent: attempt ${this.attempt + 1} runs with a new key`;
        const absent = { kind: 'network' as const, message, retryable: true };
        this.d.commit([
          ev('node.retrying', { attempt: this.attempt + 1, delayMs: 0, error: absent, verified: false }, this.id),
        ]);
        this.next = new NodeTask(this.d, this.node, this.attempt + 1, {});
        return await this.next.run();
      } catch (err) {
        if (this.controller.signal.aborted) return this.stopped();
        error = stripped(toNodeError(err));
        if (!error.retryable || check >= policy.maxAttempts) break;
        const delayMs = Math.max(
          backoffDelay(policy, check, this.d.deps.random ?? Math.random),
          error.retryAfterMs ?? 0,
        );
        this.log(`verify: check ${check} could not answer (${error.message}); checking again in ${delayMs} ms`);
        try {
          await clock.sleep(delayMs, this.controller.signal);
        } catch {
          return this.stopped();
        }
      }
    }
    this.d.commit([ev('node.in-doubt', { attempt: this.attempt, verifyError: error }, this.id)]);
  }

  /** One check, bounded by the node's timeout. */
  private async check() {
    const { clock, services } = this.d.deps;
    const attempt = new AbortController();
    const onAbort = (): void => attempt.abort(this.controller.signal.reason);
    this.controller.signal.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = timeoutFor(this.d.graph, this.node);
    const cancelTimer = clock.timer(timeoutMs, () =>
      attempt.abort(new NodeFailure('timeout', `verify of ${this.node.id} timed out after ${timeoutMs} ms`)),
    );
    const key = idempotencyKey(this.d.runId, this.id, this.attempt);
    const state = this.d.state.nodes.get(this.node.id)!;
    const nodes: Record<string, { output: unknown }> = {};
    for (const a of this.d.topo.ancestors(this.node.id)) if (this.d.outputs[a]) nodes[a] = this.d.outputs[a]!;
    const aborted = new Promise<never>((_, reject) =>
      attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true }),
    );
    aborted.catch(() => undefined);
    try {
      const request = services!.verifyEffect!({
        runId: this.d.runId,
        node: this.node,
        attempt: this.attempt,
        idempotencyKey: key,
        scope: { input: this.d.state.input, nodes, idempotencyKey: key, config: state.input ?? {} },
        signal: attempt.signal,
        clock,
      });
      return await Promise.race([request, aborted]);
    } finally {
      cancelTimer();
      this.controller.signal.removeEventListener('abort', onAbort);
    }
  }

  private log(message: string): void {
    this.d.commit([ev('node.log', { level: 'warn', message, attempt: this.attempt }, this.id)]);
  }

  /** Cancelled (or the engine stopped) while checking: as a cancelled node task would end. */
  private stopped(): void {
    const reason = this.controller.signal.reason as NodeFailure | undefined;
    if (reason?.kind === 'cancelled') this.d.commit([ev('node.cancelled', { attempt: this.attempt }, this.id)]);
  }
}

function stripped(e: NodeError): NodeError {
  const { stack: _stack, ...rest } = e;
  return rest;
}
