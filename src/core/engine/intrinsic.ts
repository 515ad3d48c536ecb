/** Runners of the node types the engine itself carries out (one small function each). */
import { evalCondition } from '../graph/templates.js';
import type { NodeType } from '../graph/schema.js';
import type { NodeRunner } from '../ports.js';

const input: NodeRunner = async (ctx) => ({ output: ctx.scope.input });

/** The template was rendered with the rest of the config. */
const transform: NodeRunner = async (ctx) => ({ output: ctx.config['template'] });

const output: NodeRunner = async (ctx) => ({ output: ctx.config['value'] });

const condition: NodeRunner = async (ctx) => ({
  output: {
    value: await evalCondition(String(ctx.config['expression']), ctx.scope, {
      ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}),
      ...(ctx.clock.turn ? { turn: ctx.clock.turn } : {}),
      signal: ctx.signal,
    }),
  },
});

/** Durable: `until` is committed with node.started, so a restart waits only the remainder. */
const delay: NodeRunner = async (ctx) => {
  const ms = Number(ctx.config['ms'] ?? 0);
  const until = ctx.until ?? ctx.clock.now() + ms;
  await ctx.clock.sleep(Math.max(0, until - ctx.clock.now()), ctx.signal);
  return { output: { waitedMs: ms } };
};

const INTRINSIC: Partial<Record<NodeType, NodeRunner>> = { input, transform, output, condition, delay };

export function intrinsicRunner(type: NodeType): NodeRunner | undefined {
  return INTRINSIC[type];
}
