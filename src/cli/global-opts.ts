/** The global flags and where they put the database. Light (no SQLite): every command may import it. */
import { defaultDbPath } from '../host/store/db-path.js';
import { resolveStoreSpec } from '../host/store/spec.js';

export interface GlobalOpts {
  db?: string;
  verbose?: boolean;
  color?: boolean;
}

/** `--db`, else STATEPIPE_DB, else the per-user default: a SQLite file (made absolute) or a PostgreSQL URL. */
export function resolveDbPath(g: GlobalOpts): string {
  if (g.db !== undefined && g.db.trim() !== '') return resolveStoreSpec(g.db);
  return defaultDbPath();
}
