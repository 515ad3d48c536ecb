/**
 * The server-side half of the writes (schema version 1, create_run since version 2): an append is ONE statement,
 * `SELECT statepipe.append(…)`, prepared once per connection, whose PL/pgSQL runs the fence, the
 * events and the projections with plans it caches: one round trip and no SQL to parse per
 * append. The client works out what each event projects (batch.ts, with the meaning of
 * projections.ts) and sends it as parallel arrays of operations, applied here in order.
 */

/** Arrays of the events of a batch, then of its operations (one element per operation). */
const BATCH_ARGS = `e_type text[], e_node text[], e_data text[],
    o_kind text[], o_node text[], o_status text[], o_attempt integer[], o_t1 text[], o_t2 text[], o_t3 text[],
    o_n1 bigint[], o_n2 bigint[], o_n3 bigint[], o_f1 double precision[], o_seq bigint[]`;
const BATCH_VALUES = `e_type, e_node, e_data, o_kind, o_node, o_status, o_attempt, o_t1, o_t2, o_t3,
    o_n1, o_n2, o_n3, o_f1, o_seq`;

/** The projection function (`CREATE` in migration 1, `CREATE OR REPLACE` when a later one extends it). */
function project(verb: 'CREATE' | 'CREATE OR REPLACE'): string {
  return /* sql */ `
  -- The events of a batch (numbered from p_first) and its projections, operation by operation.
  ${verb} FUNCTION statepipe.project(p_run text, p_first bigint, p_ts timestamptz, ${BATCH_ARGS})
    RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO statepipe.events (run_id, seq, ts, type, node_id, data)
      SELECT p_run, p_first + u.i - 1, p_ts, u.t, u.n, u.d FROM unnest(e_type, e_node, e_data) WITH ORDINALITY AS u(t, n, d, i);
    FOR i IN 1 .. coalesce(array_length(o_kind, 1), 0) LOOP
      CASE o_kind[i]
      WHEN 'node' THEN -- a node's status (attempt and error kept unless given: o_t1)
        INSERT INTO statepipe.node_states AS s (run_id, node_id, status, attempt, updated_seq)
          VALUES (p_run, o_node[i], o_status[i], coalesce(o_attempt[i], 0), o_seq[i])
          ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status,
            attempt = coalesce(o_attempt[i], s.attempt), error = coalesce(o_t1[i], s.error),
            updated_seq = excluded.updated_seq;
      WHEN 'started' THEN -- o_t1 detail, o_t2 idempotency key
        INSERT INTO statepipe.node_states AS s (run_id, node_id, status, attempt, detail, started_at, updated_seq)
          VALUES (p_run, o_node[i], 'running', o_attempt[i], o_t1[i], p_ts, o_seq[i])
          ON CONFLICT (run_id, node_id) DO UPDATE SET status = 'running', attempt = excluded.attempt,
            detail = excluded.detail, started_at = coalesce(s.started_at, excluded.started_at),
            finished_at = NULL, updated_seq = excluded.updated_seq;
        INSERT INTO statepipe.node_attempts (run_id, node_id, attempt, status, idempotency_key, started_at)
          VALUES (p_run, o_node[i], o_attempt[i], 'running', o_t2[i], p_ts)
          ON CONFLICT (run_id, node_id, attempt) DO UPDATE SET status = 'running', finished_at = NULL,
            duration_ms = NULL, error = NULL;
      WHEN 'end' THEN -- a node's end: o_t1 output, o_t2 error, o_t3 detail, o_n1 tokens, o_f1 cost
        INSERT INTO statepipe.node_states AS s (run_id, node_id, status, attempt, output, error, detail,
            finished_at, tokens, cost_usd, updated_seq)
          VALUES (p_run, o_node[i], o_status[i], coalesce(o_attempt[i], 0), o_t1[i], o_t2[i], o_t3[i], p_ts,
            o_n1[i], o_f1[i], o_seq[i])
          ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status,
            attempt = coalesce(o_attempt[i], s.attempt), output = excluded.output, error = excluded.error,
            detail = coalesce(excluded.detail, s.detail), finished_at = excluded.finished_at,
            tokens = s.tokens + excluded.tokens, cost_usd = s.cost_usd + excluded.cost_usd,
            updated_seq = excluded.updated_seq;
      WHEN 'attempt' THEN -- an attempt's end: o_t1 model, o_t2 error, o_n1/o_n2 tokens in/out, o_n3 duration, o_f1 cost
        INSERT INTO statepipe.node_attempts AS a (run_id, node_id, attempt, status, finished_at, duration_ms, error,
            input_tokens, output_tokens, cost_usd, model)
          VALUES (p_run, o_node[i], o_attempt[i], o_status[i], p_ts, o_n3[i], o_t2[i], o_n1[i], o_n2[i], o_f1[i], o_t1[i])
          ON CONFLICT (run_id, node_id, attempt) DO UPDATE SET status = excluded.status,
            finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, error = excluded.error,
            input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
            cost_usd = excluded.cost_usd, model = coalesce(excluded.model, a.model);
      WHEN 'stop' THEN -- ends whatever attempt of the node is still running: o_t2 error
        UPDATE statepipe.node_attempts SET status = o_status[i], error = coalesce(o_t2[i], error), finished_at = p_ts,
            duration_ms = round(extract(epoch FROM (p_ts - started_at)) * 1000)::bigint
          WHERE run_id = p_run AND node_id = o_node[i] AND status = 'running';
      WHEN 'chunk' THEN -- o_t1 the streamed text
        INSERT INTO statepipe.stream_chunks (run_id, node_id, attempt, seq, text)
          VALUES (p_run, o_node[i], o_attempt[i], o_seq[i], o_t1[i]);
      WHEN 'approval' THEN -- o_t1 title, o_t2 details
        INSERT INTO statepipe.approvals (run_id, node_id, status, title, details, requested_at, requested_seq)
          VALUES (p_run, o_node[i], 'open', o_t1[i], o_t2[i], p_ts, o_seq[i]);
      WHEN 'decision' THEN -- o_t1 by, o_t2 comment, o_t3 data
        UPDATE statepipe.approvals SET status = o_status[i], decided_at = p_ts, decided_by = o_t1[i],
            comment = o_t2[i], data = o_t3[i]
          WHERE run_id = p_run AND node_id = o_node[i] AND status = 'open';
      WHEN 'compensation' THEN -- o_t2 error
        UPDATE statepipe.node_states SET compensation = o_status[i],
            compensation_error = coalesce(o_t2[i], compensation_error), updated_seq = o_seq[i]
          WHERE run_id = p_run AND node_id = o_node[i];
      WHEN 'run-retried' THEN -- a failed run runs again (a node retried): its end and error cleared
        UPDATE statepipe.runs SET error = NULL, error_node_id = NULL, finished_at = NULL, duration_ms = NULL
          WHERE run_id = p_run;
      WHEN 'run-end' THEN -- o_t1 result, o_t2 error, o_node its node, o_n1 duration (else from the start),
                          -- o_status 'true'/'false' compensated, o_t3 compensations that failed
        UPDATE statepipe.runs SET result = o_t1[i], error = o_t2[i], error_node_id = o_node[i], finished_at = p_ts,
            duration_ms = coalesce(o_n1[i],
              greatest(0, round(extract(epoch FROM (p_ts - coalesce(started_at, created_at))) * 1000))::bigint),
            compensated = o_status[i]::boolean, compensation_failed = o_t3[i]
          WHERE run_id = p_run;
      ELSE
        RAISE EXCEPTION 'statepipe.project: unknown operation %', o_kind[i];
      END CASE;
    END LOOP;
  END $$;
`;
}

/**
 * The version of a graph's content, inserting it (and the graph) if new. With p_latest (a save)
 * it is a saved version and becomes the graph's latest; without (a run's snapshot of a draft) it
 * is neither, and a graph first seen that way points at it until a version is saved. New content
 * locks the graph's row, so two processes saving the same graph at once number its versions one
 * after the other. Migration 1 creates it, migration 4 (the `saved` column) replaces it.
 */
function graphVersion(verb: 'CREATE' | 'CREATE OR REPLACE'): string {
  return /* sql */ `
  ${verb} FUNCTION statepipe.graph_version(p_graph text, p_name text, p_hash text, p_json text,
      p_ts timestamptz, p_latest boolean)
    RETURNS integer LANGUAGE plpgsql AS $$
  DECLARE v integer;
  BEGIN
    IF NOT p_latest THEN
      SELECT version INTO v FROM statepipe.graph_versions WHERE graph_id = p_graph AND hash = p_hash;
      IF FOUND THEN RETURN v; END IF;
    END IF;
    INSERT INTO statepipe.graphs (graph_id, name, latest_version, created_at, updated_at)
      VALUES (p_graph, p_name, 0, p_ts, p_ts) ON CONFLICT (graph_id) DO NOTHING;
    PERFORM 1 FROM statepipe.graphs WHERE graph_id = p_graph FOR UPDATE;
    SELECT version INTO v FROM statepipe.graph_versions WHERE graph_id = p_graph AND hash = p_hash;
    IF FOUND THEN
      IF NOT p_latest THEN RETURN v; END IF;
      UPDATE statepipe.graph_versions SET saved = true WHERE graph_id = p_graph AND version = v;
    ELSE
      SELECT coalesce(max(version), 0) + 1 INTO v FROM statepipe.graph_versions WHERE graph_id = p_graph;
      INSERT INTO statepipe.graph_versions (graph_id, version, hash, json, created_at, saved)
        VALUES (p_graph, v, p_hash, p_json, p_ts, p_latest);
    END IF;
    IF p_latest THEN
      UPDATE statepipe.graphs SET name = coalesce(p_name, name), latest_version = v, updated_at = p_ts
        WHERE graph_id = p_graph;
    ELSE
      UPDATE statepipe.graphs SET latest_version = v WHERE graph_id = p_graph AND latest_version = 0;
    END IF;
    RETURN v;
  END $$;`;
}

export const FUNCTIONS = /* sql */ `
  -- The fence of every append, in its transaction: moves the run's head from p_after to p_last
  -- (with the batch's status and usage) only if the writer holds the current lease epoch and
  -- follows the last seq; else raises SP404 (no such run) or SP409 (fenced) and the whole
  -- transaction writes nothing. The row lock it takes orders concurrent writers of a run.
  CREATE FUNCTION statepipe.advance(p_run text, p_epoch bigint, p_after bigint, p_last bigint,
      p_status text, p_in bigint, p_out bigint, p_cost double precision, p_started timestamptz)
    RETURNS void LANGUAGE plpgsql AS $$
  DECLARE e bigint; s bigint;
  BEGIN
    UPDATE statepipe.runs SET last_seq = p_last, status = coalesce(p_status, status),
        tokens = tokens + p_in + p_out, input_tokens = input_tokens + p_in,
        output_tokens = output_tokens + p_out, cost_usd = cost_usd + p_cost,
        started_at = coalesce(started_at, p_started)
      WHERE run_id = p_run AND lease_epoch = p_epoch AND last_seq = p_after;
    IF FOUND THEN RETURN; END IF;
    SELECT lease_epoch, last_seq INTO e, s FROM statepipe.runs WHERE run_id = p_run;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'run % not found', p_run USING ERRCODE = 'SP404';
    END IF;
    RAISE EXCEPTION 'run % was written by another process (lease epoch %, last seq %; this writer holds epoch % after seq %): it stops here',
      p_run, e, s, p_epoch, p_after USING ERRCODE = 'SP409';
  END $$;

${project('CREATE')}
  -- An append: the fence and the run's head, then the events and projections.
  CREATE FUNCTION statepipe.append(p_run text, p_epoch bigint, p_after bigint, p_ts timestamptz,
      p_status text, p_in bigint, p_out bigint, p_cost double precision, p_started boolean, ${BATCH_ARGS})
    RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM statepipe.advance(p_run, p_epoch, p_after, p_after + coalesce(array_length(e_type, 1), 0), p_status,
      p_in, p_out, p_cost, CASE WHEN p_started THEN p_ts END);
    PERFORM statepipe.project(p_run, p_after + 1, p_ts, ${BATCH_VALUES});
  END $$;

  -- A new run: its row (the graph's version resolved in the same transaction), its idempotency
  -- key (unique: a second start with it fails on run_keys_pkey), its first events and projections.
  CREATE FUNCTION statepipe.create_run(p_run text, p_ts timestamptz, p_graph text, p_name text, p_hash text,
      p_json text, p_input text, p_parent text, p_rerun_from text, p_key text,
      p_status text, p_in bigint, p_out bigint, p_cost double precision, p_started boolean, ${BATCH_ARGS})
    RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO statepipe.runs (run_id, graph_id, graph_version, graph_hash, status, input, created_at, started_at,
        parent_run_id, rerun_from_node, last_seq, tokens, input_tokens, output_tokens, cost_usd)
      VALUES (p_run, p_graph, statepipe.graph_version(p_graph, p_name, p_hash, p_json, p_ts, false), p_hash,
        coalesce(p_status, 'queued'), p_input, p_ts, CASE WHEN p_started THEN p_ts END, p_parent, p_rerun_from,
        coalesce(array_length(e_type, 1), 0), p_in + p_out, p_in, p_out, p_cost);
    IF p_key IS NOT NULL THEN
      INSERT INTO statepipe.run_keys (key, run_id, created_at) VALUES (p_key, p_run, p_ts);
    END IF;
    PERFORM statepipe.project(p_run, 1, p_ts, ${BATCH_VALUES});
  END $$;

${graphVersion('CREATE')}

  -- Milliseconds since the epoch on the database's clock (leases of every machine agree).
  CREATE FUNCTION statepipe.now_ms() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$;
`;

/**
 * Schema version 2 (child runs, request hashes): a new run's row also names its composition
 * parent (run, node, the child's key there) apart from the run a rerun copied (rerun_of), and its
 * idempotency key keeps the hash of the request it was first used with. Replaces version 1's
 * create_run (a function's arguments cannot change in place).
 */
export const CREATE_RUN_V2 = /* sql */ `
  DROP FUNCTION statepipe.create_run(text, timestamptz, text, text, text, text, text, text, text, text,
    text, bigint, bigint, double precision, boolean,
    text[], text[], text[], text[], text[], text[], integer[], text[], text[], text[],
    bigint[], bigint[], bigint[], double precision[], bigint[]);

  CREATE FUNCTION statepipe.create_run(p_run text, p_ts timestamptz, p_graph text, p_name text, p_hash text,
      p_json text, p_input text, p_rerun_of text, p_rerun_from text, p_parent text, p_parent_node text,
      p_child_key integer, p_key text, p_request_hash text,
      p_status text, p_in bigint, p_out bigint, p_cost double precision, p_started boolean, ${BATCH_ARGS})
    RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO statepipe.runs (run_id, graph_id, graph_version, graph_hash, status, input, created_at, started_at,
        rerun_of, rerun_from_node, parent_run_id, parent_node_id, child_key,
        last_seq, tokens, input_tokens, output_tokens, cost_usd)
      VALUES (p_run, p_graph, statepipe.graph_version(p_graph, p_name, p_hash, p_json, p_ts, false), p_hash,
        coalesce(p_status, 'queued'), p_input, p_ts, CASE WHEN p_started THEN p_ts END,
        p_rerun_of, p_rerun_from, p_parent, p_parent_node, p_child_key,
        coalesce(array_length(e_type, 1), 0), p_in + p_out, p_in, p_out, p_cost);
    IF p_key IS NOT NULL THEN
      INSERT INTO statepipe.run_keys (key, run_id, created_at, request_hash) VALUES (p_key, p_run, p_ts, p_request_hash);
    END IF;
    PERFORM statepipe.project(p_run, 1, p_ts, ${BATCH_VALUES});
  END $$;
`;

/** The number of parameters of statepipe.append and statepipe.create_run before the batch's arrays. */
export const APPEND_HEAD_ARGS = 9;
export const CREATE_HEAD_ARGS = 19;
export const BATCH_ARG_COUNT = 15;

/** Migration 3: `run.retried` clears the run's end (projection operation `run-retried`). */
export const PROJECT_V3 = project('CREATE OR REPLACE');

/**
 * Migration 4 (SQLite's 8): a version is a saved one (graphs.save, `statepipe run`) or a run's
 * snapshot of a draft, which stays out of the graph list and the version history and never
 * becomes the graph's latest; saving that content later makes it a saved version. Versions
 * stored before were all saved ones.
 */
export const GRAPH_VERSION_V4 = /* sql */ `
  ALTER TABLE statepipe.graph_versions ADD COLUMN saved boolean NOT NULL DEFAULT true;
  ${graphVersion('CREATE OR REPLACE')}
`;
