/**
 * Batch runs: `statepipe run GRAPH.json --inputs FILE.jsonl [--concurrency N]`. One run per
 * input line, N at a time over one service, a progress bar on stderr when it is a TTY (else a
 * plain line per finished run), then `batch: 10 runs: 9 succeeded, 1 failed, 0 waiting`.
 * The exit code is the worst: 1 if any failed or was cancelled, 3 if any waits, else 0.
 */
import cliProgress from 'cli-progress';
import type { Graph } from '../../core/graph/schema.js';
import type { RunOutcome } from '../../host/service.js';
import { UsageError, errorMessage, statusExitCode, worstExitCode } from '../exit.js';
import type { BatchLine } from '../files.js';
import { finalLine } from '../progress.js';
import { oneLine, paint, streamOut } from '../render.js';
import {
  JsonlSink,
  humanOut,
  loadHooks,
  outcomeJson,
  withService,
  type GlobalOpts,
  type RunFlags,
} from '../session.js';

interface Result {
  line: number;
  outcome?: RunOutcome;
  error?: string;
}

/** Runs `items` through `fn` with at most `limit` in flight; resolves when all are done. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const bucket = (r: Result): 'succeeded' | 'failed' | 'waiting' =>
  r.outcome === undefined
    ? 'failed'
    : r.outcome.status === 'succeeded'
      ? 'succeeded'
      : statusExitCode(r.outcome.status) === 1
        ? 'failed'
        : 'waiting';

export async function runBatch(
  graph: Graph,
  lines: BatchLine[],
  concurrency: number,
  opts: RunFlags,
  g: GlobalOpts,
): Promise<number> {
  if (opts.inspect) throw new UsageError('--inspect shows a single run; it cannot be used with --inputs');
  const hooks = await loadHooks(opts.hooks);
  return withService(
    g,
    async (svc) => {
      const out = humanOut(opts);
      const p = paint(out);
      const err = streamOut(process.stderr);
      const sink =
        opts.jsonl !== undefined ? new JsonlSink(opts.jsonl, (id, after) => svc.events(id, after)) : undefined;
      const unsubscribe = svc.subscribe((events) => {
        sink?.onEvents(events);
        if (g.verbose && !err.isTTY)
          for (const e of events) if (e.type === 'run.created') err.write(`[run] id=${e.runId} started\n`);
      });
      const counts = { succeeded: 0, failed: 0, waiting: 0 };
      const results: Result[] = [];
      const total = lines.length;
      const bar = err.isTTY
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: `batch [{bar}] {value}/{total} · {succeeded} succeeded · {failed} failed · {waiting} waiting`,
              hideCursor: true,
              clearOnComplete: true,
              barsize: 30,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(total, 0, counts);
      let done = 0;
      try {
        await pool(lines, concurrency, async (l) => {
          const r: Result = { line: l.line };
          try {
            r.outcome = await svc.startRun(graph, l.input);
          } catch (e) {
            r.error = errorMessage(e);
          }
          results.push(r);
          done++;
          counts[bucket(r)]++;
          if (bar) bar.update(done, counts);
          else {
            const what = r.outcome ? `${r.outcome.runId} ${r.outcome.status}` : `error: ${oneLine(r.error ?? '')}`;
            err.write(`[batch] ${done}/${total} · line ${l.line} · ${what}\n`);
          }
        });
      } finally {
        bar?.stop();
        unsubscribe();
        for (const r of results) if (r.outcome) await sink?.flush(r.outcome.runId);
        sink?.close();
      }
      results.sort((a, b) => a.line - b.line);
      if (g.verbose || results.some((r) => bucket(r) !== 'succeeded')) {
        for (const r of results) {
          if (bucket(r) === 'succeeded' && !g.verbose) continue;
          const detail = r.outcome ? await svc.inspect(r.outcome.runId).catch(() => undefined) : undefined;
          out.write(
            `line ${r.line}: ${r.outcome ? finalLine(r.outcome, detail, p) : `${p.red('error')}: ${r.error}`}\n`,
          );
        }
      }
      const summary = `batch: ${total} run${total === 1 ? '' : 's'}: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.waiting} waiting`;
      out.write(summary + '\n');
      if (opts.json) {
        const doc = {
          total,
          ...counts,
          runs: results.map((r) => ({
            line: r.line,
            ...(r.outcome
              ? outcomeJson(r.outcome)
              : { status: 'error', error: { kind: 'internal', message: r.error } }),
          })),
        };
        process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      }
      return worstExitCode(results.map((r) => (r.outcome ? statusExitCode(r.outcome.status) : 1)));
    },
    hooks ? { hooks } : {},
  );
}
