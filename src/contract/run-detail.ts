/**
 * What `runs.get` (and `statepipe inspect --json`) answers: a run's state folded from its log,
 * flattened for people and JSON. The schema is the type: the host builds a value of it
 * (src/host/run-detail.ts) and dispatch() checks the value against it outside production.
 */
import * as z from 'zod';
import { NODE_STATUSES, RUN_STATUSES } from '../core/engine/machines';
import { ERROR_KINDS } from '../core/errors';

export const RunStatus = z.enum(RUN_STATUSES);
export const NodeStatus = z.enum(NODE_STATUSES);

/** A node's error as events carry it (never a stack from the host that ran it). */
export const NodeErrorSchema = z.object({
  kind: z.enum(ERROR_KINDS),
  message: z.string(),
  retryable: z.boolean(),
  stack: z.string().optional(),
  retryAfterMs: z.number().optional(),
  details: z.unknown().optional(),
});

const Usage = z.object({ inputTokens: z.number(), outputTokens: z.number() });

const Attempt = z.object({
  attempt: z.number().int(),
  /** ms since epoch */
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  /** `interrupted`: cut off by a crash, or in doubt; `suspended`: stopped while its child runs waited for a person. */
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'suspended']),
  error: NodeErrorSchema.optional(),
  usage: Usage.optional(),
  costUsd: z.number().optional(),
  model: z.string().optional(),
});

const Approval = z.object({
  title: z.string(),
  details: z.unknown().optional(),
  decision: z
    .object({
      approved: z.boolean(),
      by: z.string().optional(),
      comment: z.string().optional(),
      data: z.unknown().optional(),
    })
    .optional(),
});

export const NodeDetailSchema = z.object({
  nodeId: z.string(),
  type: z.string(),
  label: z.string().optional(),
  status: NodeStatus,
  attempt: z.number().int(),
  attempts: z.array(Attempt),
  /** From the first attempt after the last manual retry to the last attempt's end (automatic retries count). */
  durationMs: z.number().optional(),
  tokens: z.number(),
  costUsd: z.number(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  error: NodeErrorSchema.optional(),
  skipReason: z.string().optional(),
  stream: z.string().optional(),
  approval: Approval.optional(),
  /** A composition node waiting: the child runs that wait for a person, and their nodes. */
  waitingChildren: z
    .array(
      z.object({
        runId: z.string(),
        nodeIds: z.array(z.string()),
        /** Those of nodeIds in doubt: retried or resolved in runId, not approved. */
        inDoubt: z.array(z.string()).optional(),
        /** When it waits deeper than the direct child (a subgraph's own child): that direct child. */
        via: z.string().optional(),
      }),
    )
    .optional(),
  compensation: z
    .object({
      status: z.enum(['running', 'succeeded', 'failed']),
      attempt: z.number().int(),
      error: NodeErrorSchema.optional(),
    })
    .optional(),
  /** Polled http nodes: polls so far and, while running, when the next poll is due (ISO). */
  poll: z
    .object({
      polls: z.number().int(),
      submittedAt: z.string(),
      nextPollAt: z.string().optional(),
      last: z.unknown().optional(),
    })
    .optional(),
  logs: z.array(z.object({ ts: z.string(), level: z.string(), message: z.string() })),
});

export const RunDetailSchema = z.object({
  runId: z.string(),
  graphId: z.string(),
  graphName: z.string().optional(),
  status: RunStatus,
  input: z.unknown(),
  result: z.unknown().optional(),
  error: NodeErrorSchema.optional(),
  failedNodeId: z.string().optional(),
  createdAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  tokens: z.number(),
  costUsd: z.number(),
  compensated: z.boolean().optional(),
  /** `user`: a person paused it; `budget`: it reached its budget; `stopped`: its host stopped in order. */
  pauseReason: z.enum(['user', 'budget', 'stopped']).optional(),
  rerunOf: z.object({ runId: z.string(), fromNodeId: z.string() }).optional(),
  /** A child run: the run and node that started it, and its key there. */
  parent: z.object({ runId: z.string(), nodeId: z.string(), key: z.number().int() }).optional(),
  lastSeq: z.number().int(),
  nodes: z.array(NodeDetailSchema),
});

export type NodeDetail = z.output<typeof NodeDetailSchema>;
export type RunDetail = z.output<typeof RunDetailSchema>;
