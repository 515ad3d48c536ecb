/**
 * One node's execution inside a run: render its config, start an attempt, stream its
 * tokens in coalesced chunks, enforce its timeout, retry retryable failures with backoff.
 */
import { NodeFailure, toNodeError, type NodeError } from '../errors.js';
import { ev, type NewEvent, type Usage } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import { renderConfig } from '../graph/templates.js';
import { idempotencyKey, type NodeId } from '../ids.js';
import type { NodeResult, NodeRunContext, TemplateScope } from '../ports.js';
import type { RunDriver } from './driver.js';
import { intrinsicRunner } from './intrinsic.js';
import { backoffDelay, retryPolicy, timeoutFor } from './plan.js';

/** In-process nodes finish at once and cannot be interrupted: they share a signal that never aborts. */
const NEVER_ABORTS = new AbortController().signal;

export class NodeTask {
  private controllerOf: AbortController | undefined;
  private readonly id: NodeId;
  /** A pure in-process node running straight through: its end is group-committed (RunDriver.batch). */
  grouped: boolean;

  constructor(
    private readonly d: RunDriver,
    private readonly node: GraphNode,
    private attempt: number,
    private readonly opts: { resumed?: boolean; afterMs?: number },
  ) {
    this.id = node.id as NodeId;
    this.grouped = d.deps.groupCommit !== false && INSTANT.has(node.type) && !opts.afterMs;
  }

  private get controller(): AbortController {
    return (this.controllerOf ??= new AbortController());
  }

  abort(reason: NodeFailure): void {
    this.controller.abort(reason);
  }

  /** The template scope: the run input and the outputs of finished nodes (only upstream ones are referenced: validated). */
  private scope(): TemplateScope {
    if (this.node.type !== 'code' && this.node.type !== 'agent')
      return { input: this.d.state.input, nodes: this.d.outputs };
    const nodes: TemplateScope['nodes'] = {};
    for (const a of this.d.topo.ancestors(this.node.id)) if (this.d.outputs[a]) nodes[a] = this.d.outputs[a]!;
    return { input: this.d.state.input, nodes };
  }

  async run(): Promise<void> {
    const clock = this.d.deps.clock;
    const instant = INSTANT.has(this.node.type);
    const signal = instant ? NEVER_ABORTS : this.controller.signal;
    let resumed = this.opts.resumed === true;
    if (this.opts.afterMs) {
      try {
        await clock.sleep(this.opts.afterMs, signal);
      } catch {
        return this.cancelled();
      }
    }
    const policy = retryPolicy(this.d.graph, this.node);
    for (;;) {
      if (signal.aborted) return this.cancelled();
      const started = clock.now();
      const state = this.d.state.nodes.get(this.node.id)!;
      let config: Record<string, unknown>;
      const startData = {
        attempt: this.attempt,
        idempotencyKey: idempotencyKey(this.d.runId, this.id, this.attempt),
        ...(resumed ? { resumed: true } : {}),
      };
      try {
        // Bounded (template-limits.ts): a template that loops fails the node, never hangs the host.
        const limits = {
          timeoutMs: timeoutFor(this.d.graph, this.node),
          signal: this.controller.signal,
          ...(clock.turn ? { turn: clock.turn } : {}),
        };
        config = await renderConfig(this.node.config ?? {}, this.scope(), limits);
      } catch (err) {
        if ((this.controller.signal.reason as NodeFailure | undefined)?.kind === 'cancelled') return this.cancelled();
        return this.d.batch(() => {
          this.d.commit([
            ev('node.started', startData, this.id),
            ev('node.failed', { attempt: this.attempt, durationMs: 0, error: toNodeError(err) }, this.id),
          ]);
          this.d.afterFinish(this.node.id);
        }, this.grouped);
      }
      if (this.node.type === 'delay') {
        const until = resumed && state.until !== undefined ? state.until : started + Number(config['ms'] ?? 0);
        this.d.commit([ev('node.started', { ...startData, until, input: config }, this.id)]);
      } else if (this.node.type === 'approval') {
        if (state.status === 'waiting') return; // still open from before a restart
        const details = config['details'];
        this.d.commit([
          ev('node.started', { ...startData, input: config }, this.id),
          ev(
            'approval.requested',
            { title: String(config['title'] ?? ''), ...(details !== undefined ? { details } : {}) },
            this.id,
          ),
        ]);
        return;
      } else if (!instant) {
        this.d.commit([ev('node.started', { ...startData, input: config }, this.id)]);
      }
      // In-process nodes commit their start with their end: one transaction (a crash between
      // the two leaves them queued, and they are pure, so running them again is safe).
      const deferredStart = instant ? [ev('node.started', { ...startData, input: config }, this.id)] : [];
      resumed = false;
      const stream = new TokenStream(this.d, this.id, this.attempt);
      let result: NodeResult;
      try {
        result = await this.execute(config, stream, timeoutFor(this.d.graph, this.node), state.error);
      } catch (err) {
        if (deferredStart.length) this.d.commit(deferredStart);
        stream.flush();
        if (signal.aborted && (signal.reason as NodeFailure | undefined)?.kind === 'cancelled') return this.cancelled();
        if (signal.aborted && (signal.reason as NodeFailure | undefined)?.kind === 'internal') return;
        const error = toNodeError(err);
        if (error.kind === 'budget') {
          // The budget ran out inside the node (an agent between model calls): the run pauses;
          // resuming starts a new attempt, which goes on from the recorded steps.
          const spent = error.details as { tokens: number; costUsd: number } | undefined;
          return this.d.commit([
            this.d.budgetEvent(this.id, spent),
            ev('node.retrying', { attempt: this.attempt + 1, delayMs: 0, error: strip(error) }, this.id),
            ev('run.paused', { reason: 'budget' }),
          ]);
        }
        const used = this.attempt - state.attemptBase;
        if (error.retryable && used < policy.maxAttempts) {
          const delayMs = Math.max(
            backoffDelay(policy, used, this.d.deps.random ?? Math.random),
            error.retryAfterMs ?? 0,
          );
          this.d.commit([
            ev('node.retrying', { attempt: this.attempt + 1, delayMs, error: strip(error), ...spentOf(err) }, this.id),
          ]);
          this.d.ungroup(this);
          try {
            await clock.sleep(delayMs, signal);
          } catch {
            return this.cancelled();
          }
          this.attempt++;
          continue;
        }
        return this.d.batch(() => {
          this.d.commit([
            ev(
              'node.failed',
              { attempt: this.attempt, durationMs: clock.now() - started, error, ...spentOf(err) },
              this.id,
            ),
          ]);
          this.d.afterFinish(this.node.id);
        });
      }
      stream.flush();
      // The node's end and what it makes ready (or skips) commit in one transaction.
      return this.d.batch(() => {
        this.d.commit([
          ...deferredStart,
          ev('node.succeeded', succeededData(this.attempt, clock.now() - started, result), this.id),
        ]);
        this.d.afterFinish(this.node.id);
      }, this.grouped);
    }
  }

  private cancelled(): void {
    const n = this.d.state.nodes.get(this.node.id)!;
    const events: NewEvent[] = [ev('node.cancelled', n.status === 'running' ? { attempt: this.attempt } : {}, this.id)];
    this.d.commit(events);
  }

  private async execute(
    config: Record<string, unknown>,
    stream: TokenStream,
    timeoutMs: number,
    previousError: NodeError | undefined,
  ): Promise<NodeResult> {
    const runner = intrinsicRunner(this.node.type) ?? this.d.deps.runners[this.node.type];
    if (!runner)
      throw new NodeFailure('internal', `no runner for node type ${this.node.type} in this host`, { retryable: false });
    const clock = this.d.deps.clock;
    const state = this.d.state.nodes.get(this.node.id)!;
    // Each attempt has its own signal: its timeout ends only this attempt (which may be retried);
    // a cancel of the run ends the task's signal and, through it, the attempt's.
    const task = INSTANT.has(this.node.type) ? NEVER_ABORTS : this.controller.signal;
    const attempt = task === NEVER_ABORTS ? undefined : new AbortController();
    const unlink = attempt ? link(task, attempt) : () => undefined;
    const ctx: NodeRunContext = {
      runId: this.d.runId,
      node: this.node,
      attempt: this.attempt,
      idempotencyKey: idempotencyKey(this.d.runId, this.id, this.attempt),
      signal: attempt ? attempt.signal : NEVER_ABORTS,
      clock,
      timeoutMs,
      scope: this.scope(),
      config,
      ...(previousError ? { previousError } : {}),
      emitTokens: (text) => stream.push(text),
      log: (level, message) => this.d.commit([ev('node.log', { level, message, attempt: this.attempt }, this.id)]),
      recordedSteps: [...state.steps],
      overBudget: (spent) => this.d.budgetExceeded(spent),
      recordStep: (step) =>
        this.d.commit([
          ev(
            'agent.step',
            { attempt: this.attempt, index: this.d.state.nodes.get(this.node.id)!.steps.length, step },
            this.id,
          ),
        ]),
      services: this.d.deps.services ?? {},
      ...(state.until !== undefined ? { until: state.until } : {}),
      ...(state.poll ? { poll: state.poll } : {}),
      recordPoll: (record) => this.d.commit([ev('node.poll', { ...record, attempt: this.attempt }, this.id)]),
    };
    try {
      // In-process nodes (input, transform, condition, output) finish at once; a delay has no time limit.
      if (!attempt || IN_PROCESS.has(this.node.type)) return await runner(ctx);
      const onAbort = new Promise<never>((_, reject) => {
        attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true });
      });
      onAbort.catch(() => undefined);
      const cancelTimer = clock.timer(timeoutMs, () =>
        attempt.abort(new NodeFailure('timeout', `node ${this.node.id} timed out after ${timeoutMs} ms`)),
      );
      try {
        return await Promise.race([runner(ctx), onAbort]);
      } finally {
        cancelTimer();
      }
    } finally {
      unlink();
    }
  }
}

/** Aborts `child` when `parent` aborts (with the same reason); returns the unlink function. */
function link(parent: AbortSignal, child: AbortController): () => void {
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => undefined;
  }
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

const IN_PROCESS = new Set(['input', 'transform', 'condition', 'output', 'delay']);
const INSTANT = new Set(['input', 'transform', 'condition', 'output']);

/** The tokens and cost a failed attempt still spent, for the run's totals and its budget. */
function spentOf(err: unknown): { usage?: Usage; costUsd?: number } {
  return err instanceof NodeFailure && err.spent ? { usage: err.spent.usage, costUsd: err.spent.costUsd } : {};
}

function strip(e: NodeError): NodeError {
  const { stack: _stack, ...rest } = e;
  return rest;
}

function succeededData(attempt: number, durationMs: number, r: NodeResult) {
  return {
    attempt,
    durationMs,
    output: r.output,
    ...(r.usage ? { usage: r.usage } : {}),
    ...(r.costUsd !== undefined ? { costUsd: r.costUsd } : {}),
    ...(r.model ? { model: r.model } : {}),
  };
}

/** Coalesces streamed text into `node.tokens` events: at most one per flush interval. */
class TokenStream {
  private buffer = '';
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly d: RunDriver,
    private readonly id: NodeId,
    private readonly attempt: number,
  ) {}

  push(text: string): void {
    this.buffer += text;
    if (this.cancelTimer) return;
    this.cancelTimer = this.d.deps.clock.timer(this.d.deps.tokenFlushMs ?? 250, () => {
      this.cancelTimer = undefined;
      try {
        this.flushNow();
      } catch (err) {
        this.d.fail(err);
      }
    });
  }

  flush(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.flushNow();
  }

  private flushNow(): void {
    if (!this.buffer) return;
    const text = this.buffer;
    this.buffer = '';
    this.d.commit([ev('node.tokens', { attempt: this.attempt, text }, this.id)]);
  }
}
