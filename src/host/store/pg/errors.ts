/**
 * PostgreSQL and network failures as one clear AppError line naming the database by its
 * redacted URL, with every known password scrubbed from the message (docs/scale-out.md
 * "Passwords"). The fence and not-found errors raised by statepipe.advance keep their codes.
 */
import { AppError } from '../../../core/errors.js';
import { scrub } from './url.js';

interface PgLikeError {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  errors?: unknown;
}

const codeOf = (err: unknown): string => {
  const c = (err as PgLikeError | null)?.code;
  return typeof c === 'string' ? c : '';
};

/** The message of an error; an AggregateError (every address of a host refused) gives its first. */
function messageOf(err: unknown): string {
  const e = err as PgLikeError | null;
  const m = typeof e?.message === 'string' ? e.message : String(err);
  if (m === '' && Array.isArray(e?.errors) && e.errors.length > 0) return messageOf(e.errors[0]);
  return m;
}

/** True for failures to reach or log into the server (as opposed to a statement that failed). */
export function isConnectionError(err: unknown): boolean {
  const c = codeOf(err);
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'].includes(c))
    return true;
  // 08: connection exception · 28: invalid authorization · 3D000: no such database · 57P0x: shutting down
  if (c.startsWith('08') || c.startsWith('28') || c === '3D000' || c.startsWith('57P')) return true;
  const m = messageOf(err);
  return /Connection terminated|timeout expired|connect ETIMEDOUT|self[- ]signed|certificate|does not support SSL/i.test(
    m,
  );
}

/** One line for a failure while talking to the database `name` (already redacted). */
export function pgError(name: string, secrets: readonly string[], err: unknown, doing = 'use'): AppError {
  if (err instanceof AppError) return new AppError(err.code, scrub(err.message, secrets), err.issues);
  const c = codeOf(err);
  const msg = scrub(messageOf(err), secrets);
  if (c === 'SP404') return new AppError('not-found', msg);
  if (c === 'SP409') return new AppError('fenced', msg);
  if (c === 'ECONNREFUSED') return new AppError('database', `cannot reach PostgreSQL at ${name}: connection refused`);
  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN')
    return new AppError('database', `cannot reach PostgreSQL at ${name}: unknown host (${msg})`);
  if (c.startsWith('28')) return new AppError('database', `cannot log into PostgreSQL at ${name}: ${msg}`);
  if (c === '3D000') return new AppError('database', `cannot open ${name}: ${msg} (create it first, e.g. createdb)`);
  if (isConnectionError(err)) return new AppError('database', `cannot reach PostgreSQL at ${name}: ${msg}`);
  if (c === '42501') return new AppError('database', `${name}: permission denied: ${msg}`);
  return new AppError('database', `cannot ${doing} database ${name}: ${msg}${c ? ` (${c})` : ''}`);
}

/** A unique violation of `constraint` (23505)? */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  return codeOf(err) === '23505' && (err as PgLikeError).constraint === constraint;
}
