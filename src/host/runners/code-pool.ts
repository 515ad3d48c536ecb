/**
 * The processes `code` nodes run in: a small pool of long-lived Node child processes, one call
 * at a time each, talking over an IPC channel.
 *
 * Why processes and not worker threads: a worker's `resourceLimits` bound its JS heap only, so a
 * `new Uint8Array(2 ** 32)` (external memory) sailed past a 64 MB limit and took the host with
 * it. A process can be given an OS limit that counts every allocation: on Linux each child starts
 * under `ulimit -d` (RLIMIT_DATA, which since Linux 4.7 covers every private writable mapping:
 * the V8 heap, array buffers, malloc). Past it an allocation fails (`RangeError: Array buffer
 * allocation failed`) or the child dies; either way only that call fails, with `out of memory`.
 * Elsewhere (macOS does not apply RLIMIT_DATA to mmap, Windows has no such limit), or where the
 * runtime cannot start under the limit, only the heap is limited (`--max-old-space-size`).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PoolOptions {
  /** The worker module (code-worker.ts's source, written to a file). */
  file: string;
  /** The JS heap of each process (old generation), MB. */
  heapMb: number;
  /** Data limit of each process in MB (RLIMIT_DATA, Linux), or undefined for none. */
  dataLimitMb: number | undefined;
  maxProcesses: number;
  idleTimeoutMs: number;
}

export interface Task {
  code: string;
  argsJson: string;
  timeoutMs: number;
}

export type WorkerResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      kind: 'code' | 'timeout';
      message: string;
      /** A throw: its name, its own message and the [line, column] of each frame in the user's code. */
      name?: string;
      text?: string;
      frames?: [number, number][];
    };

/** How a call ended when its process did not answer. */
export type Crash = { kind: 'exited'; code: number | null; signal: string | null; stderr: string } | { kind: 'closed' };

export class CrashError extends Error {
  constructor(readonly crash: Crash) {
    super(
      crash.kind === 'closed' ? 'the sandbox is closed' : `the sandbox process exited (${crash.signal ?? crash.code})`,
    );
  }
}

interface Pending {
  task: Task;
  resolve: (r: WorkerResult) => void;
  reject: (e: unknown) => void;
}

/** One child process, one call at a time. */
class Worker {
  readonly child: ChildProcess;
  busy: Pending | undefined;
  /** The process said it is up (before any call): a death before that is a failed start. */
  ready = false;
  /** Killed or exited: takes no more calls. */
  dead = false;
  readonly exited: Promise<void>;
  private ended = false;
  private stderr = '';
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly opts: PoolOptions,
    readonly limited: boolean,
    onExit: (w: Worker, unanswered: Pending | undefined, crash: Crash) => void,
  ) {
    const node = [
      `--max-old-space-size=${opts.heapMb}`,
      `--max-semi-space-size=${Math.max(1, Math.min(8, Math.floor(opts.heapMb / 8)))}`,
      // import() must reject inside the vm context (code-worker.ts), which needs vm modules.
      '--experimental-vm-modules',
      '--no-warnings',
      opts.file,
    ];
    const [cmd, args] =
      limited && opts.dataLimitMb !== undefined
        ? ['/bin/sh', ['-c', `ulimit -d ${opts.dataLimitMb * 1024} && exec "$0" "$@"`, process.execPath, ...node]]
        : [process.execPath, node];
    // No parent environment (keys, tokens): the code never sees it, and neither does its process.
    const env: Record<string, string> = process.versions['electron'] ? { ELECTRON_RUN_AS_NODE: '1' } : {};
    this.child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-2000)));
    this.child.on('message', (m: { ready?: boolean; result?: WorkerResult }) => {
      if (m.ready) this.ready = true;
      const p = this.busy;
      if (!p || !m.result) return;
      this.busy = undefined;
      this.rest();
      p.resolve(m.result);
    });
    let gone: () => void = () => undefined;
    this.exited = new Promise((resolve) => (gone = resolve));
    const end = (code: number | null, signal: string | null): void => {
      if (this.ended) return;
      this.ended = true;
      this.dead = true;
      clearTimeout(this.idle);
      const p = this.busy;
      this.busy = undefined;
      gone();
      onExit(this, p, { kind: 'exited', code, signal, stderr: this.stderr });
    };
    this.child.on('exit', end);
    // A process that could not be started may never emit 'exit'.
    this.child.on('error', (err) => {
      if (this.child.pid !== undefined) return; // a running process's error: its exit follows
      this.stderr += String(err);
      end(null, null);
    });
  }

  call(p: Pending): void {
    clearTimeout(this.idle);
    this.busy = p;
    this.child.ref();
    this.child.send(p.task, (err) => {
      if (err) this.kill();
    });
  }

  /** Idle: never keeps the host alive, and exits after the idle timeout. */
  private rest(): void {
    this.child.unref();
    this.idle = setTimeout(() => this.kill(), this.opts.idleTimeoutMs);
    this.idle.unref();
  }

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.child.ref(); // its exit is awaited (close): it must keep the host's loop until then
    this.child.kill('SIGKILL');
  }
}

export class ProcessPool {
  private readonly workers = new Set<Worker>();
  private readonly queue: Pending[] = [];
  /** False once a process could not start under the data limit: the next ones start without it. */
  private limited: boolean;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    this.limited = opts.dataLimitMb !== undefined;
  }

  /** Whether processes start under the OS data limit (false: the heap limit only). */
  get osLimit(): boolean {
    return this.limited;
  }

  /** Runs a task; `signal` ends it (its process is killed). Rejects with CrashError if the process dies. */
  run(task: Task, signal: AbortSignal): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(new CrashError({ kind: 'closed' }));
    return new Promise<WorkerResult>((resolve, reject) => {
      const p: Pending = {
        task,
        resolve: (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
          this.next();
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
          this.next();
        },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(p);
        if (i >= 0) this.queue.splice(i, 1);
        for (const w of this.workers)
          if (w.busy === p) {
            w.busy = undefined; // settled here, not by its exit
            w.kill();
          }
        p.reject(signal.reason);
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(p);
      this.next();
    });
  }

  private next(): void {
    while (this.queue.length > 0 && !this.closed) {
      let free: Worker | undefined;
      for (const w of this.workers) if (!w.busy && !w.dead) free = w;
      if (!free && this.workers.size < this.opts.maxProcesses) free = this.start();
      if (!free) return;
      free.call(this.queue.shift()!);
    }
  }

  private start(): Worker {
    const w = new Worker(this.opts, this.limited, (dead, unanswered, crash) => {
      this.workers.delete(dead);
      if (this.closed) unanswered?.reject(new CrashError({ kind: 'closed' }));
      else if (dead.limited && !dead.ready) {
        // It died before it was up, under the limit: this runtime cannot start under it (not
        // node, or a bigger one). The next processes start with the heap limit only.
        this.limited = false;
        if (unanswered) this.queue.unshift(unanswered);
      } else unanswered?.reject(new CrashError(crash));
      this.next();
    });
    this.workers.add(w);
    return w;
  }

  /** Kills every process; calls running or queued are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new CrashError({ kind: 'closed' }));
    const workers = [...this.workers];
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => w.exited));
  }
}
