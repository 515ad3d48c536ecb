/**
 * `code` nodes: JavaScript run in a small pool of child processes (code-pool.ts), one fresh vm
 * context per call, with memory limits per process and a time limit per call (see
 * code-worker.ts for what the code can and cannot reach).
 *
 * Failures: a throw → `code`; the time limit → `timeout`; the memory limit (the heap, and on
 * Linux every allocation: array buffers too) → `code` (out of memory); an abort → `cancelled`.
 * A process that dies takes only its own call with it: the pool starts another.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFailure } from '../../core/errors.js';
import type { NodeResult, NodeRunContext, NodeRunner } from '../../core/ports.js';
import { CODE_WORKER_SOURCE } from './code-worker.js';
import { CrashError, ProcessPool, type WorkerResult } from './code-pool.js';

export interface CodeSandboxOptions {
  /** Memory a call may use, in MB: the JS heap, and (Linux) everything else it allocates. Default 64. */
  memoryLimitMb?: number;
  /** Most calls running at once (one process each). Default min(4, cores). */
  maxThreads?: number;
  /** Idle processes exit after this long. Default 30 s. */
  idleTimeoutMs?: number;
}

/**
 * What Node itself needs under the data limit (its own heap, code, buffers: ~80 MB measured on
 * Node 20 with a vm context), on top of the code's allowance.
 */
const RUNTIME_DATA_MB = 96;

export interface CodeArgs {
  input: unknown;
  nodes: Record<string, unknown>;
}

export interface CodeRunOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** What the code is, in an error's stack (`calc's code`). */
  label?: string;
}

/**
 * A throw in the code: its stack is the user's frames only ("at line 2, column 9 of calc's
 * code"), not the engine's. `details` hold the line and column of the first frame and that
 * `trace`: unlike a stack (kept out of events, it may name server paths), it names nothing of the
 * host, so the run keeps it for the studio to show.
 */
function thrown(r: Extract<WorkerResult, { ok: false }>, label: string): NodeFailure {
  const at = r.frames?.[0];
  const where = (r.frames ?? []).map(([l, c]) => `\n    at line ${l}${c ? `, column ${c}` : ''} of ${label}`);
  const trace = `${r.name ?? 'Error'}: ${r.text ?? r.message}${where.join('')}`;
  const f = new NodeFailure('code', `code: ${r.message}`, {
    retryable: false,
    ...(at ? { details: { line: at[0], ...(at[1] ? { column: at[1] } : {}), trace } } : {}),
  });
  f.stack = trace;
  return f;
}

/** Extra time the outside watchdog gives the worker's own (vm) time limit. */
const WATCHDOG_GRACE_MS = 250;

let workerFile: string | undefined;

/** A directory only this user can write: `<tmp>/statepipe-<uid>`, else a fresh private one. */
function privateDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = join(tmpdir(), `statepipe-code-${uid ?? 'user'}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') return mkdtempSync(join(tmpdir(), 'statepipe-'));
  }
  const st = lstatSync(dir);
  const ours = st.isDirectory() && (uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0));
  return ours ? dir : mkdtempSync(join(tmpdir(), 'statepipe-'));
}

/**
 * The worker as a file a child process can load. Its name is the hash of its source, so every process
 * of one version shares one file (written atomically, never rewritten).
 */
export function workerFilename(): string {
  if (workerFile) return workerFile;
  const hash = createHash('sha256').update(CODE_WORKER_SOURCE).digest('hex').slice(0, 16);
  const file = join(privateDir(), `code-worker-${hash}.mjs`);
  let current = false;
  try {
    current = readFileSync(file, 'utf8') === CODE_WORKER_SOURCE;
  } catch {
    current = false;
  }
  if (!current) {
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, CODE_WORKER_SOURCE, { mode: 0o600 });
    renameSync(tmp, file);
  }
  workerFile = file;
  return file;
}

function reasonFailure(reason: unknown): NodeFailure {
  if (reason instanceof NodeFailure) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new NodeFailure('timeout', `code: ${reason.message || 'timed out'}`, { cause: reason });
  }
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
  return new NodeFailure('cancelled', `code: cancelled (${why})`, { retryable: false, cause: reason });
}

export class CodeSandbox {
  readonly memoryLimitMb: number;
  private readonly maxThreads: number;
  private readonly idleTimeoutMs: number;
  private pool: ProcessPool | undefined;
  private closed = false;

  constructor(opts: CodeSandboxOptions = {}) {
    this.memoryLimitMb = opts.memoryLimitMb ?? 64;
    this.maxThreads = Math.max(1, opts.maxThreads ?? Math.min(4, availableParallelism()));
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
  }

  /** Whether every allocation of a call is limited (an OS limit), not only its JS heap. */
  get limitsAllMemory(): boolean {
    return this.getPool().osLimit;
  }

  private getPool(): ProcessPool {
    if (this.closed) throw new NodeFailure('internal', 'code sandbox is closed', { retryable: false });
    this.pool ??= new ProcessPool({
      file: workerFilename(),
      heapMb: this.memoryLimitMb,
      // RLIMIT_DATA: Linux applies it to every private writable mapping (array buffers included).
      dataLimitMb: process.platform === 'linux' ? RUNTIME_DATA_MB + this.memoryLimitMb : undefined,
      maxProcesses: this.maxThreads,
      idleTimeoutMs: this.idleTimeoutMs,
    });
    return this.pool;
  }

  /**
   * Runs `code`, the body of `function (input, nodes) { … }`, and resolves to the JSON value it
   * returns (a returned promise is awaited). Throws NodeFailure.
   */
  async run(code: string, args: CodeArgs, opts: CodeRunOptions): Promise<unknown> {
    const { signal } = opts;
    const timeoutMs = Math.max(1, Math.floor(opts.timeoutMs));
    if (signal.aborted) throw reasonFailure(signal.reason);
    let argsJson: string;
    try {
      argsJson = JSON.stringify({ input: args.input ?? null, nodes: args.nodes ?? {} });
    } catch (err) {
      throw new NodeFailure(
        'code',
        `code: the input is not JSON: ${err instanceof Error ? err.message : String(err)}`,
        {
          retryable: false,
        },
      );
    }
    const pool = this.getPool();

    const ac = new AbortController();
    let watchdogFired = false;
    const watchdog = setTimeout(() => {
      watchdogFired = true;
      ac.abort(new Error('time limit'));
    }, timeoutMs + WATCHDOG_GRACE_MS);
    const onAbort = (): void => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

    let result: WorkerResult;
    try {
      result = await pool.run({ code, argsJson, timeoutMs }, ac.signal);
    } catch (err) {
      if (signal.aborted) throw reasonFailure(signal.reason);
      if (watchdogFired) throw this.timeoutFailure(timeoutMs);
      throw this.crashFailure(err);
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', onAbort);
    }
    if (result.ok) return result.value;
    if (result.kind === 'timeout') throw this.timeoutFailure(timeoutMs);
    // An allocation past the OS limit fails inside the code: that is the memory limit too.
    if (/Array buffer allocation failed|out of memory/i.test(result.message)) throw this.outOfMemory();
    throw thrown(result, opts.label ?? 'the code');
  }

  private timeoutFailure(timeoutMs: number): NodeFailure {
    return new NodeFailure('timeout', `code: time limit of ${timeoutMs} ms exceeded`, { details: { timeoutMs } });
  }

  private outOfMemory(): NodeFailure {
    return new NodeFailure('code', `code: out of memory (limit ${this.memoryLimitMb} MB)`, {
      retryable: false,
      details: { memoryLimitMb: this.memoryLimitMb },
    });
  }

  /** A process that died during the call: killed by a memory limit (V8's or the OS's), or otherwise. */
  private crashFailure(err: unknown): NodeFailure {
    if (err instanceof CrashError && err.crash.kind === 'exited') {
      const { code, signal, stderr } = err.crash;
      // V8 aborts (SIGABRT, or SIGTRAP on a failed CHECK) when its heap or an allocation fails.
      if (
        /out of memory|Allocation failed|Reached heap limit/i.test(stderr) ||
        signal === 'SIGABRT' ||
        signal === 'SIGTRAP'
      )
        return this.outOfMemory();
      return new NodeFailure('code', `code: the sandbox process exited (${signal ?? `code ${code}`})`, {
        retryable: false,
      });
    }
    const why = err instanceof Error ? err.message : String(err);
    return new NodeFailure('code', `code: the sandbox failed: ${why}`, { retryable: false, cause: err });
  }

  /** Stops the processes; calls still running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.close();
  }
}

/** The `code` node: `input` is the run input, `nodes` maps each upstream id to its output. */
export function codeRunner(sandbox: Pick<CodeSandbox, 'run'>): NodeRunner {
  return async (ctx: NodeRunContext): Promise<NodeResult> => {
    const code = ctx.config['code'];
    if (typeof code !== 'string' || code.trim() === '') {
      throw new NodeFailure('code', `${ctx.node.id}: config.code must be a non-empty string`, { retryable: false });
    }
    const nodes: Record<string, unknown> = {};
    for (const [id, entry] of Object.entries(ctx.scope.nodes)) nodes[id] = entry?.output;
    const output = await sandbox.run(
      code,
      { input: ctx.scope.input, nodes },
      { timeoutMs: ctx.timeoutMs, signal: ctx.signal, label: `${ctx.node.id}'s code` },
    );
    return { output };
  };
}
