/**
 * A database of its own for each PostgreSQL test file, in the run's throwaway cluster
 * (global-setup.ts). Fails with the cluster's error when there is no cluster: never skipped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { PASSWORD_ROLE } from './cluster.js';

/** The superuser URL of the cluster's `postgres` database. */
export function clusterUrl(): string {
  const error = inject('pgError');
  if (error) throw new Error(error);
  const url = inject('pgUrl');
  if (!url) throw new Error('PostgreSQL tests cannot run: no cluster (is test/pg/global-setup.ts the globalSetup?)');
  return url;
}

/** Creates an empty database and returns its URL (`owner`: the password role owns it and is in the URL). */
export async function testDatabase(opts: { owner?: 'password-role' } = {}): Promise<string> {
  const base = new URL(clusterUrl());
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(opts.owner ? `CREATE DATABASE ${name} OWNER ${PASSWORD_ROLE.user}` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  if (opts.owner) {
    url.username = PASSWORD_ROLE.user;
    url.password = PASSWORD_ROLE.password;
  }
  return url.toString();
}
