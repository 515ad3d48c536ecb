/**
 * What `statepipe chaos` checks after each run (and after each kill): the promises of
 * docs/runtime.md "Durability", read back from the database the killed processes left behind.
 */
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { kindOf, sideEffectOf } from '../../core/nodes/registry.js';
import { asRunId } from '../../core/ids.js';
import { foldEvents, type RunState } from '../../core/engine/state.js';
import type { ChaosTraceLine } from '../../host/chaos.js';
import { replayRun } from '../../core/engine/replay.js';
import { openDatabase, type Store } from '../../host/store/index.js';

export interface RunSnapshot {
  graph: Graph;
  events: RunEvent[];
  state: RunState;
}

/** The runs of a database file, child runs too, oldest first (read-only, closed again at once). */
export async function runIds(dbFile: string): Promise<string[]> {
  const store = openDatabase(dbFile, { readonly: true });
  try {
    return (await store.listRuns({ all: true, limit: 1_000_000, order: 'asc' })).map((r) => r.runId);
  } finally {
    await store.close();
  }
}

/** A run of a tree: the top-level run, or a child with its key in its parent (`each[3]`). */
export type TreeRun = RunSnapshot & { runId: string; key?: string };

/** The run and its child runs, depth first (their children too), from the database file. */
export async function runTree(dbFile: string, runId: string): Promise<TreeRun[]> {
  const store = openDatabase(dbFile, { readonly: true });
  try {
    return await runTreeOf(store, runId);
  } finally {
    await store.close();
  }
}

/** The same from an open store (a PostgreSQL database shared with workers). */
export async function runTreeOf(store: Pick<Store, 'loadRun' | 'listRuns'>, runId: string): Promise<TreeRun[]> {
  const out: TreeRun[] = [];
  const visit = async (id: string, key?: string): Promise<void> => {
    const { graph, events } = await store.loadRun(asRunId(id));
    out.push({ runId: id, graph, events, state: foldEvents(asRunId(id), graph, events), ...(key ? { key } : {}) });
    for (const c of await store.listRuns({ parentRunId: id, limit: 1_000_000, order: 'asc' }))
      await visit(c.runId, `${c.parent!.nodeId}[${c.parent!.key}]`);
  };
  await visit(runId);
  return out;
}

/**
 * A finished run and its children checked as one: children once per key (checkChildren), every
 * run's events (checkRun; the top one against the reference), and a replay of every record.
 */
export async function checkTree(
  tree: TreeRun[],
  reference: Reference,
): Promise<{ problems: string[]; facts: RunFacts }> {
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

/**
 * A parent's child runs after a crash campaign: one run per (node, item or iteration) key, each
 * succeeded at most once, and, when the parent succeeded, every child it started succeeded
 * (their events are checked like any run's by checkRun).
 */
export function checkChildren(tree: TreeRun[]): string[] {
  const problems: string[] = [];
  const [top, ...children] = tree;
  const keys = new Map<string, string>();
  for (const c of children) {
    const where = `child ${c.key} (${c.runId})`;
    const twin = keys.get(`${c.state.parent?.runId}:${c.key}`);
    if (twin) problems.push(`${where}: a second child run for the same key (first ${twin})`);
    keys.set(`${c.state.parent?.runId}:${c.key}`, c.runId);
    const wins = c.events.filter((e) => e.type === 'run.succeeded').length;
    if (wins > 1) problems.push(`${where}: succeeded ${wins} times`);
    if (top?.state.status === 'succeeded' && c.state.status !== 'succeeded')
      problems.push(`${where}: ${c.state.status} although the parent succeeded`);
  }
  return problems;
}

/** One run's graph snapshot, event log and folded state (read-only). */
export async function snapshot(dbFile: string, runId: string): Promise<RunSnapshot> {
  const store = openDatabase(dbFile, { readonly: true });
  try {
    const { graph, events } = await store.loadRun(asRunId(runId));
    return { graph, events, state: foldEvents(asRunId(runId), graph, events) };
  } finally {
    await store.close();
  }
}

/**
 * What a person decides in a waiting run, and in which run: a node in doubt is retried, else an
 * approval is granted; a composition node's wait is decided in the child run that holds it (as a
 * person does when several children wait at the same node). Undefined when nothing waits.
 */
export function personDecision(
  runId: string,
  state: Readonly<RunState>,
): { act: 'retry' | 'approve'; runId: string; nodeId: string } | undefined {
  for (const [id, n] of state.nodes) if (n.status === 'in-doubt') return { act: 'retry', runId, nodeId: id };
  for (const [id, n] of state.nodes) {
    if (n.status !== 'waiting') continue;
    const child = n.waitingChildren?.[0];
    const at = child?.nodeIds[0];
    if (!child || at === undefined) return { act: 'approve', runId, nodeId: id };
    return { act: child.inDoubt?.includes(at) ? 'retry' : 'approve', runId: child.runId, nodeId: at };
  }
  return undefined;
}

/** JSON with sorted keys: equality of values regardless of key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/**
 * Right after a kill: did the database keep exactly what the kill point says? `inside` and
 * `before`: the append's events are absent (its transaction never committed); `after`: present.
 */
export async function checkKill(kill: ChaosTraceLine, dbFile: string): Promise<string[]> {
  const problems: string[] = [];
  const exists = (await runIds(dbFile)).includes(kill.runId);
  const isCreate = kill.types[0] === 'run.created';
  if (!exists) {
    if (!(isCreate && kill.where !== 'after'))
      problems.push(`kill ${kill.where} #${kill.n} (${kill.types.join(',')}): run ${kill.runId} is missing`);
    return problems;
  }
  if (isCreate && kill.where !== 'after') {
    problems.push(`kill ${kill.where} run creation: the run exists although its transaction never committed`);
    return problems;
  }
  const { events } = await snapshot(dbFile, kill.runId);
  const last = events.at(-1)?.seq ?? 0;
  if (kill.where === 'inside' && kill.seqs && last >= kill.seqs[0]) {
    problems.push(
      `kill inside #${kill.n}: seq ${kill.seqs[0]}.. (${kill.types.join(',')}) is in the log although its COMMIT never ran`,
    );
  }
  if (kill.where === 'after' && kill.seqs) {
    const got = events.slice(kill.seqs[0] - 1, kill.seqs[1]).map((e) => e.type);
    if (canonical(got) !== canonical(kill.types)) {
      problems.push(
        `kill after #${kill.n}: committed events ${kill.types.join(',')} at seq ${kill.seqs[0]} were lost (found ${got.join(',') || 'nothing'})`,
      );
    }
  }
  return problems;
}

export interface Reference {
  status: string;
  result: unknown;
}

export interface RunFacts {
  /** Per unsafe http node attempt: the idempotency key it used. */
  unsafeHttpKeys: string[];
  /** Keys of http attempts that succeeded (each must have reached the server). */
  httpKeys: string[];
  /** node.started events with `resumed: true` (at-least-once re-executions). */
  resumedStarts: number;
}

/** Checks one finished chaos run against the uninterrupted reference (a child run: without one). */
export function checkRun(snap: RunSnapshot, ref?: Reference): { problems: string[]; facts: RunFacts } {
  const { graph, events, state } = snap;
  const problems: string[] = [];
  const facts: RunFacts = { unsafeHttpKeys: [], httpKeys: [], resumedStarts: 0 };
  events.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`event ${i + 1} has seq ${e.seq} (gap or duplicate)`);
  });
  if (ref && state.status !== ref.status) problems.push(`ended ${state.status}, the reference ${ref.status}`);
  else if (ref && canonical(state.result ?? null) !== canonical(ref.result ?? null)) {
    problems.push(`output differs from the reference: ${canonical(state.result ?? null).slice(0, 300)}`);
  }
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const succeeded = new Set<string>();
  const startedAttempts = new Map<string, Set<number>>();
  const keyOf = new Map<string, string>();
  for (const e of events) {
    const id = e.nodeId;
    if (id === undefined) continue;
    if ((e.type === 'node.started' || e.type === 'node.succeeded') && succeeded.has(id))
      problems.push(`${id}: ${e.type} after it had succeeded (seq ${e.seq})`);
    if (e.type === 'node.succeeded') {
      succeeded.add(id);
      const key = keyOf.get(`${id}:${(e.data as { attempt: number }).attempt}`);
      if (key !== undefined) facts.httpKeys.push(key);
    }
    if (e.type !== 'node.started') continue;
    const node = nodes.get(id)!;
    const data = e.data as { attempt: number; idempotencyKey?: string; resumed?: boolean };
    if (data.resumed) facts.resumedStarts++;
    if (kindOf(node).execution !== 'effect' || sideEffectOf(node) !== 'unsafe') {
      if (node.type === 'http' && data.idempotencyKey) keyOf.set(`${id}:${data.attempt}`, data.idempotencyKey);
      continue;
    }
    // An unsafe node never runs twice without a person's decision: no resumed start, one start per attempt.
    if (data.resumed) problems.push(`unsafe ${id}: attempt ${data.attempt} re-executed after a crash (seq ${e.seq})`);
    const seen = startedAttempts.get(id) ?? new Set<number>();
    if (seen.has(data.attempt)) problems.push(`unsafe ${id}: attempt ${data.attempt} started twice`);
    seen.add(data.attempt);
    startedAttempts.set(id, seen);
    if (node.type === 'http' && data.idempotencyKey) {
      facts.unsafeHttpKeys.push(data.idempotencyKey);
      keyOf.set(`${id}:${data.attempt}`, data.idempotencyKey);
    }
  }
  return { problems, facts };
}

/**
 * With `--counts-url`: the server's requests per Idempotency-Key. An unsafe node's key must
 * reach it at most once; a key of an attempt that succeeded at least once.
 */
export function checkCounts(counts: Record<string, number>, unsafeKeys: string[], httpKeys: string[]): string[] {
  const problems: string[] = [];
  for (const k of unsafeKeys)
    if ((counts[k] ?? 0) > 1)
      problems.push(`unsafe request with Idempotency-Key ${k} reached the server ${counts[k]} times`);
  for (const k of httpKeys) if ((counts[k] ?? 0) < 1) problems.push(`Idempotency-Key ${k} never reached the server`);
  return problems;
}
