import { beforeAll } from 'vitest';
import { storeContract } from '../store-contract.js';
import { writersContract } from '../store-contract-writers.js';
import { openPostgres } from './open.js';
import { freshStore, pgSql, testDatabase } from './pg-test-kit.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase();
});

storeContract('PostgreSQL', () => freshStore(url), pgSql);
writersContract(
  'PostgreSQL',
  () => freshStore(url),
  (_s, opts) => openPostgres(url, opts),
);
