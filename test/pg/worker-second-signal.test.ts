/**
 * A second SIGTERM or SIGINT while `statepipe worker` drains (docs/scale-out.md "Draining"): it
 * stops at once (no grace left), hands back the runs it still drives, leaves for the reaper those
 * it cannot hand back in time, prints its summary naming both, and exits 130. Before, the second
 * signal killed it (143) with no summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { testDatabase } from './db.js';
import { killAll, sleep, startWorker, until, type Worker, slowGraph } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

/** start → a 30 s delay → out: still running when the worker is stopped. */
const SLOW = slowGraph(30_000);

async function setUp(n: number) {
  const db = await testDatabase();
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(SLOW));
  fs.writeFileSync(path.join(dir, 'in.jsonl'), Array.from({ length: n }, () => '{}').join('\n') + '\n');
  const res = await cli(['run', 'slow.json', '--inputs', 'in.jsonl', '--detach', '--db', db], { cwd: dir });
  expect(res.code, res.stderr).toBe(0);
  const ids = res.stdout.trim().split('\n');
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  const owners = async () =>
    (
      await client.query<{ run_id: string; status: string; owner_id: string | null }>(
        'SELECT run_id, status, owner_id FROM statepipe.runs WHERE run_id = ANY($1) ORDER BY run_id',
        [ids],
      )
    ).rows;
  // Drained for a minute unless stopped at once.
  const w0 = await startWorker(db, 'w0', dir, '--grace-ms', '60000');
  workers.push(w0);
  await until('w0 drives every run', async () =>
    (await owners()).every((r) => r.status === 'running' && r.owner_id?.startsWith('w0@')),
  );
  return { db, dir, ids, client, owners, w0 };
}

/** The exit of a worker: its code, its signal, and how long it took from now. */
const exitOf = (w: Worker) => {
  const t0 = Date.now();
  return new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) =>
    w.child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })),
  );
};

describe('a second signal while a worker drains', () => {
  it('SIGTERM twice: stops at once, hands back what it can, leaves the rest for the reaper, says which, exit 130', async () => {
    const { db, dir, ids, client, owners, w0 } = await setUp(2);
    try {
      w0.child.kill('SIGTERM');
      await until('draining', () => w0.out.some((l) => l.includes('stopping: no new runs')));
      await sleep(300);
      // The second run's row is locked: its hand-back cannot finish (as with a database that hangs).
      const locker = new pg.Client({ connectionString: db });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM statepipe.runs WHERE run_id = $1 FOR UPDATE', [ids[1]]);
      const exit = exitOf(w0);
      w0.child.kill('SIGTERM');
      const { code, signal, ms } = await exit;
      await locker.query('ROLLBACK');
      await locker.end();
      const out = w0.out.join('\n');
      expect({ code, signal }, out).toEqual({ code: 130, signal: null });
      expect(ms, out).toBeLessThan(6_000);
      expect(out).toContain(`released ${ids[0]}`);
      expect(out).toContain(`left ${ids[1]} for the reaper (not handed back in time)`);
      expect(out).toContain(`stopped at once: released ${ids[0]} · left for the reaper ${ids[1]}`);
      expect(w0.out.filter((l) => l.includes('summary:'))).toHaveLength(1);
      // The released run waits for a worker; the one left still names w0, gone: the reaper's.
      const rows = await owners();
      const [released, left] = ids.map((id) => rows.find((r) => r.run_id === id));
      expect(released).toMatchObject({ status: 'queued', owner_id: null });
      expect(left!.owner_id).toMatch(/^w0@/);
      const w1 = await startWorker(db, 'w1', dir);
      workers.push(w1);
      await until('w1 drives both again', async () => (await owners()).every((r) => r.owner_id?.startsWith('w1@')));
      await until('w1 logs the reap', () => w1.out.some((l) => l.includes(`reaped ${ids[1]}`)));
    } finally {
      await client.end();
    }
  }, 90_000);

  it('SIGINT twice: every run handed back at once, exit 130 with the summary', async () => {
    const { ids, client, owners, w0 } = await setUp(1);
    try {
      w0.child.kill('SIGINT');
      await until('draining', () => w0.out.some((l) => l.includes('stopping: no new runs')));
      const exit = exitOf(w0);
      w0.child.kill('SIGINT');
      const { code, signal, ms } = await exit;
      const out = w0.out.join('\n');
      expect({ code, signal }, out).toEqual({ code: 130, signal: null });
      expect(ms, out).toBeLessThan(3_000);
      expect(out).toMatch(
        /summary: 1 claimed · 0 finished · .* 1 released · .* stopped at once: released run_\w+ · left for the reaper none/,
      );
      expect(out).toContain(`released ${ids[0]}`);
      expect((await owners())[0]).toMatchObject({ status: 'queued', owner_id: null });
    } finally {
      await client.end();
    }
  }, 90_000);
});
