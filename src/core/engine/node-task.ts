/**
 * One node's execution inside a run: render its config, start an attempt, stream its tokens in
 * coalesced chunks, enforce its timeout, retry retryable failures with backoff. It reaches its
 * run only through the RunContext port.
 */
import { NodeFailure, toNodeError, type NodeError } from '../errors.js';
import { ev, type NewEvent, type Usage } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import { renderConfig, UNTEMPLATED_CONFIG_KEYS } from '../graph/templates.js';
import { asNodeId, idempotencyKey, type NodeId } from '../ids.js';
import type { NodeKind } from '../nodes/kind.js';
import { kindOf, sideEffectOf } from '../nodes/registry.js';
import type { NodeResult, NodeRunContext, TemplateScope } from '../ports.js';
import { backoffDelay, retryPolicy, timeoutFor } from './plan.js';
import { runAttempt, type RunContext } from './run-context.js';

/** In-process nodes finish at once and cannot be interrupted: they share a signal that never aborts. */
const NEVER_ABORTS = new AbortController().signal;

export class NodeTask {
  private controllerOf: AbortController | undefined;
  /** Its runner began without waiting for its start to be written (a read, a pure effect): the driver's commit linger. */
  reading = false;
  private readonly id: NodeId;
  private readonly kind: NodeKind;

  constructor(
    private readonly run: RunContext,
    private readonly node: GraphNode,
    private attempt: number,
    private readonly opts: { resumed?: boolean; afterMs?: number },
  ) {
    this.id = asNodeId(node.id);
    this.kind = kindOf(node);
  }

  private get controller(): AbortController {
    return (this.controllerOf ??= new AbortController());
  }

  /**
   * Whether this task was aborted, as its config's templates look at it while they render: read
   * when looked at, so a node that is never aborted (most in-process nodes) makes no AbortController.
   */
  private readonly abortState = ((task: NodeTask) => ({
    get aborted(): boolean {
      return task.controllerOf?.signal.aborted === true;
    },
    get reason(): unknown {
      return task.controllerOf?.signal.reason;
    },
  }))(this);

  abort(reason: NodeFailure): void {
    this.controller.abort(reason);
  }

  /** The template scope: the run input and the outputs of finished nodes (only upstream ones are referenced: validated). */
  private scope(): TemplateScope {
    const { state, outputs, topo } = this.run;
    if (!this.kind.scopeOfAncestors) return { input: state.input, nodes: outputs };
    const nodes: TemplateScope['nodes'] = {};
    for (const a of topo.ancestors(this.node.id)) if (outputs[a]) nodes[a] = outputs[a]!;
    return { input: state.input, nodes };
  }

  private commit(events: NewEvent[]): void {
    this.run.commit(events);
  }

  /** The node reached a final state with these events. */
  private end(events: NewEvent[]): void {
    this.commit(events);
    this.run.finished(this.id);
  }

  /** A pure node, or an idempotent one that only reads (an HTTP GET): see `NodeKind.readsOnly`. */
  private mayBeginBeforeDurable(config: Record<string, unknown>): boolean {
    const effect = sideEffectOf(this.node);
    return effect === 'pure' || (effect === 'idempotent' && this.kind.readsOnly?.(config) === true);
  }

  async start(): Promise<void> {
    const clock = this.run.deps.clock;
    const execution = this.kind.execution;
    const signal = execution === 'instant' ? NEVER_ABORTS : this.controller.signal;
    let resumed = this.opts.resumed === true;
    if (this.opts.afterMs) {
      try {
        await clock.sleep(this.opts.afterMs, signal);
      } catch {
        return this.aborted(signal);
      }
    }
    const policy = retryPolicy(this.run.graph, this.node);
    for (;;) {
      if (signal.aborted) return this.aborted(signal);
      const started = clock.now();
      const state = this.run.state.nodes.get(this.node.id)!;
      const startData = {
        attempt: this.attempt,
        idempotencyKey: idempotencyKey(this.run.runId, this.id, this.attempt),
        ...(resumed ? { resumed: true } : {}),
      };
      let config: Record<string, unknown>;
      try {
        // Bounded (template-limits.ts): a template that loops fails the node, never hangs the host.
        const limits = {
          timeoutMs: timeoutFor(this.run.graph, this.node),
          signal: this.abortState,
          ...(clock.turn ? { turn: clock.turn } : {}),
        };
        config = await renderConfig(this.node.config ?? {}, this.scope(), untemplatedOf(this.kind), limits);
      } catch (err) {
        // Ended by a cancel of the run (or the driver stopping), not by the template itself.
        if (this.abortState.aborted) return this.aborted(this.controller.signal);
        const failed = { attempt: this.attempt, durationMs: 0, error: toNodeError(err) };
        return this.end([ev('node.started', startData, this.id), ev('node.failed', failed, this.id)]);
      }
      // In-process nodes commit their start with their end (a crash between the two leaves them
      // queued, and they are pure: running them again is safe).
      let deferredStart: NewEvent[] = [];
      switch (execution) {
        case 'instant':
          deferredStart = [ev('node.started', { ...startData, input: config }, this.id)];
          break;
        case 'wait': {
          const until = resumed && state.until !== undefined ? state.until : started + Number(config['ms'] ?? 0);
          this.commit([ev('node.started', { ...startData, until, input: config }, this.id)]);
          break;
        }
        case 'person': {
          if (state.status === 'waiting') return; // still open from before a restart
          const details = config['details'];
          const opened = { title: String(config['title'] ?? ''), ...(details !== undefined ? { details } : {}) };
          return this.commit([
            ev('node.started', { ...startData, input: config }, this.id),
            ev('approval.requested', opened, this.id),
          ]);
        }
        case 'effect':
        case 'children':
          this.reading = execution === 'effect' && this.mayBeginBeforeDurable(config);
          this.commit([ev('node.started', { ...startData, input: config }, this.id)]);
          // Its start (and whatever made it ready) is durable before the runner may reach the world,
          // unless that reach changes nothing there: a crash before the start is written leaves the
          // node queued, and it runs again with this attempt's number and key, as it would anyway.
          if (execution === 'children' || !this.mayBeginBeforeDurable(config)) {
            try {
              await this.run.durable();
            } catch {
              return; // the driver stopped: nothing more is written
            }
          }
          if (signal.aborted) return this.aborted(signal);
          break;
      }
      resumed = false;
      const stream = new TokenStream(this.run, this.id, this.attempt);
      let result: NodeResult;
      try {
        result = await this.execute(config, stream, state.error);
      } catch (err) {
        this.commit(deferredStart);
        stream.flush();
        if (signal.aborted) return this.aborted(signal, execution === 'effect');
        const error = toNodeError(err);
        if (error.kind === 'budget') {
          // The budget ran out inside the node (an agent between model calls): the run pauses;
          // resuming starts a new attempt, which goes on from the recorded steps.
          const spent = error.details as { tokens: number; costUsd: number } | undefined;
          return this.commit([
            this.run.budgetEvent(this.id, spent),
            ev('node.retrying', { attempt: this.attempt + 1, delayMs: 0, error: strip(error) }, this.id),
            ev('run.paused', { reason: 'budget' }),
          ]);
        }
        const used = this.attempt - state.attemptBase;
        if (error.retryable && used < policy.maxAttempts) {
          const random = this.run.deps.random ?? Math.random;
          const delayMs = Math.max(backoffDelay(policy, used, random), error.retryAfterMs ?? 0);
          const retrying = { attempt: this.attempt + 1, delayMs, error: strip(error), ...spentOf(err) };
          this.commit([ev('node.retrying', retrying, this.id)]);
          try {
            await clock.sleep(delayMs, signal);
          } catch {
            // A cancel ends the node; a driver that stops (a host's stop) leaves it retrying.
            return this.aborted(signal);
          }
          this.attempt++;
          continue;
        }
        const failed = { attempt: this.attempt, durationMs: clock.now() - started, error, ...spentOf(err) };
        return this.end([ev('node.failed', failed, this.id)]);
      }
      stream.flush();
      // The node's end and what it makes ready (or skips) commit together.
      const data = succeededData(this.attempt, clock.now() - started, result);
      return this.end([...deferredStart, ev('node.succeeded', data, this.id)]);
    }
  }

  /**
   * Aborted by a cancel of the run (the node is cancelled) or by the driver stopping (nothing more
   * is written). `underWay`: its runner had begun its effect when the abort came.
   */
  private aborted(signal: AbortSignal, underWay = false): void {
    if ((signal.reason as NodeFailure | undefined)?.kind === 'cancelled') this.cancelled(underWay);
  }

  private cancelled(underWay = false): void {
    const n = this.run.state.nodes.get(this.node.id)!;
    const data = n.status === 'running' ? { attempt: this.attempt } : {};
    // An unsafe effect cut off midway may have taken place all the same: said, not left to a guess.
    const unsafe = underWay && sideEffectOf(this.node) === 'unsafe';
    this.commit([ev('node.cancelled', unsafe ? { ...data, error: cancelledUnderWay(this.node) } : data, this.id)]);
  }

  private async execute(
    config: Record<string, unknown>,
    stream: TokenStream,
    previousError: NodeError | undefined,
  ): Promise<NodeResult> {
    const { deps } = this.run;
    const kind = this.kind;
    // The engine runs in-process kinds itself; a host may supply (or wrap) the runner of the others.
    const runner = kind.execution === 'effect' ? (deps.runners[this.node.type] ?? kind.runner) : kind.runner;
    if (!runner)
      throw new NodeFailure('internal', `no runner for node type ${this.node.type} in this host`, { retryable: false });
    const state = this.run.state.nodes.get(this.node.id)!;
    const timeoutMs = timeoutFor(this.run.graph, this.node);
    const durableCommit = (events: NewEvent[]): Promise<void> => {
      this.commit(events);
      return this.run.durable();
    };
    const context = (signal: AbortSignal): NodeRunContext => ({
      runId: this.run.runId,
      node: this.node,
      attempt: this.attempt,
      idempotencyKey: idempotencyKey(this.run.runId, this.id, this.attempt),
      signal,
      timeoutMs,
      clock: deps.clock,
      scope: this.scope(),
      config,
      ...(previousError ? { previousError } : {}),
      emitTokens: (text) => stream.push(text),
      log: (level, message) => this.commit([ev('node.log', { level, message, attempt: this.attempt }, this.id)]),
      recordedSteps: [...state.steps],
      overBudget: (spent) => this.run.budgetExceeded(spent),
      recordStep: (step) => {
        const index = this.run.state.nodes.get(this.node.id)!.steps.length;
        return durableCommit([ev('agent.step', { attempt: this.attempt, index, step }, this.id)]);
      },
      services: deps.services ?? {},
      ...(state.until !== undefined ? { until: state.until } : {}),
      ...(state.poll ? { poll: state.poll } : {}),
      recordPoll: (record) => durableCommit([ev('node.poll', { ...record, attempt: this.attempt }, this.id)]),
    });
    // In-process nodes (input, transform, …) finish at once; a delay has no time limit.
    if (kind.execution === 'instant') return runner(context(NEVER_ABORTS));
    if (kind.execution === 'children') {
      // Its child runs keep their nodes' limits; the node itself has one only when it sets one.
      const signal = this.controller.signal;
      const children = this.run.childRuns(this.id, this.attempt, signal);
      const limit = { ...opts(this.node.timeoutMs), parent: signal, clock: deps.clock, what: `node ${this.node.id}` };
      return runAttempt(runner, (s) => ({ ...context(s), ...(children ? { children } : {}) }), limit);
    }
    if (kind.execution !== 'effect') return runner(context(this.controller.signal));
    return runAttempt(runner, context, {
      timeoutMs,
      parent: this.controller.signal,
      clock: deps.clock,
      what: `node ${this.node.id}`,
    });
  }
}

const untemplated = new Map<NodeKind, ReadonlySet<string>>();

/** The config keys a kind's config is rendered without (its runner renders them itself). */
export function untemplatedOf(kind: NodeKind): ReadonlySet<string> {
  let set = untemplated.get(kind);
  if (!set) {
    set = kind.untemplated ? new Set([...UNTEMPLATED_CONFIG_KEYS, ...kind.untemplated]) : UNTEMPLATED_CONFIG_KEYS;
    untemplated.set(kind, set);
  }
  return set;
}

/** The longest timer the host can set (ms): a composition node without a limit of its own. */
const NO_LIMIT = 2_147_483_647;
const opts = (timeoutMs: number | undefined) => ({ timeoutMs: timeoutMs ?? NO_LIMIT });

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
    private readonly run: RunContext,
    private readonly id: NodeId,
    private readonly attempt: number,
  ) {}

  push(text: string): void {
    this.buffer += text;
    if (this.cancelTimer) return;
    this.cancelTimer = this.run.deps.clock.timer(this.run.deps.tokenFlushMs ?? 250, () => {
      this.cancelTimer = undefined;
      try {
        this.flushNow();
      } catch (err) {
        this.run.fail(err);
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
    this.run.commit([ev('node.tokens', { attempt: this.attempt, text }, this.id)]);
  }
}

/** The error a node cancelled while its unsafe effect was under way is recorded with. */
export function cancelledUnderWay(node: GraphNode): NodeError {
  const what = node.type === 'http' ? 'its request' : `its ${node.type} call`;
  return {
    kind: 'cancelled',
    message: `${what} was under way when the run was cancelled: it may have taken effect (the node is unsafe); it is not sent again unless the run is rerun from this node`,
    retryable: false,
  };
}
