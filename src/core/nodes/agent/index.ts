/** `agent`: a model with tools in a bounded loop, every step durable (runner.ts). */
import * as z from 'zod';
import { defineKind } from '../kind.js';
import { LlmConfigSchema, MODEL_PANEL } from '../llm/index.js';

/** Model calls an agent makes at most when it sets no `maxSteps`. */
export const DEFAULT_MAX_STEPS = 8;

const JsonObject = z.record(z.string(), z.unknown());

export const ToolSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    description: z.string().optional(),
    inputSchema: JsonObject.optional(),
    run: z.object({ type: z.enum(['http', 'code']), config: JsonObject }),
  })
  .passthrough();

export const AgentConfigSchema = LlmConfigSchema.extend({
  tools: z.array(ToolSchema).default([]),
  maxSteps: z.number().int().min(1).max(100).optional(),
});

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const CODE_KEY: ReadonlySet<string> = new Set(['code']);

export const agentKind = defineKind({
  type: 'agent',
  label: 'Agent',
  hint: 'Model with tools, in a loop',
  configSchema: AgentConfigSchema,
  defaultConfig: () => ({
    provider: 'mock' as const,
    model: 'mock-1',
    prompt: 'Help with: {{input}}',
    tools: [],
    maxSteps: DEFAULT_MAX_STEPS,
    mock: { reply: 'Done.' },
  }),
  defaultSideEffect: () => 'idempotent',
  execution: 'effect',
  callsModel: true,
  modelCalls: (config) => (typeof config['maxSteps'] === 'number' ? config['maxSteps'] : DEFAULT_MAX_STEPS),
  scopeOfAncestors: true,
  // The host's agent runner (it needs the host's http and code runners for tools).
  checkConfig: (config, check) => {
    check.schema('outputSchema', config.outputSchema);
    config.tools.forEach((t, i) => {
      check.schema(`tools[${i}].inputSchema`, t.inputSchema);
      check.config(`tools[${i}].run.config`, t.run.type, t.run.config);
    });
  },
  checkTemplates: (config, check) => {
    if (!Array.isArray(config['tools'])) return;
    config['tools'].forEach((t: unknown, i) => {
      const run = isObj(t) && isObj(t['run']) ? t['run'] : undefined;
      if (run) check.templates(`tools[${i}].run.config`, run['config'], run['type'] === 'code' ? CODE_KEY : undefined);
    });
  },
  panel: [...MODEL_PANEL, { key: 'maxSteps', label: 'Max steps', input: 'number', min: 1 }],
});
