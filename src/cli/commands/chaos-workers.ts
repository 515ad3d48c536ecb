/**
 * `statepipe chaos GRAPH --db postgres://… --workers N` (docs/cli.md "statepipe chaos"): the runs
 * are queued in the database and driven by N `statepipe worker` processes of this CLI, which are
 * SIGKILLed at random moments (seeded) while the runs proceed and started again at once; the
 * other workers take the killed one's runs over (docs/scale-out.md "Takeover"). Approvals are
 * approved and in-doubt nodes retried the way a person would (from here, handed to the workers).
 * Once every run has ended, each is checked as the file mode checks its runs (chaos-check.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Graph } from '../../core/graph/schema.js';
import { asRunId } from '../../core/ids.js';
import { isTerminalRun } from '../../core/engine/machines.js';
import type { RunOutcome } from '../../core/engine/outcome.js';
import { StatepipeService } from '../../host/service.js';
import type { PostgresStore } from '../../host/store/pg/pg-store.js';
import { RunQueue } from '../../host/workers/queue.js';
import type { Out, Paint } from '../render.js';
import { checkCounts, checkTree, personDecision, runTreeOf, type Reference } from './chaos-check.js';

/** The queue of a campaign's runs: workers of the database that serve `default` leave them alone. */
const QUEUE = 'chaos';

export interface WorkerCampaign {
  db: string;
  workers: number;
  graph: Graph;
  input: unknown;
  reference: Reference;
  runs: number;
  seed: number;
  /** Worker kills at most, over the whole campaign. */
  maxKills: number;
  random: () => number;
  countsUrl: string | undefined;
  fetchCounts: (url: string) => Promise<Record<string, number>>;
  out: Out;
  p: Paint;
  /** The node arguments that start this CLI again. */
  self: string[];
}

export interface WorkerChaosSummary {
  runs: number;
  workers: number;
  kills: number;
  approvals: number;
  inDoubtRetries: number;
  /** Runs a killed worker was driving (each then resumed by another worker). */
  takenOver: number;
  resumedStarts: number;
  mismatches: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The worker processes of the campaign: worker k, generation g, named `chaos-k.g`. */
class Crew {
  readonly procs: (ChildProcess | undefined)[] = [];
  readonly names: string[] = [];
  private gen = 0;
  constructor(private readonly c: WorkerCampaign) {}

  start(k: number): void {
    const name = `chaos-${k}.${this.gen++}`;
    this.names[k] = name;
    const args = ['worker', '--db', this.c.db, '--name', name, '--queue', QUEUE, '--grace-ms', '2000'];
    this.procs[k] = spawn(process.execPath, [...this.c.self, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: 'ignore',
    });
  }

  kill(k: number): void {
    this.procs[k]?.kill('SIGKILL');
  }

  /** SIGTERM (they drain), then SIGKILL whatever is still there after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    const alive = this.procs.filter((p): p is ChildProcess => !!p && p.exitCode === null && p.signalCode === null);
    const exited = alive.map((p) => new Promise((r) => p.once('exit', r)));
    for (const p of alive) p.kill('SIGTERM');
    await Promise.race([Promise.all(exited), sleep(ms)]);
    for (const p of alive) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
}

/** Runs the campaign; returns its summary (the caller prints it and picks the exit code). */
export async function chaosOnWorkers(c: WorkerCampaign): Promise<WorkerChaosSummary> {
  const s: WorkerChaosSummary = {
    runs: c.runs,
    workers: c.workers,
    kills: 0,
    approvals: 0,
    inDoubtRetries: 0,
    takenOver: 0,
    resumedStarts: 0,
    mismatches: 0,
    problems: [],
  };
  const svc = await StatepipeService.open({ dbPath: c.db });
  const queue = await RunQueue.open(svc.store, { flag: '--workers' });
  const crew = new Crew(c);
  try {
    const ids: string[] = [];
    for (let i = 0; i < c.runs; i++) {
      const id = await svc.createRun(c.graph, c.input);
      await queue.enqueue(id, { queue: QUEUE });
      ids.push(id);
    }
    for (let k = 0; k < c.workers; k++) crew.start(k);
    const open = new Set(ids);
    const held = new Set<string>();
    const deadline = Date.now() + 120_000 + 3_000 * c.runs;
    while (open.size > 0 && Date.now() < deadline) {
      await sleep(50 + Math.floor(c.random() * 450));
      // A worker dies at a random moment, one that drives runs now (an idle one's death proves little).
      const busy: { k: number; runs: string[] }[] = [];
      for (let k = 0; k < c.workers; k++) {
        const runs = await heldBy(svc, crew.names[k]!);
        if (runs.length > 0) busy.push({ k, runs });
      }
      if (s.kills < c.maxKills && busy.length > 0 && c.random() < 0.6) {
        const { k, runs } = busy[Math.floor(c.random() * busy.length)]!;
        for (const id of runs) held.add(id);
        crew.kill(k);
        crew.start(k);
        s.kills++;
      }
      for (const id of [...open]) {
        const state = await svc.engine.inspect(asRunId(id));
        if (isTerminalRun(state.status)) {
          open.delete(id);
          continue;
        }
        // Refused (another process drives it at this instant): looked at again next round.
        const acted = await personActs(svc, id, state, s).catch(() => undefined);
        if (acted && (acted.status === 'running' || acted.status === 'queued')) await queue.requeue(acted.runId);
      }
    }
    await crew.stop();
    for (const id of open) s.problems.push(`run ${id}: did not end within the campaign's time`);
    const unsafeKeys: string[] = [];
    const httpKeys: string[] = [];
    for (const [i, id] of ids.entries()) {
      if (open.has(id)) continue;
      const tree = await runTreeOf(svc.store, id);
      const { problems, facts } = await checkTree(tree, c.reference);
      unsafeKeys.push(...facts.unsafeHttpKeys);
      httpKeys.push(...facts.httpKeys);
      s.resumedStarts += facts.resumedStarts;
      const label = `run ${i + 1}/${c.runs} ${id}`;
      if (problems.length > 0) {
        s.mismatches++;
        s.problems.push(...problems.map((x) => `${label}: ${x}`));
        c.out.write(`  ${c.p.red('✗')} ${label}: ${problems[0]}\n`);
      } else c.out.write(`  ${c.p.green('✓')} ${label}\n`);
    }
    s.mismatches += open.size;
    s.takenOver = held.size;
    if (c.countsUrl) {
      const problems = checkCounts(await c.fetchCounts(c.countsUrl), unsafeKeys, httpKeys);
      s.mismatches += problems.length;
      s.problems.push(...problems);
    }
    return s;
  } finally {
    await crew.stop(1_000);
    await queue.close().catch(() => undefined);
    await svc.close();
  }
}

/** The runs (children too) a worker is driving now: their lease names it. */
async function heldBy(svc: StatepipeService, worker: string): Promise<string[]> {
  const { rows } = await (svc.store as PostgresStore).pgPool.query<{ run_id: string }>(
    `SELECT run_id FROM statepipe.runs WHERE status = 'running' AND owner_id LIKE $1`,
    [`${worker}@%`],
  );
  return rows.map((r) => r.run_id);
}

/**
 * What a person does with a run that waits: retries an in-doubt node, else approves an approval
 * (a child's, in that child run), else resumes a paused or interrupted run. Recorded here and
 * handed to the workers; undefined when there is nothing to do.
 */
async function personActs(
  svc: StatepipeService,
  id: string,
  state: Awaited<ReturnType<StatepipeService['engine']['inspect']>>,
  s: WorkerChaosSummary,
): Promise<RunOutcome | undefined> {
  const handOff = { handOff: true };
  const d = state.status === 'waiting' ? personDecision(id, state) : undefined;
  if (d?.act === 'retry') {
    const o = await svc.retry(d.runId, d.nodeId, handOff);
    s.inDoubtRetries++;
    return o;
  }
  if (d) {
    const o = await svc.approve(d.runId, d.nodeId, { approved: true, by: 'chaos', comment: 'ok' }, handOff);
    s.approvals++;
    return o;
  }
  if (state.status === 'paused' || state.status === 'interrupted') return svc.resume(id, handOff);
  return undefined;
}
