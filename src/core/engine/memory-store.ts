/** A RunStore in memory: for tests, replay and the in-memory benchmark. Same contract as SQLite. */
import { AppError } from '../errors.js';
import type { NewEvent, RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { ControlRequest, LeaseOwner, NewRun, RunStore } from '../ports.js';

interface MemRun {
  graph: Graph;
  events: RunEvent[];
  owner?: string;
  controls: ControlRequest[];
}

export class MemoryStore implements RunStore {
  private readonly runs = new Map<string, MemRun>();
  constructor(private readonly now: () => number = () => Date.now()) {}

  createRun(run: NewRun): RunEvent[] {
    if (this.runs.has(run.runId)) throw new AppError('conflict', `run ${run.runId} exists`);
    this.runs.set(run.runId, { graph: run.graph, events: [], controls: [] });
    return this.append(run.runId, run.events);
  }

  append(runId: RunId, events: NewEvent[]): RunEvent[] {
    const run = this.get(runId);
    const ts = new Date(this.now()).toISOString();
    // Events are fresh objects the engine never changes after committing them: no copy needed.
    const out = events.map((e, i) => ({ ...e, seq: run.events.length + i + 1, runId, ts }) as RunEvent);
    run.events.push(...out);
    return out;
  }

  loadRun(runId: RunId): { graph: Graph; events: RunEvent[] } {
    const run = this.get(runId);
    return { graph: run.graph, events: [...run.events] };
  }

  acquireLease(runId: RunId, owner: LeaseOwner): boolean {
    const run = this.get(runId);
    if (run.owner && run.owner !== owner.id) return false;
    run.owner = owner.id;
    return true;
  }

  renewLease(): void {}

  releaseLease(runId: RunId, owner: LeaseOwner): void {
    const run = this.get(runId);
    if (run.owner === owner.id) delete run.owner;
  }

  takeControls(runId: RunId): ControlRequest[] {
    const run = this.get(runId);
    return run.controls.splice(0);
  }

  requestControl(runId: RunId, kind: ControlRequest['kind']): void {
    this.get(runId).controls.push({ kind });
  }

  private get(runId: RunId): MemRun {
    const run = this.runs.get(runId);
    if (!run) throw new AppError('not-found', `run ${runId} not found`);
    return run;
  }
}
