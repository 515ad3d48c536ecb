/**
 * `statepipe chaos GRAPH.json [-n N] [--seed S] [--input JSON] [--db-dir DIR] [--parallel P]
 * [--counts-url URL] [--json]`: runs the graph N times through this very CLI in child
 * processes, SIGKILLing them at random appends (before a transaction, inside it before its
 * COMMIT, right after it; mid-stream among them) through STATEPIPE_CHAOS_KILL (src/host/chaos.ts),
 * resuming each time (a resume may be killed again), approving the approvals it meets and
 * retrying in-doubt nodes (a person's decision). Each run is checked against an uninterrupted
 * reference run (chaos-check.ts). Prints a summary; exits 1 on any mismatch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPostgresUrl } from '../../host/store/spec.js';
import { resolveDbPath } from '../global-opts.js';
import { UsageError } from '../exit.js';
import { checkRunInput, loadGraphFile, parseJsonArg } from '../files.js';
import { positiveInt } from '../flags.js';
import { paint, streamOut, type Out, type Paint } from '../render.js';
import type { GlobalOpts } from '../session.js';
import { pool } from './batch.js';
import { checkCounts, checkTree, runTree, snapshot, type Reference } from './chaos-check.js';
import { driveRun, killPlan, rng, self, type Cmd } from './chaos-drive.js';
import { newSummary, summaryText, tallySteps, type ChaosSummary } from './chaos-summary.js';

export type { ChaosSummary };

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

/** A campaign's settings, from the flags. */
interface Campaign {
  graphFile: string;
  inputJson: string;
  runs: number;
  seed: number;
  parallel: number;
  maxKills: number;
  /** `--workers N`: the runs go to N worker processes on this PostgreSQL database (chaos-workers.ts). */
  onWorkers?: { workers: number; db: string };
  /** Where the databases go; `ownDir`: made here (and removed when all is well). */
  dir: string;
  ownDir: boolean;
}

/** What the runs are checked against, and how many appends the reference's commands made. */
interface Baseline {
  reference: Reference;
  firstAppends: number;
  laterAppends: number;
}

interface Output {
  write(s: string): void;
  p: Paint;
}

/** The flags first (a bad one is named before the graph is read), then the graph and its input. */
async function campaignOf(file: string, opts: ChaosOpts, g: GlobalOpts): Promise<Campaign> {
  const runs = positiveInt(opts.n, '-n') ?? 20;
  const seed = positiveInt(opts.seed, '--seed', true) ?? Date.now() % 100_000;
  const parallel = positiveInt(opts.parallel, '--parallel') ?? 1;
  const maxKills = positiveInt(opts.maxKills, '--max-kills') ?? 3;
  const workers = positiveInt(opts.workers, '--workers');
  const onWorkers = workers === undefined ? undefined : { workers, db: workerDb(g, opts) };
  const graph = await loadGraphFile(file);
  const input = opts.input !== undefined ? parseJsonArg(opts.input, '--input') : {};
  checkRunInput(graph, input, opts.input !== undefined ? '--input' : 'no --input given');
  const ownDir = opts.dbDir === undefined;
  const dir =
    opts.dbDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-chaos-')) : path.resolve(opts.dbDir);
  fs.mkdirSync(dir, { recursive: true });
  return {
    graphFile: path.resolve(file),
    inputJson: JSON.stringify(input),
    runs,
    seed,
    parallel,
    maxKills,
    ...(onWorkers ? { onWorkers } : {}),
    dir,
    ownDir,
  };
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

/** The uninterrupted reference run, and how many appends each kind of command makes in it. */
async function referenceRun(c: Campaign, out: Output): Promise<Baseline> {
  const refDb = path.join(c.dir, 'reference.db');
  fs.rmSync(refDb, { force: true });
  const ref = await driveRun(c.graphFile, c.inputJson, refDb, () => undefined);
  if (ref.problems.length > 0 || ref.runId === undefined)
    throw new UsageError(`chaos: the reference run did not finish: ${ref.problems.join('; ') || 'no run'}`);
  const refSnap = await snapshot(refDb, ref.runId);
  const reference: Reference = { status: refSnap.state.status, result: refSnap.state.result };
  const appendsOf = (cmd: Cmd): number => Math.max(1, ...ref.steps.filter((s) => s.cmd === cmd).map((s) => s.appends));
  const firstAppends = appendsOf('run');
  const laterAppends = Math.max(2, Math.ceil(Math.max(firstAppends, appendsOf('approve')) / 2));
  out.write(
    `chaos: reference run ${reference.status} with ${refSnap.events.length} events in ${ref.steps.length} command(s); ${c.runs} runs, seed ${c.seed}\n`,
  );
  return { reference, firstAppends, laterAppends };
}

const removeDb = (dbFile: string): void => {
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
};

/** Run `i` of the campaign: driven with kills, checked, counted in the summary, one line printed. */
async function chaosRun(
  i: number,
  c: Campaign,
  base: Baseline,
  summary: ChaosSummary,
  keys: { unsafe: string[]; all: string[] },
  out: Output,
  keep: boolean,
): Promise<void> {
  const plan = killPlan(rng(c.seed * 1000 + i + 1), { maxKills: c.maxKills, ...base });
  const dbFile = path.join(c.dir, `run-${String(i + 1).padStart(3, '0')}.db`);
  removeDb(dbFile);
  const d = await driveRun(c.graphFile, c.inputJson, dbFile, plan);
  const problems = [...d.problems];
  if (d.runId === undefined) problems.push('no run was created');
  else if (problems.length === 0) {
    const checked = await checkTree(await runTree(dbFile, d.runId), base.reference);
    problems.push(...checked.problems);
    keys.unsafe.push(...checked.facts.unsafeHttpKeys);
    keys.all.push(...checked.facts.httpKeys);
    summary.resumedStarts += checked.facts.resumedStarts;
  }
  tallySteps(summary, d.steps);
  const label = `run ${i + 1}/${c.runs}${d.runId ? ` ${d.runId}` : ''}`;
  const killsHere = d.steps.flatMap((s) => (s.kill ? [`${s.cmd}@${s.kill.n}:${s.kill.where}`] : []));
  if (problems.length > 0) {
    summary.mismatches++;
    for (const pr of problems) summary.problems.push(`${label}: ${pr}`);
    out.write(`  ${out.p.red('✗')} ${label}: ${problems[0]} (db kept: ${dbFile})\n`);
  } else {
    out.write(`  ${out.p.green('✓')} ${label}: ${killsHere.length} kill(s) ${killsHere.join(' ')}\n`);
    if (!keep) removeDb(dbFile);
  }
}

async function fetchCounts(url: string): Promise<Record<string, number>> {
  const res = await fetch(url);
  if (!res.ok) throw new UsageError(`--counts-url ${url}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, number>;
}

/** The campaign on workers: N worker processes of this CLI drive the runs, SIGKILLed at random. */
async function chaosOnWorkers(
  c: Campaign,
  on: { workers: number; db: string },
  base: Baseline,
  stream: Out,
  out: Output,
  opts: ChaosOpts,
  started: number,
): Promise<number> {
  const { chaosOnWorkers: campaign } = await import('./chaos-workers.js');
  const graph = await loadGraphFile(c.graphFile);
  const ws = await campaign({
    db: on.db,
    workers: on.workers,
    graph,
    input: JSON.parse(c.inputJson) as unknown,
    reference: base.reference,
    runs: c.runs,
    seed: c.seed,
    maxKills: c.maxKills * c.runs,
    random: rng(c.seed),
    countsUrl: opts.countsUrl,
    fetchCounts,
    out: stream,
    p: out.p,
    self: self(),
  });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (c.ownDir && !opts.keep) fs.rmSync(c.dir, { recursive: true, force: true });
  const p = out.p;
  out.write(
    [
      `chaos: ${c.runs} runs of ${path.basename(c.graphFile)} (seed ${c.seed}) on ${on.workers} workers in ${seconds} s`,
      `  workers killed: ${ws.kills} · runs taken over: ${ws.takenOver} · resumed re-executions: ${ws.resumedStarts}`,
      `  approvals: ${ws.approvals} · in-doubt retries: ${ws.inDoubtRetries}`,
      `  mismatches: ${ws.mismatches === 0 ? p.green('0') : p.red(String(ws.mismatches))}`,
      ...ws.problems.map((x) => `  ${p.red('✗')} ${x}`),
    ].join('\n') + '\n',
  );
  if (opts.json)
    process.stdout.write(
      JSON.stringify({ graph: path.basename(c.graphFile), seed: c.seed, seconds, ...ws }, null, 2) + '\n',
    );
  return ws.mismatches === 0 ? 0 : 1;
}

/** With --counts-url: every unsafe http call's idempotency key reached the server once. */
async function checkServerCounts(
  url: string,
  keys: { unsafe: string[]; all: string[] },
  summary: ChaosSummary,
  out: Output,
): Promise<void> {
  const problems = checkCounts(await fetchCounts(url), keys.unsafe, keys.all);
  summary.mismatches += problems.length;
  summary.problems.push(...problems);
  for (const pr of problems) out.write(`  ${out.p.red('✗')} ${pr}\n`);
}

export async function chaosCommand(file: string, opts: ChaosOpts, g: GlobalOpts): Promise<number> {
  const started = Date.now();
  const c = await campaignOf(file, opts, g);
  const stream = streamOut(opts.json ? process.stderr : process.stdout);
  const out: Output = { write: (s) => stream.write(s), p: paint(stream) };
  const base = await referenceRun(c, out);
  if (c.onWorkers) return chaosOnWorkers(c, c.onWorkers, base, stream, out, opts, started);
  const summary = newSummary(path.basename(file), c.seed, c.runs);
  const keys = { unsafe: [] as string[], all: [] as string[] };
  const indexes = Array.from({ length: c.runs }, (_, i) => i);
  await pool(indexes, c.parallel, (i) => chaosRun(i, c, base, summary, keys, out, opts.keep === true));
  if (opts.countsUrl) await checkServerCounts(opts.countsUrl, keys, summary, out);
  summary.seconds = Math.round((Date.now() - started) / 100) / 10;
  if (c.ownDir && summary.mismatches === 0 && !opts.keep) fs.rmSync(c.dir, { recursive: true, force: true });
  const checkedKeys = opts.countsUrl ? { unsafe: keys.unsafe.length, total: keys.all.length } : undefined;
  out.write(summaryText(summary, out.p, c.dir, checkedKeys));
  if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return summary.mismatches === 0 ? 0 : 1;
}
