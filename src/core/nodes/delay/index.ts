/** `delay`: a durable wait; `until` commits with its start, so a restart waits only the remainder. */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const DelayConfigSchema = z.object({ ms: z.number().int().min(0) }).passthrough();

export const delayKind = defineKind({
  type: 'delay',
  label: 'Delay',
  hint: 'Wait durably',
  configSchema: DelayConfigSchema,
  defaultConfig: () => ({ ms: 1000 }),
  defaultSideEffect: () => 'pure',
  execution: 'wait',
  runner: async (ctx) => {
    const ms = Number(ctx.config['ms'] ?? 0);
    const until = ctx.until ?? ctx.clock.now() + ms;
    await ctx.clock.sleep(Math.max(0, until - ctx.clock.now()), ctx.signal);
    return { output: { waitedMs: ms } };
  },
  panel: [{ key: 'ms', label: 'Wait (ms)', input: 'number', min: 0 }],
});
