/**
 * The API between the renderer and its host (Electron main over IPC, or `statepipe serve`
 * over WebSocket/HTTP): one map of methods with zod schemas for input and output, and the
 * messages the host pushes (push.ts). Both hosts validate every call against it in dispatch().
 */
import * as z from 'zod';
import { GraphSchema } from '../core/graph/schema';
import { RUN_EVENT_TYPES } from '../core/events';
import { API_METHOD_NAMES, type ApiMethodName } from './method-names';
import { NodeErrorSchema, RunDetailSchema, RunStatus } from './run-detail';

export { RunStatus };

export const RunId = z.string().regex(/^run_[0-9A-Z]{26}$/, 'a run id looks like run_01J…');
const NodeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a node id matches [A-Za-z0-9_-]{1,64}');
/**
 * A graph file (format v1) by its shape: the structure is checked here (a 400 naming the field);
 * the graph rules (references, cycles, node configs, templates) by validateGraph (422, per node).
 */
const GraphJson = GraphSchema;
const Budget = z
  .object({ maxTokens: z.number().int().positive().optional(), maxCostUsd: z.number().positive().optional() })
  .strict();
/** What an action on a run answers: the run's status once it settled (or `requested`, still going). */
const Outcome = z.object({ runId: z.string(), status: z.union([RunStatus, z.literal('requested')]) }).passthrough();
const Issue = z.object({
  path: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  edgeId: z.string().optional(),
});
const Summary = z
  .object({
    runId: z.string(),
    graphId: z.string(),
    /** The version of the graph it ran (a draft run's snapshot has one too: see `draft`). */
    graphVersion: z.number().int(),
    /** True when a top-level run's version is not a saved one: it ran unsaved edits (a draft from the studio). */
    draft: z.literal(true).optional(),
    status: RunStatus,
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    tokens: z.number(),
    costUsd: z.number(),
    /** A child run (subgraph, map, loop): the run and node that started it, and its key there. */
    parent: z.object({ runId: z.string(), nodeId: z.string(), key: z.number() }).optional(),
    /** A run with child runs: how many are in each status (runs without children have none). */
    children: z.partialRecord(RunStatus, z.number().int()).optional(),
  })
  .passthrough();
const Event = z.object({
  seq: z.number(),
  runId: z.string(),
  ts: z.string(),
  type: z.enum(RUN_EVENT_TYPES),
  nodeId: z.string().optional(),
  data: z.unknown(),
});

export const methods = {
  'app.info': {
    input: z.object({}).strict(),
    /** `database`: the database file's name in the browser (no server paths), its full path in the desktop app. */
    output: z.object({ version: z.string(), database: z.string(), host: z.enum(['electron', 'web']) }),
  },
  /** Circuit breakers per model provider and http host (those that have seen failures). */
  'app.breakers': {
    input: z.object({}).strict(),
    output: z.object({
      threshold: z.number().int(),
      coolDownMs: z.number().int(),
      breakers: z.array(
        z.object({
          key: z.string(),
          kind: z.enum(['provider', 'http']),
          state: z.enum(['closed', 'open', 'half-open']),
          failures: z.number().int(),
          openUntil: z.string().optional(),
          retryAfterMs: z.number().optional(),
          lastError: z.string().optional(),
        }),
      ),
    }),
  },
  'graphs.validate': {
    input: z.object({ graph: z.unknown() }).strict(),
    output: z.object({ ok: z.boolean(), issues: z.array(Issue) }),
  },
  'graphs.save': {
    /** `create`: a new graph, refused (code `conflict`) when a saved graph already has its id. */
    input: z.object({ graph: GraphJson, create: z.boolean().optional() }).strict(),
    output: z.object({ graphId: z.string(), version: z.number(), hash: z.string(), json: z.string() }),
  },
  'graphs.list': {
    /** Saved graphs; `includeDrafts`: also graphs only ever run as unsaved drafts. */
    input: z.object({ includeDrafts: z.boolean().optional() }).strict(),
    /** `version`: the latest saved version of each graph. */
    output: z.object({
      graphs: z.array(
        z.object({
          graphId: z.string(),
          name: z.string().nullable(),
          version: z.number().int(),
          createdAt: z.string(),
          updatedAt: z.string(),
        }),
      ),
    }),
  },
  'graphs.get': {
    /** A graph's latest saved version (or `version`), or the snapshot a run ran. */
    input: z.object({ graphIdOrRunId: z.string().min(1), version: z.number().int().min(1).optional() }).strict(),
    /** `saved`: the version is one a person saved (false: the snapshot of a draft run). */
    output: z.object({ json: z.string(), graphId: z.string(), version: z.number(), saved: z.boolean() }),
  },
  'graphs.versions': {
    /** Every saved version of a graph, newest first, and which one is its latest (a restore moves it). */
    input: z.object({ graphId: z.string().min(1) }).strict(),
    output: z.object({
      latest: z.number(),
      versions: z.array(
        z.object({
          version: z.number(),
          hash: z.string(),
          createdAt: z.string(),
          name: z.string().nullable(),
          nodes: z.number(),
          runs: z.number(),
        }),
      ),
    }),
  },
  'nodes.test': {
    /** Runs one node of a (draft) graph with pinned inputs, outside any run: nothing is stored. */
    input: z
      .object({
        graph: GraphJson,
        nodeId: NodeId,
        input: z.unknown().default({}),
        /** Pinned outputs of the nodes it reads, by node id. */
        outputs: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    output: z.object({
      status: z.enum(['succeeded', 'failed']),
      input: z.unknown().optional(),
      output: z.unknown().optional(),
      error: NodeErrorSchema.optional(),
      durationMs: z.number(),
      stream: z.string(),
      logs: z.array(z.object({ level: z.string(), message: z.string() })),
      steps: z.array(z.unknown()),
      usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).optional(),
      costUsd: z.number().optional(),
      model: z.string().optional(),
    }),
  },
  'runs.start': {
    /** `idempotencyKey`: a key seen before returns the run it started (`created: false`), not a second run. */
    input: z
      .object({
        graph: GraphJson,
        input: z.unknown().default({}),
        idempotencyKey: z.string().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({ runId: z.string(), created: z.boolean().optional() }),
  },
  'runs.get': {
    input: z.object({ runId: RunId }).strict(),
    output: RunDetailSchema,
  },
  'runs.list': {
    input: z
      .object({
        status: z.union([RunStatus, z.array(RunStatus)]).optional(),
        graphId: z.string().optional(),
        /** Substring of the run/graph id, input, result or error (case-insensitive). */
        text: z.string().max(200).optional(),
        /** Created at or after / before (exclusive) these ISO-8601 times. */
        from: z.string().datetime({ offset: true }).optional(),
        to: z.string().datetime({ offset: true }).optional(),
        limit: z.number().int().min(1).max(10_000).default(100),
        offset: z.number().int().min(0).default(0),
        sort: z.enum(['created', 'started', 'cost', 'tokens', 'duration', 'status', 'graph']).optional(),
        order: z.enum(['asc', 'desc']).optional(),
        /** Top-level runs unless `all` (every run, children too) or `parentRunId` (the children of that run). */
        all: z.boolean().optional(),
        parentRunId: RunId.optional(),
      })
      .strict(),
    /** `total`: how many runs match the filter (ignoring limit/offset), for paging and scrollbars. */
    output: z.object({ runs: z.array(Summary), total: z.number().int() }),
  },
  'runs.events': {
    input: z
      .object({
        runId: RunId,
        afterSeq: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    output: z.object({ events: z.array(Event) }),
  },
  'runs.pause': { input: z.object({ runId: RunId }).strict(), output: Outcome },
  'runs.resume': { input: z.object({ runId: RunId, budget: Budget.optional() }).strict(), output: Outcome },
  'runs.cancel': { input: z.object({ runId: RunId }).strict(), output: Outcome },
  'runs.approve': {
    input: z
      .object({
        runId: RunId,
        nodeId: NodeId,
        approved: z.boolean(),
        by: z.string().max(200).optional(),
        comment: z.string().max(10_000).optional(),
        data: z.unknown().optional(),
      })
      .strict(),
    output: Outcome,
  },
  'runs.retry': { input: z.object({ runId: RunId, nodeId: NodeId }).strict(), output: Outcome },
  'runs.resolve': { input: z.object({ runId: RunId, nodeId: NodeId, output: z.unknown() }).strict(), output: Outcome },
  'runs.rerun': {
    input: z.object({ runId: RunId, fromNodeId: NodeId, reuse: z.array(NodeId).max(10_000).optional() }).strict(),
    output: z.object({ runId: z.string() }),
  },
  'runs.export': { input: z.object({ runId: RunId }).strict(), output: z.object({ jsonl: z.string() }) },
} as const;

export type Methods = typeof methods;
export type { ApiMethodName };
export { API_METHOD_NAMES };

// The dependency-free list of names and this map must name the same methods.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatch: Same<keyof Methods, ApiMethodName> = true;
void namesMatch;
export type MethodInput<M extends ApiMethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends ApiMethodName> = z.output<Methods[M]['output']>;

/** Coded errors every call may answer with instead of its output. */
export const ERROR_CODES = [
  'bad-request',
  'validation',
  'not-found',
  'illegal-transition',
  'conflict',
  'database',
  'unauthorized',
  'internal',
  // Refusals of the web host's HTTP layer (403, 405, 413, 415).
  'forbidden',
  'method-not-allowed',
  'too-large',
  'unsupported-media-type',
] as const;
export type ApiErrorCode = (typeof ERROR_CODES)[number];

export interface ApiError {
  code: ApiErrorCode;
  message: string;
  issues?: { path: string; message: string; nodeId?: string; edgeId?: string }[];
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
