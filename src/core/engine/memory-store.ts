/**
 * A RunStore in memory: for tests, replay and the in-memory benchmark. Same contract as the
 * durable stores (fenced appends, lease epochs); `snapshot` and `seed` read and write it
 * synchronously for replay and tests.
 */
import { AppError, controlRefused } from '../errors.js';
import { committedEvent, type NewEvent, type RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { ControlRequest, Fence, Lease, LeaseOwner, NewRun, RunStatus, RunStore } from '../ports.js';
import { isTerminalRun, runStatusAfter } from './machines.js';

interface MemRun {
  graph: Graph;
  events: RunEvent[];
  owner?: string;
  epoch: number;
  controls: ControlRequest[];
}

export class MemoryStore implements RunStore {
  private readonly runs = new Map<string, MemRun>();
  constructor(private readonly now: () => number = () => Date.now()) {}

  async createRun(run: NewRun): Promise<RunEvent[]> {
    return this.seed(run);
  }

  /** createRun, synchronously. */
  seed(run: NewRun): RunEvent[] {
    if (this.runs.has(run.runId)) throw new AppError('conflict', `run ${run.runId} exists`);
    const mem: MemRun = { graph: run.graph, events: [], epoch: 0, controls: [] };
    this.runs.set(run.runId, mem);
    return this.write(run.runId, mem, run.events);
  }

  async createLeased(run: NewRun, owner: LeaseOwner): Promise<{ events: RunEvent[]; lease: Lease }> {
    const events = this.seed(run);
    const mem = this.get(run.runId);
    mem.owner = owner.id;
    mem.epoch = 1;
    return { events, lease: { owner, epoch: 1 } };
  }

  async append(runId: RunId, events: NewEvent[], fence: Fence): Promise<RunEvent[]> {
    const run = this.get(runId);
    if (run.epoch !== fence.epoch || run.events.length !== fence.afterSeq) {
      throw new AppError(
        'fenced',
        `run ${runId} was taken over by another process (lease epoch ${run.epoch}, head ${run.events.length}; ` +
          `this writer holds epoch ${fence.epoch} after seq ${fence.afterSeq})`,
      );
    }
    return this.write(runId, run, events);
  }

  private write(runId: RunId, run: MemRun, events: NewEvent[]): RunEvent[] {
    const ts = new Date(this.now()).toISOString();
    const out = events.map((e, i) => committedEvent(e, run.events.length + i + 1, runId, ts));
    for (const e of out) run.events.push(e); // a spread of a very long log would exceed the argument limit
    return out;
  }

  async loadRun(runId: RunId): Promise<{ graph: Graph; events: RunEvent[] }> {
    return this.snapshot(runId);
  }

  /** loadRun, synchronously. */
  snapshot(runId: RunId): { graph: Graph; events: RunEvent[] } {
    const run = this.get(runId);
    return { graph: run.graph, events: [...run.events] };
  }

  async acquireLease(runId: RunId, owner: LeaseOwner): Promise<Lease | undefined> {
    const run = this.get(runId);
    if (run.owner && run.owner !== owner.id) return undefined;
    const released = run.owner === undefined && run.epoch > 0;
    run.owner = owner.id;
    run.epoch++;
    return released ? { owner, epoch: run.epoch, released } : { owner, epoch: run.epoch };
  }

  /** Another process takes the run over (a test of fencing): the holder's next write is refused. */
  takeOver(runId: RunId, owner: LeaseOwner): Lease {
    const run = this.get(runId);
    run.owner = owner.id;
    run.epoch++;
    return { owner, epoch: run.epoch };
  }

  async renewLease(runId: RunId, lease: Lease): Promise<void> {
    const run = this.get(runId);
    if (run.epoch !== lease.epoch) throw new AppError('fenced', `run ${runId} was taken over by another process`);
  }

  async releaseLease(runId: RunId, lease: Lease): Promise<void> {
    const run = this.get(runId);
    if (run.epoch === lease.epoch && run.owner === lease.owner.id) delete run.owner;
  }

  async takeControls(runId: RunId): Promise<ControlRequest[]> {
    return this.get(runId).controls.splice(0);
  }

  async requestControl(runId: RunId, kind: ControlRequest['kind']): Promise<void> {
    const run = this.get(runId);
    // Its status now, as the other stores keep it: the last run-level transition's (a retried run runs again).
    let status: RunStatus = 'queued';
    for (const e of run.events) status = runStatusAfter(e.type) ?? status;
    if (isTerminalRun(status)) throw controlRefused(runId, status, kind);
    run.controls.push({ kind });
  }

  private get(runId: RunId): MemRun {
    const run = this.runs.get(runId);
    if (!run) throw new AppError('not-found', `run ${runId} not found`);
    return run;
  }
}
