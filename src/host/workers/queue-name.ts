/** Queue names (no pg-boss here: the CLI checks flags without loading the queue library). */
import { AppError } from '../../core/errors.js';

export const DEFAULT_QUEUE = 'default';
/** pg-boss keeps its tables in a schema of its own next to `statepipe`. */
export const QUEUE_SCHEMA = 'statepipe_queue';
/** `--queue NAME`: letters, digits, `_` and `-` (pg-boss's queue names). */
export function checkQueueName(name: string, flag = '--queue'): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new AppError('usage', `${flag}: expected 1-64 letters, digits, _ or -, got "${name}"`);
  return name;
}
