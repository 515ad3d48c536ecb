/**
 * `statepipe run GRAPH.json [--input JSON|@file] [--dry-run]` and the batch form
 * `--inputs FILE.jsonl [--concurrency N]`. The graph and every input are validated before the
 * database is opened, so a refused run writes nothing.
 */
import { topology } from '../../core/graph/topology.js';
import type { Graph } from '../../core/graph/schema.js';
import { dryRunPlan } from '../../core/engine/plan.js';
import { UsageError } from '../exit.js';
import { checkRunInput, loadGraphFile, parseJsonArg, positiveInt, readInputsFile } from '../files.js';
import { paint, streamOut } from '../render.js';
import { checkRunFlags, driveCommand, type GlobalOpts, type RunFlags } from '../session.js';
import { runBatch } from './batch.js';

export interface RunOpts extends RunFlags {
  input?: string;
  inputs?: string;
  concurrency?: string;
}

export async function runCommand(file: string, opts: RunOpts, g: GlobalOpts): Promise<number> {
  checkRunFlags(opts);
  if (opts.input !== undefined && opts.inputs !== undefined) throw new UsageError('use either --input or --inputs, not both');
  if (opts.concurrency !== undefined && opts.inputs === undefined) throw new UsageError('--concurrency needs --inputs FILE.jsonl');
  const concurrency = positiveInt(opts.concurrency, '--concurrency') ?? 1;
  const graph = loadGraphFile(file);

  if (opts.inputs !== undefined) {
    const lines = readInputsFile(opts.inputs);
    for (const l of lines) checkRunInput(graph, l.input, `${opts.inputs}:${l.line}`);
    if (opts.dryRun) return printDryRun(graph, opts, `${lines.length} inputs valid`);
    return runBatch(graph, lines, concurrency, opts, g);
  }

  const input = opts.input !== undefined ? parseJsonArg(opts.input, '--input') : {};
  if (opts.input !== undefined || !opts.dryRun) checkRunInput(graph, input, opts.input !== undefined ? '--input' : 'no --input given');
  if (opts.dryRun) return printDryRun(graph, opts, opts.input !== undefined ? 'input valid' : undefined);

  return driveCommand(g, opts, { act: (svc) => svc.startRun(graph, input) });
}

/** `--dry-run`: the plan, without opening the database. */
function printDryRun(graph: Graph, opts: RunOpts, note?: string): number {
  const plan = dryRunPlan(graph, topology(graph));
  if (opts.json) {
    const doc = { graphId: graph.id, dryRun: true, nodes: graph.nodes.length, edges: graph.edges.length, ...plan };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  const out = streamOut(opts.jsonl === '-' ? process.stderr : process.stdout);
  const p = paint(out);
  const lines = [
    `${p.bold('dry run')}: ${graph.id} (${graph.nodes.length} nodes, ${graph.edges.length} edges)${note ? ` · ${note}` : ''} · nothing executed, nothing written`,
    'execution order (each level can run in parallel):',
    ...plan.levels.map((lv, i) => `  ${String(i + 1).padStart(2)}. ${lv.join(', ')}`),
    `order: ${plan.order.join(' → ')}`,
    `worst-case tokens: ${plan.worstCaseTokens} (${plan.modelCalls} model call${plan.modelCalls === 1 ? '' : 's'} at most, retries included)`,
  ];
  out.write(lines.join('\n') + '\n');
  return 0;
}
