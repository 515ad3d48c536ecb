/**
 * Child runs of a composition node (subgraph, map, loop), docs/composition.md. A child is a run
 * like any other, linked to its parent. The parent commits which child it starts (a
 * deterministic id per run, node, attempt and key) before the child exists, so a crash never
 * starts a child twice; a child that ended is recorded in the parent (`child.finished`, with
 * what it spent) and never run again. A child that waits for a person, or is paused, blocks its
 * node: when every running node of the parent is blocked, the parent stops waiting (or paused)
 * too, and goes on when its children can.
 */
import { AppError, NodeFailure, type NodeError } from '../errors.js';
import { ev } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { validateRunInput } from '../graph/validate.js';
import { childRunId, type NodeId, type RunId } from '../ids.js';
import type { ChildOutcome, ChildRuns } from '../ports.js';
import type { Blocked, ChildEngine } from './child-engine.js';
import type { RunOutcome } from './outcome.js';
import { isTerminalRun } from './machines.js';
import type { RunContext } from './run-context.js';
import type { ChildRecord, RunState } from './state-types.js';

/** How the driver learns that a node's children are all blocked, or moving again. */
export interface BlockReport {
  blocked(nodeId: NodeId, children: Blocked[]): void;
  unblocked(nodeId: NodeId): void;
}

export class NodeChildren implements ChildRuns {
  /** Children being driven now, and those of them blocked. */
  private readonly inFlight = new Set<RunId>();
  private readonly blocked = new Map<RunId, Blocked[]>();
  /** cancelRunning was called: a child followed from now on is cancelled first. */
  private cancelling = false;

  constructor(
    private readonly parent: RunContext,
    private readonly engine: ChildEngine,
    private readonly report: BlockReport,
    private readonly nodeId: NodeId,
    private readonly attempt: number,
    private readonly signal: AbortSignal,
  ) {
    // A cancel of the parent reaches its running children; a parent that stops (suspended while
    // they wait, or its driver gone) leaves them as they are, to be followed again.
    signal.addEventListener(
      'abort',
      () => {
        if ((signal.reason as NodeFailure | undefined)?.kind === 'cancelled') void this.cancelRunning();
      },
      { once: true },
    );
  }

  async run(key: number, graphId: string, input: unknown): Promise<ChildOutcome> {
    const rec = this.record(key);
    // A child that ended is not run again: its outcome, recorded in the parent, is the answer.
    if (rec && (rec.status === 'succeeded' || (rec.status !== 'running' && rec.attempt === this.attempt)))
      return outcomeOf(rec);
    const graph = this.childGraph(graphId);
    let childId: RunId;
    if (rec && rec.status === 'running') {
      // Committed before a crash: create it if the crash came before it was (the same input again).
      childId = rec.runId as RunId;
      const exists = await this.engine.inspect(childId).then(
        () => true,
        (err: unknown) => {
          if (err instanceof AppError && err.code === 'not-found') return false;
          throw err;
        },
      );
      if (!exists) await this.engine.createChild(this.parent, childId, graph, input, this.nodeId, key);
    } else {
      try {
        validateRunInput(graph, input);
      } catch (err) {
        const message = `input of graph ${graphId} (key ${key}): ${err instanceof Error ? err.message : String(err)}`;
        return { status: 'failed', error: { kind: 'schema', message, retryable: false } };
      }
      childId = childRunId(this.parent.runId, this.nodeId, this.attempt, key);
      this.parent.commit([ev('node.child', { attempt: this.attempt, key, childRunId: childId, graphId }, this.nodeId)]);
      await this.parent.durable();
      this.checkStopped();
      await this.engine.createChild(this.parent, childId, graph, input, this.nodeId, key);
      // Just created: queued, nothing to look at before driving it.
      return this.follow(key, childId, true);
    }
    return this.follow(key, childId, false);
  }

  /** Drives the child until it ends (waiting while it is blocked), then records how it ended. */
  private async follow(key: number, childId: RunId, created: boolean): Promise<ChildOutcome> {
    this.inFlight.add(childId);
    try {
      let cancelSent = false;
      for (let look = !created; ; look = true) {
        this.checkStopped();
        if (this.cancelling && !cancelSent) {
          cancelSent = true;
          await this.engine.cancel(childId).catch(() => undefined);
          look = true;
        }
        const state = look ? await this.engine.inspect(childId) : undefined;
        if (state && isTerminalRun(state.status)) return this.finished(key, childId, state);
        const resume =
          state?.status === 'paused' || state?.status === 'interrupted' ? { resume: this.resumeOf(state) } : {};
        const o = await this.engine.drive(childId, { ...resume, signal: this.signal }).catch((err: unknown) => {
          // Driven by another process (a worker, a person's CLI): look again in a moment.
          if (err instanceof AppError && err.code === 'conflict') return undefined;
          throw err;
        });
        if (o && isTerminalRun(o.status as RunState['status'])) {
          // Ended in this drive: its state is at hand, committed (a drive ends once all is durable).
          if (o.final && isTerminalRun(o.final.status)) return this.finished(key, childId, o.final);
          continue;
        }
        // Waiting for a person, or paused: blocked until a drive of it here settles (a decision, a
        // resume), or another process moved it (looked at again every few seconds).
        // Not while cancelling: the cancel ends it, and a parent told all its children wait would
        // stop waiting for a person instead of failing.
        if (o && !this.cancelling) this.block(childId, o);
        const moved = this.engine.settled(childId);
        await Promise.race([moved, this.parent.deps.clock.sleep(o ? 5_000 : 500, this.signal)]).catch(() => undefined);
        this.unblock(childId);
      }
    } finally {
      this.inFlight.delete(childId);
      this.unblock(childId);
    }
  }

  /** A child paused for its budget goes on with what the parent has left now (it may be nothing). */
  private resumeOf(child: RunState): { budget?: { maxTokens?: number; maxCostUsd?: number } } {
    if (child.pauseReason !== 'budget') return {};
    const parent = this.parent.state;
    const { maxTokens, maxCostUsd } = parent.budget;
    const budget = {
      ...(maxTokens !== undefined ? { maxTokens: child.tokens + Math.max(0, maxTokens - parent.tokens) } : {}),
      ...(maxCostUsd !== undefined ? { maxCostUsd: child.costUsd + Math.max(0, maxCostUsd - parent.costUsd) } : {}),
    };
    return { budget };
  }

  private finished(key: number, childId: RunId, s: Readonly<RunState>): ChildOutcome {
    const status = s.status as ChildOutcome['status'];
    const error: NodeError | undefined = s.error
      ? { kind: s.error.kind, message: s.error.message, retryable: s.error.retryable }
      : undefined;
    const usage = { inputTokens: s.inputTokens, outputTokens: s.outputTokens };
    this.parent.commit([
      ev(
        'child.finished',
        {
          attempt: this.attempt,
          key,
          childRunId: childId,
          status,
          ...(s.status === 'succeeded' ? { result: s.result } : {}),
          ...(error ? { error } : {}),
          usage,
          costUsd: s.costUsd,
        },
        this.nodeId,
      ),
    ]);
    return {
      runId: childId,
      status,
      ...(status === 'succeeded' ? { result: s.result } : {}),
      ...(error ? { error } : {}),
    };
  }

  private block(childId: RunId, o: (RunOutcome & { final?: Readonly<RunState> }) | undefined): void {
    const paused = o?.status === 'paused' ? (o.pauseReason ?? 'user') : undefined;
    this.blocked.set(
      childId,
      paused
        ? [{ runId: childId, nodeIds: o?.waitingFor ?? [], paused }]
        : waitsOf(childId, o?.waitingFor ?? [], o?.final),
    );
    if (this.blocked.size === this.inFlight.size) this.report.blocked(this.nodeId, [...this.blocked.values()].flat());
  }

  private unblock(childId: RunId): void {
    if (this.blocked.delete(childId)) this.report.unblocked(this.nodeId);
  }

  /** Cancels the children running now, and any this node goes on to follow (a worker already on its way). */
  async cancelRunning(): Promise<void> {
    this.cancelling = true;
    await Promise.all([...this.inFlight].map((id) => this.engine.cancel(id).catch(() => undefined)));
  }

  /** Pauses the running children (the parent was paused: running nodes finish, but no new work starts). */
  async pauseRunning(): Promise<void> {
    await Promise.all([...this.inFlight].map((id) => this.engine.pause(id).catch(() => undefined)));
  }

  private record(key: number): ChildRecord | undefined {
    return this.parent.state.nodes.get(this.nodeId)?.children?.get(key);
  }

  private childGraph(graphId: string): Graph {
    const library = this.parent.graph.graphs;
    const graph = library?.[graphId];
    if (!graph)
      throw new NodeFailure('internal', `${this.nodeId}: graph ${graphId} is not in the run's library`, {
        retryable: false,
      });
    // Grandchildren resolve in the same library.
    return { ...graph, graphs: library };
  }

  private checkStopped(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }
}

function outcomeOf(rec: ChildRecord): ChildOutcome {
  return {
    runId: rec.runId,
    status: rec.status === 'running' ? 'failed' : rec.status,
    ...(rec.result !== undefined ? { result: rec.result } : {}),
    ...(rec.error ? { error: rec.error } : {}),
  };
}

/**
 * Where a waiting child waits, down to the runs a person decides in: its own approvals and
 * in-doubt nodes, and in place of its composition nodes the waits they report (already of that
 * depth), each naming `childId` as the run it waits through.
 */
function waitsOf(childId: RunId, waitingFor: readonly string[], final: Readonly<RunState> | undefined): Blocked[] {
  const own: string[] = [];
  const inDoubt: string[] = [];
  const deeper: Blocked[] = [];
  for (const id of waitingFor) {
    const n = final?.nodes.get(id as NodeId);
    if (n?.waitingChildren?.length) deeper.push(...n.waitingChildren.map((c) => ({ ...c, via: childId })));
    else {
      own.push(id);
      if (n?.status === 'in-doubt') inDoubt.push(id);
    }
  }
  const here =
    own.length > 0 || deeper.length === 0
      ? [{ runId: childId, nodeIds: own, ...(inDoubt.length > 0 ? { inDoubt } : {}) }]
      : [];
  return [...here, ...deeper];
}
