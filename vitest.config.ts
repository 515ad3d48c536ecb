import { configDefaults, defineConfig } from 'vitest/config';

/** Tests that need PostgreSQL: a throwaway cluster is started for them (test/pg/global-setup.ts). */
const PG_TESTS = ['src/**/*.pg.test.ts', 'test/pg/**/*.test.ts'];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two projects so that the cluster starts only when a PostgreSQL test is selected.
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...PG_TESTS],
          globalSetup: ['e2e/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'pg', include: PG_TESTS, globalSetup: ['test/pg/global-setup.ts'], hookTimeout: 120_000 },
      },
    ],
  },
});
