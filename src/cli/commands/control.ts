/**
 * Commands on an existing run: resume, approve, retry, rerun, cancel, pause (all continue or
 * stop the run in this process and exit with its state), and replay.
 */
import { osUser } from '../../host/os-user.js';
import { UsageError } from '../exit.js';
import { parseJsonArg } from '../files.js';
import { nonNegative, positiveInt } from '../flags.js';
import { paint, streamOut } from '../render.js';
import { checkRunFlags, driveCommand, withService, type GlobalOpts, type RunFlags } from '../session.js';
import { dryRunControl } from './dry-run.js';
import { orWorker, type WaitFlag } from './worker.js';

export interface ResumeOpts extends WaitFlag {
  maxTokens?: string;
  maxCost?: string;
}

export async function resumeCommand(runId: string, opts: ResumeOpts, g: GlobalOpts): Promise<number> {
  const maxTokens = positiveInt(opts.maxTokens, '--max-tokens', true);
  const maxCostUsd = nonNegative(opts.maxCost, '--max-cost');
  const budget = {
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
  };
  const hasBudget = maxTokens !== undefined || maxCostUsd !== undefined;
  if (opts.dryRun) return dryRunControl(runId, { kind: 'resume' }, opts, g);
  return driveCommand(g, opts, {
    runId,
    verb: 'resumed',
    act: (svc) => orWorker(svc, opts, (handOff) => svc.resume(runId, { ...(hasBudget ? { budget } : {}), ...handOff })),
  });
}

export interface ApproveOpts extends WaitFlag {
  reject?: boolean;
  comment?: string;
  data?: string;
  by?: string;
}

export async function approveCommand(runId: string, nodeId: string, opts: ApproveOpts, g: GlobalOpts): Promise<number> {
  checkRunFlags(opts);
  const data = opts.data !== undefined ? parseJsonArg(opts.data, '--data') : undefined;
  if (opts.dryRun) return dryRunControl(runId, { kind: 'approve', nodeId }, opts, g);
  const by = opts.by ?? osUser();
  const decision = {
    approved: opts.reject !== true,
    ...(by ? { by } : {}),
    ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
    ...(data !== undefined ? { data } : {}),
  };
  return driveCommand(g, opts, {
    runId,
    verb: opts.reject ? `rejected at ${nodeId}` : `approved at ${nodeId}`,
    act: (svc) => orWorker(svc, opts, (handOff) => svc.approve(runId, nodeId, decision, handOff)),
  });
}

export async function retryCommand(runId: string, nodeId: string, opts: WaitFlag, g: GlobalOpts): Promise<number> {
  if (opts.dryRun) return dryRunControl(runId, { kind: 'retry', nodeId }, opts, g);
  return driveCommand(g, opts, {
    runId,
    verb: `retrying ${nodeId}`,
    act: (svc) => orWorker(svc, opts, (handOff) => svc.retry(runId, nodeId, handOff)),
  });
}

export async function rerunCommand(runId: string, opts: RunFlags & { from?: string }, g: GlobalOpts): Promise<number> {
  if (!opts.from) throw new UsageError('rerun needs --from NODE_ID');
  const from = opts.from;
  if (opts.dryRun) return dryRunControl(runId, { kind: 'rerun', nodeId: from }, opts, g);
  // The new run prints its own `[run] id=… started` line from its run.created event.
  return driveCommand(g, opts, {
    act: (svc) => {
      svc.inspect(runId); // unknown run → exit 2 before anything is written
      return svc.rerun(runId, from);
    },
  });
}

export async function cancelCommand(runId: string, opts: RunFlags, g: GlobalOpts): Promise<number> {
  return driveCommand(g, opts, { runId, verb: 'cancelling', act: (svc) => svc.cancel(runId) });
}

export async function pauseCommand(runId: string, opts: RunFlags, g: GlobalOpts): Promise<number> {
  return driveCommand(g, opts, { runId, verb: 'pausing', act: (svc) => svc.pause(runId) });
}

export async function replayCommand(runId: string, opts: { json?: boolean }, g: GlobalOpts): Promise<number> {
  return withService(g, async (svc) => {
    const report = await svc.replay(runId);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ runId, ...report }, null, 2) + '\n');
      return report.matches ? 0 : 1;
    }
    const out = streamOut(process.stdout);
    const p = paint(out);
    if (report.matches) {
      out.write(`replay ${runId}: ${p.green('matches')} (${report.nodesCompared} nodes compared, no runner called)\n`);
      return 0;
    }
    out.write(
      `replay ${runId}: ${p.red('differs')} (${report.differences.length} difference${report.differences.length === 1 ? '' : 's'}, ${report.nodesCompared} nodes compared)\n`,
    );
    for (const d of report.differences) out.write(`  - ${d}\n`);
    return 1;
  });
}
