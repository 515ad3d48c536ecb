/** `output`: a result of the run (the run result is keyed by output node id). */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const OutputConfigSchema = z
  .object({ value: z.unknown() })
  .passthrough()
  .refine((c) => 'value' in c, { message: 'Required', path: ['value'] });

export const outputKind = defineKind({
  type: 'output',
  label: 'Output',
  hint: 'A result of the run',
  configSchema: OutputConfigSchema,
  defaultConfig: () => ({ value: '{{input}}' }),
  defaultSideEffect: () => 'pure',
  execution: 'instant',
  runner: async (ctx) => ({ output: ctx.config['value'] }),
  panel: [{ key: 'value', label: 'Value', input: 'template', hint: 'template', rows: 2 }],
});
