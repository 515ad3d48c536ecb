/**
 * `statepipe resume` of a paused run a worker drives (docs/scale-out.md "Controls"): paused while
 * its node still runs, the worker holds the run's lease until the node ends. The resume is left
 * for the worker as a control (as pause and cancel are) and the worker goes on at once. Before,
 * it was refused (another process drives the run) until the node ended.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { testDatabase } from './db.js';
import { exited, killAll, startWorker, until, type Worker, slowGraph } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

/** start → a 6 s delay → out: paused while the delay runs. */
const SLOW = slowGraph(6000);

describe('resume of a paused run a worker drives', () => {
  it('is carried out by the worker at once, while the paused run’s node still runs', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(SLOW));
    const on = (...args: string[]) => cli([...args, '--db', db], { cwd: dir });
    const detached = await on('run', 'slow.json', '--detach');
    expect(detached.code, detached.stderr).toBe(0);
    const runId = detached.stdout.trim();
    const w0 = await startWorker(db, 'w0', dir);
    workers.push(w0);
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      const row = async () =>
        (
          await client.query<{ status: string; owner_id: string | null; wait: string }>(
            `SELECT r.status, r.owner_id, n.status AS wait FROM statepipe.runs r
               JOIN statepipe.node_states n ON n.run_id = r.run_id AND n.node_id = 'wait' WHERE r.run_id = $1`,
            [runId],
          )
        ).rows[0];
      await until('w0 runs the delay', async () => (await row())?.wait === 'running');
      const paused = await on('pause', runId);
      expect(paused.code, paused.stderr).toBe(3);
      expect(await row()).toMatchObject({ status: 'paused', wait: 'running' });
      expect((await row())!.owner_id).toMatch(/^w0@/); // the worker holds the run until its node ends

      const t0 = Date.now();
      const resumed = await on('resume', runId);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(4_000); // not after the delay's end
      // The worker goes on with it: not queued again (which would be a second claim, skipped).
      expect(resumed.stdout).toContain(`[run] id=${runId} resumed: the process that drives it goes on with it`);
      const now = (await row())!;
      expect(now.status).toBe('running');
      expect(now.wait).toBe('running'); // the same node, never cut off

      await until('w0 finishes it', () => w0.out.some((l) => l.includes(`finished ${runId} succeeded`)), 20_000);
      const events = (
        await client.query<{ type: string; node_id: string | null }>(
          'SELECT type, node_id FROM statepipe.events WHERE run_id = $1 ORDER BY seq',
          [runId],
        )
      ).rows;
      const types = events.map((e) => e.type);
      expect(types.filter((t) => t === 'run.paused' || t === 'run.resumed')).toEqual(['run.paused', 'run.resumed']);
      expect(types).not.toContain('run.interrupted');
      expect(events.filter((e) => e.type === 'node.started' && e.node_id === 'wait')).toHaveLength(1);
      expect(w0.out.filter((l) => l.includes(' claimed '))).toHaveLength(1);
      w0.child.kill('SIGTERM');
      expect(await exited(w0)).toBe(0);
    } finally {
      await client.end();
    }
  }, 60_000);
});
