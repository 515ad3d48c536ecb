/**
 * A run whose worker died reads the same in the CLI and in the HTTP API of `serve --workers`
 * (docs/runtime.md "Durability"): `interrupted` (computed from its lease, not recorded) from the
 * moment its process is known dead, until a worker takes it over. Before, `list`/`inspect` said
 * `interrupted` and `GET /api/runs`, `GET /api/runs/:id` said `running` until another worker's
 * reaper took the run. A run held by a live worker on another host reads `running` in both (its
 * pid cannot be looked at from here), and, once that worker is killed, `running` until its lease
 * runs out (15 s, on the database's clock), then `interrupted` in both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { testDatabase } from './db.js';
import { killAll, slowGraph, startWorker, startWorkerWith, until, type Worker } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

const TOKEN = 't0ken';

/** A module loaded before the CLI that makes its process believe it runs on another machine. */
const ELSEWHERE = `import os from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
os.hostname = () => 'elsewhere.example';
syncBuiltinESMExports();
`;

async function get(server: RunningServer, url: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${server.port}${url}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status, url).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

type Listed = { runs: { runId: string; status: string }[]; total: number };

/** What the CLI and the HTTP API say of the run: its status, and whether each filter lists it. */
async function shown(db: string, dir: string, server: RunningServer, runId: string) {
  const on = (...args: string[]) => cli([...args, '--db', db], { cwd: dir });
  const row = (await on('list')).stdout.split('\n').find((l) => l.startsWith(runId)) ?? '';
  const listedAs = async (status: string) =>
    (JSON.parse((await on('list', '--status', status, '--json')).stdout) as { runId: string }[]).some(
      (r) => r.runId === runId,
    );
  const api = async (query: string) => {
    const l = (await get(server, `/api/runs${query}`)) as unknown as Listed;
    expect(l.total, `total of /api/runs${query}`).toBe(l.runs.length);
    return l.runs.find((r) => r.runId === runId);
  };
  return {
    cliList: row.split(/\s+/)[2],
    cliInspect: (JSON.parse((await on('inspect', runId, '--json')).stdout) as { status: string }).status,
    cliInterrupted: await listedAs('interrupted'),
    cliRunning: await listedAs('running'),
    apiGet: (await get(server, `/api/runs/${runId}`))['status'],
    apiList: (await api(''))?.status,
    apiInterrupted: (await api('?status=interrupted')) !== undefined,
    apiRunning: (await api('?status=running')) !== undefined,
  };
}

const as = (status: 'running' | 'interrupted') => ({
  cliList: status,
  cliInspect: status,
  cliInterrupted: status === 'interrupted',
  cliRunning: status === 'running',
  apiGet: status,
  apiList: status,
  apiInterrupted: status === 'interrupted',
  apiRunning: status === 'running',
});

describe("a dead worker's runs", () => {
  it('read interrupted in the CLI and the HTTP API alike; a live worker elsewhere keeps its runs running', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(slowGraph(25_000)));
    fs.writeFileSync(path.join(dir, 'elsewhere.mjs'), ELSEWHERE);
    const detach = async () => {
      const res = await cli(['run', 'slow.json', '--detach', '--db', db], { cwd: dir });
      expect(res.code, res.stderr).toBe(0);
      return res.stdout.trim();
    };
    const server = await startServer({ dbPath: db, workers: true, token: TOKEN });
    try {
      // A worker of this machine drives the first run, and is SIGKILLed: its pid is gone.
      const here = await detach();
      const w0 = await startWorker(db, 'w0', dir);
      workers.push(w0);
      await until('w0 claims it', () => w0.out.some((l) => l.includes(`claimed ${here}`)));
      await until('it reads running', async () => (await get(server, `/api/runs/${here}`))['status'] === 'running');
      expect(await shown(db, dir, server, here)).toEqual(as('running'));
      w0.child.kill('SIGKILL');
      await new Promise((r) => w0.child.once('exit', r));
      expect(await shown(db, dir, server, here)).toEqual(as('interrupted'));

      // A worker on another machine (as far as the database can tell) drives the second run.
      const far = await detach();
      const w1 = await startWorkerWith({ NODE_OPTIONS: `--import ${path.join(dir, 'elsewhere.mjs')}` }, db, 'far', dir);
      workers.push(w1);
      await until('the far worker claims it', () => w1.out.some((l) => l.includes(`claimed ${far}`)));
      await until('it reads running', async () => (await get(server, `/api/runs/${far}`))['status'] === 'running');
      expect(await shown(db, dir, server, far)).toEqual(as('running'));
      w1.child.kill('SIGKILL');
      await new Promise((r) => w1.child.once('exit', r));
      const killedAt = Date.now();
      // Its pid means nothing here: it is alive for all this machine knows, until its lease runs out.
      expect(await shown(db, dir, server, far)).toEqual(as('running'));
      await until('its lease runs out', async () => (await get(server, `/api/runs/${far}`))['status'] !== 'running');
      expect(Date.now() - killedAt).toBeGreaterThan(5_000);
      expect(await shown(db, dir, server, far)).toEqual(as('interrupted'));
      expect(await shown(db, dir, server, here)).toEqual(as('interrupted'));

      // A worker of this machine takes both over and finishes them.
      const w2 = await startWorker(db, 'w2', dir);
      workers.push(w2);
      for (const id of [here, far])
        await until(`w2 finishes ${id}`, () => w2.out.some((l) => l.includes(`finished ${id} succeeded`)), 60_000);
      w2.child.kill('SIGTERM');
      await new Promise((r) => w2.child.once('exit', r));
      expect((await get(server, `/api/runs/${here}`))['status']).toBe('succeeded');
    } finally {
      await server.close();
    }
  }, 120_000);
});
