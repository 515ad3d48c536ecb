/** Shared fixtures of the PostgreSQL store tests (not a test file itself). */
import pg from 'pg';
import { testDatabase } from '../../../../test/pg/db.js';
import type { RawSql } from '../store-contract.js';
import type { Store } from '../store.js';
import { openPostgres, type PgOpenOptions } from './open.js';
import type { PostgresStore } from './pg-store.js';

export { testDatabase };

/** `?` placeholders as `$1, $2, …`. */
const numbered = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

/** Raw SQL on the store's database, tables named as in SQLite (search_path = statepipe). */
export const pgSql: RawSql = async (store: Store, sql: string, ...params: unknown[]) => {
  const c = await (store as PostgresStore).pgPool.connect();
  try {
    await c.query('SET search_path TO statepipe, public');
    return (await c.query(numbered(sql), params)).rows as Record<string, unknown>[];
  } finally {
    await c.query('RESET search_path').catch(() => undefined);
    c.release();
  }
};

/** Opens a store on `url` with every statepipe table emptied (a fresh store per test, one database per file). */
export async function freshStore(url: string, opts: PgOpenOptions = {}): Promise<PostgresStore> {
  const store = await openPostgres(url, opts);
  await store.pgPool.query(
    `TRUNCATE statepipe.graphs, statepipe.graph_versions, statepipe.runs, statepipe.events, statepipe.node_states,
       statepipe.node_attempts, statepipe.approvals, statepipe.stream_chunks, statepipe.controls,
       statepipe.run_keys, statepipe.run_search CASCADE`,
  );
  return store;
}

/** A plain client on `url`, for what a test does beside the store (open transactions, raw reads). */
export async function rawClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}
