/** What a worker did, counted for its summary line on exit (docs/scale-out.md "Workers"). */
export interface WorkerSummary {
  claimed: number;
  finished: Record<string, number>;
  skipped: number;
  errors: number;
  /** Runs another process took over while this worker drove them (it stopped writing to them). */
  takenOver: number;
  handedBack: number;
  reaped: number;
  /** Stopped at once (stopNow): the runs handed back, and those left for the reaper of another worker. */
  released: string[];
  leftForReaper: string[];
}

/** After stopNow(), how long the hand-back of the runs still driven may take before they are left for the reaper (ms). */
export const HAND_BACK_NOW_MS = 2_000;

export const emptySummary = (): WorkerSummary => ({
  claimed: 0,
  finished: {},
  skipped: 0,
  errors: 0,
  takenOver: 0,
  handedBack: 0,
  reaped: 0,
  released: [],
  leftForReaper: [],
});

/**
 * The one line a worker prints as it exits. Stopped at once (a second signal), it also names the
 * runs it handed back and those it left for the reaper.
 */
export function summaryLine(s: WorkerSummary, stoppedAtOnce = false): string {
  const ended = Object.entries(s.finished)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const counts = `${s.claimed} claimed · ${ended || '0 finished'} · ${s.skipped} skipped · ${s.takenOver} taken over · ${s.handedBack} released · ${s.reaped} reaped · ${s.errors} errors`;
  if (!stoppedAtOnce) return `summary: ${counts}`;
  const list = (ids: string[]) => (ids.length > 0 ? ids.join(' ') : 'none');
  return `summary: ${counts} · stopped at once: released ${list(s.released)} · left for the reaper ${list(s.leftForReaper)}`;
}
