/** The `map` kind's runner: one child run per item, a few at a time (index.ts describes the kind). */
import { NodeFailure, toNodeError, type NodeError } from '../../errors.js';
import { limitsOf, renderTemplates } from '../../graph/templates.js';
import type { NodeResult, NodeRunContext, TemplateScope } from '../../ports.js';
import { childFailure, childRuns } from '../subgraph/index.js';

export const MAX_ITEMS = 100_000;
export const DEFAULT_MAP_CONCURRENCY = 4;

interface MapOutput {
  results: unknown[];
  errors: { index: number; error: NodeError }[];
  succeeded: number;
  failed: number;
}

export async function runMap(ctx: NodeRunContext): Promise<NodeResult> {
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
      if (failFast) stop ??= childFailure(ctx.node.id, o, `item ${index}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (stop) {
    await children.cancelRunning();
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
