/** The scale-out part of the PostgreSQL report: worker throughput, and steps against DBOS Transact. */
import type { StepsResult } from './dbos-case.js';
import type { Target } from './cases.js';
import type { WorkersResult } from './workers-case.js';
import { f, ratio } from './format.js';

export interface ScaleOutCollected {
  workers: WorkersResult[];
  steps: StepsResult[];
}

const allSucceeded = (w: WorkersResult): boolean => (w.statuses['succeeded'] ?? 0) === w.runs;

const series = (s: ScaleOutCollected | undefined): Map<number, WorkersResult[]> => {
  const by = new Map<number, WorkersResult[]>();
  for (const w of s?.workers ?? []) by.set(w.concurrency, [...(by.get(w.concurrency) ?? []), w]);
  return by;
};

/** The default runs per worker (`statepipe worker --concurrency`). */
const DEFAULT_CONCURRENCY = 16;

/**
 * The targets are about I/O-bound work, and the workers here share the machine's cores with each
 * other and with the PostgreSQL server: they are read on the series whose largest case drives as
 * many runs at once in all as one worker does by default (4 workers × 4 = 16), so that adding
 * workers adds slots, not load beyond the default's. Every series is in the report.
 */
function targetSeries(s: ScaleOutCollected | undefined): { concurrency: number; ws: WorkersResult[] } {
  const all = series(s);
  const most = Math.max(...(s?.workers ?? []).map((w) => w.workers));
  const concurrency = all.has(DEFAULT_CONCURRENCY / most) ? DEFAULT_CONCURRENCY / most : DEFAULT_CONCURRENCY;
  return { concurrency, ws: all.get(concurrency) ?? [] };
}

export function scaleOutTargets(s: ScaleOutCollected | undefined): Target[] {
  const { concurrency, ws } = targetSeries(s);
  const by = (n: number) => ws.find((w) => w.workers === n && allSucceeded(w));
  const one = by(1);
  const speedup = (n: number, goal: number): Target => {
    const w = by(n);
    const r = one && w ? w.runsPerSec / one.runsPerSec : NaN;
    return {
      name: `I/O-bound runs/s (5 nodes, a 300 ms mock llm, \`--concurrency ${concurrency}\`), ${n} workers vs 1`,
      goal: `≥ ${goal}×`,
      measured: Number.isFinite(r) ? `${ratio(r)} (${f(w!.runsPerSec, 1)} vs ${f(one!.runsPerSec, 1)} runs/s)` : 'n/a',
      met: Number.isFinite(r) ? r >= goal : null,
    };
  };
  const step = (flavor: string) => s?.steps.find((x) => x.flavor === flavor && Number.isFinite(x.usPerStep));
  const dbos = step('dbos');
  const vs = (flavor: 'pure' | 'effects', goal: number, label: string): Target => {
    const ours = step(flavor);
    const r = ours && dbos ? ours.usPerStep / dbos.usPerStep : NaN;
    return {
      name: `${label} vs a DBOS Transact step (no-op), µs per step, same PostgreSQL server`,
      goal: goal === 1 ? '< 1× (faster)' : `≤ ${goal}×`,
      measured: Number.isFinite(r)
        ? `${ratio(r)} (${f(ours!.usPerStep, 0)} vs ${f(dbos!.usPerStep, 0)} µs)`
        : (s?.steps.find((x) => x.flavor === 'dbos')?.note ?? 'n/a'),
      met: Number.isFinite(r) ? (goal === 1 ? r < 1 : r <= goal) : null,
    };
  };
  return [
    speedup(2, 1.8),
    speedup(4, 3.2),
    vs('pure', 1, 'statepipe chain node (pure)'),
    vs('effects', 1.5, 'statepipe chain node with an effect (http GET, its own time subtracted)'),
  ];
}

export function renderScaleOut(s: ScaleOutCollected | undefined): string[] {
  if (!s || (s.workers.length === 0 && s.steps.length === 0)) return [];
  const L: string[] = [];
  if (s.workers.length > 0) {
    const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x * 100)} %`);
    L.push(
      '### Workers: I/O-bound throughput',
      '',
      `${f(s.workers[0]!.runs)} runs of a 5-node graph (input → mock llm of ${f(s.workers[0]!.llmMs)} ms → 2 transforms → output), created queued, then nudged with one statement once every \`statepipe worker\` process (the prebuilt CLI) said ready; runs/s = runs / (the last run's end − the nudge). One series per \`--concurrency\` (runs a worker drives at once; 16 is the default). The targets are read on the series whose largest case drives as many runs at once in all as one default worker (16): the workers and the PostgreSQL server share this machine's cores, and at 16 runs per worker, several workers only add load to the same cores. CPU busy: the whole machine's over the case (other jobs on it included); db transactions: every committed transaction of the database (reads too; the bench's own polling adds about one per run); WAL flushes: the server's, commits that waited for the disk.`,
      '',
      '| --concurrency | workers | wall s | runs/s | vs 1 worker | CPU busy | worker CPU ms/run | db transactions/run | WAL flushes/run | statuses |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [, ws] of series(s)) {
      const one = ws.find((w) => w.workers === 1);
      L.push(
        ...ws.map(
          (w) =>
            `| ${w.concurrency} | ${w.workers} | ${f(w.wallMs / 1000, 2)} | ${f(w.runsPerSec, 1)} | ${one ? ratio(w.runsPerSec / one.runsPerSec) : '—'} | ${pct(w.machineBusy)} | ${f(w.workerCpuMsPerRun, 1)} | ${f(w.commitsPerRun, 1)} | ${f(w.walSyncsPerRun, 1)} | ${Object.entries(
              w.statuses,
            )
              .map(([k, n]) => `${n} ${k}`)
              .join(', ')} |`,
        ),
      );
    }
    L.push('');
  }
  if (s.steps.length > 0) {
    L.push(
      '### Steps against DBOS Transact',
      '',
      "Same server, a database each, a fresh process each. DBOS: one workflow of N no-op `DBOS.runStep` steps (each checkpointed). statepipe: one run (createRun + drive through the service) of a chain of N nodes: pure `transform` nodes, or `http` GETs to a server on 127.0.0.1 (each node an effect: its start committed before the request, its end after), minus a raw GET's time from the same process.",
      '',
      '| engine | steps | wall ms | µs/step | effect µs (subtracted) | reps | status |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...s.steps.map(
        (x) =>
          `| ${x.flavor === 'dbos' ? `DBOS (${x.note ?? ''})` : `statepipe, ${x.flavor === 'pure' ? 'pure chain' : 'http chain'}`} | ${f(x.steps)} | ${f(x.wallMs, 1)} | ${f(x.usPerStep, 0)} | ${x.effectUs === undefined ? '—' : f(x.effectUs, 0)} | ${x.reps} | ${x.status} |`,
      ),
      '',
    );
  }
  return L;
}
