/** Coded errors: every failure carries a kind, a message and whether a retry may help. */
export const ERROR_KINDS = [
  'timeout',
  'network',
  'rate-limit',
  'provider',
  'schema',
  'template',
  'code',
  'http-status',
  'cancelled',
  'budget',
  'rejected',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The serialized error carried by `node.failed` and friends. */
export interface NodeError {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  /**
   * Where the error was thrown: kept in memory only (not enumerable), so a `--verbose` log of
   * the process that ran the node can print it, while events, the database and API answers
   * never carry a stack (server paths). Events written by older versions may still have one.
   */
  stack?: string;
  /** For rate limits: how long the provider asked us to wait. */
  retryAfterMs?: number;
  /** Extra structured detail (http status, validator errors, …). */
  details?: unknown;
}

const DEFAULT_RETRYABLE: Record<ErrorKind, boolean> = {
  timeout: true,
  network: true,
  'rate-limit': true,
  provider: true,
  schema: true,
  template: false,
  code: false,
  'http-status': false,
  cancelled: false,
  budget: false,
  rejected: false,
  internal: false,
};

/** An error a runner throws to say exactly how it failed. */
export class NodeFailure extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: unknown;
  /** What the failed attempt spent (a model reply that broke its schema still cost tokens). */
  spent?: { usage: { inputTokens: number; outputTokens: number }; costUsd: number };
  constructor(
    kind: ErrorKind,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NodeFailure';
    this.kind = kind;
    this.retryable = opts.retryable ?? DEFAULT_RETRYABLE[kind];
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }
}

/** Attaches a stack that JSON (events, the database, API answers) leaves out: see NodeError.stack. */
function withLocalStack(e: NodeError, stack: string | undefined): NodeError {
  if (stack) Object.defineProperty(e, 'stack', { value: stack, enumerable: false, writable: true, configurable: true });
  return e;
}

/** Turns anything thrown by a runner into a NodeError. Unknown throws are `internal`. */
export function toNodeError(err: unknown): NodeError {
  if (err instanceof NodeFailure) {
    const out: NodeError = { kind: err.kind, message: err.message, retryable: err.retryable };
    if (err.retryAfterMs !== undefined) out.retryAfterMs = err.retryAfterMs;
    if (err.details !== undefined) out.details = err.details;
    return withLocalStack(out, err.stack);
  }
  if (err instanceof Error) {
    if (err.name === 'AbortError') return { kind: 'cancelled', message: err.message || 'aborted', retryable: false };
    return withLocalStack({ kind: 'internal', message: err.message, retryable: false }, err.stack);
  }
  return { kind: 'internal', message: String(err), retryable: false };
}

/**
 * Errors raised to the user of the engine/CLI/API (not node failures).
 * `code` maps onto CLI exit codes and API error codes.
 */
export type AppErrorCode =
  | 'usage' // bad arguments (exit 2)
  | 'validation' // graph or input invalid (exit 2)
  | 'not-found' // unknown run/node/graph (exit 2)
  | 'illegal-transition' // e.g. resume a succeeded run (exit 2)
  | 'conflict' // another process drives this run (exit 2)
  | 'fenced' // this process lost the run to another (its lease was taken over): it stopped writing (exit 2)
  | 'database' // cannot open / not ours / newer schema (exit 4)
  | 'internal';

export interface ValidationIssue {
  /** Where: `nodes.extract.config.prompt`, `edges.e3.when`, `format`, … */
  path: string;
  message: string;
  nodeId?: string;
  edgeId?: string;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly issues?: ValidationIssue[];
  constructor(code: AppErrorCode, message: string, issues?: ValidationIssue[], opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    if (issues) this.issues = issues;
  }
}

/** A start whose idempotency key started a run before: that run, not a second one. */
export class KeyTakenError extends AppError {
  constructor(
    readonly key: string,
    readonly runId: string,
    /** The hash of the request the key was first used with (keys stored before it was kept have none). */
    readonly requestHash?: string,
  ) {
    super('conflict', `idempotency key ${JSON.stringify(key)} already started run ${runId}`);
    this.name = 'KeyTakenError';
  }
}

/**
 * An error's message for showing beside its kind: without a leading `<kind>: ` of its own
 * (the code runner says `code: kaboom`), nor the word `template` before the template it names
 * (`template {{x}} failed: …`), so the kind shows once: `(code): kaboom`, `(template): {{x}} failed: …`.
 */
export function errorMessageOf(e: { kind: string; message: string }): string {
  const prefix = `${e.kind}: `;
  if (e.message.startsWith(prefix) && e.message.length > prefix.length) return e.message.slice(prefix.length);
  if (e.kind === 'template' && e.message.startsWith('template {{')) return e.message.slice('template '.length);
  return e.message;
}

/** A pause or cancel asked of a run that has ended: refused (nothing is left for anyone to carry out). */
export function controlRefused(runId: string, status: string, kind: 'pause' | 'cancel' | 'resume'): AppError {
  const done = kind === 'pause' ? 'paused' : kind === 'cancel' ? 'cancelled' : 'resumed';
  return new AppError('illegal-transition', `run ${runId} is ${status} and cannot be ${done}`);
}
