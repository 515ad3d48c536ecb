/**
 * `statepipe worker` and `run --detach` (docs/scale-out.md "Workers"): runs go through a queue
 * in the PostgreSQL database; any number of workers on any number of machines drive them.
 */
import { hostname } from 'node:os';
import type { Graph } from '../../core/graph/schema.js';
import { StatepipeService, type RunOutcome } from '../../host/service.js';
import { isPostgresUrl } from '../../host/store/index.js';
import { DEFAULT_QUEUE, RunQueue, checkQueueName } from '../../host/workers/queue.js';
import { HAND_BACK_NOW_MS, RunWorker, summaryLine } from '../../host/workers/worker.js';
import { EXIT, UsageError } from '../exit.js';
import { durationMs, positiveInt } from '../flags.js';
import { resolveDbPath, type GlobalOpts } from '../global-opts.js';
import { withService, type RunFlags } from '../session.js';

import type { DetachOpts } from './detach-flags.js';

export type { DetachOpts };

/** Creates the runs (status queued), enqueues a nudge for each, prints their ids. */
export async function detachRuns(graph: Graph, inputs: unknown[], opts: DetachOpts, g: GlobalOpts): Promise<number> {
  return withService(g, async (svc) => {
    const queue = await RunQueue.open(svc.store);
    try {
      for (const input of inputs) {
        const runId = await svc.createRun(graph, input);
        await queue.enqueue(runId, {
          queue: opts.queue ?? DEFAULT_QUEUE,
          priority: opts.priority === undefined ? 0 : Number(opts.priority),
        });
        process.stdout.write(runId + '\n');
      }
    } finally {
      await queue.close();
    }
    return EXIT.ok;
  });
}

export interface WaitFlag extends RunFlags {
  wait?: boolean;
}

/**
 * approve/resume/retry on PostgreSQL: the action is recorded here and the run goes to a worker
 * (the queue it came from), unless `--wait` asks this process to drive it. SQLite drives here.
 */
export async function orWorker(
  svc: StatepipeService,
  opts: WaitFlag,
  act: (handOff: { handOff?: boolean }) => Promise<RunOutcome>,
): Promise<RunOutcome | { runId: string; status: 'handed-off' }> {
  if (opts.wait || svc.store.kind !== 'postgres') return act({});
  const outcome = await act({ handOff: true });
  // Ended or waiting, or carried out by the process that drives it: nothing to queue.
  if ((outcome.status !== 'running' && outcome.status !== 'queued') || outcome.drivenElsewhere) return outcome;
  const queue = await RunQueue.open(svc.store);
  try {
    await queue.requeue(outcome.runId);
  } finally {
    await queue.close();
  }
  return { runId: outcome.runId, status: 'handed-off' };
}

/** A worker stopped at once by a second SIGTERM or SIGINT, as `run`'s second Ctrl+C. */
export const EXIT_STOPPED_AT_ONCE = 130;

export interface WorkerOpts {
  concurrency?: string;
  name?: string;
  queue?: string;
  graceMs?: string;
}

export async function workerCommand(opts: WorkerOpts, g: GlobalOpts): Promise<number> {
  const concurrency = positiveInt(opts.concurrency, '--concurrency') ?? 16;
  const graceMs = durationMs(opts.graceMs, '--grace-ms') ?? 30_000;
  const queueName = checkQueueName(opts.queue ?? DEFAULT_QUEUE);
  const name = opts.name ?? `worker-${hostname()}`;
  if (!/^[\w.-]{1,100}$/.test(name))
    throw new UsageError(`--name: expected 1-100 letters, digits, _, . or -, got "${name}"`);
  const dbPath = resolveDbPath(g);
  if (!isPostgresUrl(dbPath))
    throw new UsageError('worker needs a PostgreSQL store (--db postgres://… or STATEPIPE_DB)');
  // Children of the runs this worker drives go to the queue: every worker drives a map's items.
  let queue: RunQueue | undefined;
  const childQueue = async (runId: string, parentRunId: string): Promise<void> => {
    if (!queue) throw new Error('the run queue is not open yet');
    await queue.enqueueChild(runId, parentRunId, queueName);
  };
  // A connection for each run driven at once, and a few for the queue, the reaper and controls:
  // with fewer, drives wait for a connection between their commits.
  const svc = await StatepipeService.open({ dbPath, ownerName: name, childQueue, poolSize: concurrency + 4 });
  const log = (line: string): void => void process.stdout.write(`[worker ${name}] ${line}\n`);
  try {
    queue = await RunQueue.open(svc.store, { supervise: true, flag: 'worker' });
    const worker = new RunWorker(svc, queue, { name, queue: queueName, concurrency, graceMs, log });
    let said = false;
    const summary = (): void => {
      if (said) return;
      said = true;
      log(summaryLine(worker.summary, worker.stoppedAtOnce));
    };
    // The first signal drains; a second one stops at once, still saying what it left (exit 130).
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        log('stopping: no new runs; draining (a second SIGTERM or SIGINT stops at once)');
        worker.stop();
      } else if (signals === 2) {
        log(`stopping at once (${signal}): the runs still driven are handed back now or left for the reaper`);
        worker.stopNow();
        // Should the hand-back or closing hang (the database gone), the summary is said all the same.
        setTimeout(() => {
          summary();
          process.exit(EXIT_STOPPED_AT_ONCE);
        }, HAND_BACK_NOW_MS + 1_000).unref();
      } else {
        summary(); // a third: out now, what was left said
        process.exit(EXIT_STOPPED_AT_ONCE);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    log(`ready · queue ${queueName} · concurrency ${concurrency} · ${svc.store.displayName}`);
    try {
      await worker.run();
    } finally {
      await queue.close().catch(() => undefined);
    }
    summary();
    return worker.stoppedAtOnce ? EXIT_STOPPED_AT_ONCE : EXIT.ok;
  } finally {
    await svc.close().catch(() => undefined);
  }
}
