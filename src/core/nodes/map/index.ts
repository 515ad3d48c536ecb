/**
 * `map`: runs a graph once per item of a list known at run time, as child runs, a few at a
 * time. Output: `{ results, errors, succeeded, failed }` in item order.
 */
import * as z from 'zod';
import { defineKind, lazyRunner } from '../kind.js';
import { graphField } from '../subgraph/index.js';

export const MapConfigSchema = z
  .object({
    graph: z.string().min(1),
    items: z.unknown().refine((v) => v !== undefined, { message: 'is required' }),
    itemInput: z.unknown().optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    onItemError: z.enum(['fail', 'continue']).optional(),
  })
  .passthrough();

export const mapKind = defineKind({
  type: 'map',
  label: 'Map',
  hint: 'Run a graph per item',
  configSchema: MapConfigSchema,
  defaultConfig: () => ({ graph: 'my-graph', items: '{{input.items}}' }),
  defaultSideEffect: () => 'idempotent',
  execution: 'children',
  untemplated: ['itemInput'],
  children: { atMost: () => 'items', input: 'itemInput' },
  childGraph: (config) => (typeof config['graph'] === 'string' ? config['graph'] : undefined),
  runner: lazyRunner(async () => (await import('./runner.js')).runMap),
  panel: [
    graphField,
    { key: 'items', label: 'Items', input: 'template', hint: 'template giving an array (at most 100 000)' },
    {
      key: 'itemInput',
      label: 'Item input',
      input: 'json',
      optional: true,
      hint: 'template over { input, nodes, item, index }',
      rows: 3,
    },
    { key: 'concurrency', label: 'Children at once', input: 'number', optional: true, min: 1 },
    { key: 'onItemError', label: 'On item error', input: 'select', options: ['fail', 'continue'], optional: true },
  ],
});
