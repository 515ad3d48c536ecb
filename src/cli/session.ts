/**
 * What every run-driving command shares (run, resume, approve, retry, rerun, cancel, pause):
 * the global options, opening the service, `--hooks`, `--jsonl`, `--json`, `--inspect`, the
 * progress lines, the final line and the exit code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunEvent } from '../core/events.js';
import { asRunId } from '../core/ids.js';
import type { RunHooks } from '../core/ports.js';
import { StatepipeService, type RunDetail, type RunOutcome } from '../host/service.js';
import { UsageError, statusExitCode } from './exit.js';
import { InspectView } from './inspect-view.js';
import { ProgressPrinter, compensationLine, finalLine, type BudgetInfo } from './progress.js';
import { paint, streamOut, type Out } from './render.js';
import { resolveDbPath, type GlobalOpts } from './global-opts.js';

export type { GlobalOpts };

/** Flags shared by run/resume/approve/retry/rerun. */
export interface RunFlags {
  json?: boolean;
  jsonl?: string;
  inspect?: boolean;
  hooks?: string;
  dryRun?: boolean;
}

/**
 * Opens the service for a command and always closes it (list, inspect and export use
 * store-session.ts). `readOnly`: the command only reads (export-graph), so it writes nothing, and
 * on a full disk it still answers (the store opens for reading alone, see OpenOptions.forReading).
 */
export async function withService<T>(
  g: GlobalOpts,
  fn: (svc: StatepipeService) => Promise<T> | T,
  extra: { hooks?: RunHooks; readOnly?: boolean } = {},
): Promise<T> {
  const errp = paint(streamOut(process.stderr));
  const svc = await StatepipeService.open({
    dbPath: resolveDbPath(g),
    ...(extra.readOnly ? { forReading: true } : {}),
    ...(extra.hooks ? { hooks: extra.hooks } : {}),
    onHookError: (hook, err) => {
      process.stderr.write(
        `${errp.yellow('statepipe: warning:')} hook ${hook} threw: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      if (g.verbose && err instanceof Error && err.stack) process.stderr.write(errp.dim(err.stack) + '\n');
    },
  });
  try {
    return await fn(svc);
  } finally {
    await svc.close();
  }
}

const HOOK_NAMES = ['onInit', 'onProgress', 'onRetry', 'onSuccess', 'onError', 'onComplete'] as const;

/** Loads `--hooks FILE.js`: an ES module exporting the hooks (default export or named). */
export async function loadHooks(file: string | undefined): Promise<RunHooks | undefined> {
  if (file === undefined) return undefined;
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new UsageError(`--hooks ${file}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--hooks ${file}: cannot load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const def = mod['default'];
  const source = def && typeof def === 'object' ? (def as Record<string, unknown>) : mod;
  const hooks: RunHooks = {};
  for (const name of HOOK_NAMES) {
    const fn = source[name] ?? mod[name];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new UsageError(`--hooks ${file}: ${name} is not a function`);
    hooks[name] = fn as (ctx: never) => unknown;
  }
  if (Object.keys(hooks).length === 0) {
    throw new UsageError(`--hooks ${file}: exports none of ${HOOK_NAMES.join(', ')}`);
  }
  return hooks;
}

/** The event format of docs/runtime.md "Events", with a stable key order. */
export function eventJson(e: RunEvent): string {
  const o: Record<string, unknown> = { seq: e.seq, runId: e.runId, ts: e.ts, type: e.type };
  if (e.nodeId !== undefined) o['nodeId'] = e.nodeId;
  o['data'] = e.data;
  return JSON.stringify(o);
}

/** Appends events as JSON lines to a file, or to stdout for `-`; fills any seq gap from the log. */
export class JsonlSink {
  private fd: number | undefined;
  private readonly lastSeq = new Map<string, number>();
  constructor(
    private readonly target: string,
    private readonly backfill: (runId: string, afterSeq: number) => Promise<RunEvent[]>,
  ) {
    // Checked now, created on the first event: a refused command leaves no file behind.
    if (target !== '-') {
      const exists = fs.existsSync(target);
      try {
        if (exists && fs.statSync(target).isDirectory())
          throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        fs.accessSync(exists ? target : path.dirname(path.resolve(target)), fs.constants.W_OK);
      } catch (err) {
        throw new UsageError(`--jsonl ${target}: cannot write (${(err as { code?: string }).code ?? String(err)})`);
      }
    }
  }
  private writeLine(s: string): void {
    if (this.target === '-') {
      process.stdout.write(s);
      return;
    }
    this.fd ??= fs.openSync(this.target, 'a');
    fs.writeSync(this.fd, s);
  }
  /** Lines are written in order: a gap is filled from the log before what follows it. */
  private chain: Promise<void> = Promise.resolve();
  onEvents(events: RunEvent[]): void {
    this.chain = this.chain.then(() => this.write(events));
  }
  private async write(events: RunEvent[]): Promise<void> {
    let buf = '';
    for (const e of events) {
      const last = this.lastSeq.get(e.runId);
      if (last !== undefined && e.seq <= last) continue;
      if (last !== undefined && e.seq > last + 1) {
        for (const missed of await this.backfill(e.runId, last))
          if (missed.seq < e.seq) buf += eventJson(missed) + '\n';
      }
      buf += eventJson(e) + '\n';
      this.lastSeq.set(e.runId, e.seq);
    }
    if (buf) this.writeLine(buf);
  }
  /** Writes whatever committed after the last event seen (nothing, normally). */
  async flush(runId: string): Promise<void> {
    await this.chain;
    const last = this.lastSeq.get(runId);
    if (last === undefined) return;
    const missed = await this.backfill(runId, last);
    if (missed.length > 0) await this.write(missed);
  }
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Where the human-readable output goes: stderr when stdout is reserved for JSON/JSONL. */
export function humanOut(flags: RunFlags): Out {
  return streamOut(flags.json || flags.jsonl === '-' ? process.stderr : process.stdout);
}

export function checkRunFlags(flags: RunFlags): void {
  if (flags.json && flags.jsonl === '-')
    throw new UsageError('--json and --jsonl - both want stdout; write the JSONL to a file instead');
  if (flags.jsonl !== undefined && flags.jsonl.trim() === '')
    throw new UsageError('--jsonl: expected a file name or -');
}

/** The `--json` document of an outcome: `{ runId, status, result, error?, waitingFor?, … }`. */
export function outcomeJson(o: RunOutcome, d?: RunDetail): Record<string, unknown> {
  const doc: Record<string, unknown> = { runId: o.runId, status: o.status, result: o.result ?? d?.result ?? null };
  if (o.error) doc['error'] = o.error;
  if (o.waitingFor) doc['waitingFor'] = o.waitingFor;
  if (o.pauseReason) doc['pauseReason'] = o.pauseReason;
  if (o.compensated !== undefined) doc['compensated'] = o.compensated;
  if (d) {
    doc['tokens'] = d.tokens;
    doc['costUsd'] = d.costUsd;
    if (d.durationMs !== undefined) doc['durationMs'] = d.durationMs;
  }
  return doc;
}

export interface DriveSpec {
  /** For commands on an existing run: printed first as `[run] id=<id> <verb>`. */
  runId?: string;
  verb?: string;
  act: (svc: StatepipeService) => Promise<RunOutcome | { runId: string; status: 'requested' | 'handed-off' }>;
}

/** Runs a run-driving command end to end and returns its exit code. */
export async function driveCommand(g: GlobalOpts, flags: RunFlags, spec: DriveSpec): Promise<number> {
  checkRunFlags(flags);
  const hooks = await loadHooks(flags.hooks);
  return withService(
    g,
    async (svc) => {
      const out = humanOut(flags);
      const p = paint(out);
      const seed = (id: string): Promise<RunDetail | undefined> => svc.inspect(id).catch(() => undefined);
      const roots = spec.runId !== undefined ? [spec.runId] : [];
      const view = flags.inspect ? new InspectView(out, seed) : new ProgressPrinter(out, g.verbose === true, roots);
      const sink =
        flags.jsonl !== undefined ? new JsonlSink(flags.jsonl, (id, after) => svc.events(id, after)) : undefined;
      let budget: BudgetInfo | undefined;
      let current = spec.runId;
      // For a command on an existing run, `[run] id=<id> <verb>` comes first, once something happened.
      let header = spec.runId !== undefined;
      const printHeader = (): void => {
        if (header) out.write(`[run] id=${spec.runId} ${spec.verb ?? 'continues'}\n`);
        header = false;
      };
      const unsubscribe = svc.subscribe((events) => {
        printHeader();
        sink?.onEvents(events);
        view.onEvents(events);
        for (const e of events) {
          current ??= e.runId;
          // The run's own limits: a child's budget.exceeded names what the child was given.
          if (e.type === 'budget.exceeded' && e.runId === current) budget = e.data;
        }
      });
      // Ctrl+C: pause the run (running nodes finish, it can be resumed); a second one quits at once.
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts++;
        if (interrupts > 1 || current === undefined) process.exit(130);
        process.stderr.write(
          `\n[run] id=${current} pausing: running nodes finish first (Ctrl+C again to quit now; statepipe resume ${current} continues)\n`,
        );
        svc.pause(current).catch(() => process.exit(130));
      };
      process.on('SIGINT', onSigint);
      try {
        const res = await spec.act(svc);
        unsubscribe();
        if (view instanceof InspectView) await view.settled();
        view.finish();
        await sink?.flush(res.runId);
        printHeader();
        if (res.status === 'requested') {
          out.write(
            `[run] id=${res.runId} ${spec.verb ?? 'control'} requested (another process drives this run; it will act on it)\n`,
          );
          if (flags.json) process.stdout.write(JSON.stringify({ runId: res.runId, status: 'requested' }) + '\n');
          return 0;
        }
        if (res.status === 'handed-off') {
          out.write(
            `[run] id=${res.runId} ${spec.verb ?? 'continues'}: queued for a worker (statepipe worker drives it; --wait drives it here)\n`,
          );
          if (flags.json) process.stdout.write(JSON.stringify({ runId: res.runId, status: 'handed-off' }) + '\n');
          return 0;
        }
        const outcome = res as RunOutcome;
        if (outcome.drivenElsewhere) {
          out.write(
            `[run] id=${outcome.runId} ${spec.verb ?? 'continues'}: the process that drives it goes on with it\n`,
          );
          if (flags.json) process.stdout.write(JSON.stringify(outcome) + '\n');
          return 0;
        }
        const detail = await seed(outcome.runId);
        const comp = compensationLine(outcome, detail, p);
        if (comp) out.write(comp + '\n');
        // Paused by a child's budget (its own was not reached): its limits are the run's own.
        if (outcome.status === 'paused' && outcome.pauseReason === 'budget' && !budget) {
          const limits = (await svc.engine.inspect(asRunId(outcome.runId))).budget;
          budget = { tokens: detail?.tokens ?? 0, costUsd: detail?.costUsd ?? 0, ...limits };
        }
        out.write(finalLine(outcome, detail, p, budget) + '\n');
        if (flags.json) process.stdout.write(JSON.stringify(outcomeJson(outcome, detail), null, 2) + '\n');
        return statusExitCode(outcome.status);
      } finally {
        process.off('SIGINT', onSigint);
        unsubscribe();
        view.finish();
        sink?.close();
      }
    },
    hooks ? { hooks } : {},
  );
}
