/**
 * The database of a read command (`list`, `inspect`, `export`): the store alone, without the
 * engine, its runners or graph validation, so these commands start in a fraction of the time.
 * Like `serve` and the app, they first mark runs whose process died `interrupted` (docs/runtime.md
 * "Durability"), so what they show is what `resume` can continue.
 */
import { openStore, processOwner, recoverInterrupted } from '../host/recover.js';
import type { SqliteStore } from '../host/store/index.js';
import { resolveDbPath, type GlobalOpts } from './global-opts.js';

export type { GlobalOpts };

/** Opens the store, recovers dead runs, runs `fn` and always closes the store. */
export async function withStore<T>(g: GlobalOpts, fn: (store: SqliteStore) => Promise<T> | T): Promise<T> {
  const store = openStore(resolveDbPath(g));
  try {
    await recoverInterrupted(store, processOwner());
    return await fn(store);
  } finally {
    await store.close();
  }
}
