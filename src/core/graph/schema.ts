/**
 * The graph file, format v1 (graph-format.md), as zod schemas and the types derived from them.
 * Structural checks only; the graph-level rules (cycles, references, …) live in validate.ts.
 */
import * as z from 'zod';

export const NODE_TYPES = [
  'input',
  'llm',
  'http',
  'code',
  'transform',
  'condition',
  'approval',
  'delay',
  'agent',
  'output',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export const GRAPH_ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const NODE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const RetrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).optional(),
    backoffMs: z.number().int().min(0).optional(),
    strategy: z.enum(['exponential', 'linear', 'fixed']).optional(),
    jitter: z.boolean().optional(),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetrySchema>;

export const SideEffectSchema = z.enum(['pure', 'idempotent', 'unsafe']);
export type SideEffect = z.infer<typeof SideEffectSchema>;

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
  .object({
    provider: z.enum(['mock', 'openai', 'anthropic', 'openai-compatible']),
    model: z.string().min(1),
    baseURL: z.string().optional(),
  })
  .strict();

export const LlmConfigSchema = z
  .object({
    provider: z.enum(['mock', 'openai', 'anthropic', 'openai-compatible']),
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

/** Long-running http: submit once, then poll `url` every `intervalMs` until `until` (JSONata over `{ response }`) is true. */
export const PollSchema = z
  .object({
    url: z.string().min(1),
    intervalMs: z.number().int().min(10),
    until: z.string().min(1),
    maxWaitMs: z.number().int().positive(),
    method: z.enum(['GET', 'POST']).optional(),
  })
  .strict()
  .refine((p) => p.maxWaitMs >= p.intervalMs, {
    message: 'maxWaitMs must be at least intervalMs',
    path: ['maxWaitMs'],
  });

export const HttpConfigSchema = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    maxResponseBytes: z.number().int().positive().optional(),
    poll: PollSchema.optional(),
  })
  .passthrough();

export const CodeConfigSchema = z.object({ code: z.string().min(1) }).passthrough();
export const TransformConfigSchema = z
  .object({ template: z.unknown() })
  .passthrough()
  .refine((c) => 'template' in c, {
    message: 'Required',
    path: ['template'],
  });
export const ConditionConfigSchema = z.object({ expression: z.string().min(1) }).passthrough();
export const ApprovalConfigSchema = z
  .object({ title: z.string().min(1), details: z.string().optional() })
  .passthrough();
export const DelayConfigSchema = z.object({ ms: z.number().int().min(0) }).passthrough();
export const OutputConfigSchema = z
  .object({ value: z.unknown() })
  .passthrough()
  .refine((c) => 'value' in c, {
    message: 'Required',
    path: ['value'],
  });
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

/** The config schema of each node type; `input` takes none. */
export const CONFIG_SCHEMAS: Record<NodeType, z.ZodType> = {
  input: z.object({}).passthrough(),
  llm: LlmConfigSchema,
  http: HttpConfigSchema,
  code: CodeConfigSchema,
  transform: TransformConfigSchema,
  condition: ConditionConfigSchema,
  approval: ApprovalConfigSchema,
  delay: DelayConfigSchema,
  agent: AgentConfigSchema,
  output: OutputConfigSchema,
};

export const CompensateSchema = z.object({ type: z.enum(['http', 'code']), config: JsonObject }).strict();

export const NodeSchema = z
  .object({
    id: z.string().regex(NODE_ID_RE, 'node id must match [A-Za-z0-9_-]{1,64}'),
    type: z.string(),
    label: z.string().optional(),
    description: z.string().optional(),
    position: z.object({ x: z.number(), y: z.number() }).optional(),
    config: JsonObject.optional(),
    retry: RetrySchema.optional(),
    timeoutMs: z.number().int().positive().optional(),
    sideEffect: SideEffectSchema.optional(),
    compensate: CompensateSchema.optional(),
  })
  .passthrough();

export const EdgeSchema = z
  .object({
    id: z.string().min(1).max(128),
    source: z.string().min(1),
    target: z.string().min(1),
    when: z.boolean().optional(),
  })
  .passthrough();

export const GraphSchema = z
  .object({
    format: z.literal('statepipe.graph'),
    version: z.literal(1),
    id: z.string().regex(GRAPH_ID_RE, 'graph id must match [a-z0-9][a-z0-9_-]{0,63}'),
    name: z.string().optional(),
    description: z.string().optional(),
    input: JsonObject.optional(),
    defaults: z
      .object({ retry: RetrySchema.optional(), timeoutMs: z.number().int().positive().optional() })
      .strict()
      .optional(),
    budget: z
      .object({ maxTokens: z.number().int().positive().optional(), maxCostUsd: z.number().positive().optional() })
      .strict()
      .optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    nodes: z.array(NodeSchema),
    edges: z.array(EdgeSchema),
  })
  .passthrough();

export interface GraphNode {
  id: string;
  type: NodeType;
  label?: string;
  description?: string;
  position?: { x: number; y: number };
  config: Record<string, unknown>;
  retry?: RetryPolicy;
  timeoutMs?: number;
  sideEffect?: SideEffect;
  compensate?: { type: 'http' | 'code'; config: Record<string, unknown> };
  /** Fields the project does not know are kept as written. */
  [extra: string]: unknown;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  when?: boolean;
  [extra: string]: unknown;
}

export interface Graph {
  format: 'statepipe.graph';
  version: 1;
  id: string;
  name?: string;
  description?: string;
  input?: Record<string, unknown>;
  defaults?: { retry?: RetryPolicy; timeoutMs?: number };
  budget?: { maxTokens?: number; maxCostUsd?: number };
  concurrency?: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  [extra: string]: unknown;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxAttempts: 1,
  backoffMs: 500,
  strategy: 'exponential',
  jitter: true,
};

/** Default side effect of a node (graph-format.md). */
export function defaultSideEffect(node: GraphNode): SideEffect {
  if (node.sideEffect) return node.sideEffect;
  switch (node.type) {
    case 'agent':
      return 'idempotent';
    case 'http': {
      const m = String(node.config['method'] ?? 'GET').toUpperCase();
      return m === 'POST' || m === 'PATCH' ? 'unsafe' : 'idempotent';
    }
    case 'input':
    case 'llm':
    case 'code':
    case 'transform':
    case 'condition':
    case 'approval':
    case 'delay':
    case 'output':
      return 'pure';
  }
}
