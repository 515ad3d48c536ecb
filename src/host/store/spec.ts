/**
 * What `--db` and STATEPIPE_DB name: a SQLite file path, or a PostgreSQL URL (`postgres://` or
 * `postgresql://`). Kept apart from the PostgreSQL code so that telling them apart loads nothing.
 */
import path from 'node:path';

const URL_RE = /^postgres(?:ql)?:\/\//i;

/** True for `postgres://…` and `postgresql://…` (anything else is a SQLite file path). */
export function isPostgresUrl(spec: string): boolean {
  return URL_RE.test(spec.trim());
}

/** The spec as given, made absolute if it is a file (a URL is kept as written). */
export function resolveStoreSpec(spec: string): string {
  return isPostgresUrl(spec) ? spec.trim() : path.resolve(spec);
}
