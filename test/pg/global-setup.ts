/**
 * Vitest global setup of the PostgreSQL tests (the `pg` project of vitest.config.ts): one
 * throwaway cluster per test run (cluster.ts), its URL provided to the tests as `pgUrl` (and
 * STATEPIPE_TEST_PG_URL for the processes they start), stopped and removed at the end. Each test
 * file makes its own database in it (db.ts). When the cluster cannot start (no binaries), the
 * reason is provided as `pgError` and every PostgreSQL test file fails with it: never skipped.
 */
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from './cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster();
    project.provide('pgUrl', cluster.url);
    project.provide('pgError', '');
    process.env['STATEPIPE_TEST_PG_URL'] = cluster.url;
  } catch (err) {
    project.provide('pgUrl', '');
    project.provide('pgError', `PostgreSQL tests cannot run: ${err instanceof Error ? err.message : String(err)}`);
  }
  return async () => {
    await cluster?.stop();
  };
}
