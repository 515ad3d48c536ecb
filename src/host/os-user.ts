/** Who is at this machine: the OS user this process runs as (what an approval records as `by` when nobody is named). */
import os from 'node:os';

export function osUser(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return process.env['USER'] || process.env['USERNAME'] || undefined;
  }
}
