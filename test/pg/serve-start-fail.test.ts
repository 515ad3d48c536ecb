/**
 * `serve --workers` whose queue cannot start (here: a schema of that name that is not pg-boss's)
 * says why in one line and exits 4 (the database cannot be used), not up without its queue.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { QUEUE_SCHEMA } from '../../src/host/workers/queue.js';
import { testDatabase } from './db.js';

describe('serve --workers on a database whose queue cannot start', () => {
  it('prints one error line naming the queue and exits 4', async () => {
    const db = await testDatabase();
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    await c.query(`CREATE SCHEMA ${QUEUE_SCHEMA}; CREATE TABLE ${QUEUE_SCHEMA}.version (v int)`);
    await c.end();
    const r = await cli(['serve', '--db', db, '--workers', '--port', '0'], { cwd: tmpDir(), timeoutMs: 30_000 });
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^statepipe: the run queue \(pg-boss, schema statepipe_queue\) cannot start: /),
    ]);
  }, 40_000);
});
