/** The PostgreSQL schema: created on first use by racing processes exactly once; foreign or newer schemas refused. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../core/errors.js';
import { newRun, rid, runWorkers } from '../test-helpers.js';
import { migrate, openPostgres } from './open.js';
import { rawClient, testDatabase } from './pg-test-kit.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema.js';
import { redactUrl } from './url.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'append-worker.fixture.ts');

async function refused(url: string, opts: { readonly?: boolean } = {}): Promise<AppError> {
  try {
    const s = await openPostgres(url, opts);
    await s.close();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('database');
    return err as AppError;
  }
  throw new Error('expected the database to be refused');
}

describe('PostgreSQL schema and migrations', () => {
  it('three processes starting at once on a fresh database migrate it once, then append 200 events each', async () => {
    const url = await testDatabase();
    const results = await runWorkers(
      worker,
      ['run_m1', 'run_m2', 'run_m3'].map((id) => [url, id, '200']),
    );
    expect(results.map((r) => r.err)).toEqual(['', '', '']);
    expect(results.map((r) => r.out.trim())).toEqual(['ok 201', 'ok 201', 'ok 201']);
    const c = await rawClient(url);
    try {
      const { rows } = await c.query('SELECT version, name FROM statepipe.migrations ORDER BY version');
      expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      const meta = await c.query("SELECT value FROM statepipe.meta WHERE key = 'app'");
      expect(meta.rows).toEqual([{ value: 'statepipe' }]);
    } finally {
      await c.end();
    }
    const store = await openPostgres(url);
    try {
      for (const id of ['run_m1', 'run_m2', 'run_m3'])
        expect((await store.loadRun(rid(id))).events.map((e) => e.seq)).toEqual(
          Array.from({ length: 201 }, (_, i) => i + 1),
        );
    } finally {
      await store.close();
    }
  });

  it('migrates a schema 1 database: a rerun keeps the run it copied (now rerun_of), keys keep working', async () => {
    const url = await testDatabase();
    const c = await rawClient(url);
    try {
      await c.query('BEGIN');
      await migrate(c, 0, 1);
      await c.query('COMMIT');
      await c.query(`
        INSERT INTO statepipe.graphs VALUES ('g', 'G', 1, now(), now());
        INSERT INTO statepipe.graph_versions VALUES ('g', 1, 'h', '{}', now());
        INSERT INTO statepipe.runs (run_id, graph_id, graph_version, graph_hash, status, created_at, parent_run_id, rerun_from_node)
          VALUES ('run_old', 'g', 1, 'h', 'succeeded', now() - interval '1 minute', NULL, NULL),
                 ('run_new', 'g', 1, 'h', 'queued', now(), 'run_old', 'ask');
        INSERT INTO statepipe.run_keys VALUES ('order-7', 'run_old', now());`);
    } finally {
      await c.end();
    }
    expect((await refused(url, { readonly: true })).message).toMatch(`an older schema (1 < ${PG_SCHEMA_VERSION})`);
    const store = await openPostgres(url);
    try {
      expect(await store.getRunRow('run_new')).toMatchObject({
        rerunOf: 'run_old',
        rerunFromNode: 'ask',
        parentRunId: null,
      });
      // Both are top-level runs now, and neither counts as the other's child.
      expect((await store.listRuns()).map((r) => [r.runId, r.children])).toEqual([
        ['run_new', undefined],
        ['run_old', undefined],
      ]);
      // A key written before request hashes existed names its run, without a hash.
      const again = store.createRun({ ...newRun('run_k'), idempotencyKey: { key: 'order-7', requestHash: 'x' } });
      await expect(again).rejects.toMatchObject({ name: 'KeyTakenError', runId: 'run_old', requestHash: undefined });
    } finally {
      await store.close();
    }
  });

  it('refuses a database whose statepipe schema belongs to another application, touching nothing', async () => {
    const url = await testDatabase();
    const c = await rawClient(url);
    try {
      await c.query('CREATE SCHEMA statepipe; CREATE TABLE statepipe.invoices (id int)');
      const err = await refused(url);
      expect(err.message).toBe(
        `${redactUrl(url)} is not a statepipe database (its schema "statepipe" belongs to another application); choose another database with --db or STATEPIPE_DB`,
      );
      const { rows } = await c.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'statepipe' ORDER BY 1",
      );
      expect(rows).toEqual([{ table_name: 'invoices' }]);
    } finally {
      await c.end();
    }
  });

  it('refuses a schema written by a newer statepipe, and opens read-only only a current one', async () => {
    const url = await testDatabase();
    expect((await refused(url, { readonly: true })).message).toMatch(
      /has no statepipe schema and was opened read-only/,
    );
    await (await openPostgres(url)).close();
    await (await openPostgres(url, { readonly: true })).close();
    const c = await rawClient(url);
    try {
      await c.query("INSERT INTO statepipe.migrations (version, name) VALUES (99, 'from the future')");
    } finally {
      await c.end();
    }
    expect((await refused(url)).message).toBe(
      `${redactUrl(url)} was created by a newer statepipe (schema 99 > ${PG_SCHEMA_VERSION}); upgrade statepipe to open it`,
    );
  });
});
