/** The `loop` kind's runner: child runs one after another until `until` holds (index.ts describes the kind). */
import { NodeFailure } from '../../errors.js';
import { evaluateExpression, limitsOf, renderTemplates } from '../../graph/templates.js';
import type { NodeResult, NodeRunContext, TemplateScope } from '../../ports.js';
import { childFailure, childRuns } from '../subgraph/index.js';

export async function runLoop(ctx: NodeRunContext): Promise<NodeResult> {
  const c = ctx.config;
  const children = childRuns(ctx);
  const graph = String(c['graph']);
  const max = Number(c['maxIterations']);
  const until = String(c['until']);
  let input: unknown = c['input'] ?? {};
  let previous: unknown;
  for (let iteration = 1; iteration <= max; iteration++) {
    if (iteration > 1) {
      const scope = { ...ctx.scope, previous, iteration } as TemplateScope;
      input = c['next'] === undefined ? previous : await renderTemplates(c['next'], scope, limitsOf(ctx));
    }
    const o = await children.run(iteration, graph, input);
    if (o.status !== 'succeeded') throw childFailure(ctx.node.id, o, `iteration ${iteration}`);
    previous = o.result;
    const scope = { previous, iteration } as unknown as TemplateScope;
    const done = await evaluateExpression(until, scope, `until "${until}"`, limitsOf(ctx));
    if (typeof done !== 'boolean')
      throw new NodeFailure('template', `${ctx.node.id}: until "${until}" must give a boolean`, { retryable: false });
    if (done) return { output: { result: previous, iterations: iteration, stoppedBy: 'until' } };
  }
  return { output: { result: previous, iterations: max, stoppedBy: 'maxIterations' } };
}
