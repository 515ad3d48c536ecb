/**
 * The physical limit: raw better-sqlite3, one BEGIN IMMEDIATE transaction per INSERT of one
 * event-sized row, under the pragmas the store uses (WAL, same synchronous, busy timeout,
 * foreign keys), as many transactions as the engine committed for the same graph.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RawResult, Reps, Sync } from './cases.js';
import { latency, median, repeat } from './stats.js';

const DATA = JSON.stringify({ attempt: 1, durationMs: 0, output: 'n123' });

export async function rawCase(spec: { sync: Sync; txns: number; reps: Reps; dir: string }): Promise<RawResult> {
  const db = new Database(path.join(spec.dir, `raw-${spec.sync}.db`), { timeout: 5000 });
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`synchronous = ${spec.sync}`);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, type TEXT NOT NULL,
    node_id TEXT, data TEXT NOT NULL, PRIMARY KEY (run_id, seq))`);
  const insert = db.prepare('INSERT INTO events (run_id, seq, ts, type, node_id, data) VALUES (?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((run: string, seq: number) => {
    insert.run(run, seq, new Date().toISOString(), 'node.succeeded', `n${seq}`, DATA);
  });

  let runNo = 0;
  const once = (n: number, samples?: number[]): number => {
    const run = `run_${runNo++}`;
    const t0 = performance.now();
    for (let i = 1; i <= n; i++) {
      const s = samples ? performance.now() : 0;
      tx.immediate(run, i);
      if (samples) samples.push(performance.now() - s);
    }
    return performance.now() - t0;
  };

  once(Math.min(500, spec.txns));
  const walls: number[] = [];
  const samples: number[] = [];
  const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async () => {
    walls.push(once(spec.txns, samples));
  });
  db.close();
  return {
    kind: 'raw',
    sync: spec.sync,
    txns: spec.txns,
    reps,
    usPerTxn: (median(walls) * 1000) / spec.txns,
    commit: latency(samples),
  };
}
