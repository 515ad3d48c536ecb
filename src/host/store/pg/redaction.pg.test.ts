/** A password never shows: not in the store's name, not in connection errors, not in any message. */
import net from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../core/errors.js';
import { PASSWORD_ROLE } from '../../../../test/pg/cluster.js';
import { pgError } from './errors.js';
import { openPostgres } from './open.js';
import { testDatabase } from './pg-test-kit.js';
import { connectionConfig, redactUrl, secretsOf } from './url.js';

const SECRET = PASSWORD_ROLE.password;

/** The error opening `url` throws (it must throw an AppError 'database'). */
async function openError(url: string): Promise<AppError> {
  try {
    await (await openPostgres(url, { connectTimeoutMs: 5_000 })).close();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('database');
    return err as AppError;
  }
  throw new Error(`expected opening ${redactUrl(url)} to fail`);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('passwords never show', () => {
  it('an unknown sslmode is refused naming it (pg would read it as "use SSL"); the known ones pass', () => {
    const url = 'postgres://ana:s3cret@127.0.0.1:5432/db?sslmode=bogus';
    expect(() => connectionConfig(url)).toThrow(/sslmode "bogus" is not one of disable, allow, prefer, require/);
    expect(() => connectionConfig(url)).not.toThrow(/s3cret/);
    // Broken percent-encoding is refused the same way, not thrown as an internal error.
    expect(() => connectionConfig('postgres://127.0.0.1/db?sslmode=%ZZ')).toThrow(/sslmode "%ZZ" is not one of/);
    for (const mode of ['disable', 'prefer', 'require', 'verify-full'])
      expect(() => connectionConfig(`postgres://127.0.0.1/db?sslmode=${mode}`), mode).not.toThrow();
  });

  it('redactUrl masks the user part and a password parameter, and leaves the rest as written', () => {
    expect(redactUrl('postgres://ann:secret@db.example:5432/sp?sslmode=require')).toBe(
      'postgres://ann:***@db.example:5432/sp?sslmode=require',
    );
    expect(redactUrl('postgresql://ann:s%40c%3Aret@db/sp')).toBe('postgresql://ann:***@db/sp');
    expect(redactUrl('postgres://db/sp?user=ann&password=secret')).toBe('postgres://db/sp?user=ann&password=***');
    expect(redactUrl('postgres://ann@db/sp')).toBe('postgres://ann@db/sp');
    expect(redactUrl('postgres://ann:sec ret@[bad/sp')).not.toContain('sec ret');
    expect(secretsOf('postgres://ann:s%40c@db/sp', {})).toEqual(['s%40c', 's@c']);
  });

  it('the store is named without its password; the password logs in', async () => {
    const url = await testDatabase({ owner: 'password-role' });
    expect(url).toContain(SECRET);
    const store = await openPostgres(url);
    try {
      expect(store.displayName).toBe(url.replace(SECRET, '***'));
      expect(store.displayName).not.toContain(SECRET);
      // What a log line of the store (or of its pool, its clients) would print.
      await store.countRuns();
      expect(inspect(store, { depth: 8, showHidden: false })).not.toContain(SECRET);
    } finally {
      await store.close();
    }
  });

  it('connection errors: wrong password, nothing listening, no such database, unknown host', async () => {
    const url = new URL(await testDatabase({ owner: 'password-role' }));
    const wrong = new URL(url);
    wrong.password = 'not-the-' + SECRET;
    const e1 = await openError(wrong.toString());
    expect(e1.message).toBe(
      `cannot log into PostgreSQL at ${redactUrl(wrong.toString())}: password authentication failed for user "${PASSWORD_ROLE.user}"`,
    );
    const refused = new URL(url);
    refused.port = String(await closedPort());
    const e2 = await openError(refused.toString());
    expect(e2.message).toBe(`cannot reach PostgreSQL at ${redactUrl(refused.toString())}: connection refused`);
    const missing = new URL(url);
    missing.pathname = '/no_such_db';
    const e3 = await openError(missing.toString());
    expect(e3.message).toMatch(/^cannot open postgres:\/\/statepipe_pw:\*\*\*@127\.0\.0\.1:\d+\/no_such_db: /);
    const unknown = new URL(url);
    unknown.hostname = 'no-such-host.invalid';
    const e4 = await openError(unknown.toString());
    expect(e4.message).toMatch(/^cannot reach PostgreSQL at postgres:\/\/statepipe_pw:\*\*\*@no-such-host\.invalid:/);
    for (const e of [e1, e2, e3, e4]) {
      expect(e.message).not.toContain(SECRET);
      expect(e.message.split('\n')).toHaveLength(1);
      expect(String(e.stack)).not.toContain(SECRET);
    }
  });

  it('PGPASSWORD (and the other libpq variables) fill in what the URL leaves out, and never show', async () => {
    const url = new URL(await testDatabase({ owner: 'password-role' }));
    const saved = { ...process.env };
    try {
      process.env['PGPASSWORD'] = SECRET;
      process.env['PGUSER'] = PASSWORD_ROLE.user;
      process.env['PGHOST'] = url.hostname;
      process.env['PGPORT'] = url.port;
      const bare = `postgres:///${url.pathname.slice(1)}`;
      expect(connectionConfig(bare)).toEqual({ database: url.pathname.slice(1) });
      const store = await openPostgres(bare);
      expect(store.displayName).toBe(bare);
      await store.close();
      process.env['PGPASSWORD'] = 'wrong-' + SECRET;
      const e = await openError(bare);
      expect(e.message).not.toContain(SECRET);
    } finally {
      process.env = saved;
    }
  });

  it('any message that would carry a known password has it masked', () => {
    const url = `postgres://ann:${SECRET}@db/sp`;
    const e = pgError(redactUrl(url), secretsOf(url), new Error(`weird failure near "${SECRET}"`));
    expect(e.message).toBe('cannot use database postgres://ann:***@db/sp: weird failure near "***"');
  });
});
