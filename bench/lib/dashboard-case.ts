/**
 * Dashboard queries on the scale database (scale-db.ts: `runs` runs, `events` events, as the
 * store writes them): `store.listRuns` / `countRuns` with each filter and each sort, and a run's
 * detail, each timed over `reps` repetitions after one unmeasured call, on a fresh connection.
 */
import { openDatabase, type ListRunsOptions } from '../../src/host/store/index.js';
import type { DashboardResult } from './cases.js';
import { queryTimer } from './stats.js';

export async function dashboardCase(spec: {
  file: string;
  runs: number;
  events: number;
  sampleRunId: string;
  reps: number;
}): Promise<DashboardResult> {
  const store = openDatabase(spec.file); // a fresh connection, as the studio would have
  const sample = spec.sampleRunId;
  const lists: [string, ListRunsOptions][] = [
    ['newest 50 (sort created)', {}],
    ['sort started', { sort: 'started' }],
    ['sort cost', { sort: 'cost' }],
    ['sort tokens', { sort: 'tokens' }],
    ['sort duration', { sort: 'duration' }],
    ['sort cost asc', { sort: 'cost', order: 'asc' }],
    ['status=failed', { status: 'failed' }],
    ['status in (running, waiting, paused)', { status: ['running', 'waiting', 'paused'] }],
    ['graph=graph-07', { graphId: 'graph-07' }],
    ['text (run id fragment)', { text: sample.slice(-8) }],
    ['text (graph id fragment, 40 % of runs)', { text: 'ph-1' }],
    ['text (a word of the inputs, 10 % of runs)', { text: 'invoice' }],
    ['text (one customer, 0.02 % of runs)', { text: 'customer 4242' }],
    ['status=succeeded, sort cost', { status: 'succeeded', sort: 'cost' }],
    ['graph=graph-07, sort duration', { graphId: 'graph-07', sort: 'duration' }],
    ['status=failed + graph + sort tokens', { status: 'failed', graphId: 'graph-03', sort: 'tokens' }],
    ['text + status=succeeded, sort cost', { text: 'ph-1', status: 'succeeded', sort: 'cost' }],
    ['page 101 (offset 5000)', { offset: 5000 }],
    ['page 101 sort duration', { sort: 'duration', offset: 5000 }],
    ['last page, sort cost', { sort: 'cost', offset: spec.runs - 50 }],
  ];
  const { queries, time, lists: timeLists } = queryTimer<ListRunsOptions>(spec.reps);
  await timeLists(store, lists);
  await time('countRuns (all)', () => store.countRuns());
  await time('countRuns status=failed', () => store.countRuns({ status: 'failed' }));
  await time('countRuns text', () => store.countRuns({ text: 'ph-1' }));
  await time('countRuns text + status=succeeded', () => store.countRuns({ text: 'ph-1', status: 'succeeded' }));
  await time('countRuns graph=graph-07', () => store.countRuns({ graphId: 'graph-07' }));
  await time('run detail: getRunRow + eventsSince', async () => {
    await store.getRunRow(sample);
    return (await store.eventsSince(sample, 0)).length;
  });
  await store.close();
  return { kind: 'dashboard', runs: spec.runs, events: spec.events, queries };
}
