/** `llm`: one model call, streamed, with an optional JSON Schema on the reply (runner.ts). */
import * as z from 'zod';
import { defineKind, lazyRunner, PROVIDERS, type PanelField } from '../kind.js';

const JsonObject = z.record(z.string(), z.unknown());

export const MockSchema = z
  .object({
    reply: z.unknown().optional(),
    tokensPerSecond: z.number().min(0).optional(),
    failTimes: z.number().int().min(0).optional(),
    usage: z.object({ inputTokens: z.number().optional(), outputTokens: z.number().optional() }).optional(),
    script: z.array(z.unknown()).optional(),
  })
  .passthrough();

/** A model tried, in order, when the node's own model fails with a retryable provider error. */
export const FallbackSchema = z
  .object({ provider: z.enum(PROVIDERS), model: z.string().min(1), baseURL: z.string().optional() })
  .strict();

export const LlmConfigSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    model: z.string().min(1),
    system: z.string().optional(),
    prompt: z.string().min(1),
    temperature: z.number().optional(),
    maxTokens: z.number().int().positive().optional(),
    outputSchema: JsonObject.optional(),
    baseURL: z.string().optional(),
    mock: MockSchema.optional(),
    fallback: z.array(FallbackSchema).max(8).optional(),
  })
  .passthrough();
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

/** The panel fields every model node has (the agent adds its own). */
export const MODEL_PANEL: readonly PanelField[] = [
  { key: 'provider', label: 'Provider', input: 'select', options: PROVIDERS },
  { key: 'model', label: 'Model', input: 'text' },
  {
    key: 'baseURL',
    label: 'Base URL',
    input: 'text',
    optional: true,
    when: { key: 'provider', equals: 'openai-compatible' },
  },
  { key: 'system', label: 'System', input: 'template', optional: true, rows: 2 },
  { key: 'prompt', label: 'Prompt', input: 'template', rows: 5, hint: 'templates: {{input.x}}, {{nodes.id.output}}' },
];

/** The llm runner, its code (and ajv) loaded on the first model call: the kind's and the host's. */
export const llmRunnerOnFirstCall = lazyRunner(async () => (await import('./runner.js')).llmRunner);

export const llmKind = defineKind({
  type: 'llm',
  label: 'LLM',
  hint: 'Call a language model',
  configSchema: LlmConfigSchema,
  defaultConfig: () => ({
    provider: 'mock' as const,
    model: 'mock-1',
    prompt: 'Summarize: {{input}}',
    mock: { reply: 'A short summary.' },
  }),
  defaultSideEffect: () => 'pure',
  execution: 'effect',
  callsModel: true,
  runner: llmRunnerOnFirstCall,
  checkConfig: (config, check) => check.schema('outputSchema', config.outputSchema),
  panel: MODEL_PANEL,
});
