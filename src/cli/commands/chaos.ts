/**
 * `statepipe chaos GRAPH.json [-n N] [--seed S] [--input JSON] [--db-dir DIR] [--parallel P]
 * [--counts-url URL] [--json]`: runs the graph N times through this very CLI in child
 * processes, SIGKILLing them at random appends (before a transaction, inside it before its
 * COMMIT, right after it; mid-stream among them) through STATEPIPE_CHAOS_KILL (src/host/chaos.ts),
 * resuming each time (a resume may be killed again), approving the approvals it meets and
 * retrying in-doubt nodes (a person's decision). Each run is checked against an uninterrupted
 * reference run (chaos-check.ts). Prints a summary; exits 1 on any mismatch.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTerminalRun } from '../../core/engine/machines.js';
import { CHAOS_KILL_ENV, CHAOS_TRACE_ENV, KILL_WHERE, type ChaosTraceLine, type KillWhere } from '../../host/chaos.js';
import { isPostgresUrl } from '../../host/store/spec.js';
import { resolveDbPath } from '../global-opts.js';
import { UsageError } from '../exit.js';
import { checkRunInput, loadGraphFile, parseJsonArg } from '../files.js';
import { positiveInt } from '../flags.js';
import { paint, streamOut } from '../render.js';
import type { GlobalOpts } from '../session.js';
import { pool } from './batch.js';
import {
  checkCounts,
  checkKill,
  checkTree,
  runIds,
  runTree,
  snapshot,
  type Reference,
  type RunFacts,
} from './chaos-check.js';

export interface ChaosOpts {
  n?: string;
  seed?: string;
  input?: string;
  dbDir?: string;
  parallel?: string;
  countsUrl?: string;
  maxKills?: string;
  json?: boolean;
  keep?: boolean;
  workers?: string;
}

type Cmd = 'run' | 'resume' | 'approve' | 'retry';

interface Step {
  cmd: Cmd;
  appends: number;
  kill?: ChaosTraceLine;
  code: number | null;
}

interface Drive {
  runId?: string;
  steps: Step[];
  problems: string[];
}

const STEP_LIMIT = 40;
const CHILD_TIMEOUT_MS = 120_000;

/** mulberry32: a small seeded PRNG so a seed repeats a campaign exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The node arguments that start this CLI again (bundle, bin through tsx, or main.ts). */
const self = (): string[] => [...process.execArgv, process.argv[1]!];

function child(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...self(), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr: signal === 'SIGKILL' && !stderr ? '' : stderr });
    });
  });
}

function readTrace(file: string): ChaosTraceLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ChaosTraceLine);
}

/** What to do next with the run: start it, or continue it the way a person would. */
async function nextCommand(dbFile: string, runId: string | undefined): Promise<{ cmd: Cmd; args: string[] } | 'done'> {
  if (runId === undefined) return { cmd: 'run', args: [] };
  const { state } = await snapshot(dbFile, runId);
  if (isTerminalRun(state.status)) return 'done';
  if (state.status === 'waiting') {
    for (const [id, n] of state.nodes) if (n.status === 'in-doubt') return { cmd: 'retry', args: [runId, id] };
    for (const [id, n] of state.nodes) {
      if (n.status !== 'waiting') continue;
      // A composition node waits for an approval of its child: decided from the parent by its id.
      const gate = n.waitingChildren?.[0]?.nodeIds[0] ?? id;
      return { cmd: 'approve', args: [runId, gate, '--by', 'chaos', '--comment', 'ok'] };
    }
  }
  return { cmd: 'resume', args: [runId] };
}

/** Decides where (if anywhere) the next child process dies. */
type KillPlan = (cmd: Cmd, killsSoFar: number) => { at: number; where: KillWhere } | undefined;

/** Drives one run to its end in `dbFile`, killing children as `plan` says and checking each kill. */
async function driveRun(graphFile: string, input: string, dbFile: string, plan: KillPlan): Promise<Drive> {
  const d: Drive = { steps: [], problems: [] };
  let kills = 0;
  for (let i = 0; i < STEP_LIMIT; i++) {
    const next = await nextCommand(dbFile, d.runId);
    if (next === 'done') return d;
    const kill = plan(next.cmd, kills);
    const trace = `${dbFile}.${i}.trace`;
    const args = next.cmd === 'run' ? ['run', graphFile, '--input', input] : [next.cmd, ...next.args];
    const env = { [CHAOS_KILL_ENV]: kill ? `${kill.at}:${kill.where}` : 'never', [CHAOS_TRACE_ENV]: trace };
    const r = await child([...args, '--db', dbFile], env);
    const lines = readTrace(trace);
    fs.rmSync(trace, { force: true });
    const killed = lines.find((l) => l.kill);
    d.steps.push({ cmd: next.cmd, appends: lines.length, code: r.code, ...(killed ? { kill: killed } : {}) });
    if (r.signal === 'SIGKILL' && !killed) {
      d.problems.push(`${next.cmd} did not finish within ${CHILD_TIMEOUT_MS / 1000} s`);
      return d;
    }
    if (killed) {
      kills++;
      d.problems.push(...(await checkKill(killed, dbFile)));
    } else if (r.code !== 0 && r.code !== 1 && r.code !== 3) {
      d.problems.push(`${next.cmd} exited ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
      return d;
    }
    d.runId ??= (await runIds(dbFile))[0];
  }
  d.problems.push(`the run did not end within ${STEP_LIMIT} commands`);
  return d;
}

/** `--workers N` needs `--db postgres://…` (or STATEPIPE_DB); it drives runs in the database, not in files. */
function workerDb(g: GlobalOpts, opts: ChaosOpts): string {
  const db = resolveDbPath(g);
  if (!isPostgresUrl(db))
    throw new UsageError('chaos --workers needs a PostgreSQL store: --db postgres://… (or STATEPIPE_DB)');
  if (opts.parallel !== undefined)
    throw new UsageError('chaos --workers: --parallel does not apply (the workers drive the runs at once)');
  return db;
}

/** A short name of what an append was doing, for the summary. */
function kindOf(types: string[]): string {
  if (types.includes('run.created')) return 'run created';
  if (types.includes('node.tokens')) return 'mid-stream';
  if (types.some((t) => t.startsWith('approval.'))) return 'approval';
  if (types.some((t) => t === 'run.succeeded' || t === 'run.failed')) return 'run end';
  if (types.includes('node.in-doubt')) return 'in-doubt';
  if (types.includes('child.finished')) return 'child end';
  if (types.includes('node.child')) return 'child start';
  if (types.includes('node.succeeded')) return 'node end';
  if (types.includes('node.started')) return 'node start';
  return types[0] ?? 'empty';
}

export interface ChaosSummary {
  graph: string;
  seed: number;
  runs: number;
  kills: number;
  byWhere: Record<string, number>;
  byKind: Record<string, number>;
  killedDuring: Record<string, number>;
  inDoubtRetries: number;
  resumedStarts: number;
  childProcesses: number;
  mismatches: number;
  problems: string[];
  seconds: number;
}

async function fetchCounts(url: string): Promise<Record<string, number>> {
  const res = await fetch(url);
  if (!res.ok) throw new UsageError(`--counts-url ${url}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, number>;
}

export async function chaosCommand(file: string, opts: ChaosOpts, g: GlobalOpts): Promise<number> {
  const started = Date.now();
  const runs = positiveInt(opts.n, '-n') ?? 20;
  const seed = positiveInt(opts.seed, '--seed', true) ?? Date.now() % 100_000;
  const parallel = positiveInt(opts.parallel, '--parallel') ?? 1;
  const maxKills = positiveInt(opts.maxKills, '--max-kills') ?? 3;
  const workers = positiveInt(opts.workers, '--workers');
  const db = workers === undefined ? undefined : workerDb(g, opts);
  const graph = await loadGraphFile(file);
  const input = opts.input !== undefined ? parseJsonArg(opts.input, '--input') : {};
  checkRunInput(graph, input, opts.input !== undefined ? '--input' : 'no --input given');
  const inputJson = JSON.stringify(input);
  const graphFile = path.resolve(file);
  const ownDir = opts.dbDir === undefined;
  const dir = ownDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-chaos-')) : path.resolve(opts.dbDir!);
  fs.mkdirSync(dir, { recursive: true });
  const out = streamOut(opts.json ? process.stderr : process.stdout);
  const p = paint(out);

  // The uninterrupted reference, and how many appends each kind of command makes in it.
  const refDb = path.join(dir, 'reference.db');
  fs.rmSync(refDb, { force: true });
  const ref = await driveRun(graphFile, inputJson, refDb, () => undefined);
  if (ref.problems.length > 0 || ref.runId === undefined)
    throw new UsageError(`chaos: the reference run did not finish: ${ref.problems.join('; ') || 'no run'}`);
  const refSnap = await snapshot(refDb, ref.runId);
  const reference: Reference = { status: refSnap.state.status, result: refSnap.state.result };
  const appendsOf = (cmd: Cmd): number => Math.max(1, ...ref.steps.filter((s) => s.cmd === cmd).map((s) => s.appends));
  const firstAppends = appendsOf('run');
  const laterAppends = Math.max(2, Math.ceil(Math.max(firstAppends, appendsOf('approve')) / 2));
  out.write(
    `chaos: reference run ${reference.status} with ${refSnap.events.length} events in ${ref.steps.length} command(s); ${runs} runs, seed ${seed}\n`,
  );

  if (workers !== undefined && db !== undefined) {
    const { chaosOnWorkers } = await import('./chaos-workers.js');
    const ws = await chaosOnWorkers({
      db,
      workers,
      graph,
      input,
      reference,
      runs,
      seed,
      maxKills: maxKills * runs,
      random: rng(seed),
      countsUrl: opts.countsUrl,
      fetchCounts,
      out,
      p,
      self: self(),
    });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    if (ownDir && !opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    out.write(
      [
        `chaos: ${runs} runs of ${path.basename(file)} (seed ${seed}) on ${workers} workers in ${seconds} s`,
        `  workers killed: ${ws.kills} · runs taken over: ${ws.takenOver} · resumed re-executions: ${ws.resumedStarts}`,
        `  approvals: ${ws.approvals} · in-doubt retries: ${ws.inDoubtRetries}`,
        `  mismatches: ${ws.mismatches === 0 ? p.green('0') : p.red(String(ws.mismatches))}`,
        ...ws.problems.map((x) => `  ${p.red('✗')} ${x}`),
      ].join('\n') + '\n',
    );
    if (opts.json)
      process.stdout.write(JSON.stringify({ graph: path.basename(file), seed, seconds, ...ws }, null, 2) + '\n');
    return ws.mismatches === 0 ? 0 : 1;
  }

  const summary: ChaosSummary = {
    graph: path.basename(file),
    seed,
    runs,
    kills: 0,
    byWhere: {},
    byKind: {},
    killedDuring: {},
    inDoubtRetries: 0,
    resumedStarts: 0,
    childProcesses: 0,
    mismatches: 0,
    problems: [],
    seconds: 0,
  };
  for (const w of KILL_WHERE) summary.byWhere[w] = 0;
  const unsafeKeys: string[] = [];
  const httpKeys: string[] = [];

  await pool(
    Array.from({ length: runs }, (_, i) => i),
    parallel,
    async (i) => {
      const random = rng(seed * 1000 + i + 1);
      const where = (): KillWhere => KILL_WHERE[Math.floor(random() * KILL_WHERE.length)]!;
      const plan: KillPlan = (cmd, kills) => {
        if (kills >= maxKills) return undefined;
        if (cmd === 'run' || (cmd === 'resume' && kills === 0))
          return { at: 1 + Math.floor(random() * firstAppends), where: where() };
        // Later commands (a resume after a kill, an approval): killed again often, early in their work.
        return random() < 0.5 ? { at: 1 + Math.floor(random() * laterAppends), where: where() } : undefined;
      };
      const dbFile = path.join(dir, `run-${String(i + 1).padStart(3, '0')}.db`);
      for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
      const d = await driveRun(graphFile, inputJson, dbFile, plan);
      const problems = [...d.problems];
      let facts: RunFacts | undefined;
      if (d.runId === undefined) problems.push('no run was created');
      else if (problems.length === 0) {
        const checked = await checkTree(await runTree(dbFile, d.runId), reference);
        problems.push(...checked.problems);
        facts = checked.facts;
      }
      summary.childProcesses += d.steps.length;
      for (const s of d.steps) {
        if (s.cmd === 'retry') summary.inDoubtRetries++;
        if (!s.kill) continue;
        summary.kills++;
        summary.byWhere[s.kill.where!] = (summary.byWhere[s.kill.where!] ?? 0) + 1;
        const kind = kindOf(s.kill.types);
        summary.byKind[kind] = (summary.byKind[kind] ?? 0) + 1;
        summary.killedDuring[s.cmd] = (summary.killedDuring[s.cmd] ?? 0) + 1;
      }
      if (facts) {
        unsafeKeys.push(...facts.unsafeHttpKeys);
        httpKeys.push(...facts.httpKeys);
        summary.resumedStarts += facts.resumedStarts;
      }
      const label = `run ${i + 1}/${runs}${d.runId ? ` ${d.runId}` : ''}`;
      const killsHere = d.steps.filter((s) => s.kill).map((s) => `${s.cmd}@${s.kill!.n}:${s.kill!.where}`);
      if (problems.length > 0) {
        summary.mismatches++;
        for (const pr of problems) summary.problems.push(`${label}: ${pr}`);
        out.write(`  ${p.red('✗')} ${label}: ${problems[0]} (db kept: ${dbFile})\n`);
      } else {
        out.write(`  ${p.green('✓')} ${label}: ${killsHere.length} kill(s) ${killsHere.join(' ')}\n`);
        if (!opts.keep) for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
      }
    },
  );

  if (opts.countsUrl) {
    const problems = checkCounts(await fetchCounts(opts.countsUrl), unsafeKeys, httpKeys);
    if (problems.length > 0) summary.mismatches += problems.length;
    summary.problems.push(...problems);
    for (const pr of problems) out.write(`  ${p.red('✗')} ${pr}\n`);
  }
  summary.seconds = Math.round((Date.now() - started) / 100) / 10;
  if (ownDir && summary.mismatches === 0 && !opts.keep) fs.rmSync(dir, { recursive: true, force: true });

  const fmt = (o: Record<string, number>): string =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ') || 'none';
  out.write(
    [
      `chaos: ${summary.runs} runs of ${summary.graph} (seed ${seed}) in ${summary.seconds} s, ${summary.childProcesses} processes`,
      `  kills: ${summary.kills} (${fmt(summary.byWhere)}); killed during: ${fmt(summary.killedDuring)}`,
      `  kill points: ${fmt(summary.byKind)}`,
      `  resumed re-executions: ${summary.resumedStarts} · in-doubt retries: ${summary.inDoubtRetries}${opts.countsUrl ? ` · idempotency keys checked: ${unsafeKeys.length} unsafe, ${httpKeys.length} total` : ''}`,
      `  mismatches: ${summary.mismatches === 0 ? p.green('0') : p.red(String(summary.mismatches))}${summary.mismatches === 0 ? '' : ` (databases kept in ${dir})`}`,
    ].join('\n') + '\n',
  );
  if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return summary.mismatches === 0 ? 0 : 1;
}
