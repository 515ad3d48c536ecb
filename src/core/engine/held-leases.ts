/**
 * Leases taken with the runs an engine created to drive at once (a map's children), not yet
 * driven. One not driven at once (its parent stopped first) is not used later: its lease may have
 * expired and the run moved on elsewhere, so it is acquired and loaded again.
 */
import type { Graph } from '../graph/schema.js';
import type { RunEvent } from '../events.js';
import type { Clock, Lease } from '../ports.js';

/** A lease taken with a run's creation is used by a drive that starts within this (ms); leases last 15 s or more. */
const HELD_MS = 1_000;

export interface Held {
  lease: Lease;
  /** What the creation committed: the run's whole log, so far. */
  loaded: { graph: Graph; events: RunEvent[] };
}

export class HeldLeases {
  private readonly held = new Map<string, Held & { at: number }>();

  constructor(private readonly clock: Clock) {}

  put(runId: string, held: Held): void {
    const now = this.clock.now();
    // Those left behind by a parent that stopped first are of no use any more.
    for (const [id, h] of this.held) if (now - h.at >= HELD_MS) this.held.delete(id);
    this.held.set(runId, { ...held, at: now });
  }

  /** The lease and log to drive `runId` with, once, if taken just now. */
  take(runId: string): Held | undefined {
    const held = this.held.get(runId);
    this.held.delete(runId);
    return held && this.clock.now() - held.at < HELD_MS ? held : undefined;
  }
}
