/**
 * Exit codes (docs/cli.md "Exit codes") and the one-line error report on stderr.
 *   0 succeeded · 1 failed or cancelled · 2 usage/validation (nothing written)
 *   3 waiting for an approval or paused · 4 database cannot be opened / not ours
 */
import { CommanderError } from 'commander';
import { AppError } from '../core/errors.js';
import { oneLine, paint, streamOut } from './render.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, waiting: 3, database: 4 } as const;

/** A usage error raised by the CLI itself (bad flag value, unreadable input file, …). */
export class UsageError extends AppError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Thrown to stop with a given exit code after the message was already printed. */
export class ExitSignal extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** The exit code of a run that stopped with `status`. */
export function statusExitCode(status: string): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'waiting':
    case 'paused':
    case 'interrupted':
    case 'running':
    case 'queued':
      return EXIT.waiting;
    default:
      return EXIT.failed; // failed, cancelled
  }
}

/** The worst of several run exit codes: failed (1) > waiting (3) > ok (0). */
export function worstExitCode(codes: number[]): number {
  if (codes.includes(EXIT.failed)) return EXIT.failed;
  if (codes.includes(EXIT.waiting)) return EXIT.waiting;
  return EXIT.ok;
}

function isAppErrorLike(err: unknown): err is { code: string; message: string } {
  return (
    err instanceof AppError ||
    (err instanceof Error && err.name === 'AppError' && typeof (err as { code?: unknown }).code === 'string')
  );
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ExitSignal) return err.exitCode;
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  if (isAppErrorLike(err)) {
    switch (err.code) {
      case 'usage':
      case 'validation':
      case 'not-found':
      case 'illegal-transition':
      case 'conflict':
      case 'fenced':
        return EXIT.usage;
      case 'database':
        return EXIT.database;
      default:
        return EXIT.failed;
    }
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code === 'SQLITE_CANTOPEN') return EXIT.database;
  return EXIT.failed;
}

/** The message of an error, as the one line users see. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return oneLine(err.message || err.name, 2000);
  return oneLine(String(err), 2000);
}

/** Prints `statepipe: <message>` on stderr (plus the stack with --verbose). */
export function reportError(err: unknown, verbose: boolean): void {
  if (err instanceof ExitSignal) return;
  const p = paint(streamOut(process.stderr));
  process.stderr.write(`${p.red('statepipe:')} ${errorMessage(err)}\n`);
  if (verbose && err instanceof Error && err.stack && !(err instanceof CommanderError)) {
    process.stderr.write(p.dim(err.stack) + '\n');
    const issues = (err as { issues?: { path: string; message: string }[] }).issues;
    if (issues && issues.length > 1)
      for (const i of issues) process.stderr.write(p.dim(`  ${i.path}: ${i.message}`) + '\n');
  }
}
