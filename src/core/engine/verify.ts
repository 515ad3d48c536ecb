/**
 * In-doubt without a coin toss: after a crash, an unsafe http node that was in flight and
 * declares `verify` asks its effect's owner before anyone is asked (docs/graph-format.md "http",
 * Verify).
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
import { ev, type NewEvent } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import { asNodeId, idempotencyKey, type NodeId } from '../ids.js';
import type { RunnerServices } from '../ports.js';
import { NodeTask } from './node-task.js';
import { backoffDelay, retryPolicy, timeoutFor } from './plan.js';
import { link, type RunContext } from './run-context.js';

/** The node can check its effect here: an http node with `verify`, on a host that can run the check. */
export function canVerify(node: GraphNode, services: RunnerServices | undefined): boolean {
  const v = node.type === 'http' ? node.config['verify'] : undefined;
  return v !== null && typeof v === 'object' && typeof services?.verifyEffect === 'function';
}

/** Runs in the driver's place of the node's task: the check, then the outcome (or the new attempt). */
export class VerifyTask {
  private readonly controller = new AbortController();
  private next: NodeTask | undefined;
  private readonly id: NodeId;

  constructor(
    private readonly run: RunContext,
    private readonly node: GraphNode,
    private readonly attempt: number,
  ) {
    this.id = asNodeId(node.id);
  }

  abort(reason: NodeFailure): void {
    this.controller.abort(reason);
    this.next?.abort(reason);
  }

  async start(): Promise<void> {
    const { clock } = this.run.deps;
    const started = clock.now();
    const policy = retryPolicy(this.run.graph, this.node);
    let error: NodeError | undefined;
    for (let check = 1; ; check++) {
      if (this.controller.signal.aborted) return this.stopped();
      try {
        const verdict = await this.check();
        if (verdict.applied) {
          const data = { attempt: this.attempt, durationMs: clock.now() - started, output: verdict.output };
          return this.end([ev('node.succeeded', { ...data, verified: true }, this.id)]);
        }
        const message = `attempt ${this.attempt} was in flight at a crash; its verify check says the effect is absent: attempt ${this.attempt + 1} runs with a new key`;
        const absent = { kind: 'network' as const, message, retryable: true };
        this.commit([
          ev('node.retrying', { attempt: this.attempt + 1, delayMs: 0, error: absent, verified: false }, this.id),
        ]);
        this.next = new NodeTask(this.run, this.node, this.attempt + 1, {});
        return await this.next.start();
      } catch (err) {
        if (this.controller.signal.aborted) return this.stopped();
        error = stripped(toNodeError(err));
        if (!error.retryable || check >= policy.maxAttempts) break;
        const delayMs = Math.max(
          backoffDelay(policy, check, this.run.deps.random ?? Math.random),
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
    this.commit([ev('node.in-doubt', { attempt: this.attempt, verifyError: error }, this.id)]);
  }

  /** One check, bounded by the node's timeout. */
  private async check() {
    const { clock, services } = this.run.deps;
    const attempt = new AbortController();
    const aborted = new Promise<never>((_, reject) =>
      attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true }),
    );
    aborted.catch(() => undefined);
    // Linked after the listener: a task already aborted ends the check at once.
    const unlink = link(this.controller.signal, attempt);
    const timeoutMs = timeoutFor(this.run.graph, this.node);
    const cancelTimer = clock.timer(timeoutMs, () =>
      attempt.abort(new NodeFailure('timeout', `verify of ${this.node.id} timed out after ${timeoutMs} ms`)),
    );
    const key = idempotencyKey(this.run.runId, this.id, this.attempt);
    const state = this.run.state.nodes.get(this.node.id)!;
    const nodes: Record<string, { output: unknown }> = {};
    for (const a of this.run.topo.ancestors(this.node.id)) if (this.run.outputs[a]) nodes[a] = this.run.outputs[a]!;
    try {
      const request = services!.verifyEffect!({
        runId: this.run.runId,
        node: this.node,
        attempt: this.attempt,
        idempotencyKey: key,
        scope: { input: this.run.state.input, nodes, idempotencyKey: key, config: state.input ?? {} },
        signal: attempt.signal,
        clock,
      });
      return await Promise.race([request, aborted]);
    } finally {
      cancelTimer();
      unlink();
    }
  }

  private commit(events: NewEvent[]): void {
    this.run.commit(events);
  }

  /** The node reached a final state with these events. */
  private end(events: NewEvent[]): void {
    this.commit(events);
    this.run.finished(this.id);
  }

  private log(message: string): void {
    this.commit([ev('node.log', { level: 'warn', message, attempt: this.attempt }, this.id)]);
  }

  /** Cancelled (or the engine stopped) while checking: as a cancelled node task would end. */
  private stopped(): void {
    const reason = this.controller.signal.reason as NodeFailure | undefined;
    if (reason?.kind === 'cancelled') this.commit([ev('node.cancelled', { attempt: this.attempt }, this.id)]);
  }
}

function stripped(e: NodeError): NodeError {
  const { stack: _stack, ...rest } = e;
  return rest;
}
