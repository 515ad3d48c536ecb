/**
 * A run a worker's drain hands back is shown `queued` at once by `serve --workers` (docs/scale-out.md
 * "Draining"): no event is written for a hand-back, so its release NOTIFYs the status channel and
 * the server pushes `{ kind: 'status', runId, status: 'queued' }` on its WebSocket, the message on
 * which the dashboard reads its rows again; once another worker takes the run, `running` the same
 * way. Before, nothing reached the socket until the run's next event, and the dashboard showed the
 * run `running` meanwhile. Real server, socket, workers and cluster.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { testDatabase } from './db.js';
import { claimedBy, exited, killAll, sleep, slowGraph, startWorker, until, type Worker } from './worker-kit.js';

const workers: Worker[] = [];
afterAll(() => killAll(workers));

const TOKEN = 't0ken';

type Message = { kind: string; runId?: string; status?: string; events?: { type: string }[] };

async function listed(server: RunningServer, runId: string): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/runs`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const { runs } = (await res.json()) as { runs: { runId: string; status: string }[] };
  return runs.find((r) => r.runId === runId)?.status;
}

describe('a run a drain handed back', () => {
  it('is pushed queued on the socket as it is released, and running once another worker takes it', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(slowGraph(4000)));
    const server = await startServer({ dbPath: db, workers: true, token: TOKEN });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`);
    const messages: Message[] = [];
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw)) as Message));
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const res = await cli(['run', 'slow.json', '--detach', '--db', db], { cwd: dir });
      expect(res.code, res.stderr).toBe(0);
      const runId = res.stdout.trim();
      const w0 = await startWorker(db, 'w0', dir, '--grace-ms', '200');
      workers.push(w0);
      await until('w0 claims it', () => claimedBy(w0) === 1);
      await until('it reads running', async () => (await listed(server, runId)) === 'running');
      await sleep(300); // its delay is running: no event comes until it ends

      const mark = messages.length;
      const since = () => messages.slice(mark).filter((m) => m.runId === runId);
      const said = (status: string) => since().some((m) => m.kind === 'status' && m.status === status);
      const t0 = Date.now();
      w0.child.kill('SIGTERM');
      await until('the socket says it is queued', () => said('queued'), 5_000);
      expect(Date.now() - t0, 'pushed as it is released (grace 200 ms)').toBeLessThan(2_000);
      expect(await listed(server, runId)).toBe('queued'); // what the dashboard reads on the message
      expect(await exited(w0)).toBe(0);
      expect(w0.out.join('\n')).toContain(`released ${runId}`);
      expect(since().filter((m) => m.kind === 'events')).toEqual([]); // no event says it
      expect(since()).toEqual([{ kind: 'status', runId, status: 'queued' }]);

      const w1 = await startWorker(db, 'w1', dir);
      workers.push(w1);
      await until('the socket says it runs again', () => said('running'), 10_000);
      await until('w1 finishes it', () => w1.out.some((l) => l.includes(`finished ${runId} succeeded`)));
      await until('the socket has its end', () =>
        since().some((m) => m.events?.some((e) => e.type === 'run.succeeded')),
      );
      expect(await listed(server, runId)).toBe('succeeded');
      w1.child.kill('SIGTERM');
      expect(await exited(w1)).toBe(0);
    } finally {
      ws.close();
      await server.close();
    }
  }, 90_000);
});
