/**
 * A person's controls of a run another process drives (a worker, another host, a CLI): left for
 * that process in the store and waited for, or carried out here once the run's lease comes free.
 */
import { AppError, controlRefused } from '../errors.js';
import type { RunId } from '../ids.js';
import type { EngineDeps, RunOutcome } from './context.js';
import type { DriveOptions } from './driver.js';
import { isTerminalRun } from './machines.js';
import type { RunState } from './state.js';

/** A control left for the process that drives the run, not carried out yet. */
export type Requested = { runId: string; status: 'requested' };

/** How long a control left for another process is waited for, and how often its run is looked at (ms). */
const CONTROL_WAIT_MS = 10_000;
const CONTROL_POLL_MS = 50;

/** What these controls need of the engine. */
export interface Elsewhere {
  deps: EngineDeps;
  inspect(runId: RunId): Promise<RunState>;
  drive(runId: RunId, opts: DriveOptions): Promise<RunOutcome>;
}

/**
 * A paused run whose driver is another process (its running nodes finishing, a worker's): a
 * resume control is left for that driver, which goes on at once. Should that driver stop before
 * it takes the control, the lease comes free and the run is resumed here as usual. Not carried
 * out within CONTROL_WAIT_MS: refused with the conflict it met first.
 */
export async function resumeDrivenElsewhere(
  e: Elsewhere,
  runId: RunId,
  drive: () => Promise<RunOutcome>,
  refused: AppError,
): Promise<RunOutcome> {
  if ((await e.inspect(runId)).status !== 'paused') throw refused;
  await e.deps.store.requestControl(runId, 'resume');
  const until = e.deps.clock.now() + CONTROL_WAIT_MS;
  for (;;) {
    await e.deps.clock.sleep(CONTROL_POLL_MS);
    const { status } = await e.inspect(runId);
    if (status !== 'paused') return { runId, status, drivenElsewhere: true };
    try {
      return await drive();
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err;
    }
    if (e.deps.clock.now() >= until) throw refused;
  }
}

/**
 * Pause or cancel of a run no driver here holds: left for the process that holds its lease (and
 * waited for), or, the lease free, carried out by a drive here.
 */
export async function controlOrDrive(
  e: Elsewhere,
  runId: RunId,
  kind: 'pause' | 'cancel',
  opts: DriveOptions,
): Promise<RunOutcome | Requested> {
  const state = await e.inspect(runId);
  if (isTerminalRun(state.status)) throw controlRefused(runId, state.status, kind);
  if (kind === 'pause' && state.status === 'paused') return { runId, status: 'paused' as const };
  const lease = await e.deps.store.acquireLease(runId, e.deps.owner);
  if (!lease) {
    await e.deps.store.requestControl(runId, kind);
    return carriedOut(e, runId, kind);
  }
  await e.deps.store.releaseLease(runId, lease);
  return e.drive(runId, opts);
}

/**
 * A control left for the process that drives the run: the answer waits until that process has
 * carried it out (the run `cancelled`, or `paused`), at most CONTROL_WAIT_MS, then says
 * `requested` (it is carried out later: a driver that stops takes what is left). A run that
 * ended otherwise first refuses it, as a control of an ended run is refused.
 */
async function carriedOut(e: Elsewhere, runId: RunId, kind: 'pause' | 'cancel'): Promise<RunOutcome | Requested> {
  const until = e.deps.clock.now() + CONTROL_WAIT_MS;
  for (;;) {
    const { status } = await e.inspect(runId);
    if (status === (kind === 'cancel' ? 'cancelled' : 'paused')) return { runId, status };
    if (isTerminalRun(status)) {
      // Ended before its driver saw the request: nothing is left for a later drive to find.
      await e.deps.store.takeControls(runId).catch(() => undefined);
      throw controlRefused(runId, status, kind);
    }
    if (e.deps.clock.now() >= until) return { runId, status: 'requested' };
    await e.deps.clock.sleep(CONTROL_POLL_MS);
  }
}
