/**
 * `map`: runs a graph once per item of a list known at run time, as child runs, a few at a
 * time. Output: `{ results, errors, succeeded, failed }` in item order.
 */
import * as z from 'zod';
import { NodeFailure, toNodeError, type NodeError } from '../../errors.js';
import { limitsOf, renderTemplates } from '../../graph/templates.js';
import type { NodeResult, NodeRunContext, TemplateScope } from '../../ports.js';
import { defineKind } from '../kind.js';
import { childFailure, childRuns, graphField, GraphRefSchema } from '../subgraph/index.js';

export const MAX_ITEMS = 100_000;

export const MapConfigSchema = z
  .object({
    graph: GraphRefSchema,
    items: z
      .unknown()
      .refine((v) => v !== undefined, { message: 'is required' })
      // A literal list, or a template that gives one at run time: a literal that is not a list
      // (a string without a template, a number, an object) is refused here, not at run time.
      .refine((v) => v === undefined || Array.isArray(v) || (typeof v === 'string' && v.includes('{{')), {
        message: 'must be an array or a template that gives one (e.g. "{{input.items}}")',
      }),
    itemInput: z.unknown().optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    onItemError: z.enum(['fail', 'continue']).optional(),
  })
  .passthrough();

export const DEFAULT_MAP_CONCURRENCY = 4;

interface MapOutput {
  results: unknown[];
  errors: { index: number; error: NodeError }[];
  succeeded: number;
  failed: number;
}

async function runMap(ctx: NodeRunContext): Promise<NodeResult> {
  const c = ctx.config;
  const items = c['items'];
  if (!Array.isArray(items))
    throw new NodeFailure('template', `${ctx.node.id}: items must give an array, got ${describe(items)}`, {
      retryable: false,
    });
  if (items.length > MAX_ITEMS)
    throw new NodeFailure('template', `${ctx.node.id}: items gives ${items.length} items, at most ${MAX_ITEMS}`, {
      retryable: false,
    });
  const children = childRuns(ctx);
  const graph = String(c['graph']);
  const failFast = c['onItemError'] !== 'continue';
  const limit = typeof c['concurrency'] === 'number' ? c['concurrency'] : DEFAULT_MAP_CONCURRENCY;
  const out: MapOutput = { results: new Array<unknown>(items.length).fill(null), errors: [], succeeded: 0, failed: 0 };
  let next = 0;
  let stop: NodeFailure | undefined;
  let cancelling: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (stop === undefined && next < items.length) {
      const index = next++;
      const input = await itemInput(ctx, c['itemInput'], items[index], index);
      const o = await children.run(index, graph, input);
      if (o.status === 'succeeded') {
        out.results[index] = o.result;
        out.succeeded++;
        continue;
      }
      out.failed++;
      out.errors.push({ index, error: o.error ?? toNodeError(childFailure(ctx.node.id, o, `item ${index}`)) });
      if (failFast && stop === undefined) {
        stop = childFailure(ctx.node.id, o, `item ${index}`);
        // The first failure fails the node now: the items still running are cancelled, not waited
        // for (nor their approvals asked of anyone).
        cancelling = children.cancelRunning();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (stop) {
    await cancelling;
    throw stop;
  }
  out.errors.sort((a, b) => a.index - b.index);
  return { output: out };
}

/** The child input of one item: `itemInput` rendered over `{ input, nodes, item, index }`. */
async function itemInput(ctx: NodeRunContext, template: unknown, item: unknown, index: number): Promise<unknown> {
  if (template === undefined) return { item, index };
  const scope = { ...ctx.scope, item, index } as TemplateScope;
  return renderTemplates(template, scope, limitsOf(ctx));
}

const describe = (v: unknown): string =>
  v === undefined ? 'nothing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;

export const mapKind = defineKind({
  type: 'map',
  label: 'Map',
  hint: 'Run a graph per item',
  configSchema: MapConfigSchema,
  defaultConfig: () => ({ graph: '', items: '{{input.items}}' }),
  defaultSideEffect: () => 'idempotent',
  execution: 'children',
  untemplated: ['itemInput'],
  children: { atMost: () => 'items', input: 'itemInput' },
  childGraph: (config) => (typeof config['graph'] === 'string' ? config['graph'] : undefined),
  runner: runMap,
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
