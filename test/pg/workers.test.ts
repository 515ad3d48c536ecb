/**
 * Workers on PostgreSQL: 3 `statepipe worker` processes drive runs queued with `run --detach`
 * (streaming mock llm, an idempotent PUT, an unsafe POST, a delay, an approval given from the
 * CLI for the first runs, then from the HTTP API of a `serve --workers` beside them: a CLI
 * process per decision would cost more than the runs). One worker is SIGKILLed mid-way (its runs
 * are taken over), one SIGSTOPped past its lease and continued (fenced: it never writes to those
 * runs again). Every run ends as the reference run does, seqs gapless, no node started after it
 * succeeded, no unsafe key sent twice. STATEPIPE_WORKERS_RUNS sets the run count (default 200).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { chaosGraph } from '../reliability/chaos-graph.js';
import { startServer } from '../../src/server/index.js';
import { startCountingServer } from '../reliability/counting-server.js';
import { testDatabase } from './db.js';
import { GATED_GRAPH } from './graphs.js';
import { claimedBy, exited, killAll, sleep, startWorker as start, until, type Worker } from './worker-kit.js';

const RUNS = Number(process.env['STATEPIPE_WORKERS_RUNS'] ?? 200);
/** Decisions given from the CLI (one process each); the rest go through the HTTP API. */
const CLI_DECISIONS = 8;

const workers: Worker[] = [];
afterAll(() => killAll(workers));
const startWorker = async (...args: Parameters<typeof start>): Promise<Worker> => {
  const w = await start(...args);
  workers.push(w);
  return w;
};

describe('statepipe worker on PostgreSQL', () => {
  it(`drives ${RUNS} detached runs over 3 workers, one killed and one stopped past its lease`, async () => {
    const db = await testDatabase();
    const server = await startCountingServer();
    const dir = tmpDir();
    const graphFile = path.join(dir, 'chaos.json');
    fs.writeFileSync(graphFile, JSON.stringify(chaosGraph(server.url)));
    const client = new pg.Client({ connectionString: db });
    let closeApi: (() => Promise<void>) | undefined;
    try {
      const on = (...args: string[]) => cli([...args, '--db', db], { cwd: dir, timeoutMs: 60_000 });
      // The reference: driven by the CLI itself, approved from the CLI.
      const ref = await on('run', graphFile, '--input', JSON.stringify({ text: 'a b c', id: 'ref' }), '--json');
      const refId = (JSON.parse(ref.stdout) as { runId: string }).runId;
      const refDone = await on('approve', refId, 'gate', '--json', '--wait');
      const reference = JSON.parse(refDone.stdout) as { status: string; result: unknown };
      expect(reference.status).toBe('succeeded');

      // Queued before any worker starts: SQLite refuses --detach with exit 2.
      const sqlite = await cli(['run', graphFile, '--detach', '--db', path.join(dir, 'x.db')], { cwd: dir });
      expect(sqlite.code).toBe(2);
      expect(sqlite.stderr).toContain('--detach needs a PostgreSQL store');

      const lines = Array.from({ length: RUNS }, (_, i) => JSON.stringify({ text: 'a b c', id: `r${i}` }));
      fs.writeFileSync(path.join(dir, 'inputs.jsonl'), lines.join('\n') + '\n');
      const detached = await on('run', graphFile, '--inputs', 'inputs.jsonl', '--detach');
      expect(detached.code, detached.stderr).toBe(0);
      const ids = detached.stdout.trim().split('\n');
      expect(ids).toHaveLength(RUNS);

      const w: Worker[] = [];
      for (const name of ['w0', 'w1', 'w2']) w.push(await startWorker(db, name, dir, '--concurrency', '16'));
      const api = await startServer({ dbPath: db, workers: true, token: 't0ken' });
      closeApi = () => api.close();
      const call = async (url: string, body: unknown): Promise<number> =>
        (
          await fetch(`http://127.0.0.1:${api.port}${url}`, {
            method: 'POST',
            headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).status;
      await client.connect();
      const statuses = async () =>
        (
          await client.query<{ run_id: string; status: string }>(
            'SELECT run_id, status FROM statepipe.runs WHERE run_id = ANY($1)',
            [ids],
          )
        ).rows;

      // Mid-way: w0 is killed with its runs in flight; w1 is stopped past its lease, then continued.
      const t0 = Date.now();
      while (claimedBy(w[0]!) < 3 || claimedBy(w[1]!) < 3) {
        expect(Date.now() - t0, 'workers claim runs').toBeLessThan(60_000);
        await sleep(100);
      }
      w[0]!.child.kill('SIGKILL');
      w[1]!.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      let continued = false;
      // Decision keys and when they were given: a node may wait again under the same key (in
      // doubt again after another kill), so one still open 3 s after its decision is given again.
      const decided = new Map<string, number>();
      let decisions = 0;
      let apiDecisions = 0;
      let linesAtCont = 0;

      // Approvals (and in-doubt POSTs, retried) given from the CLI, then the API, while the workers drive.
      for (;;) {
        expect(Date.now() - t0, 'every run ends').toBeLessThan(170_000);
        if (!continued && Date.now() - stoppedAt > 17_000) {
          linesAtCont = w[1]!.out.length;
          w[1]!.child.kill('SIGCONT');
          continued = true;
        }
        const open = (
          await client.query<{ run_id: string; node_id: string; status: string }>(
            `SELECT n.run_id, n.node_id, n.status FROM statepipe.node_states n JOIN statepipe.runs r USING (run_id)
              WHERE r.run_id = ANY($1) AND r.status = 'waiting' AND n.status IN ('waiting', 'in-doubt')`,
            [ids],
          )
        ).rows.filter((r) => Date.now() - (decided.get(`${r.run_id}/${r.node_id}/${r.status}`) ?? 0) > 3_000);
        await Promise.all(
          open.slice(0, 50).map(async (r) => {
            const key = `${r.run_id}/${r.node_id}/${r.status}`;
            decided.set(key, Date.now());
            if (decisions++ < CLI_DECISIONS) {
              const res = await (r.status === 'waiting'
                ? on('approve', r.run_id, r.node_id)
                : on('retry', r.run_id, r.node_id));
              expect([0, 3], res.stderr).toContain(res.code);
              return;
            }
            const status = await (r.status === 'waiting'
              ? call(`/api/runs/${r.run_id}/approve`, { nodeId: r.node_id })
              : call('/api/call/runs.retry', { runId: r.run_id, nodeId: r.node_id }));
            // Refused (the run is being driven at this instant): asked again next round.
            if (status !== 200) decided.delete(key);
            else apiDecisions++;
          }),
        );
        const s = await statuses();
        if (continued && s.every((r) => r.status === 'succeeded' || r.status === 'failed')) break;
        if (open.length === 0) await sleep(300);
      }
      const ended = await client.query<{ run_id: string; status: string; error: string | null }>(
        'SELECT run_id, status, error FROM statepipe.runs WHERE run_id = ANY($1)',
        [ids],
      );
      for (const r of ended.rows) expect(r.status, `${r.run_id}: ${r.error}`).toBe('succeeded');

      // Every run ends as the reference did (`inspect` for a few, the stored result for all).
      for (const id of ids.slice(0, 3)) {
        const res = await on('inspect', id, '--json');
        expect((JSON.parse(res.stdout) as { result: unknown }).result, id).toEqual(reference.result);
      }
      const results = await client.query<{ run_id: string; result: string }>(
        'SELECT run_id, result FROM statepipe.runs WHERE run_id = ANY($1)',
        [ids],
      );
      for (const r of results.rows) expect(JSON.parse(r.result), r.run_id).toEqual(reference.result);
      expect(apiDecisions, 'decisions given through the API').toBeGreaterThan(0);

      // Gapless seqs; no node started after it succeeded; every node succeeded once.
      const events = (
        await client.query<{ run_id: string; seq: string; type: string; node_id: string | null }>(
          'SELECT run_id, seq, type, node_id FROM statepipe.events WHERE run_id = ANY($1) ORDER BY run_id, seq',
          [ids],
        )
      ).rows;
      const byRun = new Map<string, typeof events>();
      for (const e of events) byRun.set(e.run_id, [...(byRun.get(e.run_id) ?? []), e]);
      for (const [id, evs] of byRun) {
        expect(
          evs.map((e) => Number(e.seq)),
          id,
        ).toEqual(evs.map((_, i) => i + 1));
        const done = new Set<string>();
        for (const e of evs) {
          if (e.node_id === null) continue;
          if (e.type === 'node.started')
            expect(done.has(e.node_id), `${id} ${e.node_id} started after success`).toBe(false);
          if (e.type === 'node.succeeded') {
            expect(done.has(e.node_id), `${id} ${e.node_id} succeeded twice`).toBe(false);
            done.add(e.node_id);
          }
        }
      }
      // The unsafe POST: no idempotency key sent twice; the PUT's effect applied once per key.
      for (const [key, n] of server.counts) if (key.includes(':notify:')) expect(n, key).toBe(1);
      for (const [key, n] of server.applied) expect(n, key).toBe(1);

      // Takeover happened (runs the killed worker had claimed were finished by the others: its
      // log is what it printed before the kill), and the stopped worker wrote nothing after it was
      // continued. (Not counted from run.interrupted: a run handed off cleanly records none.)
      const ran = (x: Worker, verb: string) =>
        new Set(x.out.flatMap((l) => new RegExp(` ${verb} (run_\\w+)`).exec(l)?.[1] ?? []));
      const killedHad = ran(w[0]!, 'claimed');
      const takenOver = [...ran(w[1]!, 'finished'), ...ran(w[2]!, 'finished')].filter((id) => killedHad.has(id));
      expect(takenOver.length, 'runs resumed by another worker').toBeGreaterThan(0);
      // (A run the stopped worker still held unchallenged it may finish; one taken over it cannot
      // touch: the checks above would see a second result or a gap.)
      expect(linesAtCont).toBeGreaterThan(0);

      // SIGTERM drains: the live workers exit 0 with a summary.
      for (const x of [w[1]!, w[2]!]) x.child.kill('SIGTERM');
      for (const x of [w[1]!, w[2]!]) {
        expect(await exited(x), x.out.join('\n')).toBe(0);
        expect(x.out.some((l) => l.includes('summary:'))).toBe(true);
      }
    } finally {
      await client.end().catch(() => undefined);
      await closeApi?.();
      await server.close();
    }
  }, 200_000);

  it('drains on SIGTERM: a run past the grace period is released and another worker finishes it', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const graphFile = path.join(dir, 'slow.json');
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'slow',
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'wait', type: 'delay', config: { ms: 4000 } },
        { id: 'out', type: 'output', config: { value: 'done' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'wait' },
        { id: 'e2', source: 'wait', target: 'out' },
      ],
    };
    fs.writeFileSync(graphFile, JSON.stringify(graph));
    const res = await cli(['run', graphFile, '--detach', '--priority', '5', '--db', db], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const runId = res.stdout.trim();
    const first = await startWorker(db, 'first', dir, '--grace-ms', '300');
    await until('claimed', () => claimedBy(first) === 1);
    await sleep(500); // the delay is running
    first.child.kill('SIGTERM');
    expect(await exited(first), first.out.join('\n')).toBe(0);
    expect(first.out.join('\n')).toContain(`released ${runId}`);
    expect(first.out.some((l) => /summary: 1 claimed .* 1 released/.test(l))).toBe(true);
    const second = await startWorker(db, 'second', dir);
    await until('finished by the second worker', () =>
      second.out.some((l) => l.includes(`finished ${runId} succeeded`)),
    );
    second.child.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    // Polling every 250 ms for seconds left no abort listener behind (Node warned past 10).
    for (const w of [first, second]) expect(w.out.join('\n')).not.toContain('MaxListenersExceeded');
    const inspect = await cli(['inspect', runId, '--json', '--db', db], { cwd: dir });
    expect((JSON.parse(inspect.stdout) as { result: unknown }).result).toEqual({ out: 'done' });
  }, 90_000);

  it('serve --workers queues the runs it starts and the approvals it records; a worker drives them', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const server = await startServer({ dbPath: db, workers: true, token: 't0ken' });
    const worker = await startWorker(db, 'api', dir);
    try {
      const call = async (method: string, url: string, body?: unknown) => {
        const res = await fetch(`http://127.0.0.1:${server.port}${url}`, {
          method,
          headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const started = await call('POST', '/api/runs', { graph: GATED_GRAPH, input: {} });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const runId = String(started.body['runId']);
      const status = async () => String((await call('GET', `/api/runs/${runId}`)).body['status']);
      // The run's row reads `waiting` as soon as its commit lands; the worker logs its line after.
      await until('the worker drives it to the approval', async () => (await status()) === 'waiting');
      await until('the worker logs it', () => worker.out.some((l) => l.includes(`finished ${runId} waiting`)));
      const approved = await call('POST', `/api/runs/${runId}/approve`, { nodeId: 'gate' });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      await until('the worker finishes it', async () => (await status()) === 'succeeded');
      await until('the worker logs it', () => worker.out.some((l) => l.includes(`finished ${runId} succeeded`)));
    } finally {
      worker.child.kill('SIGTERM');
      await exited(worker);
      await server.close();
    }
  }, 90_000);
});
