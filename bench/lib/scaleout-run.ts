/**
 * The scale-out cases on the bench's PostgreSQL cluster (started by pg-run.ts), each in a fresh
 * database: `statepipe worker` throughput at 1, 2 and 4 workers, and the steps of a chain against
 * DBOS Transact's steps.
 */
import type { CaseResult, CaseSpec, Reps } from './cases.js';
import type { ChainFlavor, StepsResult } from './dbos-case.js';
import type { ScaleOutCollected } from './report-scaleout.js';
import type { WorkersResult } from './workers-case.js';

export interface ScaleOutPlan {
  /**
   * Each `concurrency` is a series over `counts`. On a machine with few cores, the default 16 runs
   * per worker saturate the CPU with several workers: the series is then CPU-bound, not I/O-bound.
   */
  workers: { runs: number; counts: number[]; concurrency: number[] };
  steps: { steps: number; reps: Reps };
}

type RunCase = <R extends CaseResult>(label: string, spec: CaseSpec, timeoutMs?: number) => Promise<R | undefined>;

export async function scaleOutCases(
  plan: ScaleOutPlan,
  runCase: RunCase,
  database: () => Promise<string>,
): Promise<ScaleOutCollected> {
  const out: ScaleOutCollected = { workers: [], steps: [] };
  const { runs, counts } = plan.workers;
  for (const concurrency of plan.workers.concurrency)
    for (const workers of counts) {
      const r = await runCase<WorkersResult>(
        `${runs} runs on ${workers} worker${workers > 1 ? 's' : ''} (--concurrency ${concurrency})`,
        { kind: 'pg-workers', url: await database(), runs, workers, concurrency, dir: '' },
        600_000,
      );
      if (r) out.workers.push(r);
    }
  for (const flavor of ['dbos', 'pure', 'effects'] as ChainFlavor[]) {
    const r = await runCase<StepsResult>(`${plan.steps.steps} steps: ${flavor}`, {
      kind: 'pg-steps',
      flavor,
      url: await database(),
      ...plan.steps,
      dir: '',
    });
    if (r) out.steps.push(r);
  }
  return out;
}
