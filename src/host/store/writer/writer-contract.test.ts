/** The store contract again, with the engine's writes committed on the writer thread. */
import path from 'node:path';
import { openDatabase } from '../open.js';
import type { SqliteStore } from '../sqlite-store.js';
import { storeContract } from '../store-contract.js';
import { writersContract } from '../store-contract-writers.js';
import { tmpDir } from '../test-helpers.js';

storeContract(
  'SQLite, writes on its writer thread',
  async () => openDatabase(path.join(tmpDir(), 'sp.db'), { writerThread: true }),
  async (store, sql, ...params) => {
    const st = (store as SqliteStore).db.prepare(sql);
    return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
  },
);

writersContract(
  'SQLite, writes on its writer thread',
  async () => openDatabase(path.join(tmpDir(), 'sp.db'), { writerThread: true }),
  async (s, opts) => openDatabase((s as SqliteStore).file, { ...opts, writerThread: true }),
);
