/**
 * RunWorker's bookkeeping, against a queue and a service standing in for PostgreSQL: a run nudged
 * twice (the reaper and its parent both requeued it) is driven once, and reported once.
 */
import { describe, expect, it } from 'vitest';
import type { RunOutcome, StatepipeService } from '../service.js';
import type { RunJob, RunQueue } from './queue.js';
import { RunWorker } from './worker.js';

describe('RunWorker', () => {
  it('a run claimed again while this worker drives it: the live drive is nudged, the claim reported skipped', async () => {
    const claims: RunJob[][] = [[{ id: 'j1', runId: 'run_a' }], [{ id: 'j2', runId: 'run_a' }]];
    const completed: string[] = [];
    const queue = {
      watch: () => () => undefined,
      claim: async () => claims.shift() ?? [],
      complete: async (_q: string, id: string) => void completed.push(id),
      requeue: async () => undefined,
      reap: async () => [],
    } as unknown as RunQueue;
    let finish: (o: RunOutcome) => void = () => undefined;
    let drives = 0;
    const svc = {
      children: undefined,
      // The first drive holds the run; a drive asked meanwhile answers at once with its live status.
      drive: (runId: string): Promise<RunOutcome> =>
        ++drives === 1 ? new Promise((r) => (finish = r)) : Promise.resolve({ runId, status: 'running' } as RunOutcome),
    } as unknown as StatepipeService;
    const lines: string[] = [];
    const worker = new RunWorker(svc, queue, {
      name: 'w',
      queue: 'default',
      concurrency: 4,
      graceMs: 1000,
      pollMs: 5,
      log: (l) => lines.push(l),
    });
    const running = worker.run();
    while (!lines.includes('skipped run_a (driven here already)')) await new Promise((r) => setTimeout(r, 5));
    finish({ runId: 'run_a', status: 'succeeded' } as RunOutcome);
    while (!lines.includes('finished run_a succeeded')) await new Promise((r) => setTimeout(r, 5));
    worker.stop();
    await running;
    expect(lines.filter((l) => l.startsWith('finished'))).toEqual(['finished run_a succeeded']);
    expect(worker.summary).toMatchObject({ claimed: 2, finished: { succeeded: 1 }, skipped: 1 });
    expect(completed.sort()).toEqual(['j1', 'j2']);
  });
});
