/** The global flags and where they put the database. Light (no SQLite): every command may import it. */
import path from 'node:path';
import { defaultDbPath } from '../host/store/db-path.js';

export interface GlobalOpts {
  db?: string;
  verbose?: boolean;
  color?: boolean;
}

/** `--db`, else STATEPIPE_DB, else the per-user default. */
export function resolveDbPath(g: GlobalOpts): string {
  if (g.db !== undefined && g.db.trim() !== '') return path.resolve(g.db);
  return defaultDbPath();
}
