/**
 * Opening a PostgreSQL store: the pool (rows typed as the SQLite store's: times as ISO strings,
 * bigints as numbers), the server and schema checks, and the migrations, applied once under an
 * advisory lock however many processes start at the same moment.
 */
import pg from 'pg';
import { AppError } from '../../../core/errors.js';
import { pgError } from './errors.js';
import { ControlListener } from './listener.js';
import { PG_LEASE_MS, PostgresStore } from './pg-store.js';
import { MIGRATE_LOCK, MIN_SERVER_VERSION, PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema.js';
import { connectionConfig, redactUrl, secretsOf } from './url.js';

export interface PgOpenOptions {
  /** Do not create or migrate anything; the schema must be there and current. */
  readonly?: boolean;
  /** How long an acquired lease lasts before another process may take the run (default 15 s). */
  leaseMs?: number;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
}

const parseTime = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (s: string) => Date;

/** Row values as the SQLite store returns them: the shared row mappers (queries.ts) read both. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (s: string) => Number(s);
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (s: string) => parseTime(s).toISOString();
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
  },
} as pg.CustomTypesConfig;

/**
 * Connects to the database of `url`, checks it (a reachable PostgreSQL 13+, a `statepipe` schema
 * that is ours and not newer) and migrates it. Throws AppError('database') with one line naming
 * the database by its URL without the password.
 */
export async function openPostgres(url: string, opts: PgOpenOptions = {}): Promise<PostgresStore> {
  const name = redactUrl(url);
  const secrets = secretsOf(url);
  const config: pg.PoolConfig = {
    ...connectionConfig(url),
    application_name: 'statepipe',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    types,
  };
  const pool = new pg.Pool({ ...config, max: opts.poolSize ?? 10, idleTimeoutMillis: 30_000 });
  // An idle connection that breaks (server restart) is dropped by the pool; the next query opens another.
  pool.on('error', () => undefined);
  try {
    await checkAndMigrate(pool, name, opts.readonly === true);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw pgError(name, secrets, err, 'open');
  }
  const listener = new ControlListener({ ...config, application_name: 'statepipe (controls)' });
  return new PostgresStore(pool, name, secrets, listener, opts.leaseMs ?? PG_LEASE_MS);
}

interface SchemaState {
  server: number;
  version: number | null;
  app: string | null;
  relations: number;
}

async function schemaState(c: pg.PoolClient): Promise<SchemaState> {
  const { rows } = await c.query(
    `SELECT current_setting('server_version_num')::int AS server,
            to_regclass('statepipe.migrations') IS NOT NULL AND to_regclass('statepipe.meta') IS NOT NULL AS ours,
            (SELECT count(*) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
              WHERE n.nspname = 'statepipe') AS relations`,
  );
  const r = rows[0] as { server: number; ours: boolean; relations: number };
  if (!r.ours) return { server: r.server, version: null, app: null, relations: r.relations };
  const v = await c.query(
    `SELECT (SELECT coalesce(max(version), 0) FROM statepipe.migrations) AS version,
            (SELECT value FROM statepipe.meta WHERE key = 'app') AS app`,
  );
  const s = v.rows[0] as { version: number; app: string | null };
  return { server: r.server, version: s.version, app: s.app, relations: r.relations };
}

/** Refuses a server too old, a `statepipe` schema of another application, or a newer schema. */
function check(s: SchemaState, name: string): void {
  if (s.server < MIN_SERVER_VERSION)
    throw new AppError('database', `${name}: PostgreSQL ${Math.floor(s.server / 10000)} is too old (13 or newer)`);
  if (s.version === null ? s.relations > 0 : s.app !== 'statepipe')
    throw new AppError(
      'database',
      `${name} is not a statepipe database (its schema "statepipe" belongs to another application); choose another database with --db or STATEPIPE_DB`,
    );
  if (s.version !== null && s.version > PG_SCHEMA_VERSION)
    throw new AppError(
      'database',
      `${name} was created by a newer statepipe (schema ${s.version} > ${PG_SCHEMA_VERSION}); upgrade statepipe to open it`,
    );
}

async function checkAndMigrate(pool: pg.Pool, name: string, readonly: boolean): Promise<void> {
  const c = await pool.connect();
  try {
    const s = await schemaState(c);
    check(s, name);
    if (s.version === PG_SCHEMA_VERSION) return; // the common case: no lock, no write
    if (readonly)
      throw new AppError(
        'database',
        `${name} has ${s.version === null ? 'no statepipe schema' : `an older schema (${s.version} < ${PG_SCHEMA_VERSION})`} and was opened read-only; open it read-write once to migrate`,
      );
    await c.query('BEGIN');
    try {
      // Held to the end of the transaction: a second process waits here, then finds it done.
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
      const now = await schemaState(c);
      check(now, name);
      await migrate(c, now.version ?? 0);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    c.release();
  }
}

/** Applies, in the caller's transaction, every migration newer than `from` (up to `to`: a test's older schema). */
export async function migrate(c: pg.ClientBase, from: number, to = PG_SCHEMA_VERSION): Promise<void> {
  if (from === 0) {
    await c.query(`CREATE SCHEMA IF NOT EXISTS statepipe;
      CREATE TABLE statepipe.meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE statepipe.migrations (version integer PRIMARY KEY, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO statepipe.meta (key, value) VALUES ('app', 'statepipe'), ('created_at', now()::text)`);
  }
  const pending = PG_MIGRATIONS.filter((m) => m.version > from && m.version <= to);
  if (pending.length === 0) return;
  // The trigram index of the free-text search (pg_trgm ships with PostgreSQL; trusted since 13).
  try {
    await c.query('SAVEPOINT trgm; CREATE EXTENSION IF NOT EXISTS pg_trgm; RELEASE SAVEPOINT trgm');
  } catch (err) {
    await c.query('ROLLBACK TO SAVEPOINT trgm');
    const { rows } = await c.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'");
    if (rows.length === 0)
      throw new AppError(
        'database',
        `statepipe needs the pg_trgm extension, and cannot create it (${(err as Error).message}): ask the database's owner to run CREATE EXTENSION pg_trgm`,
      );
  }
  const { rows } = await c.query(
    "SELECT quote_ident(n.nspname) AS s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
  );
  const trgm = String((rows[0] as { s: string }).s);
  for (const m of pending) {
    await c.query(m.sql.replaceAll('@trgm@', trgm));
    await c.query('INSERT INTO statepipe.migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
}
