/**
 * The main thread's side of the store's writer thread (writer-thread.ts). The long-lived hosts
 * (`statepipe serve`, the app) commit the engine's transitions there, so the engine's thread goes
 * on while a commit's fsync waits: a chain of effectful nodes costs about half as much per node.
 * Commits keep their meaning: a write is answered once it is on disk, and readers (this process's
 * own connection, other processes) see it only then.
 *
 * Writes asked for before the thread is up wait for it; if it cannot start (its entry file is
 * missing from a build, the file cannot be opened there), they, and every later write, run on
 * the main thread as they would without it. If it stops after it started, the writes it had not
 * answered fail (each may or may not have committed: the engine then stops driving those runs,
 * and recovery reads what the log holds), and later writes run on the main thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../../core/errors.js';
import type { OpenOptions } from '../types.js';
import { fromWire, type WriteOp, type WriterMessage } from './protocol.js';

interface Waiting {
  write: WriteOp;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** How the writer thread starts: its entry file, or (from the TypeScript source) a boot that compiles it. */
export type WriterEntry = { url: URL } | { boot: string };

/** The writer thread's entry: beside the built bundle, or beside this module's source (compiled by tsx). */
export function writerEntry(): WriterEntry | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // A worker does not take a loader through its execArgv: it registers tsx itself, then imports the source.
    const tsx = pathToFileURL(createRequire(here).resolve('tsx/package.json'));
    const api = new URL('./dist/esm/api/index.mjs', tsx).href; // its export `tsx/esm/api` (import)
    const url = new URL('./writer-thread.ts', here).href;
    return {
      boot: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`,
    };
  }
  // The CLI's bundle (out/cli, its chunks in out/cli/chunks) and the app's (out/main).
  for (const name of ['./store-writer.mjs', '../store-writer.mjs', './store-writer.js', '../store-writer.js']) {
    const url = new URL(name, here);
    if (existsSync(url)) return { url };
  }
  return undefined;
}

export class StoreWriter {
  private readonly worker: Worker;
  private state: 'starting' | 'ready' | 'gone' = 'starting';
  private readonly early: Waiting[] = [];
  private readonly pending = new Map<number, Waiting>();
  private ids = 0;
  private readonly up: Promise<void>;
  /** Why it is gone (a start that failed, a thread that stopped), for the one line the host may log. */
  gone: string | undefined;

  constructor(
    private readonly file: string,
    opts: OpenOptions,
    /** Runs a write on the main thread's connection (before the thread is up, or after it is gone). */
    private readonly local: (write: WriteOp) => Promise<unknown>,
    entry = writerEntry(),
  ) {
    if (!entry) throw new Error('the writer thread entry was not found');
    const workerOpts = { ...opts, writerThread: false };
    const workerData = { file, opts: workerOpts };
    this.worker =
      'url' in entry ? new Worker(entry.url, { workerData }) : new Worker(entry.boot, { eval: true, workerData });
    this.worker.unref();
    let started: () => void = () => {};
    this.up = new Promise<void>((r) => (started = r));
    this.worker.on('message', (m: WriterMessage) => {
      if ('ready' in m) {
        this.state = 'ready';
        for (const w of this.early.splice(0)) this.post(w);
        return started();
      }
      if ('failed' in m) {
        this.leave(`could not open the database: ${fromWire(m.failed).message}`);
        return started();
      }
      const w = this.pending.get(m.id);
      if (!w) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('ok' in m) w.resolve(m.ok);
      else w.reject(fromWire(m.err));
    });
    this.worker.on('error', (err) => {
      this.leave(`stopped: ${err.message}`);
      started();
    });
    this.worker.on('exit', (code) => {
      if (this.state !== 'gone') this.leave(`exited (code ${code})`);
      started();
    });
  }

  /** Commits `write` on the writer thread (or on the main thread, if the thread is gone). */
  call(write: WriteOp): Promise<unknown> {
    if (this.state === 'gone') return this.local(write);
    return new Promise((resolve, reject) => {
      const w = { write, resolve, reject };
      if (this.state === 'starting') {
        this.early.push(w);
        this.worker.ref();
      } else this.post(w);
    });
  }

  /** Stops the thread once every write asked of it is answered; its connection closes there. */
  async close(): Promise<void> {
    // Held until it has exited: an idle thread does not keep the process alive, a closing one must.
    this.worker.ref();
    await this.up;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()].map(settled));
    if (this.state === 'gone') return;
    this.state = 'gone';
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage('close');
    await exited;
  }

  private post(w: Waiting): void {
    const id = ++this.ids;
    this.pending.set(id, w);
    this.worker.ref();
    this.worker.postMessage({ id, write: w.write });
  }

  /** The thread is gone: writes not yet sent run on the main thread; those it had not answered fail. */
  private leave(why: string): void {
    if (this.state === 'gone') return;
    const wasUp = this.state === 'ready';
    this.state = 'gone';
    this.gone = why;
    for (const w of this.early.splice(0)) this.local(w.write).then(w.resolve, w.reject);
    const lost = new AppError(
      'database',
      `${this.file}: the store's writer thread ${why}; a write it had not answered may or may not have been committed`,
    );
    for (const w of this.pending.values()) w.reject(lost);
    this.pending.clear();
    if (wasUp) void this.worker.terminate();
    this.worker.unref();
  }
}

/** A promise that settles when `w` is answered, either way. */
function settled(w: Waiting): Promise<void> {
  return new Promise<void>((r) => {
    const { resolve, reject } = w;
    w.resolve = (v) => (resolve(v), r());
    w.reject = (e) => (reject(e), r());
  });
}
