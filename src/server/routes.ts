/**
 * The HTTP API of the web host, every route mapped onto dispatch() (the same validation and
 * errors as the studio's own calls). Bodies, parameters and answers are the contract's zod
 * schemas, so Fastify checks them and the OpenAPI document describes them:
 *
 *   POST /api/call                            any contract method: { method, input }
 *   POST /api/call/<method>                   a contract method; the body is its input
 *   POST /api/runs                            start (Idempotency-Key header or idempotencyKey)
 *   GET  /api/runs?status=&graphId=&limit=…   list
 *   GET  /api/runs/:runId                     one run
 *   POST /api/runs/:runId/cancel|pause|resume|approve
 *   GET  /api/runs/:runId/events              Server-Sent Events (sse.ts)
 *   GET  /api/openapi.json                    the OpenAPI 3.1 document
 *
 * The REST routes answer with the method's value (`/api/call…` with the `{ ok, value }`
 * envelope); a failure with `{ ok: false, error }` and the status of its code.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { methods, RunId, RunStatus, type ApiMethodName, type ApiResult } from '../contract/api.js';
import { API_METHOD_NAMES } from '../contract/method-names.js';
import { dispatch, type DispatchContext } from '../host/dispatch.js';
import { Failure, sendFailure, STATUS, STATUS_TEXT } from './http-errors.js';
import type { ZodApp } from './zod-app.js';

/** The statuses every write (POST with a JSON body) may answer besides its own. */
export const WRITE_ERRORS = [400, 401, 403, 413, 415, 500, 503];
export const READ_ERRORS = [400, 401, 500, 503];

/** The coded errors each contract method can answer besides bad-request, internal and database. */
const METHOD_ERRORS: Partial<Record<ApiMethodName, number[]>> = {
  'graphs.save': [409, 422],
  'graphs.get': [404],
  'graphs.versions': [404],
  'nodes.test': [404, 422],
  'runs.start': [422],
  'runs.get': [404],
  'runs.events': [404],
  'runs.export': [404],
  'runs.pause': [404, 409],
  'runs.resume': [404, 409],
  'runs.cancel': [404, 409],
  'runs.approve': [404, 409],
  'runs.retry': [404, 409],
  'runs.resolve': [404, 409],
  'runs.rerun': [404, 409],
};

/** A route's responses: its answers, then its errors (all `Failure`), each with its meaning. */
export function responses(ok: Record<number, [string, z.ZodType]>, errors: number[]) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: z.ZodType } } }> = {};
  for (const [status, [description, schema]] of Object.entries(ok))
    out[Number(status)] = { description, content: { 'application/json': { schema } } };
  for (const s of [...new Set(errors)].sort())
    out[s] = { description: STATUS_TEXT[s]!, content: { 'application/json': { schema: Failure } } };
  return out;
}

/** A body left out means `{}` (for routes whose body has no required field); a JSON `null` is a body. */
async function emptyBodyIsObject(req: FastifyRequest): Promise<void> {
  const length = req.headers['content-length'];
  const sent = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!sent) req.body = {};
}

const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

function answer(reply: FastifyReply, r: ApiResult<unknown>, okStatus = 200) {
  return r.ok ? reply.code(okStatus).send(r.value) : reply.code(STATUS[r.error.code] ?? 500).send(r);
}

/**
 * A run start's idempotency key: the `Idempotency-Key` header or the input's `idempotencyKey`
 * (the same in both, if both are sent), on every route that starts a run.
 */
function withKey(header: unknown, input: unknown): { input: unknown } | { error: string } {
  if (typeof header !== 'string') return { input };
  const body = (input ?? {}) as { idempotencyKey?: unknown };
  const field = body.idempotencyKey;
  if (field !== undefined && header !== field)
    return {
      error: `idempotencyKey: the body says "${String(field)}" but the Idempotency-Key header says "${header}": send one, or the same in both`,
    };
  return { input: { ...body, idempotencyKey: header } };
}

/** The contract routes: `POST /api/call/<method>` for each method, and `POST /api/call`. */
export function contractRoutes(app: ZodApp, ctx: DispatchContext, optionalBodies: Set<string>): void {
  for (const name of API_METHOD_NAMES as readonly ApiMethodName[]) {
    const { input, output } = methods[name];
    const operationId = `call_${name.replace(/\./g, '_')}`;
    const optional = accepts(input, {});
    if (optional) optionalBodies.add(operationId);
    app.route({
      method: 'POST',
      url: `/api/call/${name}`,
      ...(optional ? { preValidation: emptyBodyIsObject } : {}),
      schema: {
        operationId,
        summary: `${name}: the contract method; the body is its input`,
        tags: ['contract'],
        body: input,
        response: responses({ 200: [`the value of ${name}`, z.object({ ok: z.literal(true), value: output })] }, [
          ...WRITE_ERRORS,
          ...(METHOD_ERRORS[name] ?? []),
        ]),
      },
      handler: async (req, reply) => {
        const keyed = name === 'runs.start' ? withKey(req.headers['idempotency-key'], req.body) : { input: req.body };
        if ('error' in keyed) return sendFailure(reply, 'bad-request', keyed.error);
        const r = await dispatch(ctx, name, keyed.input);
        return reply.code(r.ok ? 200 : (STATUS[r.error.code] ?? 500)).send(r);
      },
    });
  }
  const names = API_METHOD_NAMES as readonly ApiMethodName[];
  const Call = z.discriminatedUnion(
    'method',
    names.map((m) =>
      z
        .object({
          method: z.literal(m),
          input: accepts(methods[m].input, {}) ? methods[m].input.optional() : methods[m].input,
        })
        .strict(),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  );
  app.route({
    method: 'POST',
    url: '/api/call',
    schema: {
      operationId: 'call',
      summary: 'any contract method: { method, input }',
      tags: ['contract'],
      body: Call,
      response: responses({ 200: ['the value of the method', z.object({ ok: z.literal(true), value: z.unknown() })] }, [
        ...WRITE_ERRORS,
        404,
        409,
        422,
      ]),
    },
    handler: async (req, reply) => {
      const { method, input } = req.body as { method: ApiMethodName; input?: unknown };
      const keyed = method === 'runs.start' ? withKey(req.headers['idempotency-key'], input) : { input };
      if ('error' in keyed) return sendFailure(reply, 'bad-request', keyed.error);
      const r = await dispatch(ctx, method, keyed.input);
      return reply.code(r.ok ? 200 : (STATUS[r.error.code] ?? 500)).send(r);
    },
  });
}

const statusName = RunStatus.options.join('|');
const StatusList = z
  .string()
  .regex(
    new RegExp(`^\\s*(${statusName})\\s*(,\\s*(${statusName})\\s*)*$`),
    `one status, or several separated by commas (${RunStatus.options.join(', ')})`,
  );
const listShape = methods['runs.list'].input.shape;
const ListQuery = z.object({
  status: StatusList.optional(),
  graphId: listShape.graphId,
  text: listShape.text,
  from: listShape.from,
  to: listShape.to,
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  sort: listShape.sort,
  order: listShape.order,
  all: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: every run, child runs too (by default only top-level runs)'),
  parentRunId: listShape.parentRunId,
});
const RunParams = z.object({ runId: RunId });
const IdempotencyHeaders = z
  .object({
    'idempotency-key': z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('a repeated key returns the run it started (200), never a second run'),
  })
  .passthrough();

/** The run routes: start (idempotent), list, get, and the actions. */
export function runRoutes(app: ZodApp, ctx: DispatchContext, optionalBodies: Set<string>): void {
  const start = methods['runs.start'];
  app.route({
    method: 'POST',
    url: '/api/runs',
    schema: {
      operationId: 'runs_create',
      summary: 'start a run; a repeated Idempotency-Key (header or idempotencyKey field) returns the same run',
      tags: ['runs'],
      headers: IdempotencyHeaders,
      body: start.input,
      response: responses(
        {
          201: ['the run was created', start.output],
          200: ['the key had started this run before (same graph and input)', start.output],
        },
        [...WRITE_ERRORS, 422],
      ),
    },
    handler: async (req, reply) => {
      const keyed = withKey(req.headers['idempotency-key'], req.body);
      if ('error' in keyed) return sendFailure(reply, 'bad-request', keyed.error);
      const r = await dispatch(ctx, 'runs.start', keyed.input);
      return answer(reply, r, r.ok && (r.value as { created?: boolean }).created === false ? 200 : 201);
    },
  });
  app.route({
    method: 'GET',
    url: '/api/runs',
    schema: {
      operationId: 'runs_list',
      summary: 'runs, newest first (runs.list)',
      tags: ['runs'],
      querystring: ListQuery,
      response: responses({ 200: ['runs and how many match', methods['runs.list'].output] }, READ_ERRORS),
    },
    handler: async (req, reply) => {
      const { status, graphId, text, all, ...rest } = req.query;
      const input = {
        ...rest,
        ...(all !== undefined ? { all: all === 'true' } : {}),
        ...(status ? { status: status.includes(',') ? status.split(',').map((s) => s.trim()) : status.trim() } : {}),
        ...(graphId ? { graphId } : {}),
        ...(text ? { text } : {}),
      };
      return answer(reply, await dispatch(ctx, 'runs.list', input));
    },
  });
  app.route({
    method: 'GET',
    url: '/api/runs/:runId',
    schema: {
      operationId: 'runs_get',
      summary: 'a run with every node (runs.get)',
      tags: ['runs'],
      params: RunParams,
      response: responses({ 200: ['the run', methods['runs.get'].output] }, [...READ_ERRORS, 404]),
    },
    handler: async (req, reply) => answer(reply, await dispatch(ctx, 'runs.get', { runId: req.params.runId })),
  });
  const approve = methods['runs.approve'].input.omit({ runId: true }).extend({ approved: z.boolean().default(true) });
  const actions = {
    cancel: methods['runs.cancel'].input.omit({ runId: true }),
    pause: methods['runs.pause'].input.omit({ runId: true }),
    resume: methods['runs.resume'].input.omit({ runId: true }),
    approve,
  } as const;
  for (const [what, body] of Object.entries(actions) as [keyof typeof actions, z.ZodObject][]) {
    const operationId = `runs_${what}`;
    const optional = accepts(body, {});
    if (optional) optionalBodies.add(operationId);
    app.route({
      method: 'POST',
      url: `/api/runs/:runId/${what}`,
      ...(optional ? { preValidation: emptyBodyIsObject } : {}),
      schema: {
        operationId,
        summary: `${what} a run (runs.${what})`,
        tags: ['runs'],
        params: RunParams,
        body,
        response: responses({ 200: ['what the run did', methods[`runs.${what}`].output] }, [...WRITE_ERRORS, 404, 409]),
      },
      handler: async (req, reply) =>
        answer(reply, await dispatch(ctx, `runs.${what}`, { ...(req.body as object), runId: req.params.runId })),
    });
  }
}
