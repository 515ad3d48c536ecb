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
import { asRunId } from '../../core/ids.js';
import { replayRun } from '../../core/engine/replay.js';
import { UsageError } from '../exit.js';
import { checkRunInput, loadGraphFile, parseJsonArg } from '../files.js';
import { positiveInt } from '../flags.js';
import { paint, streamOut, type Paint } from '../render.js';
import type { GlobalOpts } from '../session.js';
import { pool } from './batch.js';
import {
  checkChildren,
  checkCounts,
  checkRun,
  runTree,
  snapshot,
  type Reference,
  type RunFacts,
} from './chaos-check.js';
import { driveRun, killPlan, rng, type Cmd } from './chaos-drive.js';
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
}

/** A campaign's settings, from the flags. */
interface Campaign {
  graphFile: string;
  inputJson: string;
  runs: number;
  seed: number;
  parallel: number;
  maxKills: number;
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
async function campaignOf(file: string, opts: ChaosOpts): Promise<Campaign> {
  const runs = positiveInt(opts.n, '-n') ?? 20;
  const seed = positiveInt(opts.seed, '--seed', true) ?? Date.now() % 100_000;
  const parallel = positiveInt(opts.parallel, '--parallel') ?? 1;
  const maxKills = positiveInt(opts.maxKills, '--max-kills') ?? 3;
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
    dir,
    ownDir,
  };
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

/** Checks a run that ended and its child runs: against the reference, and replayed from their records. */
async function checkTree(
  dbFile: string,
  runId: string,
  reference: Reference,
): Promise<{ problems: string[]; facts: RunFacts }> {
  const tree = await runTree(dbFile, runId);
  const problems = checkChildren(tree);
  const facts: RunFacts = { unsafeHttpKeys: [], httpKeys: [], resumedStarts: 0 };
  for (const r of tree) {
    const who = r.key === undefined ? '' : `child ${r.key}: `;
    const checked = checkRun(r, r.key === undefined ? reference : undefined);
    problems.push(...checked.problems.map((x) => who + x));
    facts.unsafeHttpKeys.push(...checked.facts.unsafeHttpKeys);
    facts.httpKeys.push(...checked.facts.httpKeys);
    facts.resumedStarts += checked.facts.resumedStarts;
    // The record, kills and all, replays to the same transitions and outputs (each child from its own).
    const replay = await replayRun(asRunId(r.runId), r.graph, r.events);
    problems.push(...replay.differences.map((x) => `${who}replay: ${x}`));
  }
  return { problems, facts };
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
    const checked = await checkTree(dbFile, d.runId, base.reference);
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

/** With --counts-url: every unsafe http call's idempotency key reached the server once. */
async function checkServerCounts(
  url: string,
  keys: { unsafe: string[]; all: string[] },
  summary: ChaosSummary,
  out: Output,
): Promise<void> {
  const res = await fetch(url);
  if (!res.ok) throw new UsageError(`--counts-url ${url}: HTTP ${res.status}`);
  const problems = checkCounts((await res.json()) as Record<string, number>, keys.unsafe, keys.all);
  summary.mismatches += problems.length;
  summary.problems.push(...problems);
  for (const pr of problems) out.write(`  ${out.p.red('✗')} ${pr}\n`);
}

export async function chaosCommand(file: string, opts: ChaosOpts, _g: GlobalOpts): Promise<number> {
  const started = Date.now();
  const c = await campaignOf(file, opts);
  const stream = streamOut(opts.json ? process.stderr : process.stdout);
  const out: Output = { write: (s) => stream.write(s), p: paint(stream) };
  const base = await referenceRun(c, out);
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
