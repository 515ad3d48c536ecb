/** `transform`: a JSON value whose strings may hold templates, evaluated in-process. */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const TransformConfigSchema = z
  .object({ template: z.unknown() })
  .passthrough()
  .refine((c) => 'template' in c, { message: 'Required', path: ['template'] });

export const transformKind = defineKind({
  type: 'transform',
  label: 'Transform',
  hint: 'Shape data with templates',
  configSchema: TransformConfigSchema,
  defaultConfig: () => ({ template: { value: '{{input}}' } }),
  defaultSideEffect: () => 'pure',
  execution: 'instant',
  // The template was rendered with the rest of the config.
  runner: async (ctx) => ({ output: ctx.config['template'] }),
  panel: [{ key: 'template', label: 'Template', input: 'json', hint: 'JSON; strings may hold templates', rows: 7 }],
});
