/**
 * A queued run whose lease another process holds for a moment without driving it (an approve
 * refused under it, a dead-run scan) when a worker claims its nudge: the worker's drive meets a
 * conflict, and once the lease is released the run starts within the usual claim latency (the
 * worker watched it and queued it again), not after the reaper's 30 s for queued runs. The race
 * is made deterministic: the test holds the lease while the worker claims.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { asRunId } from '../../src/core/ids.js';
import { openStore } from '../../src/host/store/open-store.js';
import { testDatabase } from './db.js';
import { killAll, startWorker, until, type Worker } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

const QUICK = {
  format: 'statepipe.graph',
  version: 1,
  id: 'quick',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'out', type: 'output', config: { value: 'done' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'out' }],
};

describe('a worker whose claimed run is leased elsewhere for a moment', () => {
  it('queues the run again when the lease comes free: it starts at once, not 30 s later', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'quick.json'), JSON.stringify(QUICK));
    const queued = await cli(['run', 'quick.json', '--detach', '--db', db], { cwd: dir });
    expect(queued.code, queued.stderr).toBe(0);
    const runId = asRunId(queued.stdout.trim());

    const store = await openStore(db);
    try {
      // Held here, as a refused action held it under the lease, while the worker claims its only nudge.
      const lease = await store.acquireLease(runId, { id: 'holder@test', pid: process.pid });
      expect(lease).not.toBeNull();
      const w = await startWorker(db, 'w', dir);
      workers.push(w);
      await until('the worker meets the held lease', () =>
        w.out.includes(`[worker w] skipped ${runId} (driven elsewhere)`),
      );
      expect((await store.getRunRow(runId))?.status).toBe('queued');

      await store.releaseLease(runId, lease!);
      const t0 = Date.now();
      await until('the run ends', async () => (await store.getRunRow(runId))?.status === 'succeeded', 40_000);
      expect(Date.now() - t0, 'started within the claim latency, not 30 s later (the reaper)').toBeLessThan(2_000);
      expect(w.out).toContain(`[worker w] requeued ${runId} (its lease came free)`);
      expect(w.out).toContain(`[worker w] finished ${runId} succeeded`);
    } finally {
      await store.close();
    }
  }, 60_000);
});
