/** Numeric flag values: a bad one is a usage error naming the flag (exit 2). Light: loaded by every command. */
import { UsageError } from './exit.js';

/** A positive integer flag value. */
export function positiveInt(value: string | undefined, flag: string, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new UsageError(`${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"`);
  }
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
