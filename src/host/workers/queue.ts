/**
 * The run queue on PostgreSQL (docs/scale-out.md "Workers"): pg-boss distributes *nudges*
 * ("drive run R"); the run's lease in the store stays the only authority over who drives it, so
 * a duplicate or stale nudge costs one failed lease attempt and nothing else.
 */
import os from 'node:os';
import PgBoss from 'pg-boss';
import { AppError } from '../../core/errors.js';
import { PostgresStore } from '../store/pg/pg-store.js';
import { isPidAlive } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';

/** The session lock under which one process at a time starts pg-boss (installing its schema). */
const INSTALL_LOCK = 0x5e_9b_05_51;
/** With the queue name's hash, the transaction lock under which one worker at a time reaps a queue. */
const REAP_LOCK = 0x5e_9b_05_52;
import { DEFAULT_QUEUE, QUEUE_SCHEMA } from './queue-name.js';

export { DEFAULT_QUEUE, QUEUE_SCHEMA, checkQueueName } from './queue-name.js';

const HOST = os.hostname();

export interface RunJob {
  id: string;
  runId: string;
}

export class RunQueue {
  private readonly created = new Set<string>();

  private constructor(
    private readonly boss: PgBoss,
    private readonly store: PostgresStore,
  ) {}

  /**
   * The queue over the store's own connection pool. `supervise` runs pg-boss's maintenance
   * (expiry, archiving): workers do, a CLI that only enqueues does not.
   */
  static async open(store: Store, opts: { supervise?: boolean; flag?: string } = {}): Promise<RunQueue> {
    if (!(store instanceof PostgresStore))
      throw new AppError(
        'usage',
        `${opts.flag ?? '--detach'} needs a PostgreSQL store (--db postgres://…): workers take runs from a queue in the database; ${store.displayName} is a SQLite file`,
      );
    const pool = store.pgPool;
    const boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schema: QUEUE_SCHEMA,
      supervise: opts.supervise === true,
      schedule: false,
      migrate: true,
    });
    boss.on('error', () => undefined); // maintenance errors are retried by pg-boss; a worker goes on
    // pg-boss installs its schema under a lock it takes inside the installing transaction: a
    // process that waited there can still fail on the schema the first one just created (its
    // catalog cache predates the wait: "duplicate key … pg_namespace_nspname_index"). So one
    // process at a time starts it, on a session lock held outside; the next finds it installed.
    const c = await pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('SELECT pg_advisory_lock($1)', [INSTALL_LOCK]);
      await boss.start().catch((err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        throw new AppError(
          'database',
          `the run queue (pg-boss, schema ${QUEUE_SCHEMA}) cannot start: ${why}`,
          undefined,
          {
            cause: err,
          },
        );
      });
      // A run's latest nudge is looked up by run id (requeue, reaper): indexed, whatever the backlog.
      for (const table of ['job', 'archive'])
        await pool.query(
          `CREATE INDEX IF NOT EXISTS ${table}_run ON ${QUEUE_SCHEMA}.${table} (singleton_key, created_on)`,
        );
    } finally {
      // A connection that cannot unlock is closed instead, which drops its session lock.
      await c.query('SELECT pg_advisory_unlock($1)', [INSTALL_LOCK]).catch((err: Error) => void (broken = err));
      c.release(broken);
    }
    return new RunQueue(boss, store);
  }

  private async ensure(queue: string): Promise<void> {
    if (this.created.has(queue)) return;
    // `short`: at most one waiting nudge per run (singletonKey = run id), however many ask.
    // No retries: a nudge whose worker died is replaced by the reaper, which knows the lease.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.boss.createQueue(queue, { name: queue, policy: 'short', retryLimit: 0, expireInSeconds: 23 * 3600 });
        break;
      } catch (err) {
        // Processes creating the queue at the same moment: pg-boss's create_queue (a table and
        // a row each) can lose the race with a unique violation or a deadlock. Once the winner
        // committed, the queue is there; until then, try again.
        if ((await this.boss.getQueue(queue)) !== null) break;
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
    this.created.add(queue);
  }

  /**
   * Asks a worker to drive `runId`. No-op when a nudge for it already waits in this queue.
   * Returns whether this call made the nudge (false: one was waiting already).
   */
  async enqueue(runId: string, opts: { queue?: string; priority?: number } = {}): Promise<boolean> {
    const queue = opts.queue ?? DEFAULT_QUEUE;
    await this.ensure(queue);
    // Before the nudge, which a worker may claim at once: its lease then sets `running` back.
    await this.store.queuedForWorker(runId);
    const id = await this.boss.send(queue, { runId }, { singletonKey: runId, priority: opts.priority ?? 0 });
    await this.store.nudged(queue);
    return id !== null;
  }

  /** Wakes `wake` when a run is nudged in `queue` by any process (an idle worker claims at once). */
  watch(queue: string, wake: () => void): () => void {
    return this.store.watchQueue(queue, wake);
  }

  /**
   * Nudges many runs with one statement (a batch started at once): the same nudges as
   * `enqueue`, one per run, without a round trip each.
   */
  async enqueueMany(
    runs: readonly { runId: string; priority?: number }[],
    queue: string = DEFAULT_QUEUE,
  ): Promise<void> {
    await this.ensure(queue);
    for (let i = 0; i < runs.length; i += 1000)
      await this.boss.insert(
        runs
          .slice(i, i + 1000)
          .map((r) => ({ name: queue, data: { runId: r.runId }, singletonKey: r.runId, priority: r.priority ?? 0 })),
      );
  }

  /** The queue and priority of the run's latest nudge, if it ever had one. */
  private async lastNudge(runId: string): Promise<{ queue: string; priority: number } | undefined> {
    const { rows } = await this.store.pgPool.query<{ name: string; priority: number }>(
      `SELECT name, priority FROM (
         SELECT name, priority, created_on FROM ${QUEUE_SCHEMA}.job WHERE singleton_key = $1
         UNION ALL SELECT name, priority, created_on FROM ${QUEUE_SCHEMA}.archive WHERE singleton_key = $1
       ) j ORDER BY created_on DESC LIMIT 1`,
      [runId],
    );
    const r = rows[0];
    return r ? { queue: r.name, priority: Number(r.priority) } : undefined;
  }

  /** Queues a child run for the workers, in its parent's queue (else `queue`) and with its priority. */
  async enqueueChild(runId: string, parentRunId: string, queue: string): Promise<void> {
    await this.enqueue(runId, (await this.lastNudge(parentRunId)) ?? { queue });
  }

  /** Nudges the run again in the queue (and with the priority) it came from; `default` if none. */
  async requeue(runId: string): Promise<void> {
    await this.enqueue(runId, (await this.lastNudge(runId)) ?? {});
  }

  /** Up to `n` nudges, highest priority first, then oldest. */
  async claim(queue: string, n: number): Promise<RunJob[]> {
    await this.ensure(queue);
    const jobs = await this.boss.fetch<{ runId: string }>(queue, { batchSize: n, priority: true });
    return jobs.map((j) => ({ id: j.id, runId: j.data.runId }));
  }

  async complete(queue: string, jobId: string): Promise<void> {
    await this.boss.complete(queue, jobId);
  }

  /**
   * Takeover: runs running or queued whose lease expired on the database's clock (or whose owner
   * on this host is gone, or that a drain released) and that have no nudge waiting in `queue`
   * get one. Queued runs without a lease count only after `staleMs` (their nudge may be in a
   * worker's hands for the instant before it takes the lease). Returns the runs nudged.
   */
  async reap(queue: string, staleMs: number): Promise<string[]> {
    await this.ensure(queue);
    // One reaper of a queue at a time (workers started together reap in step): the others skip
    // this pass. Held by a transaction of its own connection, so a reaper that dies lets go.
    const c = await this.store.pgPool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [
        REAP_LOCK,
        queue,
      ]);
      return lock.rows[0]?.ok === true ? await this.reapLocked(queue, staleMs) : [];
    } finally {
      await c.query('COMMIT').catch((err: Error) => void (broken = err));
      c.release(broken);
    }
  }

  private async reapLocked(queue: string, staleMs: number): Promise<string[]> {
    const { rows } = await this.store.pgPool.query<{
      run_id: string;
      status: string;
      owner_id: string | null;
      owner_host: string | null;
      owner_pid: number | null;
      expired: boolean | null;
      stale: boolean;
    }>(
      `SELECT r.run_id, r.status, r.owner_id, r.owner_host, r.owner_pid,
              r.lease_expires_at <= statepipe.now_ms() AS expired,
              r.created_at < now() - make_interval(secs => $3::double precision / 1000) AS stale
         FROM statepipe.runs r
        WHERE r.status IN ('running', 'queued')
          AND (r.owner_id IS NULL OR r.lease_expires_at <= statepipe.now_ms() OR r.owner_host = $2)
          AND NOT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.job j
                           WHERE j.name = $1 AND COALESCE(j.singleton_key, '') = r.run_id
                             AND j.state = 'created' AND j.policy = 'short')
          -- Nor one a worker claimed a moment ago: it is about to take the lease.
          AND NOT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.job j
                           WHERE j.name = $1 AND COALESCE(j.singleton_key, '') = r.run_id
                             AND j.state = 'active' AND j.started_on > now() - interval '2 seconds')
        ORDER BY r.created_at LIMIT 1000`,
      [queue, HOST, staleMs],
    );
    const nudged: string[] = [];
    for (const r of rows) {
      const take =
        r.owner_id === null
          ? r.status === 'running' || r.stale
          : r.expired === true || (r.owner_host === HOST && r.owner_pid !== null && !isPidAlive(Number(r.owner_pid)));
      if (!take) continue;
      // A run of another queue is for that queue's workers to take over.
      const last = await this.lastNudge(r.run_id);
      if (last && last.queue !== queue) continue;
      // Reaped only when this pass made the nudge (another process may have queued it meanwhile).
      if (await this.enqueue(r.run_id, { queue, priority: last?.priority ?? 0 })) nudged.push(r.run_id);
    }
    return nudged;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, close: false, wait: true });
  }
}
