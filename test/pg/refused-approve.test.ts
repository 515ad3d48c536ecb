/**
 * An approve refused at a run handed off to the workers writes nothing (docs/scale-out.md
 * "Controls"): not its lease (owner, epoch), not its status, not an event. It is checked on the
 * run as stored before the lease is taken. Before, the refusal took the run's lease for a moment:
 * a run queued for a worker read `running` with no owner once it was given back (`interrupted` in
 * `list`), its epoch moved on, and a drained run with a node in flight got `run.interrupted` in
 * its log. Refused through `serve --workers` (HTTP) and `statepipe approve`; real workers then
 * take the runs as if nothing had happened.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { startServer } from '../../src/server/index.js';
import { testDatabase } from './db.js';
import { GATED_GRAPH } from './graphs.js';
import { claimedBy, exited, killAll, sleep, slowGraph, startWorker, until, type Worker } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

const TOKEN = 't0ken';

/** The run's row as a refused action must leave it, and its last event. */
async function rowOf(db: string, runId: string) {
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT r.status, r.owner_id, r.owner_pid, r.owner_host, r.lease_expires_at, r.lease_epoch,
              (SELECT max(seq) FROM statepipe.events e WHERE e.run_id = r.run_id) AS last_seq
         FROM statepipe.runs r WHERE r.run_id = $1`,
      [runId],
    );
    return rows[0] as Record<string, unknown>;
  } finally {
    await c.end();
  }
}

describe('an approve refused at a run handed off to the workers', () => {
  it('writes nothing, through serve --workers and the CLI; a worker then finishes the run', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const server = await startServer({ dbPath: db, workers: true, token: TOKEN });
    const post = async (url: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    try {
      const started = await post('/api/runs', { graph: GATED_GRAPH, input: {} });
      expect(started.status).toBe(201);
      const runId = String((started.body as { runId?: string }).runId);
      const w0 = await startWorker(db, 'w0', dir);
      workers.push(w0);
      await until('w0 parks it at the gate', () => w0.out.some((l) => l.includes(`finished ${runId} waiting`)));
      w0.child.kill('SIGTERM');
      expect(await exited(w0)).toBe(0);

      // Approved: handed to the workers (queued, no owner). Approving again is refused.
      expect((await post(`/api/runs/${runId}/approve`, { nodeId: 'gate' })).status).toBe(200);
      const handedOff = await rowOf(db, runId);
      expect(handedOff).toMatchObject({ status: 'queued', owner_id: null });

      const again = await post(`/api/runs/${runId}/approve`, { nodeId: 'gate' });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'illegal-transition' });
      expect(again.body.error?.message).toContain('is not waiting for approval');
      expect(await rowOf(db, runId)).toEqual(handedOff);

      const byCli = await cli(['approve', runId, 'gate', '--db', db], { cwd: dir });
      expect(byCli.code, byCli.stdout + byCli.stderr).toBe(2);
      expect(byCli.stderr).toContain('is not waiting for approval');
      expect(await rowOf(db, runId)).toEqual(handedOff);
      const listed = await cli(['list', '--db', db], { cwd: dir });
      expect(listed.stdout.split('\n').find((l) => l.startsWith(runId))).toMatch(/\squeued\s/);

      const w1 = await startWorker(db, 'w1', dir);
      workers.push(w1);
      await until('w1 finishes it', () => w1.out.some((l) => l.includes(`finished ${runId} succeeded`)));
      expect(w1.out.join('\n')).not.toContain('skipped');
      w1.child.kill('SIGTERM');
      expect(await exited(w1)).toBe(0);
    } finally {
      await server.close();
    }
  }, 90_000);

  it('leaves a run a drain released (its delay cut off in flight) queued and unwritten', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(slowGraph(3000)));
    const res = await cli(['run', 'slow.json', '--detach', '--db', db], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const runId = res.stdout.trim();
    const w0 = await startWorker(db, 'w0', dir, '--grace-ms', '200');
    workers.push(w0);
    await until('w0 claims it', () => claimedBy(w0) === 1);
    await sleep(500); // the delay is running
    w0.child.kill('SIGTERM');
    expect(await exited(w0)).toBe(0);
    expect(w0.out.join('\n')).toContain(`released ${runId}`);
    const released = await rowOf(db, runId);
    expect(released).toMatchObject({ status: 'queued', owner_id: null });

    // `wait` is a delay node, not an approval: refused, and nothing is written.
    const refused = await cli(['approve', runId, 'wait', '--db', db], { cwd: dir });
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toContain('node wait of run');
    expect(await rowOf(db, runId)).toEqual(released);
    const log = await cli(['export', runId, '--db', db], { cwd: dir });
    expect(log.stdout).not.toContain('run.interrupted');

    const w1 = await startWorker(db, 'w1', dir);
    workers.push(w1);
    await until('w1 finishes it', () => w1.out.some((l) => l.includes(`finished ${runId} succeeded`)));
    expect(w1.out.join('\n')).not.toContain('skipped');
    w1.child.kill('SIGTERM');
    expect(await exited(w1)).toBe(0);
  }, 90_000);
});
