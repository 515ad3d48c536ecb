/**
 * What a driver does beside driving, until it stops: renews the run's lease, and takes the pause
 * and cancel requests other processes leave in the store (polled, or woken at once where the store
 * can watch for them).
 */
import type { RunId } from '../ids.js';
import type { ControlRequest, Lease } from '../ports.js';
import type { EngineDeps } from './context.js';

/** The lease is renewed this often (ms): well inside its length (15–30 s). */
const RENEW_MS = 5_000;

/** A reason made once for an abort nobody reads the reason of (a poll woken early). */
const WOKEN: Error = Object.freeze(new Error('woken'));

export interface LeaseKeeperHooks {
  /** False when the driver is stopping and did not take it (the keeper hands it back: `done`). */
  pause(): boolean;
  cancel(): boolean;
  /** A paused run goes on (false: stopping, or not paused: a resume nobody waits on is dropped). */
  resume(): boolean;
  /** The lease is gone (another process took the run) or the store failed: the driver stops. */
  fail(err: unknown): void;
}

/**
 * Runs until `signal` aborts. `wake` ends the current wait at once (a control was requested).
 * `done` settles once it has stopped, with the controls it took that the driver, stopping by then,
 * did not: whoever ends the drive carries them out, or they would be lost.
 */
export function keepLease(
  deps: EngineDeps,
  runId: RunId,
  lease: Lease,
  signal: AbortSignal,
  hooks: LeaseKeeperHooks,
): { wake(): void; done: Promise<ControlRequest[]> } {
  let wakeNow: (() => void) | undefined;
  const missed: ControlRequest[] = [];
  const loop = async (): Promise<void> => {
    const { clock, store, controlPollMs } = deps;
    let lastRenew = clock.now();
    while (!signal.aborted) {
      const tick = new AbortController();
      wakeNow = () => tick.abort(WOKEN);
      const onStop = () => tick.abort(WOKEN);
      signal.addEventListener('abort', onStop, { once: true });
      try {
        await clock.sleep(controlPollMs ?? 200, tick.signal);
      } catch {
        // woken: a control was requested, or the driver stopped
      } finally {
        signal.removeEventListener('abort', onStop);
      }
      if (signal.aborted) return;
      try {
        if (clock.now() - lastRenew >= RENEW_MS) {
          await store.renewLease(runId, lease);
          lastRenew = clock.now();
        }
        for (const c of await store.takeControls(runId)) {
          if (c.kind === 'resume') hooks.resume();
          else if (!(c.kind === 'pause' ? hooks.pause() : hooks.cancel())) missed.push(c);
        }
      } catch (err) {
        if (!signal.aborted) hooks.fail(err);
        return;
      }
    }
  };
  return { wake: () => wakeNow?.(), done: loop().then(() => missed) };
}
