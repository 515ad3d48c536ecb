/**
 * A plain `statepipe serve` (without --workers) on the database of workers (docs/scale-out.md
 * "Takeover"): runs queued with `run --detach` whose worker is SIGKILLed are not marked
 * `interrupted` by the server (at its start nor by its watch every 3 s) but taken over by another
 * worker, which finishes them. Before, the server marked them interrupted and the workers' reaper,
 * which looks at running and queued runs only, left them for a person to resume.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliEntry, tmpDir } from '../../src/cli/cli-test-kit.js';
import { testDatabase } from './db.js';
import { killAll, sleep, startWorker, until, type Worker, slowGraph } from './worker-kit.js';

const workers: Worker[] = [];
let server: ChildProcess | undefined;
afterAll(() => {
  killAll(workers);
  server?.kill('SIGKILL');
});

/** start → a 4 s delay → out: long enough to kill its worker mid-way. */
const SLOW = slowGraph(4000, '{{input.n}}');

describe('a plain serve beside workers', () => {
  it("leaves a killed worker's queued runs to the other workers instead of marking them interrupted", async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(SLOW));
    fs.writeFileSync(path.join(dir, 'in.jsonl'), [1, 2, 3, 4].map((n) => JSON.stringify({ n })).join('\n') + '\n');
    const queued = await cli(['run', 'slow.json', '--inputs', 'in.jsonl', '--detach', '--db', db], { cwd: dir });
    expect(queued.code, queued.stderr).toBe(0);
    const ids = queued.stdout.trim().split('\n');
    expect(ids).toHaveLength(4);

    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      const rows = async () =>
        (
          await client.query<{ run_id: string; status: string; owner_id: string | null }>(
            'SELECT run_id, status, owner_id FROM statepipe.runs WHERE run_id = ANY($1) ORDER BY run_id',
            [ids],
          )
        ).rows;
      // The first worker drives all four (their delays running), and is killed.
      const w0 = await startWorker(db, 'w0', dir);
      workers.push(w0);
      await until('w0 drives every run', async () =>
        (await rows()).every((r) => r.status === 'running' && r.owner_id?.startsWith('w0@')),
      );
      w0.child.kill('SIGKILL');
      await new Promise((r) => w0.child.once('exit', r));

      // A plain serve starts now: its start scans for runs of dead processes, then watches every 3 s.
      server = spawn(process.execPath, [...cliEntry(), 'serve', '--db', db, '--port', '0'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: string[] = [];
      for (const s of [server.stdout!, server.stderr!]) s.setEncoding('utf8').on('data', (d: string) => out.push(d));
      await until('serve is up', () => out.join('').includes('studio: '), 30_000);
      await sleep(3_500); // one pass of its dead-run watch too
      expect((await rows()).map((r) => r.status)).toEqual(['running', 'running', 'running', 'running']);

      // Another worker takes them over (its reaper: the dead worker's pid is gone) and finishes them.
      const w1 = await startWorker(db, 'w1', dir);
      workers.push(w1);
      const t0 = Date.now();
      await until('w1 finishes every run', async () => (await rows()).every((r) => r.status === 'succeeded'), 30_000);
      expect(Date.now() - t0).toBeLessThan(15_000);
      // Its log line for a run comes after the run's end is written: waited for, not raced.
      const reported = () => ids.every((id) => w1.out.join('\n').includes(`finished ${id} succeeded`));
      await until('w1 reports every run finished', reported, 10_000);
      expect(w1.out.filter((l) => l.includes(' reaped ')).length).toBe(4);
      expect(out.join('')).not.toContain('statepipe serve:'); // no background error in the server
    } finally {
      await client.end();
      server?.kill('SIGTERM');
    }
  }, 90_000);
});
