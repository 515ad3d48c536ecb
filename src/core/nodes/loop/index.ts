/**
 * `loop`: runs a graph again and again as child runs, each iteration's input from the one
 * before, until an expression says it is done or `maxIterations` is reached.
 * Output: `{ result, iterations, stoppedBy }`.
 */
import * as z from 'zod';
import { NodeFailure } from '../../errors.js';
import { evaluateExpression, limitsOf, renderTemplates } from '../../graph/templates.js';
import type { NodeResult, NodeRunContext, TemplateScope } from '../../ports.js';
import { defineKind } from '../kind.js';
import { childFailure, childRuns, graphField, GraphRefSchema } from '../subgraph/index.js';

export const LoopConfigSchema = z
  .object({
    graph: GraphRefSchema,
    input: z.unknown().optional(),
    next: z.unknown().optional(),
    until: z.string().min(1),
    maxIterations: z.number().int().min(1).max(100),
  })
  .passthrough();

async function runLoop(ctx: NodeRunContext): Promise<NodeResult> {
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

export const loopKind = defineKind({
  type: 'loop',
  label: 'Loop',
  hint: 'Run a graph until done',
  configSchema: LoopConfigSchema,
  defaultConfig: () => ({ graph: '', input: '{{input}}', until: 'previous.done = true', maxIterations: 5 }),
  defaultSideEffect: () => 'idempotent',
  execution: 'children',
  untemplated: ['next', 'until'],
  children: { atMost: (c) => (typeof c['maxIterations'] === 'number' ? c['maxIterations'] : 1), input: 'input' },
  childGraph: (config) => (typeof config['graph'] === 'string' ? config['graph'] : undefined),
  runner: runLoop,
  checkTemplates: (config, check) => {
    if (typeof config['until'] === 'string') check.expression('until', config['until'], 'until');
  },
  panel: [
    graphField,
    {
      key: 'input',
      label: 'First input',
      input: 'json',
      optional: true,
      hint: 'template: the first iteration input',
      rows: 3,
    },
    {
      key: 'next',
      label: 'Next input',
      input: 'json',
      optional: true,
      hint: 'template over { input, nodes, previous, iteration }; default: the previous output',
      rows: 3,
    },
    {
      key: 'until',
      label: 'Until',
      input: 'expression',
      hint: 'JSONata over { previous, iteration }, gives a boolean',
      rows: 2,
    },
    { key: 'maxIterations', label: 'Max iterations', input: 'number', min: 1 },
  ],
});
