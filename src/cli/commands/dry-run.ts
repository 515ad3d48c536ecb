/** `--dry-run` output: the plan of a new run (`run`) or of what a control leaves (`resume`, `approve`, `retry`, `rerun`). */
import type { DryRunPlan } from '../../core/engine/dry-run.js';
import type { DryControl } from '../../host/service.js';
import { paint, streamOut } from '../render.js';
import { withService, type GlobalOpts, type RunFlags } from '../session.js';

/** Prints the plan under `header`; `--json` prints `doc` with the plan as one JSON document. */
export function printPlan(plan: DryRunPlan, header: string, doc: Record<string, unknown>, opts: RunFlags): number {
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...doc, dryRun: true, ...plan }, null, 2) + '\n');
    return 0;
  }
  const out = streamOut(opts.jsonl === '-' ? process.stderr : process.stdout);
  const p = paint(out);
  const lines = [
    `${p.bold('dry run')}: ${header} · nothing executed, nothing written`,
    plan.order.length === 0 ? 'no node left to run' : 'execution order (each level can run in parallel):',
    ...plan.levels.map((lv, i) => `  ${String(i + 1).padStart(2)}. ${lv.join(', ')}`),
    ...(plan.order.length > 0 ? [`order: ${plan.order.join(' → ')}`] : []),
    `worst-case tokens: ${plan.worstCaseTokens} (${plan.modelCalls} model call${plan.modelCalls === 1 ? '' : 's'} at most, retries included${plan.childRuns > 0 ? `, in ${plan.childRuns} child run${plan.childRuns === 1 ? '' : 's'} too` : ''})`,
    ...(plan.itemsUnknown.length > 0
      ? [`items not known before the run (each counted as one item): ${plan.itemsUnknown.join(', ')}`]
      : []),
  ];
  out.write(lines.join('\n') + '\n');
  return 0;
}

/** `resume|approve|retry|rerun … --dry-run`: the control is checked as the engine would, nothing is done. */
export async function dryRunControl(
  runId: string,
  control: DryControl,
  opts: RunFlags,
  g: GlobalOpts,
): Promise<number> {
  const plan = await withService(g, (svc) => svc.dryRunControl(runId, control));
  const what =
    control.kind === 'resume'
      ? 'resume'
      : `${control.kind} ${control.kind === 'rerun' ? '--from ' : ''}${control.nodeId}`;
  const left = `${plan.order.length} node${plan.order.length === 1 ? '' : 's'} ${control.kind === 'rerun' ? 'to run again' : 'left'}`;
  const spent = control.kind === 'rerun' ? 'a new run' : `${plan.tokensSoFar} tokens used so far`;
  // An approval held by a child run, named through its parent: the plan is the child's.
  const of = plan.runId === runId ? runId : `${plan.runId} (a child run of ${runId})`;
  const header = `${what} of ${of} (${plan.graphId}) · ${left} · ${spent}`;
  const { runId: planned, ...rest } = plan;
  return printPlan(
    rest,
    header,
    { runId: planned, graphId: plan.graphId, control, tokensSoFar: plan.tokensSoFar, costUsdSoFar: plan.costUsdSoFar },
    opts,
  );
}
