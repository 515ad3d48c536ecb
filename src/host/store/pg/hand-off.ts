/**
 * A started run handed to the workers (a person's action recorded, a drain's release, a takeover
 * of a released run) reads `queued` while no process holds its lease: it waits for a worker to
 * claim it, it was not cut off (docs/scale-out.md "Workers"). Its log still says `running` (no
 * event is written for a hand-off); the lease's next holder sets `running` back (acquireLease).
 *
 * Since no event records these changes, each is NOTIFYd on STATUS_CHANNEL (at its commit, with the
 * run id), so that live views of every process (the web host's feed, event-feed.ts) show it at
 * once instead of at the run's next event.
 */
import { STATUS_CHANNEL } from './schema.js';

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Marks a released started run `queued` (a run someone holds is left alone); NOTIFYd when it changed. */
export async function markQueued(q: Query, runId: string): Promise<void> {
  await q(
    `WITH up AS (
       UPDATE statepipe.runs SET status = 'queued'
        WHERE run_id = $1 AND status = 'running' AND owner_id IS NULL AND started_at IS NOT NULL
        RETURNING run_id)
     SELECT pg_notify($2, run_id) FROM up`,
    [runId, STATUS_CHANNEL],
  );
}

/**
 * Releases the lease of epoch `epoch` and marks the run `queued` in the same statement (a drain's
 * hand-back): no reader ever sees it `running` with no owner (`interrupted`) in between.
 */
export async function releaseQueued(q: Query, runId: string, epoch: number): Promise<void> {
  await q(
    `WITH up AS (
       UPDATE statepipe.runs r SET owner_id = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL,
              status = CASE WHEN r.status = 'running' AND r.started_at IS NOT NULL THEN 'queued' ELSE r.status END
         FROM (SELECT run_id, status FROM statepipe.runs WHERE run_id = $1 FOR UPDATE) old
        WHERE r.run_id = $1 AND old.run_id = r.run_id AND r.lease_epoch = $2
        RETURNING r.run_id, old.status AS was, r.status)
     SELECT pg_notify($3, run_id) FROM up WHERE was <> status`,
    [runId, epoch, STATUS_CHANNEL],
  );
}

/** Says that the run's status changed without an event (a queued run taken by a worker: `running`). */
export async function announceStatus(q: Query, runId: string): Promise<void> {
  await q('SELECT pg_notify($1, $2)', [STATUS_CHANNEL, runId]);
}
