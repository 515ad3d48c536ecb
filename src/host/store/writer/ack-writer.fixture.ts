/**
 * Child process of the writer-thread crash test: `node --import tsx ack-writer.fixture.ts DB RUN`.
 * Opens DB with its writer thread, creates RUN and appends one event at a time, printing
 * `acked <seq>` as each append is answered, until it is killed.
 */
import { ev } from '../../../core/events.js';
import { asNodeId, asRunId } from '../../../core/ids.js';
import { openDatabase } from '../open.js';
import { newRun } from '../test-helpers.js';

const [file, runId] = process.argv.slice(2);
const store = openDatabase(file!, { writerThread: true });
const id = asRunId(runId!);
let last = (await store.createRun(newRun(runId!))).at(-1)!.seq;
const lease = (await store.acquireLease(id, { id: `fixture-${process.pid}` }))!;
for (let i = 0; ; i++) {
  const tokens = ev('node.tokens', { attempt: 1, text: `t${i} ` }, asNodeId('ask'));
  const [e] = await store.append(id, [tokens], { epoch: lease.epoch, afterSeq: last });
  last = e!.seq;
  process.stdout.write(`acked ${last}\n`);
}
