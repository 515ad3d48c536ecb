/**
 * A run's status as every reader shows it: the CLI's `list` and `inspect`, and the HTTP API's and
 * the studio's run list and run read (`runs.list`, `runs.get`), so that they say the same of the
 * same database. A run its driving process left `running` or `queued` when it died (its lease
 * expired on the database's clock, or its owner's pid is gone on this host) reads `interrupted`
 * until something resumes it or a worker takes it over (docs/runtime.md "Durability"): computed,
 * not recorded, so reading writes nothing. A run a live process holds, on this host or another,
 * reads as its row says; so does one handed to the workers and not claimed yet (`queued`, no owner).
 */
import type { RunStatus } from '../core/ports.js';
import { inspectRun, type RunDetail } from './run-detail.js';
import type { ListRunsOptions, RecoverAmong, RecoverableRun, RunSummary, Store } from './store/index.js';

const isLive = (s: RunStatus): s is 'running' | 'queued' => s === 'running' || s === 'queued';

/** The runs a dead process left (all of them, or `among` some runs and their children), by id. */
async function deadRuns(store: Store, among?: RecoverAmong): Promise<Map<string, RecoverableRun>> {
  if (among && !among.runIds?.length && !among.parentRunIds?.length) return new Map();
  return new Map((await store.findRunsToRecover(among)).map((r) => [r.runId, r]));
}

/** `status` as shown: `interrupted` for a run left running or queued by a process that died. */
export function shownStatus(status: RunStatus, runId: string, dead: ReadonlyMap<string, unknown>): RunStatus {
  return isLive(status) && dead.has(runId) ? 'interrupted' : status;
}

/** Whether a status filter's answer depends on which runs are dead: it names running, queued or interrupted. */
function filtersLive(q: ListRunsOptions): boolean {
  return q.status !== undefined && [q.status].flat().some((s) => isLive(s) || s === 'interrupted');
}

/**
 * A run's children counted as shown: those a dead process left running or queued are
 * `interrupted` (the counts come from the rows, which only a resume or a takeover corrects).
 */
function withDeadChildren<R extends RunSummary>(r: R, deadKids: readonly RecoverableRun[] | undefined): R {
  if (!r.children || !deadKids) return r;
  const counts = { ...r.children };
  for (const k of deadKids) {
    const was = k.status;
    if (!isLive(was) || !counts[was]) continue;
    counts[was] -= 1;
    if (counts[was] === 0) delete counts[was];
    counts.interrupted = (counts.interrupted ?? 0) + 1;
  }
  return { ...r, children: counts };
}

/**
 * One page of runs as shown, and with `count` how many match. A status filter takes the runs of
 * dead processes for `interrupted` (the store filters so, so pages and totals agree with what the
 * rows say); otherwise only the page's runs and their children are looked at.
 */
export async function shownRuns(
  store: Store,
  q: ListRunsOptions,
  opts: { count?: boolean } = {},
): Promise<{ runs: RunSummary[]; total?: number }> {
  const every = filtersLive(q) ? await deadRuns(store) : undefined;
  const query = every && every.size > 0 ? { ...q, interrupted: [...every.keys()] } : q;
  const page = await store.listRuns(query);
  const dead =
    every ??
    (await deadRuns(store, {
      runIds: page.filter((r) => isLive(r.status)).map((r) => r.runId),
      parentRunIds: page.filter((r) => (r.children?.running ?? 0) + (r.children?.queued ?? 0) > 0).map((r) => r.runId),
    }));
  const kids = new Map<string, RecoverableRun[]>();
  for (const d of dead.values()) {
    if (d.parent) kids.set(d.parent.runId, [...(kids.get(d.parent.runId) ?? []), d]);
  }
  const runs = page.map((r) =>
    withDeadChildren({ ...r, status: shownStatus(r.status, r.runId, dead) }, kids.get(r.runId)),
  );
  return opts.count ? { runs, total: await store.countRuns(query) } : { runs };
}

/** A run's detail (inspectRun) as shown. */
export async function shownRun(store: Store, runId: string): Promise<RunDetail> {
  const d = await inspectRun(store, runId);
  if (isLive(d.status)) d.status = shownStatus(d.status, runId, await deadRuns(store, { runIds: [runId] }));
  return d;
}

/** A run's child runs, oldest first, as shown. */
export async function shownChildren(store: Store, runId: string): Promise<RunSummary[]> {
  const dead = await deadRuns(store, { parentRunIds: [runId] });
  return (await store.listRuns({ parentRunId: runId, limit: 1_000_000, order: 'asc' })).map((c) => ({
    ...c,
    status: shownStatus(c.status, c.runId, dead),
  }));
}
