/**
 * A RunStore wrapper that times every write (createRun, append, lease updates) and counts the
 * transactions the engine commits, so the raw SQLite baseline can run the same number.
 */
import type { NewEvent, RunEvent } from '../../src/core/events.js';
import type { Graph } from '../../src/core/graph/schema.js';
import type { RunId } from '../../src/core/ids.js';
import type { ControlRequest, Fence, Lease, LeaseOwner, NewRun, RunStore } from '../../src/core/ports.js';

export class TimedStore implements RunStore {
  /** `append` calls (one transaction each): the engine's transitions. */
  appends = 0;
  /** Every write transaction: createRun + appends + lease acquire/release. */
  writes = 0;
  /** Milliseconds of each append call (a transition's commit latency). */
  readonly appendMs: number[] = [];
  /** Total milliseconds spent inside the store's writes. */
  writeMs = 0;
  /** Called every `sampleEvery` writes (memory sampling). */
  onSample: (() => void) | undefined;
  sampleEvery = 128;
  /** Called after each append with the committed events (crash injection). */
  afterAppend: ((events: RunEvent[]) => void) | undefined;

  constructor(readonly inner: RunStore) {}

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const r = await fn();
    this.writeMs += performance.now() - t0;
    if (++this.writes % this.sampleEvery === 0) this.onSample?.();
    return r;
  }

  createRun(run: NewRun): Promise<RunEvent[]> {
    return this.write(() => this.inner.createRun(run));
  }

  /** Only where the store has it (the engine falls back to createRun + acquireLease). */
  get createLeased(): RunStore['createLeased'] {
    const inner = this.inner.createLeased?.bind(this.inner);
    return inner && ((run, owner) => this.write(() => inner(run, owner)));
  }

  async append(runId: RunId, events: NewEvent[], fence: Fence): Promise<RunEvent[]> {
    const t0 = performance.now();
    const out = await this.write(() => this.inner.append(runId, events, fence));
    this.appendMs.push(performance.now() - t0);
    this.appends++;
    this.afterAppend?.(out);
    return out;
  }

  loadRun(runId: RunId): Promise<{ graph: Graph; events: RunEvent[] }> {
    return this.inner.loadRun(runId);
  }

  acquireLease(runId: RunId, owner: LeaseOwner): Promise<Lease | undefined> {
    return this.write(() => this.inner.acquireLease(runId, owner));
  }

  renewLease(runId: RunId, lease: Lease): Promise<void> {
    return this.inner.renewLease(runId, lease);
  }

  releaseLease(runId: RunId, lease: Lease): Promise<void> {
    return this.write(() => this.inner.releaseLease(runId, lease));
  }

  takeControls(runId: RunId): Promise<ControlRequest[]> {
    return this.inner.takeControls(runId);
  }

  requestControl(runId: RunId, kind: ControlRequest['kind']): Promise<void> {
    return this.inner.requestControl(runId, kind);
  }

  reset(): void {
    this.appends = 0;
    this.writes = 0;
    this.writeMs = 0;
    this.appendMs.length = 0;
  }
}
