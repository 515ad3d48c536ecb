/**
 * The run queue on a real PostgreSQL: several processes (here: stores, each with its own pool)
 * creating the same queue at the same moment all go on; a batch of nudges in one statement is
 * claimed like nudges sent one by one, one per run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/pg/db.js';
import { openPostgres } from '../store/pg/open.js';
import type { Store } from '../store/store.js';
import { RunQueue } from './queue.js';

const opened: { q: RunQueue; s: Store }[] = [];
afterEach(async () => {
  for (const { q, s } of opened.splice(0)) {
    await q.close();
    await s.close();
  }
});

async function queueOn(url: string): Promise<RunQueue> {
  const s = await openPostgres(url);
  const q = await RunQueue.open(s);
  opened.push({ q, s });
  return q;
}

describe('RunQueue on PostgreSQL', () => {
  it('starts on a fresh database from several processes at the same moment (one installs the queue, none fails)', async () => {
    // pg-boss's own install lock left a window: a process that waited on it could fail on the
    // schema the first had just created. Rounds on fresh databases, the stores opened first so
    // that the queues start together.
    for (let round = 0; round < 6; round++) {
      const url = await testDatabase();
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgres(url)));
      const results = await Promise.allSettled(stores.map((s) => RunQueue.open(s)));
      for (const [i, r] of results.entries())
        if (r.status === 'fulfilled') opened.push({ q: r.value, s: stores[i]! });
        else await stores[i]!.close();
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'started'))).toEqual(
        Array(4).fill('started'),
      );
    }
  });

  it('lets several processes create the same queue at once, and claims a batch once per run', async () => {
    const url = await testDatabase();
    const queues = await Promise.all([1, 2, 3, 4].map(() => queueOn(url)));
    // All four ask for the fresh queue at the same moment: none fails on the race.
    await Promise.all(queues.map((q, i) => q.enqueue(`run_single_${i}`, { queue: 'race' })));
    await queues[0]!.enqueueMany(
      Array.from({ length: 50 }, (_, i) => ({ runId: `run_batch_${i}` })),
      'race',
    );
    // A second batch nudge for a run already waiting adds nothing (one waiting nudge per run).
    await queues[1]!.enqueueMany([{ runId: 'run_batch_0' }], 'race');
    const claimed = (await Promise.all(queues.map((q) => q.claim('race', 100)))).flat().map((j) => j.runId);
    expect(claimed.length).toBe(54);
    expect(new Set(claimed).size).toBe(54);
  });
});
