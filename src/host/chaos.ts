/**
 * Fault injection for `statepipe chaos` (and nothing else): when the environment variable
 * STATEPIPE_CHAOS_KILL is set, StatepipeService.open wraps its store so the process SIGKILLs
 * itself at the n-th append (run creation counts as one):
 *
 *   `<n>:before`  before the append's transaction begins
 *   `<n>:inside`  inside an enclosing transaction, after the append's INSERTs ran (better-sqlite3
 *                 nests it as a savepoint), so its COMMIT never happens
 *   `<n>:after`   after the append committed, before the engine or any subscriber sees it
 *   `never`       count (and trace) appends, never kill
 *
 * STATEPIPE_CHAOS_TRACE=<file> appends one JSON line per append (`{ n, types, … }`) and, right
 * before a kill, one line `{ n, where, kill: true, runId, types, seqs? }`, so the parent knows
 * what was in flight. When the variable is unset nothing here runs: open() checks it once.
 */
import { appendFileSync } from 'node:fs';
import type { NewEvent, RunEvent } from '../core/events.js';
import type { RunId } from '../core/ids.js';
import type { Fence, LeaseOwner, NewRun } from '../core/ports.js';
import type { SqliteStore } from './store/index.js';

export const CHAOS_KILL_ENV = 'STATEPIPE_CHAOS_KILL';
export const CHAOS_TRACE_ENV = 'STATEPIPE_CHAOS_TRACE';

export const KILL_WHERE = ['before', 'inside', 'after'] as const;
export type KillWhere = (typeof KILL_WHERE)[number];

export interface ChaosSpec {
  /** 1-based index of the append to kill at; undefined: never kill. */
  at?: number;
  where: KillWhere;
  trace?: string;
}

/** One line of the trace file. */
export interface ChaosTraceLine {
  n: number;
  runId: string;
  types: string[];
  kill?: true;
  where?: KillWhere;
  /** Seqs the append was given (`inside`: assigned, then rolled back; `after`: committed). */
  seqs?: [number, number];
}

/** Parses STATEPIPE_CHAOS_KILL; throws on a malformed value (a test harness bug, not a user error). */
export function parseChaosSpec(value: string, trace?: string): ChaosSpec {
  const t = trace !== undefined && trace !== '' ? { trace } : {};
  if (value === 'never') return { where: 'after', ...t };
  const m = /^(\d+):(before|inside|after)$/.exec(value);
  if (!m || Number(m[1]) < 1)
    throw new Error(`${CHAOS_KILL_ENV}=${value}: expected <n>:before|inside|after (n >= 1) or never`);
  return { at: Number(m[1]), where: m[2] as KillWhere, ...t };
}

/** The spec from the environment, or undefined (the normal case: no wrapper at all). */
export function chaosFromEnv(env: NodeJS.ProcessEnv = process.env): ChaosSpec | undefined {
  const v = env[CHAOS_KILL_ENV];
  if (v === undefined || v === '') return undefined;
  return parseChaosSpec(v, env[CHAOS_TRACE_ENV]);
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; this is never reached, but keeps the types honest.
  throw new Error('SIGKILL did not kill the process');
}

/** Wraps `store.append` and `store.createRun` (own properties shadow the prototype's). */
export function installChaos(store: SqliteStore, spec: ChaosSpec): SqliteStore {
  // Kill points count one write at a time: writes are not gathered into shared transactions.
  store.coalesceWrites = false;
  let count = 0;
  const write = (line: ChaosTraceLine): void => {
    if (spec.trace) appendFileSync(spec.trace, JSON.stringify(line) + '\n');
  };
  const range = (events: RunEvent[]): [number, number] | undefined =>
    events.length > 0 ? [events[0]!.seq, events[events.length - 1]!.seq] : undefined;

  function around<T extends RunEvent[]>(runId: string, events: NewEvent[], inner: () => T): T {
    const n = ++count;
    const types = events.map((e) => e.type);
    if (spec.at !== n) {
      const out = inner();
      write({ n, runId, types });
      return out;
    }
    if (spec.where === 'before') {
      write({ n, runId, types, kill: true, where: 'before' });
      die();
    }
    if (spec.where === 'inside') {
      store.db
        .transaction(() => {
          const out = inner();
          const seqs = range(out);
          write({ n, runId, types, kill: true, where: 'inside', ...(seqs ? { seqs } : {}) });
          die();
        })
        .immediate();
    }
    const out = inner();
    const seqs = range(out);
    write({ n, runId, types, kill: true, where: 'after', ...(seqs ? { seqs } : {}) });
    die();
  }

  const append = store.appendNow.bind(store);
  const createRun = store.createRunNow.bind(store);
  Object.defineProperty(store, 'appendNow', {
    value: (runId: RunId, events: NewEvent[], fence: Fence): RunEvent[] =>
      events.length === 0 ? [] : around(runId, events, () => append(runId, events, fence)),
  });
  Object.defineProperty(store, 'createRunNow', {
    value: (run: NewRun, owner?: LeaseOwner): RunEvent[] => around(run.runId, run.events, () => createRun(run, owner)),
  });
  return store;
}
