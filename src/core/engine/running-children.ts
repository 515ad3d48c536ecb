/**
 * The child runs of a driver's composition nodes (subgraph, map, loop) that run now, one
 * NodeChildren each (children.ts), and which of those nodes have every child blocked (waiting for
 * a person, or paused): the driver suspends when all its running nodes are (driver.ts).
 */
import { asRunId, type NodeId } from '../ids.js';
import type { ChildRuns } from '../ports.js';
import type { Blocked, ChildEngine } from './child-engine.js';
import { NodeChildren } from './children.js';
import type { RunContext } from './run-context.js';
import type { ChildRecord } from './state.js';

export class RunningChildren {
  private readonly of = new Map<string, NodeChildren>();
  /** Nodes whose every running child is blocked, with those children. */
  readonly blocked = new Map<string, Blocked[]>();

  constructor(
    private readonly run: RunContext,
    private readonly engine: ChildEngine | undefined,
    /** A node's children all became blocked. */
    private readonly onBlocked: () => void,
  ) {}

  /** The child runs of a composition node's attempt (none where the host drives no children). */
  open(nodeId: NodeId, attempt: number, signal: AbortSignal): ChildRuns | undefined {
    if (!this.engine) return undefined;
    const report = {
      blocked: (id: NodeId, b: Blocked[]) => {
        this.blocked.set(id, b);
        this.onBlocked();
      },
      unblocked: (id: NodeId) => void this.blocked.delete(id),
    };
    const children = new NodeChildren(this.run, this.engine, report, nodeId, attempt, signal);
    this.of.set(nodeId, children);
    return children;
  }

  /** The node's attempt ended. */
  ended(nodeId: NodeId): void {
    this.of.delete(nodeId);
    this.blocked.delete(nodeId);
  }

  /** The parent was paused: running nodes finish, but their child runs start nothing new either. */
  pauseRunning(): void {
    for (const children of this.of.values()) void children.pauseRunning();
  }

  /**
   * Cancels every recorded child run that has not ended (its parent is cancelled): a
   * child waiting for a person, paused, or driven by another process does nothing more, and its
   * own children are cancelled in turn. A child that ended meanwhile refuses: nothing to do.
   */
  async cancelUnended(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const unended = [...this.run.state.nodes.values()].flatMap((n) =>
      [...(n.children?.values() ?? [])].filter((c) => c.status === 'running').map((c) => asRunId(c.runId)),
    );
    await Promise.all(unended.map((id) => engine.cancel(id).catch(() => undefined)));
  }

  /** Undoes a composition node's succeeded children, latest first (their compensations). */
  async undo(nodeId: NodeId): Promise<{ failed: string[]; undone: number }> {
    const children = [...(this.run.state.nodes.get(nodeId)?.children ?? new Map<number, ChildRecord>())]
      .filter(([, c]) => c.status === 'succeeded')
      .sort(([a], [b]) => b - a);
    const failed: string[] = [];
    let undone = 0;
    for (const [, c] of children) {
      if (!this.engine) break;
      const o = await this.engine.drive(asRunId(c.runId), { compensate: true });
      if (o.compensated === false) failed.push(c.runId);
      else if (o.compensated === true) undone++;
    }
    return { failed, undone };
  }
}
