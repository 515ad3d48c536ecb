/**
 * I/O-bound throughput on PostgreSQL: `runs` runs of a 5-node graph whose mock llm takes 300 ms,
 * driven by `workers` real `statepipe worker` processes (bin/statepipe.js, the prebuilt bundle).
 * The runs are created first (status queued, no nudge yet); the workers are started and each says
 * `ready`; then one statement nudges every run, so no worker starts ahead of the others and the
 * enqueueing does not pace the workers. Throughput = runs / (last run's end − the nudge).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../../src/core/graph/schema.js';
import { validateGraph } from '../../src/core/graph/validate.js';
import { StatepipeService } from '../../src/host/service.js';
import { RunQueue } from '../../src/host/workers/queue.js';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'statepipe.js');

export interface WorkersSpec {
  kind: 'pg-workers';
  url: string;
  runs: number;
  workers: number;
  concurrency: number;
  dir: string;
}

export interface WorkersResult {
  kind: 'pg-workers';
  runs: number;
  workers: number;
  concurrency: number;
  /** From the nudges to the last run's end. */
  wallMs: number;
  runsPerSec: number;
  /** Runs by final status (all `succeeded` when the case is sound). */
  statuses: Record<string, number>;
  /** The mock llm's own time per run: the floor of one run. */
  llmMs: number;
  /** The machine's CPU busy over the timed window (0-1 of all cores): near 1, it is CPU-bound, not I/O-bound. */
  machineBusy?: number;
  /** CPU time of the worker processes per run, ms (the PostgreSQL server's not included). */
  workerCpuMsPerRun?: number;
  /** Transactions the database committed per run over the case (pg_stat_database: every client's, reads too). */
  commitsPerRun?: number;
  /** WAL flushes to disk per run (pg_stat_wal.wal_sync: commits that waited for the disk, grouped by the server). */
  walSyncsPerRun?: number;
}

/** Busy and total jiffies of the whole machine (Linux /proc/stat; undefined elsewhere). */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - cpu[3]! - (cpu[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, ms (Linux /proc; undefined elsewhere). */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // fields 14 and 15, at USER_HZ 100
  } catch {
    return undefined;
  }
}

const LLM_MS = 300;

/** input → mock llm (3 tokens at 10 tokens/s: 300 ms) → two transforms → output. */
export function ioGraph(): Graph {
  const nodes = [
    { id: 'start', type: 'input' },
    {
      id: 'ask',
      type: 'llm',
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'go',
        mock: { reply: 'one two three', tokensPerSecond: 10 },
      },
    },
    { id: 'shape', type: 'transform', config: { template: '{{nodes.ask.output.text}}' } },
    { id: 'check', type: 'transform', config: { template: 'ok {{nodes.shape.output}}' } },
    { id: 'done', type: 'output', config: { value: '{{nodes.check.output}}' } },
  ];
  const ids = nodes.map((n) => n.id);
  const edges = ids.slice(1).map((id, i) => ({ id: `e${i}`, source: ids[i]!, target: id }));
  return validateGraph({ format: 'statepipe.graph', version: 1, id: 'bench-io-5', nodes, edges });
}

function startWorker(url: string, i: number, concurrency: number): { proc: ChildProcess; ready: Promise<void> } {
  const proc = spawn(
    process.execPath,
    [BIN, 'worker', '--db', url, '--name', `bench-${i}`, '--concurrency', String(concurrency), '--grace-ms', '5000'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(' ready ')) resolve();
      if (out.length > 100_000) out = out.slice(-1000);
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-2000)));
    proc.on('exit', (code) => reject(new Error(`worker ${i} exited (${code}) before ready: ${err.trim()}`)));
  });
  return { proc, ready };
}

export async function workersCase(spec: WorkersSpec): Promise<WorkersResult> {
  const svc = await StatepipeService.open({ dbPath: spec.url, ownerName: 'bench' });
  const graph = ioGraph();
  const queue = await RunQueue.open(svc.store);
  const ids: string[] = [];
  for (let i = 0; i < spec.runs; i++) ids.push(await svc.createRun(graph, { i }));
  const workers = Array.from({ length: spec.workers }, (_, i) => startWorker(spec.url, i, spec.concurrency));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const pool = (svc.store as unknown as { pgPool: import('pg').Pool }).pgPool;
    const commits = async (): Promise<{ xact: number; sync: number }> => {
      // Backends report their statistics at most every 500 ms: read after a pause at the end.
      const { rows } = await pool.query<{ xact: string; sync: string }>(
        `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS xact,
                (SELECT wal_sync FROM pg_stat_wal) AS sync`,
      );
      return { xact: Number(rows[0]!.xact), sync: Number(rows[0]!.sync) };
    };
    const c0 = await commits();
    const cpu0 = workers.map((w) => processCpuMs(w.proc.pid));
    const m0 = machineJiffies();
    const t0 = Date.now();
    await queue.enqueueMany(ids.map((runId) => ({ runId })));
    let statuses: Record<string, number> = {};
    for (;;) {
      const { rows } = await pool.query<{ status: string; n: string; last: string | null }>(
        `SELECT status, count(*) AS n, max(extract(epoch FROM finished_at) * 1000) AS last
           FROM statepipe.runs WHERE run_id = ANY($1) GROUP BY status`,
        [ids],
      );
      statuses = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const open = rows.filter((r) => ['queued', 'running'].includes(r.status)).reduce((s, r) => s + Number(r.n), 0);
      if (open === 0) {
        const m1 = machineJiffies();
        const cpu = workers.map((w, i) => (processCpuMs(w.proc.pid) ?? NaN) - (cpu0[i] ?? NaN));
        const workerCpuMs = cpu.reduce((a, b) => a + b, 0);
        const last = Math.max(...rows.map((r) => Number(r.last ?? 0)));
        const wallMs = last - t0;
        await new Promise((r) => setTimeout(r, 600));
        const c1 = await commits();
        return {
          kind: 'pg-workers',
          runs: spec.runs,
          workers: spec.workers,
          concurrency: spec.concurrency,
          wallMs,
          runsPerSec: spec.runs / (wallMs / 1000),
          statuses,
          llmMs: LLM_MS,
          ...(m0 && m1 ? { machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total) } : {}),
          ...(Number.isFinite(workerCpuMs) ? { workerCpuMsPerRun: workerCpuMs / spec.runs } : {}),
          commitsPerRun: (c1.xact - c0.xact) / spec.runs,
          walSyncsPerRun: (c1.sync - c0.sync) / spec.runs,
        };
      }
      if (Date.now() - t0 > 240_000) throw new Error(`runs still open after 240 s: ${JSON.stringify(statuses)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const w of workers) w.proc.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.proc.exitCode === null ? w.proc.once('exit', r) : r(undefined)))),
    );
    await queue.close();
    await svc.close();
  }
}
