/**
 * SQL literals for the one-round-trip writes (batch.ts): a batch is sent as one simple-protocol
 * query of several statements, which PostgreSQL runs as one implicit transaction. Values cannot
 * be bound there, so each is written as a literal, escaped as libpq's PQescapeLiteral does:
 * quotes doubled, and an E'' string with doubled backslashes when there is a backslash, which is
 * right whatever `standard_conforming_strings` says. PostgreSQL text cannot hold NUL: raw text
 * (a streamed chunk, a title) has it replaced by U+FFFD; JSON never contains it (it is `\u0000`).
 */

export type Sql = string;

/** A text literal, or NULL. */
export function text(v: string | null | undefined): Sql {
  if (v === null || v === undefined) return 'NULL';
  const s = v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
  const q = s.replaceAll("'", "''");
  return s.includes('\\') ? ` E'${q.replaceAll('\\', '\\\\')}'` : `'${q}'`;
}

/** JSON text of a value (NULL for undefined). Throws, and so sends nothing, on unserializable data. */
export function json(v: unknown): Sql {
  return v === undefined ? 'NULL' : text(JSON.stringify(v));
}

/** An integer literal, or NULL when not a finite number. */
export function int(v: unknown): Sql {
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v)) : 'NULL';
}

/** A double precision literal (0 when not a finite number: usage and cost default to zero). */
export function float(v: number): Sql {
  return Number.isFinite(v) ? `${v}::float8` : '0::float8';
}

/** A timestamptz literal of an ISO-8601 time. */
export function time(iso: string): Sql {
  return `${text(iso)}::timestamptz`;
}

export function bool(v: boolean | undefined): Sql {
  return v === undefined ? 'NULL' : v ? 'true' : 'false';
}
