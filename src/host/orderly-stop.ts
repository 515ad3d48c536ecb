/**
 * Stopping a host in order (Ctrl+C on `statepipe serve`, quitting the app): the runs it drives
 * are paused and their running nodes finish, up to a grace period (core/engine/pause-all.ts).
 */
import { realClock } from '../core/engine/clock.js';
import { pauseAll } from '../core/engine/pause-all.js';
import type { StatepipeService } from './service.js';

export interface StopReport {
  /** Runs that were running here and are now paused. */
  paused: string[];
  /** Runs stopped with nodes still running (pure ones, or the grace period was over): resumable. */
  left: string[];
}

/** How long running nodes may finish when a host stops, unless said (`serve --grace-ms`). */
export const DEFAULT_GRACE_MS = 30_000;

export async function stopDriving(service: StatepipeService, graceMs = DEFAULT_GRACE_MS): Promise<StopReport> {
  service.stopping = true;
  const { ended, left } = await pauseAll(service.engine, realClock, graceMs);
  // A run that ended or began to wait meanwhile is not reported paused.
  const statuses = await Promise.all(ended.map(async (id) => (await service.store.getRunRow(id))?.status));
  return { paused: ended.filter((_, i) => statuses[i] === 'paused'), left };
}
