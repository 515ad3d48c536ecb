/**
 * `code`: the body of a JavaScript function of `(input, nodes)`, run by the host off the main
 * thread with a time and memory limit and no file system, network, require or import.
 */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const CodeConfigSchema = z.object({ code: z.string().min(1) }).passthrough();

export const codeKind = defineKind({
  type: 'code',
  label: 'Code',
  hint: 'Run JavaScript',
  configSchema: CodeConfigSchema,
  defaultConfig: () => ({ code: 'return input;' }),
  defaultSideEffect: () => 'pure',
  execution: 'effect',
  scopeOfAncestors: true,
  javascript: ['code'],
  panel: [{ key: 'code', label: 'Code', input: 'code', hint: 'body of function (input, nodes)' }],
});
