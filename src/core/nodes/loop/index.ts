/**
 * `loop`: runs a graph again and again as child runs, each iteration's input from the one
 * before, until an expression says it is done or `maxIterations` is reached.
 * Output: `{ result, iterations, stoppedBy }`.
 */
import * as z from 'zod';
import { defineKind, lazyRunner } from '../kind.js';
import { graphField } from '../subgraph/index.js';

export const LoopConfigSchema = z
  .object({
    graph: z.string().min(1),
    input: z.unknown().optional(),
    next: z.unknown().optional(),
    until: z.string().min(1),
    maxIterations: z.number().int().min(1).max(100),
  })
  .passthrough();

export const loopKind = defineKind({
  type: 'loop',
  label: 'Loop',
  hint: 'Run a graph until done',
  configSchema: LoopConfigSchema,
  defaultConfig: () => ({ graph: 'my-graph', input: '{{input}}', until: 'previous.done = true', maxIterations: 5 }),
  defaultSideEffect: () => 'idempotent',
  execution: 'children',
  untemplated: ['next', 'until'],
  children: { atMost: (c) => (typeof c['maxIterations'] === 'number' ? c['maxIterations'] : 1), input: 'input' },
  childGraph: (config) => (typeof config['graph'] === 'string' ? config['graph'] : undefined),
  runner: lazyRunner(async () => (await import('./runner.js')).runLoop),
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
