import { beforeAll } from 'vitest';
import { storeContract } from '../store-contract.js';
import { freshStore, pgSql, testDatabase } from './pg-test-kit.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase();
});

storeContract('PostgreSQL', () => freshStore(url), pgSql);
