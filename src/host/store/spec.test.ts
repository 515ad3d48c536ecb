import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDbPath } from './db-path.js';
import { isPostgresUrl, resolveStoreSpec } from './spec.js';

const saved = process.env['STATEPIPE_DB'];
afterEach(() => {
  if (saved === undefined) delete process.env['STATEPIPE_DB'];
  else process.env['STATEPIPE_DB'] = saved;
});

describe('what --db and STATEPIPE_DB name', () => {
  it('postgres:// and postgresql:// URLs select PostgreSQL, kept as written; anything else is a file made absolute', () => {
    for (const url of ['postgres://a@h/db', 'postgresql://h/db?sslmode=require', ' POSTGRES://h/db ']) {
      expect(isPostgresUrl(url)).toBe(true);
      expect(resolveStoreSpec(url)).toBe(url.trim());
    }
    for (const file of ['sp.db', './postgres/sp.db', 'postgres:sp.db', 'http://h/db'])
      expect(resolveStoreSpec(file)).toBe(path.resolve(file));
  });

  it('STATEPIPE_DB may be a URL (not made a path) or a file', () => {
    process.env['STATEPIPE_DB'] = 'postgres://ann:secret@db/sp';
    expect(defaultDbPath()).toBe('postgres://ann:secret@db/sp');
    process.env['STATEPIPE_DB'] = 'rel/sp.db';
    expect(defaultDbPath()).toBe(path.resolve('rel/sp.db'));
  });
});
