/**
 * The graph file, format v1 (docs/graph-format.md), as zod schemas and the types derived from them.
 * Structural checks only: each node kind's config schema lives with its kind (src/core/nodes), and
 * the graph-level rules (cycles, references, …) in validate.ts.
 */
import * as z from 'zod';

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
      .object({ maxTokens: z.number().int().nonnegative().optional(), maxCostUsd: z.number().nonnegative().optional() })
      .strict()
      .optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    nodes: z.array(NodeSchema),
    edges: z.array(EdgeSchema),
    /** The graphs its subgraph, map and loop nodes run, by the id they name (docs/composition.md). */
    graphs: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

export interface GraphNode {
  id: string;
  /** One of the node kinds (src/core/nodes/registry.ts); validation refuses any other. */
  type: string;
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
  /** The library: graphs run as child runs by this graph's (and each other's) composition nodes. */
  graphs?: Record<string, Graph>;
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
