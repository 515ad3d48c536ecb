/** `condition`: a JSONata expression giving a boolean; edges leaving it carry `when`. */
import * as z from 'zod';
import { evalCondition, limitsOf } from '../../graph/templates.js';
import { defineKind } from '../kind.js';

export const ConditionConfigSchema = z.object({ expression: z.string().min(1) }).passthrough();

export const conditionKind = defineKind({
  type: 'condition',
  label: 'Condition',
  hint: 'Branch on an expression',
  configSchema: ConditionConfigSchema,
  defaultConfig: () => ({ expression: 'true' }),
  defaultSideEffect: () => 'pure',
  execution: 'instant',
  branch: (output) => (output as { value?: unknown } | undefined)?.value === true,
  // Bounded like a template (template-limits.ts): an expression that loops fails the node.
  runner: async (ctx) => ({
    output: { value: await evalCondition(String(ctx.config['expression']), ctx.scope, limitsOf(ctx)) },
  }),
  checkTemplates: (config, check) => {
    if (typeof config['expression'] === 'string') check.expression('expression', config['expression'], 'expression');
  },
  panel: [{ key: 'expression', label: 'Expression', input: 'expression', hint: 'JSONata, gives a boolean', rows: 2 }],
});
