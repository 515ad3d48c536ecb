/**
 * How many bytes `statepipe export` writes for the events of a database, computed in SQL (a
 * 10-million-row scan in C rather than in JavaScript) and checked against the real export
 * (eventJson) on a sample of runs, so the formula cannot drift from the format.
 */
import type Database from 'better-sqlite3';
import { eventJson } from '../../src/cli/session.js';
import { toEvent } from '../../src/host/store/queries.js';

/**
 * One line `{"seq":S,"runId":"R","ts":"T","type":"Y"[,"nodeId":"N"],"data":D}\n`: 46 bytes of
 * keys and punctuation, 12 more with a node id, plus the values (data as stored: its JSON text).
 */
const LINE_BYTES = `length(CAST(seq AS TEXT)) + length(run_id) + length(ts) + length(type)
  + CASE WHEN node_id IS NULL THEN 0 ELSE 12 + length(CAST(node_id AS BLOB)) END + length(CAST(data AS BLOB)) + 46`;

export function jsonlBytes(db: Database.Database): number {
  const sample = db.prepare('SELECT run_id FROM runs ORDER BY rowid LIMIT 3').pluck().all() as string[];
  for (const runId of sample) {
    const rows = db.prepare('SELECT * FROM events WHERE run_id = ? ORDER BY seq').all(runId) as Record<
      string,
      unknown
    >[];
    const real = rows.reduce((n, r) => n + Buffer.byteLength(eventJson(toEvent(r)) + '\n'), 0);
    const sql = Number(db.prepare(`SELECT sum(${LINE_BYTES}) FROM events WHERE run_id = ?`).pluck().get(runId));
    if (real !== sql) throw new Error(`JSONL size formula: ${sql} bytes for run ${runId}, the export writes ${real}`);
  }
  return Number(db.prepare(`SELECT sum(${LINE_BYTES}) FROM events`).pluck().get());
}
