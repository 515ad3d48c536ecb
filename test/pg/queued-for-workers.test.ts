/**
 * A run handed to the workers and not claimed yet reads `queued` (docs/scale-out.md "Workers"),
 * in `list`, `inspect`, `list --status queued` and the HTTP API of `serve --workers`: never
 * `interrupted` (its process did not die) nor `running` (nobody drives it). Two ways a started
 * run is handed over: a person's action recorded by `serve --workers` (approve), and a worker's
 * drain past its grace period. Before, the CLI showed both `interrupted` and the API `running`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { testDatabase } from './db.js';
import { GATED_GRAPH } from './graphs.js';
import { claimedBy, exited, killAll, sleep, startWorker, until, type Worker, slowGraph } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

/** start → a 5 s delay → out. */
const SLOW = slowGraph(5000);

const TOKEN = 't0ken';

async function call(server: RunningServer, method: string, url: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${server.port}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What the CLI and the HTTP API say the run's status is. */
async function shown(db: string, dir: string, server: RunningServer, runId: string) {
  const on = (...args: string[]) => cli([...args, '--db', db], { cwd: dir });
  const list = await on('list');
  const listed = await on('list', '--status', 'queued', '--json');
  const inspect = await on('inspect', runId, '--json');
  const row = list.stdout.split('\n').find((l) => l.startsWith(runId)) ?? '';
  const runs = (await call(server, 'GET', '/api/runs')).body['runs'] as { runId: string; status: string }[];
  return {
    list: row.split(/\s+/)[2],
    listQueued: (JSON.parse(listed.stdout) as { runId: string }[]).some((r) => r.runId === runId),
    inspect: (JSON.parse(inspect.stdout) as { status: string }).status,
    apiGet: String((await call(server, 'GET', `/api/runs/${runId}`)).body['status']),
    apiList: runs.find((r) => r.runId === runId)?.status,
  };
}

const QUEUED = { list: 'queued', listQueued: true, inspect: 'queued', apiGet: 'queued', apiList: 'queued' };

describe('a run handed to the workers, not claimed yet', () => {
  it('reads queued after serve --workers records an approval, until a worker finishes it', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const server = await startServer({ dbPath: db, workers: true, token: TOKEN });
    try {
      const started = await call(server, 'POST', '/api/runs', { graph: GATED_GRAPH, input: {} });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const runId = String(started.body['runId']);
      const w0 = await startWorker(db, 'w0', dir);
      workers.push(w0);
      await until('w0 parks it at the gate', () => w0.out.some((l) => l.includes(`finished ${runId} waiting`)));
      w0.child.kill('SIGTERM');
      expect(await exited(w0)).toBe(0);

      const approved = await call(server, 'POST', `/api/runs/${runId}/approve`, { nodeId: 'gate' });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      expect(await shown(db, dir, server, runId)).toEqual(QUEUED);

      const w1 = await startWorker(db, 'w1', dir);
      workers.push(w1);
      await until('w1 finishes it', () => w1.out.some((l) => l.includes(`finished ${runId} succeeded`)));
      w1.child.kill('SIGTERM');
      expect(await exited(w1)).toBe(0);
      expect((await shown(db, dir, server, runId)).inspect).toBe('succeeded');
    } finally {
      await server.close();
    }
  }, 90_000);

  it('reads queued after a drain released it, running again once another worker claims it', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(SLOW));
    const res = await cli(['run', 'slow.json', '--detach', '--db', db], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const runId = res.stdout.trim();
    const server = await startServer({ dbPath: db, workers: true, token: TOKEN });
    try {
      const w0 = await startWorker(db, 'w0', dir, '--grace-ms', '200');
      workers.push(w0);
      await until('w0 claims it', () => claimedBy(w0) === 1);
      await sleep(500); // the delay is running
      w0.child.kill('SIGTERM');
      expect(await exited(w0)).toBe(0);
      expect(w0.out.join('\n')).toContain(`released ${runId}`);
      expect(await shown(db, dir, server, runId)).toEqual(QUEUED);

      const w1 = await startWorker(db, 'w1', dir);
      workers.push(w1);
      await until('w1 claims it', () => claimedBy(w1) === 1);
      const status = async () => String((await call(server, 'GET', `/api/runs/${runId}`)).body['status']);
      await until('it reads running', async () => (await status()) === 'running', 4_000);
      await until('w1 finishes it', () => w1.out.some((l) => l.includes(`finished ${runId} succeeded`)));
      w1.child.kill('SIGTERM');
      expect(await exited(w1)).toBe(0);
    } finally {
      await server.close();
    }
  }, 90_000);
});
