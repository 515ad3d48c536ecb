/** `input`: the run input enters the graph here. */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const InputConfigSchema = z.object({}).passthrough();

export const inputKind = defineKind({
  type: 'input',
  label: 'Input',
  hint: 'The run input',
  configSchema: InputConfigSchema,
  defaultConfig: () => ({}),
  defaultSideEffect: () => 'pure',
  execution: 'instant',
  runner: async (ctx) => ({ output: ctx.scope.input }),
  panel: [],
});
