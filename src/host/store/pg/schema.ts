/**
 * The PostgreSQL schema: everything lives in the `statepipe` schema of the database named by the
 * URL, so a database shared with other applications is fine. `statepipe.migrations` lists the
 * migrations applied and `statepipe.meta` says the schema is statepipe's. The tables and their
 * rows are those of the SQLite store (migrations.ts), with PostgreSQL types: times are
 * timestamptz, JSON is text exactly as written (jsonb would reorder keys and refuse `\u0000`),
 * ids sort bytewise (COLLATE "C", as SQLite does). See docs/scale-out.md "Schema and migrations".
 */

import { RATE_LIMITS_V5 } from './rate-window.js';
import { CREATE_RUN_V2, FUNCTIONS, GRAPH_VERSION_V4, PROJECT_V3 } from './schema-functions.js';

export interface PgMigration {
  version: number;
  name: string;
  /** SQL text; `@trgm@` stands for the schema pg_trgm is installed in. */
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql:
      /* sql */ `
      CREATE TABLE statepipe.graphs (
        graph_id       text COLLATE "C" PRIMARY KEY,
        name           text,
        latest_version integer NOT NULL,
        created_at     timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL
      );

      CREATE TABLE statepipe.graph_versions (
        graph_id   text COLLATE "C" NOT NULL REFERENCES statepipe.graphs ON DELETE CASCADE,
        version    integer NOT NULL,
        hash       text NOT NULL,
        json       text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (graph_id, version),
        UNIQUE (graph_id, hash)
      );

      -- fillfactor: most appends only move last_seq, an update PostgreSQL keeps on the page (HOT).
      CREATE TABLE statepipe.runs (
        run_id              text COLLATE "C" PRIMARY KEY,
        graph_id            text COLLATE "C" NOT NULL,
        graph_version       integer NOT NULL,
        graph_hash          text NOT NULL,
        status              text COLLATE "C" NOT NULL,
        input               text,
        result              text,
        error               text,
        error_node_id       text,
        created_at          timestamptz NOT NULL,
        started_at          timestamptz,
        finished_at         timestamptz,
        duration_ms         bigint,
        tokens              bigint NOT NULL DEFAULT 0,
        input_tokens        bigint NOT NULL DEFAULT 0,
        output_tokens       bigint NOT NULL DEFAULT 0,
        cost_usd            double precision NOT NULL DEFAULT 0,
        last_seq            bigint NOT NULL DEFAULT 0,
        lease_epoch         bigint NOT NULL DEFAULT 0,
        owner_id            text,
        owner_pid           integer,
        owner_host          text,
        lease_expires_at    bigint,
        parent_run_id       text COLLATE "C",
        rerun_from_node     text,
        compensated         boolean,
        compensation_failed text,
        FOREIGN KEY (graph_id, graph_version) REFERENCES statepipe.graph_versions (graph_id, version)
      ) WITH (fillfactor = 80);
      -- One index per dashboard sort, ending in run_id (the tie-break): a page is an index walk.
      -- NULLS FIRST in ascending order is SQLite's order; scanned backwards it gives DESC NULLS LAST.
      CREATE INDEX runs_created  ON statepipe.runs (created_at NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_status   ON statepipe.runs (status NULLS FIRST, created_at NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_graph    ON statepipe.runs (graph_id NULLS FIRST, created_at NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_started  ON statepipe.runs (started_at NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_cost     ON statepipe.runs (cost_usd NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_tokens   ON statepipe.runs (tokens NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_duration ON statepipe.runs (duration_ms NULLS FIRST, run_id NULLS FIRST);
      CREATE INDEX runs_parent   ON statepipe.runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

      -- xid: the writing transaction, for the store-wide cursor (eventsAfterCursor).
      CREATE TABLE statepipe.events (
        run_id  text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        seq     bigint NOT NULL,
        ts      timestamptz NOT NULL,
        type    text COLLATE "C" NOT NULL,
        node_id text COLLATE "C",
        data    text NOT NULL,
        xid     bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
        PRIMARY KEY (run_id, seq)
      );
      CREATE INDEX events_xid ON statepipe.events (xid);

      CREATE TABLE statepipe.node_states (
        run_id             text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        node_id            text COLLATE "C" NOT NULL,
        status             text NOT NULL,
        attempt            integer NOT NULL DEFAULT 0,
        output             text,
        error              text,
        detail             text,
        started_at         timestamptz,
        finished_at        timestamptz,
        tokens             bigint NOT NULL DEFAULT 0,
        cost_usd           double precision NOT NULL DEFAULT 0,
        compensation       text,
        compensation_error text,
        updated_seq        bigint NOT NULL,
        PRIMARY KEY (run_id, node_id)
      );

      CREATE TABLE statepipe.node_attempts (
        run_id          text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        node_id         text COLLATE "C" NOT NULL,
        attempt         integer NOT NULL,
        status          text NOT NULL,
        idempotency_key text,
        started_at      timestamptz,
        finished_at     timestamptz,
        duration_ms     bigint,
        error           text,
        input_tokens    bigint NOT NULL DEFAULT 0,
        output_tokens   bigint NOT NULL DEFAULT 0,
        cost_usd        double precision NOT NULL DEFAULT 0,
        model           text,
        PRIMARY KEY (run_id, node_id, attempt)
      );
      CREATE INDEX node_attempts_model ON statepipe.node_attempts (model) WHERE model IS NOT NULL;

      CREATE TABLE statepipe.approvals (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id        text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        node_id       text COLLATE "C" NOT NULL,
        status        text NOT NULL CHECK (status IN ('open', 'granted', 'rejected')),
        title         text NOT NULL,
        details       text,
        requested_at  timestamptz NOT NULL,
        requested_seq bigint NOT NULL,
        decided_at    timestamptz,
        decided_by    text,
        comment       text,
        data          text
      );
      CREATE INDEX approvals_run  ON statepipe.approvals (run_id, node_id);
      CREATE INDEX approvals_open ON statepipe.approvals (requested_at, id) WHERE status = 'open';

      CREATE TABLE statepipe.stream_chunks (
        run_id  text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        node_id text COLLATE "C" NOT NULL,
        attempt integer NOT NULL,
        seq     bigint NOT NULL,
        text    text NOT NULL,
        PRIMARY KEY (run_id, node_id, attempt, seq)
      );

      CREATE TABLE statepipe.controls (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id     text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        kind       text NOT NULL CHECK (kind IN ('pause', 'cancel')),
        created_at timestamptz NOT NULL
      );
      CREATE INDEX controls_run ON statepipe.controls (run_id, id);

      -- Idempotency keys of started runs: unique in the database, so across machines.
      CREATE TABLE statepipe.run_keys (
        key        text COLLATE "C" PRIMARY KEY,
        run_id     text COLLATE "C" NOT NULL REFERENCES statepipe.runs ON DELETE CASCADE,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX run_keys_run ON statepipe.run_keys (run_id);

      -- The dashboard's free text: a trigram index over each run's ids, input, result and error,
      -- in a table of its own so that the frequent updates of a run's counters never touch it.
      CREATE TABLE statepipe.run_search (
        run_id text COLLATE "C" PRIMARY KEY REFERENCES statepipe.runs ON DELETE CASCADE,
        text   text NOT NULL
      );
      CREATE INDEX run_search_text ON statepipe.run_search USING gin (text @trgm@.gin_trgm_ops);
      CREATE FUNCTION statepipe.run_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO statepipe.run_search (run_id, text)
          VALUES (NEW.run_id, NEW.run_id || ' ' || NEW.graph_id || ' ' || coalesce(NEW.input, '') || ' ' ||
                  coalesce(NEW.result, '') || ' ' || coalesce(NEW.error, ''))
          ON CONFLICT (run_id) DO UPDATE SET text = excluded.text;
        RETURN NULL;
      END $$;
      CREATE TRIGGER runs_search AFTER INSERT OR UPDATE OF input, result, error ON statepipe.runs
        FOR EACH ROW EXECUTE FUNCTION statepipe.run_search_sync();
    ` + FUNCTIONS,
  },
  {
    version: 2,
    name: 'child runs (subgraph, map, loop) and request hashes of idempotency keys',
    // As SQLite's migrations 4 and 7: parent_run_id now names the run whose composition node
    // started this one (with the node and the child's key there); the run a rerun copied from
    // moves to rerun_of. Lists show top-level runs by default, so the dashboard's sort indexes
    // keep only those (a map's thousands of children never slow its pages, nor are they written
    // there); runs_created keeps every run (`list --all`, newest first), and runs_children lists
    // and counts a run's children (status included: counting reads the index alone).
    sql:
      /* sql */ `
      ALTER TABLE statepipe.runs ADD COLUMN rerun_of text COLLATE "C";
      UPDATE statepipe.runs SET rerun_of = parent_run_id, parent_run_id = NULL WHERE rerun_from_node IS NOT NULL;
      ALTER TABLE statepipe.runs ADD COLUMN parent_node_id text COLLATE "C";
      ALTER TABLE statepipe.runs ADD COLUMN child_key integer;
      DROP INDEX statepipe.runs_status, statepipe.runs_graph, statepipe.runs_started, statepipe.runs_cost,
        statepipe.runs_tokens, statepipe.runs_duration, statepipe.runs_parent;
      CREATE INDEX runs_top      ON statepipe.runs (created_at NULLS FIRST, run_id NULLS FIRST) WHERE parent_run_id IS NULL;
      CREATE INDEX runs_status   ON statepipe.runs (status NULLS FIRST, created_at NULLS FIRST, run_id NULLS FIRST)
        WHERE parent_run_id IS NULL;
      CREATE INDEX runs_graph    ON statepipe.runs (graph_id NULLS FIRST, created_at NULLS FIRST, run_id NULLS FIRST)
        WHERE parent_run_id IS NULL;
      CREATE INDEX runs_started  ON statepipe.runs (started_at NULLS FIRST, run_id NULLS FIRST) WHERE parent_run_id IS NULL;
      CREATE INDEX runs_cost     ON statepipe.runs (cost_usd NULLS FIRST, run_id NULLS FIRST) WHERE parent_run_id IS NULL;
      CREATE INDEX runs_tokens   ON statepipe.runs (tokens NULLS FIRST, run_id NULLS FIRST) WHERE parent_run_id IS NULL;
      CREATE INDEX runs_duration ON statepipe.runs (duration_ms NULLS FIRST, run_id NULLS FIRST) WHERE parent_run_id IS NULL;
      CREATE INDEX runs_children ON statepipe.runs (parent_run_id, created_at NULLS FIRST, run_id NULLS FIRST)
        INCLUDE (status) WHERE parent_run_id IS NOT NULL;
      -- The hash of the request a key was first used with: the same key with another request is
      -- refused. Keys written before have none and are taken as matching.
      ALTER TABLE statepipe.run_keys ADD COLUMN request_hash text;
    ` + CREATE_RUN_V2,
  },
  {
    version: 3,
    name: 'a retried run clears its end',
    // As SQLite's projection of run.retried: a failed run whose node is retried runs again, so a
    // crash during the retry shows it interrupted (not failed with its old error).
    sql: PROJECT_V3,
  },
  {
    version: 4,
    name: 'saved graph versions apart from run snapshots (drafts run from the studio)',
    sql: GRAPH_VERSION_V4,
  },
  {
    version: 5,
    name: 'provider rate limits shared by every process on the database',
    sql: RATE_LIMITS_V5,
  },
  {
    version: 6,
    name: 'resume controls (a paused run another process drives goes on)',
    sql: /* sql */ `
      ALTER TABLE statepipe.controls DROP CONSTRAINT controls_kind_check;
      ALTER TABLE statepipe.controls ADD CONSTRAINT controls_kind_check CHECK (kind IN ('pause', 'cancel', 'resume'));
    `,
  },
];

/** The schema version this code writes and understands. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/** Key of the advisory lock held while migrating ("stpp"): one migrator at a time per database. */
export const MIGRATE_LOCK = 0x73747070;

/** The oldest server with what the store uses (pg_current_xact_id, pg_snapshot_xmin). */
export const MIN_SERVER_VERSION = 130000;

/**
 * Notification channel of control requests; the payload is the run id, or `queue:<name>` when
 * a run was nudged in that queue (the idle workers of that queue claim at once, not at their poll).
 */
export const CONTROL_CHANNEL = 'statepipe_controls';

/**
 * Notification channel of a run's status changed without an event (a started run handed to the
 * workers reads `queued`, and `running` again once one takes it: hand-off.ts); the payload is the
 * run id. The web host's feed LISTENs on it.
 */
export const STATUS_CHANNEL = 'statepipe_runs';

/** The payload on CONTROL_CHANNEL that says a run waits in `queue` (run ids cannot look like it). */
export const queueNudgeKey = (queue: string): string => `queue:${queue}`;
