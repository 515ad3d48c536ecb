/**
 * Child process of the concurrency test: `node --import tsx append-worker.fixture.ts DB RUN N`.
 * Creates RUN, prints `ready`, waits for a line on stdin (so that several workers start
 * together), then appends N events one transaction each. Prints `ok <lastSeq>`.
 */
import { once } from 'node:events';
import { ev } from '../../core/events.js';
import { asNodeId, asRunId } from '../../core/ids.js';
import { openDatabase } from './open.js';
import { newRun } from './test-helpers.js';

const [file, runId, n] = process.argv.slice(2);
const store = openDatabase(file!);
store.createRun(newRun(runId!));
process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
process.stdin.pause();
let last = 0;
for (let i = 0; i < Number(n); i++) {
  const [e] = store.append(asRunId(runId!), [ev('node.tokens', { attempt: 1, text: `t${i} ` }, asNodeId('ask'))]);
  last = e!.seq;
}
store.close();
process.stdout.write(`ok ${last}\n`);
