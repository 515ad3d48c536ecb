/**
 * Control latency on PostgreSQL (`--only control`): how long from a control given in one process
 * to the `statepipe worker` process driving the run acting on it, beside the physical floor of
 * the path it takes (a raw NOTIFY round trip between two connections of the same server).
 *
 * - pause / cancel: runs held by the worker in a long delay; this process (the CLI's or a
 *   server's role) requests the control (a row + NOTIFY at commit); the worker's LISTEN wakes its
 *   driver, which commits `run.paused` / `run.cancelled`.
 * - approve: runs waiting at an approval (no worker holds them); this process records the
 *   decision and nudges the run through the queue (pg-boss), as `serve --workers` does; a worker
 *   claims it and commits the run's next event.
 *
 * A latency is from just before the control is issued here (Date.now()) to the `ts` of the
 * worker's event (its clock: the same machine's). Controls are issued one at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCluster } from '../../test/pg/cluster.js';
import type { Graph } from '../../src/core/graph/schema.js';
import { StatepipeService } from '../../src/host/service.js';
import { RunQueue } from '../../src/host/workers/queue.js';
import type { Target } from './cases.js';
import { latency, type Latency } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ControlResult {
  server: string;
  /** Runs per control kind. */
  runs: number;
  notify: Latency;
  pause: Latency;
  cancel: Latency;
  approve: Latency;
}

const chain = (id: string, middle: Graph['nodes'][number]): Graph =>
  ({
    format: 'statepipe.graph',
    version: 1,
    id,
    nodes: [{ id: 'start', type: 'input' }, middle, { id: 'out', type: 'output', config: { value: 'done' } }],
    edges: [
      { id: 'e1', source: 'start', target: middle.id },
      { id: 'e2', source: middle.id, target: 'out' },
    ],
  }) as Graph;

/** Raw NOTIFY round trips: NOTIFY on one connection, heard on another LISTENing one. */
async function notifyRoundTrips(url: string, n: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), sender.connect()]);
  try {
    await listener.query('LISTEN bench_rtt');
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const heard = new Promise<void>((resolve) =>
        listener.once('notification', (m) => (m.payload === String(i) ? resolve() : undefined)),
      );
      const t0 = performance.now();
      await sender.query(`NOTIFY bench_rtt, '${i}'`);
      await heard;
      samples.push(performance.now() - t0);
    }
    return samples;
  } finally {
    await Promise.all([listener.end(), sender.end()]);
  }
}

export async function controlCase(opts: {
  runs: number;
  log: (s: string) => void;
  failures: string[];
}): Promise<ControlResult | undefined> {
  let cluster;
  try {
    cluster = await startCluster({ durable: true });
  } catch (err) {
    opts.failures.push(`control latency skipped: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  let worker: ChildProcess | undefined;
  let service: StatepipeService | undefined;
  let queue: RunQueue | undefined;
  const db = new pg.Client({ connectionString: cluster.url });
  try {
    await db.connect();
    const [v] = (await db.query("SELECT current_setting('server_version') AS v")).rows as { v: string }[];
    await db.query('CREATE DATABASE control');
    const url = cluster.url.replace(/\/postgres$/, '/control');
    const notify = latency(await notifyRoundTrips(url, 200));

    service = await StatepipeService.open({ dbPath: url });
    queue = await RunQueue.open(service.store);
    const svc = service;
    const q = queue;
    const events = new pg.Client({ connectionString: url });
    await events.connect();
    const headSeq = async (runId: string) =>
      Number((await events.query('SELECT max(seq) AS s FROM statepipe.events WHERE run_id = $1', [runId])).rows[0].s);
    /** The ts (ms) of the first event after `afterSeq` of `type` (any type when null). */
    const actedAt = async (runId: string, afterSeq: number, type: string | null): Promise<number> => {
      const t0 = Date.now();
      for (;;) {
        const { rows } = await events.query(
          `SELECT extract(epoch FROM ts) * 1000 AS at FROM statepipe.events
            WHERE run_id = $1 AND seq > $2 AND ($3::text IS NULL OR type = $3) ORDER BY seq LIMIT 1`,
          [runId, afterSeq, type],
        );
        if (rows[0]) return Number(rows[0].at);
        if (Date.now() - t0 > 30_000) throw new Error(`control latency: ${runId} not acted on within 30 s`);
        await sleep(2);
      }
    };
    const until = async (what: string, sql: string, ids: string[], want: number) => {
      const t0 = Date.now();
      while (Number((await events.query(sql, [ids])).rows[0].n) < want) {
        if (Date.now() - t0 > 60_000) throw new Error(`control latency: timed out waiting for ${what}`);
        await sleep(50);
      }
    };
    const start = async (graph: Graph, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = await svc.createRun(graph, {});
        await q.enqueue(id);
        ids.push(id);
      }
      return ids;
    };

    worker = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/statepipe.js'), 'worker', '--db', url, '--name', 'bench', '--concurrency', '64'],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    worker.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    worker.on('exit', (code) => code && opts.failures.push(`control latency: worker exited ${code}: ${stderr}`));

    // pause and cancel: runs the worker holds in a long delay.
    const held = await start(chain('held', { id: 'wait', type: 'delay', config: { ms: 600_000 } }), 2 * opts.runs);
    await until(
      'the worker to hold the runs',
      `SELECT count(*) AS n FROM statepipe.node_states WHERE node_id = 'wait' AND status = 'running' AND run_id = ANY($1)`,
      held,
      held.length,
    );
    opts.log('  control latency: runs held by the worker');
    /** `issue` gives the seq after which the worker's events count (what this process wrote is before it). */
    const measure = async (ids: string[], issue: (id: string) => Promise<number | void>, type: string | null) => {
      const samples: number[] = [];
      for (const id of ids) {
        const after = await headSeq(id);
        const t0 = Date.now();
        const from = (await issue(id)) ?? after;
        samples.push((await actedAt(id, from, type)) - t0);
      }
      return latency(samples);
    };
    const pause = await measure(held.slice(0, opts.runs), async (id) => void (await svc.pause(id)), 'run.paused');
    const cancel = await measure(held.slice(opts.runs), async (id) => void (await svc.cancel(id)), 'run.cancelled');

    // approve: runs waiting at an approval, which no worker holds.
    const gated = await start(chain('gated', { id: 'gate', type: 'approval', config: { title: 'Go?' } }), opts.runs);
    await until(
      'the runs to wait',
      `SELECT count(*) AS n FROM statepipe.runs WHERE status = 'waiting' AND run_id = ANY($1)`,
      gated,
      gated.length,
    );
    await sleep(500); // the worker has let go of them
    const approve = await measure(
      gated,
      async (id) => {
        const outcome = await svc.approve(id, 'gate', { approved: true, by: 'bench' }, { handOff: true });
        const recorded = await headSeq(id); // no worker can act before the nudge below
        if (outcome.status === 'running' || outcome.status === 'queued') await q.requeue(outcome.runId);
        return recorded;
      },
      null,
    );
    await events.end();
    for (const id of held.slice(0, opts.runs)) await svc.cancel(id).catch(() => undefined);
    return { server: `PostgreSQL ${v!.v}`, runs: opts.runs, notify, pause, cancel, approve };
  } catch (err) {
    opts.failures.push(`control latency: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  } finally {
    worker?.kill('SIGKILL');
    await queue?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await cluster.stop();
  }
}

const ms = (us: number) => `${(us / 1000).toFixed(us < 10_000 ? 2 : 0)} ms`;

export function controlTargets(r: ControlResult | undefined): Target[] {
  if (!r) return [];
  const worst = Math.max(r.pause.p95Us, r.cancel.p95Us, r.approve.p95Us);
  return [
    {
      name: 'A control (pause, cancel, approve) from another process reaching the worker driving the run (p95)',
      goal: '≤ 200 ms',
      measured: `worst p95 ${ms(worst)} (raw NOTIFY round trip p50 ${ms(r.notify.p50Us)})`,
      met: worst <= 200_000,
    },
  ];
}

export function renderControl(r: ControlResult | undefined): string[] {
  if (!r) return [];
  const row = (name: string, l: Latency, how: string) =>
    `| ${name} | ${ms(l.p50Us)} | ${ms(l.p95Us)} | ${(l.p50Us / r.notify.p50Us).toFixed(1)}× | ${how} |`;
  return [
    '## Control latency on PostgreSQL',
    '',
    `Server: ${r.server} (fsync on). ${r.runs} runs per control, issued one at a time from the bench process to a ` +
      '`statepipe worker` process; from just before the call to the `ts` of the event the worker commits. ' +
      'Ratio: p50 / the raw NOTIFY round trip p50.',
    '',
    '| control | p50 | p95 | vs NOTIFY | path |',
    '| --- | --- | --- | --- | --- |',
    row('raw NOTIFY round trip', r.notify, 'NOTIFY on one connection, heard on another (baseline)'),
    row('pause', r.pause, 'control row + NOTIFY → worker LISTEN wakes the driver → `run.paused` committed'),
    row('cancel', r.cancel, 'the same → node aborted → `run.cancelled` committed'),
    row(
      'approve',
      r.approve,
      'decision recorded + queue nudge (pg-boss job + NOTIFY) → the idle worker wakes, claims, drives → its first event',
    ),
    '',
  ];
}
