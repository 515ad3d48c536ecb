/**
 * Child process of the concurrency tests: `node --import tsx append-worker.fixture.ts DB RUN N`,
 * DB a SQLite file or a PostgreSQL URL. Prints `ready`, waits for a line on stdin (so that several
 * workers start together), then opens the store (creating and migrating it if it is new: the
 * workers race for that too), creates RUN and appends N events one transaction each. Prints
 * `ok <lastSeq>`.
 */
import { once } from 'node:events';
import { ev } from '../../core/events.js';
import { asNodeId, asRunId } from '../../core/ids.js';
import { openStore } from './open-store.js';
import { newRun } from './test-helpers.js';

const [spec, runId, n] = process.argv.slice(2);
process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
process.stdin.pause();
const store = await openStore(spec!);
const id = asRunId(runId!);
let last = (await store.createRun(newRun(runId!))).at(-1)?.seq ?? 0;
const lease = (await store.acquireLease(id, { id: `worker-${process.pid}` }))!;
for (let i = 0; i < Number(n); i++) {
  const tokens = ev('node.tokens', { attempt: 1, text: `t${i} ` }, asNodeId('ask'));
  const [e] = await store.append(id, [tokens], { epoch: lease.epoch, afterSeq: last });
  last = e!.seq;
}
await store.close();
process.stdout.write(`ok ${last}\n`);
