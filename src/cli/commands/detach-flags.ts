/** `run --detach [--priority N] [--queue NAME]`: the flags checked before anything is read or written. */
import { isPostgresUrl } from '../../host/store/spec.js';
import { checkQueueName } from '../../host/workers/queue-name.js';
import { UsageError } from '../exit.js';
import { resolveDbPath, type GlobalOpts } from '../global-opts.js';

export interface DetachOpts {
  detach?: boolean;
  priority?: string;
  queue?: string;
}

/** Refuses `--detach`, `--priority` and `--queue` where they cannot work, before anything is written. */
export function checkDetachFlags(opts: DetachOpts, g: GlobalOpts): void {
  if (!opts.detach) {
    if (opts.priority !== undefined) throw new UsageError('--priority needs --detach');
    if (opts.queue !== undefined) throw new UsageError('--queue needs --detach');
    return;
  }
  if (!isPostgresUrl(resolveDbPath(g)))
    throw new UsageError(
      '--detach needs a PostgreSQL store (--db postgres://…): workers take runs from a queue in the database',
    );
  if (opts.priority !== undefined && !/^-?\d+$/.test(opts.priority))
    throw new UsageError(`--priority: expected an integer, got "${opts.priority}"`);
  if (opts.queue !== undefined) checkQueueName(opts.queue);
}
