/**
 * Replay of composition nodes: their child runs are not run again. Each child's end comes from
 * the parent's record (`child.finished`), and a child the record shows waiting for a person
 * (`node.waiting`) waits in the replay too, until the replay reaches the point where the record
 * goes on (a `continue` step). The children themselves are replayed from their own records.
 */
import type { RunEvent } from '../events.js';
import type { RunId } from '../ids.js';
import type { ChildEngine } from './child-engine.js';
import type { RunOutcome } from './context.js';
import { initialState, type RunState } from './state.js';

type Finished = Extract<RunEvent, { type: 'child.finished' }>['data'];

export class RecordedChildren implements ChildEngine {
  private readonly finished = new Map<string, Finished>();
  /** Each time the record shows a child waiting: at which seq, and what for. */
  private readonly waits = new Map<string, { seq: number; nodeIds: string[] }[]>();
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(record: readonly RunEvent[]) {
    for (const e of record) {
      if (e.type === 'child.finished') this.finished.set(e.data.childRunId, e.data);
      if (e.type === 'node.waiting')
        for (const c of e.data.children)
          (this.waits.get(c.runId) ?? this.waits.set(c.runId, []).get(c.runId)!).push({
            seq: e.seq,
            nodeIds: c.nodeIds,
          });
    }
  }

  async createChild(): Promise<void> {}

  async drive(runId: RunId): Promise<RunOutcome> {
    const wait = this.waits.get(runId)?.[0];
    if (wait) return { runId, status: 'waiting', waitingFor: wait.nodeIds };
    return { runId, status: (await this.inspect(runId)).status as RunOutcome['status'] };
  }

  async cancel(): Promise<unknown> {
    return undefined;
  }

  async pause(): Promise<unknown> {
    return undefined;
  }

  async inspect(runId: RunId): Promise<RunState> {
    const f = this.finished.get(runId);
    const state = initialState(runId, { format: 'statepipe.graph', version: 1, id: 'child', nodes: [], edges: [] });
    if (!f || this.waits.get(runId)?.length) return { ...state, status: 'waiting' };
    if (f.status === 'succeeded') state.result = f.result;
    if (f.error) state.error = f.error;
    return {
      ...state,
      status: f.status,
      inputTokens: f.usage.inputTokens,
      outputTokens: f.usage.outputTokens,
      tokens: f.usage.inputTokens + f.usage.outputTokens,
      costUsd: f.costUsd,
    };
  }

  settled(runId: RunId): Promise<void> {
    return new Promise((resolve) => {
      (this.waiters.get(runId) ?? this.waiters.set(runId, []).get(runId)!).push(resolve);
    });
  }

  /** The record goes on (at `seq`): the children it showed waiting before have moved on. */
  release(seq: number): void {
    for (const [runId, list] of this.waits) {
      if (list[0] && list[0].seq < seq) list.shift();
      this.wake(runId);
    }
  }

  /**
   * The process died at `seq`: the waits it recorded died with it. The process that resumes the
   * run sees its children waiting again, and the record shows those waits after the kill.
   */
  crashed(seq: number): void {
    for (const [runId, list] of this.waits) {
      this.waits.set(
        runId,
        list.filter((w) => w.seq > seq),
      );
      this.wake(runId);
    }
  }

  private wake(runId: string): void {
    for (const fn of this.waiters.get(runId) ?? []) fn();
    this.waiters.delete(runId);
  }
}
