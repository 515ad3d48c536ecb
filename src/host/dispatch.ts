/**
 * One dispatch() for every host: validates the method name and its input against the
 * contract, calls the service, and answers with a value or a coded error. It never throws.
 */
import { basename } from 'node:path';
import * as z from 'zod';
import { methods, type ApiError, type ApiMethodName, type ApiResult } from '../contract/api.js';
import type { HandOff } from '../core/engine/engine.js';
import { AppError } from '../core/errors.js';
import { depthMessage, tooDeep } from '../core/json-depth.js';
import { serializeGraph, validateGraph } from '../core/graph/validate.js';
import { createRunOnce } from './run-keys.js';
import { shownRuns } from './shown-status.js';
import type { RunOutcome, StatepipeService } from './service.js';
import type { RunQueue } from './workers/queue.js';

export interface DispatchContext {
  service: StatepipeService;
  host: 'electron' | 'web';
  version: string;
  /** Errors of runs driven in the background after a call returned. */
  onBackgroundError?: (err: unknown) => void;
  /** Recorded as an approval's `by` when the call names nobody (the web host and the app: the OS user). */
  approver?: string;
  /** `serve --workers`: runs are queued for `statepipe worker`, not driven by this host. */
  queue?: RunQueue;
  /** Check every answer against the contract's output schema (default: in tests and development). */
  checkOutputs?: boolean;
}

/**
 * In tests (vitest) and development (NODE_ENV=development or test, or STATEPIPE_CHECK_OUTPUTS=1)
 * every answer is checked against the contract, so a handler that drifts from it fails loudly.
 * An installed statepipe skips the check: it walks whole answers (a run's events), and the
 * handlers are the same code the tests checked.
 */
const CHECK_OUTPUTS =
  process.env['VITEST'] !== undefined ||
  process.env['NODE_ENV'] === 'development' ||
  process.env['NODE_ENV'] === 'test' ||
  process.env['STATEPIPE_CHECK_OUTPUTS'] === '1';

/** How long a person's action waits for a worker to let go of the run it has just parked. */
const HAND_OFF_WAIT_MS = 5_000;

/**
 * With workers: records the action and queues the run for a worker. The answer comes once the
 * action is recorded (or refused): a worker that has just parked the run (waiting) may hold its
 * lease a moment longer, so a `conflict` is tried again until HAND_OFF_WAIT_MS, then answered as
 * a 409; never acknowledged and dropped.
 */
async function handToWorkers(queue: RunQueue, act: (o: HandOff) => Promise<RunOutcome>): Promise<RunOutcome> {
  const deadline = Date.now() + HAND_OFF_WAIT_MS;
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    try {
      const outcome = await act({ handOff: true });
      const left = outcome.status === 'running' || outcome.status === 'queued';
      if (left && !outcome.drivenElsewhere) await queue.requeue(outcome.runId);
      return outcome;
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict') || Date.now() + pause > deadline) throw err;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** A drive in the background failed: said, unless the host gave it up as it stops. */
function backgroundError(ctx: DispatchContext, err: unknown): void {
  if (!ctx.service.stopping) ctx.onBackgroundError?.(err);
}

/** A person's action: with workers, answered once recorded; here, once taken (the run goes on). */
function control(ctx: DispatchContext, act: (o: HandOff) => Promise<RunOutcome>, runId: string) {
  return ctx.queue ? handToWorkers(ctx.queue, act) : whenAccepted(ctx, act, runId);
}

/** A new run goes on in the background here, or to a worker. */
function startRun(ctx: DispatchContext, runId: string): Promise<void> | void {
  if (ctx.queue) return ctx.queue.enqueue(runId).then(() => undefined);
  ctx.service.drive(runId).catch((err) => backgroundError(ctx, err));
}

type Handler = (ctx: DispatchContext, input: never) => unknown;

/**
 * Answers an action that drives a run once the action is taken (written), however long that
 * takes, or with its refusal; the run goes on in the background, and a later failure of that
 * drive is reported there (it is not this answer's).
 */
async function whenAccepted(
  ctx: DispatchContext,
  act: (o: Pick<HandOff, 'accepted'>) => Promise<unknown>,
  runId: string,
): Promise<unknown> {
  let accept!: () => void;
  const accepted = new Promise<'accepted'>((r) => (accept = () => r('accepted')));
  const p = act({ accepted: accept });
  let answered = false;
  p.catch((err: unknown) => {
    if (answered) backgroundError(ctx, err);
  });
  const first = await Promise.race([accepted, p.then((v) => ({ v }))]);
  answered = true;
  if (first !== 'accepted') return first.v;
  return { runId, status: (await ctx.service.inspect(runId)).status };
}

const handlers: {
  [M in ApiMethodName]: (ctx: DispatchContext, input: z.output<(typeof methods)[M]['input']>) => unknown;
} = {
  'app.info': (ctx) => ({
    version: ctx.version,
    // The web host shows the database's name, not where it lives on the server.
    database: ctx.host === 'web' ? basename(ctx.service.store.displayName) : ctx.service.store.displayName,
    host: ctx.host,
  }),
  'app.breakers': ({ service }) => ({
    threshold: service.breakers.threshold,
    coolDownMs: service.breakers.coolDownMs,
    breakers: service.breakers.list(),
  }),
  'graphs.validate': async ({ service }, { graph }) => {
    try {
      await service.checkGraph(graph);
      return { ok: true, issues: [] };
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation')
        return { ok: false, issues: err.issues ?? [{ path: '', message: err.message }] };
      throw err;
    }
  },
  'graphs.save': async ({ service }, { graph, create }) => {
    // A graph its composition nodes name may be a saved one, as when a run starts.
    const valid = await service.checkGraph(graph);
    const json = serializeGraph(valid);
    if (create) {
      const taken = (await service.store.listGraphs()).find((g) => g.graphId === valid.id);
      if (taken)
        throw new AppError(
          'conflict',
          `a graph with id ${valid.id} exists (${taken.name ? `"${taken.name}", ` : ''}version ${taken.latestVersion}): choose another id, or save over it`,
        );
    }
    return { ...(await service.store.saveGraph(valid, json)), json };
  },
  'graphs.list': async ({ service }, { includeDrafts }) => ({
    graphs: (await service.store.listGraphs(includeDrafts ? { includeDrafts } : {})).map(({ latestVersion, ...g }) => ({
      ...g,
      version: latestVersion,
    })),
  }),
  'graphs.get': async ({ service }, { graphIdOrRunId, version }) => await service.graphFile(graphIdOrRunId, version),
  'graphs.versions': async ({ service }, { graphId }) => {
    const versions = await service.store.graphVersions(graphId);
    if (versions.length === 0) throw new AppError('not-found', `no saved graph ${graphId} in this database`);
    return { versions, latest: (await service.store.graphVersionOf(graphId))?.version ?? versions[0]!.version };
  },
  'nodes.test': async ({ service }, { graph: { graphs: _library, ...draft }, nodeId, input, outputs }) =>
    // A draft: its shape is checked by the contract, the rest may still have problems. One node
    // runs alone (composition nodes are refused), so the graph's library is not needed.
    await service.testNode({
      graph: { ...draft, nodes: draft.nodes.map((n) => ({ ...n, config: n.config ?? {} })) },
      nodeId,
      input,
      outputs,
    }),
  'runs.start': async (ctx, { graph, input, idempotencyKey }) => {
    // Graphs its composition nodes name may be saved ones: the service fills the library, then checks it whole.
    const valid = validateGraph(graph, undefined, { missing: 'ignore' });
    const { runId, created } = await createRunOnce(ctx.service, valid, input, idempotencyKey);
    if (created) await startRun(ctx, runId);
    return idempotencyKey === undefined ? { runId } : { runId, created };
  },
  // As `inspect` and `list` show them: a run whose process died reads `interrupted` (shown-status.ts).
  'runs.get': ({ service }, { runId }) => service.inspect(runId),
  'runs.list': ({ service }, q) => shownRuns(service.store, q, { count: true }),
  'runs.events': async ({ service }, { runId, afterSeq, limit }) => ({
    events: (await service.events(runId, afterSeq)).slice(0, limit ?? Infinity),
  }),
  'runs.pause': ({ service }, { runId }) => service.pause(runId),
  'runs.resume': (ctx, { runId, budget }) =>
    control(ctx, (h) => ctx.service.resume(runId, { ...(budget ? { budget } : {}), ...h }), runId),
  'runs.cancel': (ctx, { runId }) => whenAccepted(ctx, (o) => ctx.service.cancel(runId, o), runId),
  'runs.approve': (ctx, { runId, nodeId, ...d }) => {
    const named = d.by !== undefined && d.by.trim() !== '';
    const decision = named || ctx.approver === undefined ? d : { ...d, by: ctx.approver };
    return control(ctx, (h) => ctx.service.approve(runId, nodeId, decision, h), runId);
  },
  'runs.retry': (ctx, { runId, nodeId }) => control(ctx, (h) => ctx.service.retry(runId, nodeId, h), runId),
  'runs.resolve': (ctx, { runId, nodeId, output }) =>
    control(ctx, (h) => ctx.service.resolve(runId, nodeId, output, h), runId),
  'runs.rerun': async (ctx, { runId, fromNodeId, reuse }) => {
    const created = await ctx.service.createRerun(runId, fromNodeId, reuse ? { reuse } : {});
    await startRun(ctx, created);
    return { runId: created };
  },
  'runs.export': async ({ service }, { runId }) => ({
    jsonl: (await service.events(runId)).map((e) => JSON.stringify(e)).join('\n') + '\n',
  }),
};

function toApiError(err: unknown): ApiError {
  if (err instanceof AppError) {
    const code = err.code === 'usage' ? 'bad-request' : err.code === 'fenced' ? 'conflict' : err.code;
    return { code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/**
 * The web host's answers name the database by its file name only: its folder (and so the
 * server's user and layout) is nobody's business on the other end of a socket.
 */
function withoutServerPaths(ctx: DispatchContext, e: ApiError): ApiError {
  if (ctx.host !== 'web') return e;
  const file = ctx.service.store.displayName;
  const scrub = (s: string) => s.split(file).join(basename(file));
  return {
    ...e,
    message: scrub(e.message),
    ...(e.issues ? { issues: e.issues.map((i) => ({ ...i, message: scrub(i.message) })) } : {}),
  };
}

const issuesOf = (e: z.ZodError) => e.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));

/** The answer's departure from the contract's output schema, or undefined when it keeps to it. */
export function outputProblem(name: ApiMethodName, value: unknown): ApiError | undefined {
  const checked = methods[name].output.safeParse(value);
  if (checked.success) return undefined;
  const issues = issuesOf(checked.error);
  const first = issues[0]!;
  return {
    code: 'internal',
    message: `${name} answered outside the contract: ${first.path || 'output'}: ${first.message}`,
    issues,
  };
}

export async function dispatch(ctx: DispatchContext, method: unknown, input: unknown): Promise<ApiResult<unknown>> {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(methods, method)) {
    return { ok: false, error: { code: 'bad-request', message: `unknown method ${JSON.stringify(method)}` } };
  }
  const name = method as ApiMethodName;
  // Before anything walks the input recursively (zod, validation, hashing): one clear 400.
  const deep = tooDeep(input);
  if (deep) {
    const field = deep.length > 1 ? String(deep[0]) : 'input';
    return { ok: false, error: { code: 'bad-request', message: depthMessage(`${name}: ${field}`, deep) } };
  }
  const parsed = methods[name].input.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    const first = issues[0]!;
    return {
      ok: false,
      error: { code: 'bad-request', message: `${name}: ${first.path || 'input'}: ${first.message}`, issues },
    };
  }
  try {
    const handler = handlers[name] as Handler;
    const value = await handler(ctx, parsed.data as never);
    const problem = (ctx.checkOutputs ?? CHECK_OUTPUTS) ? outputProblem(name, value) : undefined;
    return problem ? { ok: false, error: problem } : { ok: true, value };
  } catch (err) {
    return { ok: false, error: withoutServerPaths(ctx, toApiError(err)) };
  }
}
