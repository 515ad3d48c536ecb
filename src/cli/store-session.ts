/**
 * The store of a read command (`list`, `inspect`, `export`; SQLite or PostgreSQL) alone, without the
 * engine, its runners or graph validation, so these commands start in a fraction of the time.
 * They write nothing: a run whose process died shows `interrupted` (computed: host/shown-status.ts;
 * `resume`, `serve` and the app write it, docs/runtime.md "Durability"), and on a full disk the
 * store opens for reading alone (OpenOptions.forReading), so they still answer.
 */
import { openProcessStore } from '../host/recover.js';
import type { Store } from '../host/store/index.js';
import { resolveDbPath, type GlobalOpts } from './global-opts.js';

export type { GlobalOpts };

/** Opens the store for reading, runs `fn` and always closes the store. */
export async function withStore<T>(g: GlobalOpts, fn: (store: Store) => Promise<T> | T): Promise<T> {
  const store = await openProcessStore(resolveDbPath(g), { forReading: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
