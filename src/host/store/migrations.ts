/**
 * Versioned schema migrations. `PRAGMA user_version` holds the number of migrations applied;
 * `PRAGMA application_id` marks the file as a statepipe database. Each migration runs in its
 * own BEGIN IMMEDIATE transaction and re-checks the version inside it, so two processes that
 * open a fresh file at the same moment migrate it exactly once.
 */
import type Database from 'better-sqlite3';

/** "stpp": written into the SQLite header so other tools (and we) can tell the file is ours. */
export const STATEPIPE_APPLICATION_ID = 0x73747070;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: /* sql */ `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE graphs (
        graph_id       TEXT PRIMARY KEY,
        name           TEXT,
        latest_version INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
      );

      CREATE TABLE graph_versions (
        graph_id   TEXT NOT NULL REFERENCES graphs(graph_id) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        hash       TEXT NOT NULL,
        json       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (graph_id, version),
        UNIQUE (graph_id, hash)
      );

      CREATE TABLE runs (
        run_id              TEXT PRIMARY KEY,
        graph_id            TEXT NOT NULL,
        graph_version       INTEGER NOT NULL,
        graph_hash          TEXT NOT NULL,
        status              TEXT NOT NULL,
        input               TEXT,
        result              TEXT,
        error               TEXT,
        error_node_id       TEXT,
        created_at          TEXT NOT NULL,
        started_at          TEXT,
        finished_at         TEXT,
        duration_ms         INTEGER,
        tokens              INTEGER NOT NULL DEFAULT 0,
        input_tokens        INTEGER NOT NULL DEFAULT 0,
        output_tokens       INTEGER NOT NULL DEFAULT 0,
        cost_usd            REAL NOT NULL DEFAULT 0,
        last_seq            INTEGER NOT NULL DEFAULT 0,
        owner_id            TEXT,
        owner_pid           INTEGER,
        owner_host          TEXT,
        lease_expires_at    INTEGER,
        parent_run_id       TEXT,
        rerun_from_node     TEXT,
        compensated         INTEGER,
        compensation_failed TEXT,
        FOREIGN KEY (graph_id, graph_version) REFERENCES graph_versions(graph_id, version)
      );
      CREATE INDEX runs_created  ON runs(created_at);
      CREATE INDEX runs_status   ON runs(status, created_at);
      CREATE INDEX runs_graph    ON runs(graph_id, created_at);
      CREATE INDEX runs_started  ON runs(started_at);
      CREATE INDEX runs_cost     ON runs(cost_usd);
      CREATE INDEX runs_tokens   ON runs(tokens);
      CREATE INDEX runs_duration ON runs(duration_ms);
      CREATE INDEX runs_parent   ON runs(parent_run_id) WHERE parent_run_id IS NOT NULL;

      CREATE TABLE events (
        run_id  TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        ts      TEXT NOT NULL,
        type    TEXT NOT NULL,
        node_id TEXT,
        data    TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );

      CREATE TABLE node_states (
        run_id             TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        node_id            TEXT NOT NULL,
        status             TEXT NOT NULL,
        attempt            INTEGER NOT NULL DEFAULT 0,
        output             TEXT,
        error              TEXT,
        detail             TEXT,
        started_at         TEXT,
        finished_at        TEXT,
        tokens             INTEGER NOT NULL DEFAULT 0,
        cost_usd           REAL NOT NULL DEFAULT 0,
        compensation       TEXT,
        compensation_error TEXT,
        updated_seq        INTEGER NOT NULL,
        PRIMARY KEY (run_id, node_id)
      ) WITHOUT ROWID;

      CREATE TABLE node_attempts (
        run_id          TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        node_id         TEXT NOT NULL,
        attempt         INTEGER NOT NULL,
        status          TEXT NOT NULL,
        idempotency_key TEXT,
        started_at      TEXT,
        finished_at     TEXT,
        duration_ms     INTEGER,
        error           TEXT,
        input_tokens    INTEGER NOT NULL DEFAULT 0,
        output_tokens   INTEGER NOT NULL DEFAULT 0,
        cost_usd        REAL NOT NULL DEFAULT 0,
        model           TEXT,
        PRIMARY KEY (run_id, node_id, attempt)
      ) WITHOUT ROWID;
      CREATE INDEX node_attempts_model ON node_attempts(model) WHERE model IS NOT NULL;

      CREATE TABLE approvals (
        id            INTEGER PRIMARY KEY,
        run_id        TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        node_id       TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('open', 'granted', 'rejected')),
        title         TEXT NOT NULL,
        details       TEXT,
        requested_at  TEXT NOT NULL,
        requested_seq INTEGER NOT NULL,
        decided_at    TEXT,
        decided_by    TEXT,
        comment       TEXT,
        data          TEXT
      );
      CREATE INDEX approvals_run  ON approvals(run_id, node_id);
      CREATE INDEX approvals_open ON approvals(requested_at) WHERE status = 'open';

      CREATE TABLE stream_chunks (
        run_id  TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        node_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        text    TEXT NOT NULL,
        PRIMARY KEY (run_id, node_id, attempt, seq)
      ) WITHOUT ROWID;

      CREATE TABLE controls (
        id         INTEGER PRIMARY KEY,
        run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('pause', 'cancel')),
        created_at TEXT NOT NULL
      );
      CREATE INDEX controls_run ON controls(run_id, id);
    `,
  },
  {
    version: 2,
    name: 'run search (dashboard free text)',
    // A trigram FTS5 index over each run's ids, input, result and error: the dashboard's free
    // text is a substring search that an index answers (LIKE '%…%' on the JSON would scan).
    // Keyed by the runs rowid (stable: no INTEGER PRIMARY KEY alias, and VACUUM keeps rowids),
    // kept in step by triggers so every writer (CLI, desktop, web host) maintains it.
    sql: /* sql */ `
      CREATE VIRTUAL TABLE runs_search USING fts5(text, tokenize = 'trigram');
      INSERT INTO runs_search (rowid, text)
        SELECT rowid, run_id || ' ' || graph_id || ' ' || coalesce(input, '') || ' ' || coalesce(result, '') || ' ' || coalesce(error, '') FROM runs;
      CREATE TRIGGER runs_search_insert AFTER INSERT ON runs BEGIN
        INSERT INTO runs_search (rowid, text)
          VALUES (new.rowid, new.run_id || ' ' || new.graph_id || ' ' || coalesce(new.input, '') || ' ' || coalesce(new.result, '') || ' ' || coalesce(new.error, ''));
      END;
      CREATE TRIGGER runs_search_update AFTER UPDATE OF input, result, error ON runs BEGIN
        UPDATE runs_search
          SET text = new.run_id || ' ' || new.graph_id || ' ' || coalesce(new.input, '') || ' ' || coalesce(new.result, '') || ' ' || coalesce(new.error, '')
          WHERE rowid = new.rowid;
      END;
      CREATE TRIGGER runs_search_delete AFTER DELETE ON runs BEGIN
        DELETE FROM runs_search WHERE rowid = old.rowid;
      END;
    `,
  },
  {
    version: 3,
    name: 'idempotency keys of started runs (web host POST /api/runs)',
    // A key seen before answers with the run it started, never a second run.
    sql: /* sql */ `
      CREATE TABLE run_keys (
        key        TEXT PRIMARY KEY,
        run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
      );
      CREATE INDEX run_keys_run ON run_keys(run_id);
    `,
  },
  {
    version: 4,
    name: 'the request an idempotency key was first used with',
    // A hash of the canonical request (graph + input): the same key with a different request is
    // refused (422) instead of answering with a run of another graph or input. Keys written
    // before this migration have none and are taken as matching.
    sql: /* sql */ `
      ALTER TABLE run_keys ADD COLUMN request_hash TEXT;
    `,
  },
  {
    version: 5,
    name: 'dashboard indexes that answer a page without touching the runs they skip',
    // Each sort's index carries run_id (the tie-break, so no sort step) and the filtered columns
    // (status, graph, creation time, parent run), so a page of a filter that many runs match is
    // found by walking one index in order and reading only the page's rows (run-list.ts). The
    // status and graph indexes, for filters that few runs match, carry the same; the parent's
    // index (children of a run: subgraph, map and loop) carries what a child list and the child
    // counts by status need. At 100 000 runs a deep page or a common filter under any sort no
    // longer reads or sorts tens of thousands of rows.
    sql: /* sql */ `
      DROP INDEX IF EXISTS runs_created;
      DROP INDEX IF EXISTS runs_started;
      DROP INDEX IF EXISTS runs_cost;
      DROP INDEX IF EXISTS runs_tokens;
      DROP INDEX IF EXISTS runs_duration;
      DROP INDEX IF EXISTS runs_status;
      DROP INDEX IF EXISTS runs_graph;
      DROP INDEX IF EXISTS runs_parent;
      CREATE INDEX runs_by_created  ON runs(created_at, run_id, status, graph_id, parent_run_id);
      CREATE INDEX runs_by_started  ON runs(started_at, run_id, status, graph_id, created_at, parent_run_id);
      CREATE INDEX runs_by_cost     ON runs(cost_usd, run_id, status, graph_id, created_at, parent_run_id);
      CREATE INDEX runs_by_tokens   ON runs(tokens, run_id, status, graph_id, created_at, parent_run_id);
      CREATE INDEX runs_by_duration ON runs(duration_ms, run_id, status, graph_id, created_at, parent_run_id);
      CREATE INDEX runs_by_status   ON runs(status, created_at, run_id, graph_id, parent_run_id);
      CREATE INDEX runs_by_graph    ON runs(graph_id, created_at, run_id, status, parent_run_id);
      CREATE INDEX runs_by_parent   ON runs(parent_run_id, status, created_at, run_id, graph_id)
        WHERE parent_run_id IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: 'lease epochs (fenced appends)',
    // Every acquisition of a run's lease takes a new epoch; an append names the epoch it holds
    // and the seq it follows, so a process that lost its lease can never write to the run again.
    sql: /* sql */ `
      ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    name: 'child runs (subgraph, map, loop)',
    // parent_run_id now names the run whose composition node started this one (with the node and
    // the child's key there); the run a rerun copied from moves to rerun_of. Lists show top-level
    // runs by default: a partial index keeps that as fast as before.
    sql: /* sql */ `
      ALTER TABLE runs ADD COLUMN rerun_of TEXT;
      UPDATE runs SET rerun_of = parent_run_id, parent_run_id = NULL WHERE rerun_from_node IS NOT NULL;
      ALTER TABLE runs ADD COLUMN parent_node_id TEXT;
      ALTER TABLE runs ADD COLUMN child_key INTEGER;
      CREATE INDEX runs_top ON runs(created_at) WHERE parent_run_id IS NULL;
    `,
  },
  {
    version: 8,
    name: 'saved graph versions apart from run snapshots (drafts run from the studio)',
    // A run keeps the snapshot it ran as a graph version (runs reference it), but a draft run
    // from the studio is not a saved version: it stays out of the graph list and the history.
    // Versions stored before this migration were all saved ones.
    sql: /* sql */ `
      ALTER TABLE graph_versions ADD COLUMN saved INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 9,
    name: 'appends write the events, and the run row only when it changes',
    // Node states and attempts were projections kept in step inside every append, and every
    // append rewrote the run's row for its last seq: of the eight WAL pages a commit of an
    // effectful node wrote, five. The events hold all of it: node rows are folded from them when
    // read (node-rows.ts, the same plan), and a run's last seq is the largest of its events'
    // (the events' primary key finds it).
    sql: /* sql */ `
      DROP INDEX IF EXISTS node_attempts_model;
      DROP TABLE IF EXISTS node_attempts;
      DROP TABLE IF EXISTS node_states;
      ALTER TABLE runs DROP COLUMN last_seq;
    `,
  },
  {
    version: 10,
    name: 'resume controls (a paused run another process drives goes on)',
    // SQLite cannot change a CHECK constraint: the table is made again with the pending requests.
    sql: /* sql */ `
      CREATE TABLE controls_v10 (
        id         INTEGER PRIMARY KEY,
        run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('pause', 'cancel', 'resume')),
        created_at TEXT NOT NULL
      );
      INSERT INTO controls_v10 (id, run_id, kind, created_at) SELECT id, run_id, kind, created_at FROM controls;
      DROP TABLE controls;
      ALTER TABLE controls_v10 RENAME TO controls;
      CREATE INDEX controls_run ON controls(run_id, id);
    `,
  },
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length === 0 ? 0 : MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function userVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Applies every migration newer than the file's `user_version`. Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  // Up to date (every open but the first): no write lock taken, so opening never waits on a writer.
  if (userVersion(db) >= (migrations[migrations.length - 1]?.version ?? 0)) return applied;
  for (const m of migrations) {
    const step = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (userVersion(db) >= m.version) return false;
      db.exec(m.sql);
      if (m.version === 1) {
        db.pragma(`application_id = ${STATEPIPE_APPLICATION_ID}`);
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('app', 'statepipe');
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
          'created_at',
          new Date().toISOString(),
        );
      }
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    if (step.immediate()) applied.push(m.version);
  }
  return applied;
}
