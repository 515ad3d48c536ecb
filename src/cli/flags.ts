/** Numeric flag values: a bad one is a usage error naming the flag (exit 2). Light: loaded by every command. */
import { UsageError } from './exit.js';

/** A positive integer flag value. */
export function positiveInt(value: string | undefined, flag: string, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: Number() would read '' as 0 and 0x10 as 16.
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new UsageError(`${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"`);
  }
  return n;
}

/** The longest a timer waits (2^31 − 1 ms, about 24.8 days): a flag in milliseconds longer than this is refused. */
const MAX_TIMER_MS = 2_147_483_647;

/** A non-negative whole number of milliseconds that a timer can wait. */
export function durationMs(value: string | undefined, flag: string): number | undefined {
  const n = positiveInt(value, flag, true);
  if (n !== undefined && n > MAX_TIMER_MS)
    throw new UsageError(`${flag}: at most ${MAX_TIMER_MS} ms (about 24.8 days), got "${value}"`);
  return n;
}

/** A non-negative number flag value. */
export function nonNegative(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag}: expected a non-negative number, got "${value}"`);
  return n;
}
