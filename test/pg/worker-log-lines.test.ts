/**
 * What `statepipe worker` says (docs/scale-out.md "Workers"): a run whose lease another process
 * took over is an info line (`taken over RUN`), not an error, and is not counted in the summary's
 * errors; a run a dead worker left is `reaped` by one worker only, however many reap at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { testDatabase } from './db.js';
import { exited, killAll, sleep, startWorker, until, type Worker, slowGraph } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

async function detach(db: string, dir: string, ms: number, n: number): Promise<string[]> {
  fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(slowGraph(ms)));
  fs.writeFileSync(path.join(dir, 'in.jsonl'), Array.from({ length: n }, () => '{}').join('\n') + '\n');
  const res = await cli(['run', 'slow.json', '--inputs', 'in.jsonl', '--detach', '--db', db], { cwd: dir });
  expect(res.code, res.stderr).toBe(0);
  return res.stdout.trim().split('\n');
}

async function withClient<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ownedBy = (c: pg.Client, ids: string[], prefix: string) =>
  c
    .query<{ n: string }>(
      `SELECT count(*) AS n FROM statepipe.runs WHERE run_id = ANY($1) AND status = 'running' AND owner_id LIKE $2`,
      [ids, `${prefix}@%`],
    )
    .then((r) => Number(r.rows[0]!.n));

describe('worker log lines', () => {
  it('a run taken over by another process is an info line, not an error', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const [runId] = await detach(db, dir, 2500, 1);
    const w0 = await startWorker(db, 'w0', dir);
    workers.push(w0);
    await withClient(db, async (c) => {
      await until('w0 drives it', async () => (await ownedBy(c, [runId!], 'w0')) === 1);
      // Another process takes the lease (as a worker does once w0's lease ran out): w0's next write is fenced.
      await c.query(
        `UPDATE statepipe.runs SET owner_id = 'other@elsewhere:1', owner_host = 'elsewhere', owner_pid = 1,
            lease_epoch = lease_epoch + 1, lease_expires_at = statepipe.now_ms() + 60000 WHERE run_id = $1`,
        [runId],
      );
    });
    await until('w0 lets the run go', () => w0.out.some((l) => l.includes(runId!) && !l.includes('claimed')), 20_000);
    w0.child.kill('SIGTERM');
    expect(await exited(w0)).toBe(0);
    const out = w0.out.join('\n');
    expect(out).toContain(`[worker w0] taken over ${runId} (another process drives it now`);
    expect(out).not.toMatch(/\berror\b/);
    expect(out).toMatch(
      /summary: 1 claimed · 0 finished · 0 skipped · 1 taken over · 0 released · 0 reaped · 0 errors/,
    );
  }, 60_000);

  it("a dead worker's runs are reaped once each, by one of the workers reaping at the same moment", async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const ids = await detach(db, dir, 30_000, 24);
    const w0 = await startWorker(db, 'w0', dir, '--concurrency', '30');
    workers.push(w0);
    await withClient(db, (c) => until('w0 drives every run', async () => (await ownedBy(c, ids, 'w0')) === ids.length));
    w0.child.kill('SIGKILL');
    await exited(w0);
    // Three workers started together reap in step (every 3 s from their start).
    const reapers = await Promise.all(['r1', 'r2', 'r3'].map((n) => startWorker(db, n, dir, '--concurrency', '30')));
    workers.push(...reapers);
    const reaped = () => reapers.flatMap((w) => w.out.filter((l) => l.includes(' reaped ')));
    await withClient(db, (c) =>
      until('every run is driven again', async () => {
        // One query at a time on the one client (pg 9 refuses queries queued on a busy client).
        let owned = 0;
        for (const n of ['r1', 'r2', 'r3']) owned += await ownedBy(c, ids, n);
        return owned === ids.length;
      }),
    );
    await sleep(3_500); // one more pass of every reaper
    for (const w of reapers) w.child.kill('SIGKILL');
    const lines = reaped();
    expect(lines.length, lines.join('\n')).toBe(ids.length);
    expect(new Set(lines.map((l) => l.split(' reaped ')[1])).size).toBe(ids.length);
  }, 90_000);
});
