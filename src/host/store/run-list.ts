/**
 * The dashboard's run list in SQL: one filter (status, graph, free text, creation time, parent run;
 * top-level runs unless `all` or `parentRunId`), one sort, one page, with each run's child counts.
 * At 100 000 runs a page must not read or sort the runs it skips, so each query is planned here
 * rather than left to SQLite's guesses:
 *
 * - A filter that many runs match (≥ MANY, counted on its own index up to MANY) is answered by
 *   walking the sort's index in order (migration 5 puts run id, status, graph and parent run in
 *   every sort index, so the walk reads index entries only) until the page is full.
 * - A filter that few runs match is answered by its own index; free text that few runs match by
 *   the row ids the text index gave (read once, not twice).
 * - Either way the page's row ids come first; then only those rows are read.
 */
import type Database from 'better-sqlite3';
import {
  SORT_COLUMN,
  SUMMARY_COLUMNS,
  THEN_CREATED,
  addChildCounts,
  addDraftFlags,
  isoTime,
  type Row,
} from './rows.js';
import type { ListRunsOptions, RunSummary } from './types.js';

type Stmt = (sql: string) => Database.Statement;

/** A filter matching at least this many runs is answered by walking the sort's index. */
const MANY = 2000;

const statusList = (opts: ListRunsOptions): readonly string[] =>
  opts.status === undefined ? [] : Array.isArray(opts.status) ? opts.status : [opts.status];

/** Free text of 3+ characters goes to the trigram index; shorter text matches the ids only. */
const indexedText = (opts: ListRunsOptions): string | undefined => {
  const text = opts.text?.trim() ?? '';
  return [...text].length >= 3 ? text : undefined;
};

/** Free text as one FTS5 phrase: a substring, whatever its characters. */
const ftsPhrase = (text: string): string => `"${text.replace(/"/g, '""')}"`;

/** A LIKE pattern matching `text` anywhere (its own %, _ and \\ escaped with \\). */
const likeContains = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const ASCII = /^[\x20-\x7e]*$/;

/** How the text filter is applied: by the text index, by the row ids it gave, or not at all. */
type TextTerm = { kind: 'index'; text: string } | { kind: 'ids'; ids: readonly number[] } | undefined;

/**
 * The WHERE clause. With `walk`, the parent, status, graph and text terms are marked (`+`) so SQLite
 * does not drive the query by them: it walks the sort's index and checks them on each entry. With
 * `textLast`, only the text term is marked: another filter's index drives, the text is checked.
 */
function where(
  opts: ListRunsOptions,
  text: TextTerm,
  walk: boolean,
  textLast = walk,
): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const p = walk ? '+' : '';
  // Top-level runs unless asked for every run or for the children of one.
  if (opts.parentRunId !== undefined) {
    clauses.push(`${p}parent_run_id = ?`);
    params.push(opts.parentRunId);
  } else if (opts.all !== true) clauses.push(`${p}parent_run_id IS NULL`);
  const statuses = statusList(opts);
  if (statuses.length > 0) {
    const inList = `${p}status IN (${statuses.map(() => '?').join(', ')})`;
    const dead = opts.interrupted ?? [];
    if (dead.length === 0) {
      clauses.push(inList);
      params.push(...statuses);
    } else {
      // The runs a dead process left read `interrupted`: out of their row's status, in `interrupted`.
      const isDead = `${p}run_id IN (SELECT value FROM json_each(?))`;
      const ids = JSON.stringify(dead);
      const also = statuses.includes('interrupted');
      clauses.push(also ? `((${inList} AND NOT ${isDead}) OR ${isDead})` : `(${inList} AND NOT ${isDead})`);
      params.push(...statuses, ids, ...(also ? [ids] : []));
    }
  }
  if (opts.graphId !== undefined) {
    clauses.push(`${p}graph_id = ?`);
    params.push(opts.graphId);
  }
  if (text?.kind === 'index' && walk && ASCII.test(text.text)) {
    // Walking a sort's index to fill a page, text that many runs contain is checked on each entry
    // against the run's indexed text (a row id lookup and a LIKE: a few µs), where the index term
    // below would first collect every matching row id (40 % of 100 000 runs: tens of ms). LIKE
    // folds the case of ASCII letters as the trigram index does; other text takes the index.
    clauses.push("(SELECT c0 FROM runs_search_content WHERE id = runs.rowid) LIKE ? ESCAPE '\\'");
    params.push(likeContains(text.text));
  } else if (text?.kind === 'index') {
    clauses.push(`${textLast ? '+' : ''}rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?)`);
    params.push(ftsPhrase(text.text));
  } else if (text?.kind === 'ids') {
    clauses.push('rowid IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(text.ids));
  } else if ((opts.text?.trim() ?? '') !== '' && indexedText(opts) === undefined) {
    const like = likeContains(opts.text!.trim());
    clauses.push("(run_id LIKE ? ESCAPE '\\' OR graph_id LIKE ? ESCAPE '\\')");
    params.push(like, like);
  }
  if (opts.from !== undefined) {
    clauses.push('created_at >= ?');
    params.push(isoTime(opts.from, 'from'));
  }
  if (opts.to !== undefined) {
    clauses.push('created_at < ?');
    params.push(isoTime(opts.to, 'to'));
  }
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The text term: the row ids of free text that fewer than MANY runs match, else the text index. */
function textTerm(stmt: Stmt, opts: ListRunsOptions): TextTerm {
  const text = indexedText(opts);
  if (text === undefined) return undefined;
  const ids = stmt(`SELECT rowid FROM runs_search WHERE runs_search MATCH ? LIMIT ${MANY}`)
    .pluck()
    .all(ftsPhrase(text)) as number[];
  return ids.length < MANY ? { kind: 'ids', ids } : { kind: 'index', text };
}

/** Whether the filters other than free text match at least MANY runs (or there are none). */
function othersMatchMany(stmt: Stmt, opts: ListRunsOptions): boolean {
  const others = where({ ...opts, text: indexedText(opts) === undefined ? opts.text : undefined }, undefined, false);
  if (others.sql === '') return true;
  const n = stmt(`SELECT count(*) FROM (SELECT 1 FROM runs${others.sql} LIMIT ${MANY})`)
    .pluck()
    .get(...others.params);
  return Number(n) >= MANY;
}

/** The summary rows of one page of runs. */
export function listRunRows(stmt: Stmt, opts: ListRunsOptions): Row[] {
  const text = textTerm(stmt, opts);
  const walk = text?.kind !== 'ids' && othersMatchMany(stmt, opts);
  const { sql, params } = where(opts, text, walk);
  const col = SORT_COLUMN[opts.sort ?? 'created'] ?? 'created_at';
  const dir = opts.order === 'asc' ? 'ASC' : 'DESC';
  const limit = Math.max(0, Math.floor(opts.limit ?? 50));
  const offset = Math.max(0, Math.floor(opts.offset ?? 0));
  const then = THEN_CREATED.has(opts.sort ?? 'created') ? ` created_at ${dir},` : '';
  const order = `${col} ${dir},${then} run_id ${dir}`;
  const q = `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE rowid IN
    (SELECT rowid FROM runs${sql} ORDER BY ${order} LIMIT ? OFFSET ?) ORDER BY ${order}`;
  return stmt(q).all(...params, limit, offset) as Row[];
}

/** How many runs match (limit, offset and sort ignored). */
export function countRunRows(stmt: Stmt, opts: ListRunsOptions): number {
  const text = textTerm(stmt, opts);
  const textOnly =
    text !== undefined &&
    opts.parentRunId === undefined &&
    where({ ...opts, text: undefined, all: true }, undefined, false).sql === '';
  // Free text alone: the text index holds one row per run, so it counts them by itself.
  if (textOnly && opts.all === true && text.kind === 'ids') return text.ids.length;
  if (textOnly && text.kind === 'index') {
    const phrase = ftsPhrase(text.text);
    const matches = Number(stmt('SELECT count(*) FROM runs_search WHERE runs_search MATCH ?').pluck().get(phrase));
    if (opts.all === true) return matches;
    // Top-level runs: the matches less the child runs among them, while there are few child runs
    // (their index is walked instead of every top-level run's entry).
    const children = Number(
      stmt(`SELECT count(*) FROM (SELECT 1 FROM runs WHERE parent_run_id IS NOT NULL LIMIT ${MANY})`).pluck().get(),
    );
    if (children === 0) return matches;
    if (children < MANY) {
      const sql = `SELECT count(*) FROM runs WHERE parent_run_id IS NOT NULL
        AND +rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?)`;
      return matches - Number(stmt(sql).pluck().get(phrase));
    }
  }
  // With other filters, many text matches are checked on the entries of the other filter's index.
  const { sql, params } = where(opts, text, false, true);
  return Number(
    stmt(`SELECT count(*) FROM runs${sql}`)
      .pluck()
      .get(...params),
  );
}

/** The runs with their child runs counted by status (only runs that have children get `children`). */
export function withChildCounts(stmt: Stmt, runs: RunSummary[]): RunSummary[] {
  if (runs.length === 0) return runs;
  // One statement for every page size (the ids as a JSON array); runs_by_parent answers it alone.
  const rows = stmt(
    `SELECT parent_run_id AS parent, status, count(*) AS n FROM runs
     WHERE parent_run_id IN (SELECT value FROM json_each(?)) GROUP BY parent_run_id, status`,
  ).all(JSON.stringify(runs.map((r) => r.runId))) as Row[];
  addChildCounts(runs, rows);
  // Whether each run's graph version is a saved one (the primary key of graph_versions answers it).
  const versions = stmt(
    `SELECT graph_id, version, saved FROM graph_versions
     WHERE (graph_id, version) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
  ).all(JSON.stringify(runs.map((r) => [r.graphId, r.graphVersion]))) as Row[];
  addDraftFlags(runs, versions);
  return runs;
}
