/**
 * The store's writer thread: a connection of its own to the SQLite file, on which the writes the
 * engine makes at every transition commit (writer-client.ts sends them). The commit's fsync then
 * waits here, not on the thread that runs the engine, the runners' I/O and the host.
 *
 * Writes that arrive in the same turn of this thread's event loop commit in one transaction, as
 * on the main thread (SqliteStore's group commit); each is answered once its transaction is on
 * disk, so what the engine is told is durable is, and no reader sees a commit before that.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../open.js';
import type { OpenOptions } from '../types.js';
import { toWire, type WriteRequest, type WriterMessage } from './protocol.js';

const port = parentPort!;
const post = (m: WriterMessage): void => port.postMessage(m);
const { file, opts } = workerData as { file: string; opts: OpenOptions };

function start(): void {
  let store: ReturnType<typeof openDatabase>;
  try {
    store = openDatabase(file, opts);
  } catch (err) {
    post({ failed: toWire(err) });
    return;
  }
  port.on('message', (m: WriteRequest | 'close') => {
    if (m === 'close') {
      // Every write asked for was answered before the client asks to close.
      void store.close().finally(() => port.close());
      return;
    }
    store.writeHere(m.write).then(
      (ok) => post({ id: m.id, ok }),
      (err: unknown) => post({ id: m.id, err: toWire(err) }),
    );
  });
  post({ ready: true });
}

start();
