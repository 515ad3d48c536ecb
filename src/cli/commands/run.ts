/**
 * `statepipe run GRAPH.json [--input JSON|@file] [--dry-run]` and the batch form
 * `--inputs FILE.jsonl [--concurrency N]`. The graph and every input are validated before the
 * database is opened, so a refused run writes nothing.
 */
import type { Graph } from '../../core/graph/schema.js';
import { StatepipeService } from '../../host/service.js';
import { UsageError } from '../exit.js';
import { checkRunInput, loadGraphFile, parseJsonArg, readInputsFile } from '../files.js';
import { positiveInt } from '../flags.js';
import { checkRunFlags, driveCommand, type GlobalOpts, type RunFlags } from '../session.js';
import { resolveDbPath } from '../global-opts.js';
import { printPlan } from './dry-run.js';
import { checkDetachFlags, type DetachOpts } from './detach-flags.js';

/** The queue (pg-boss) is loaded only for --detach. */
const detachRuns: typeof import('./worker.js').detachRuns = async (...args) =>
  (await import('./worker.js')).detachRuns(...args);

export interface RunOpts extends RunFlags, DetachOpts {
  input?: string;
  inputs?: string;
  concurrency?: string;
}

export async function runCommand(file: string, opts: RunOpts, g: GlobalOpts): Promise<number> {
  checkRunFlags(opts);
  if (opts.input !== undefined && opts.inputs !== undefined)
    throw new UsageError('use either --input or --inputs, not both');
  if (opts.concurrency !== undefined && opts.inputs === undefined)
    throw new UsageError('--concurrency needs --inputs FILE.jsonl');
  const concurrency = positiveInt(opts.concurrency, '--concurrency') ?? 1;
  checkDetachFlags(opts, g);
  if (opts.detach && (opts.inspect || opts.jsonl !== undefined || opts.json || opts.hooks !== undefined))
    throw new UsageError('--detach returns at once: --inspect, --jsonl, --json and --hooks need a run driven here');
  const graph = await loadGraphFile(file, resolveDbPath(g));

  if (opts.inputs !== undefined) {
    const lines = readInputsFile(opts.inputs);
    for (const l of lines) checkRunInput(graph, l.input, `${opts.inputs}:${l.line}`);
    if (opts.dryRun) {
      // The batch's worst case is every run's: the plans' tokens and calls add up.
      const plans = await Promise.all(lines.map((l) => StatepipeService.dryRun(graph, l.input)));
      const plan = {
        ...plans[0]!,
        worstCaseTokens: plans.reduce((n, x) => n + x.worstCaseTokens, 0),
        modelCalls: plans.reduce((n, x) => n + x.modelCalls, 0),
      };
      const note = `${lines.length} input${lines.length === 1 ? '' : 's'} valid · tokens and calls of all ${lines.length} runs`;
      return printPlan(plan, planHeader(graph, note), { graphId: graph.id, runs: lines.length }, opts);
    }
    if (opts.detach && !opts.dryRun)
      return detachRuns(
        graph,
        lines.map((l) => l.input),
        opts,
        g,
      );
    // The batch's progress bar (cli-progress) is loaded only for a batch.
    return (await import('./batch.js')).runBatch(graph, lines, concurrency, opts, g);
  }

  const input = opts.input !== undefined ? parseJsonArg(opts.input, '--input') : {};
  if (opts.input !== undefined || !opts.dryRun)
    checkRunInput(graph, input, opts.input !== undefined ? '--input' : 'no --input given');
  if (opts.dryRun)
    return printDryRun(
      graph,
      opts,
      opts.input !== undefined ? input : undefined,
      opts.input !== undefined ? 'input valid' : undefined,
    );

  if (opts.detach) return detachRuns(graph, [input], opts, g);
  return driveCommand(g, opts, { act: (svc) => svc.startRun(graph, input) });
}

const planHeader = (graph: Graph, note?: string): string =>
  `${graph.id} (${graph.nodes.length} nodes, ${graph.edges.length} edges)${note ? ` · ${note}` : ''}`;

/** `--dry-run`: the plan, without opening the database. */
async function printDryRun(graph: Graph, opts: RunOpts, input: unknown, note?: string): Promise<number> {
  const plan = await StatepipeService.dryRun(graph, input);
  return printPlan(
    plan,
    planHeader(graph, note),
    { graphId: graph.id, nodes: graph.nodes.length, edges: graph.edges.length },
    opts,
  );
}
