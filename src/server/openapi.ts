/**
 * The web host's HTTP API as an OpenAPI 3.1 document, generated from the zod contract
 * (src/contract/api.ts) with `z.toJSONSchema`: every contract method as `POST /api/call/<method>`
 * (and the generic `POST /api/call`), plus the REST routes of rest.ts. Served, token-guarded,
 * at `GET /api/openapi.json`.
 */
import * as z from 'zod';
import { ERROR_CODES, methods } from '../contract/api.js';

type Json = Record<string, unknown>;

/** A zod schema as an embeddable JSON Schema (draft 2020-12, OpenAPI 3.1's dialect). */
function schemaOf(type: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const ok = (value: Json, description = 'the result'): Json => ({ description, content: json(value) });
const runIdParam = {
  name: 'runId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^run_[0-9A-Z]{26}$' },
};

export function openApiDocument(version: string): Json {
  const schemas: Record<string, Json> = {
    Error: {
      type: 'object',
      properties: {
        ok: { const: false },
        error: {
          type: 'object',
          properties: {
            code: { enum: [...ERROR_CODES] },
            message: { type: 'string' },
            issues: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  path: { type: 'string' },
                  message: { type: 'string' },
                  nodeId: { type: 'string' },
                  edgeId: { type: 'string' },
                },
                required: ['path', 'message'],
              },
            },
          },
          required: ['code', 'message'],
        },
      },
      required: ['ok', 'error'],
    },
    RunEvent: {
      type: 'object',
      properties: {
        seq: { type: 'integer' },
        runId: { type: 'string' },
        ts: { type: 'string' },
        type: { type: 'string' },
        nodeId: { type: 'string' },
        data: {},
      },
      required: ['seq', 'runId', 'ts', 'type', 'data'],
    },
  };
  const errors = {
    default: {
      description:
        'a coded error (400 bad-request, 401 unauthorized, 404 not-found, 409 illegal-transition/conflict, 422 validation, 503 database, 500 internal)',
      content: json(ref('Error')),
    },
  };
  const paths: Record<string, Json> = {};
  const names = Object.keys(methods) as (keyof typeof methods)[];
  for (const name of names) {
    schemas[`${name}.input`] = schemaOf(methods[name].input, 'input');
    schemas[`${name}.output`] = schemaOf(methods[name].output, 'output');
    paths[`/api/call/${name}`] = {
      post: {
        operationId: `call_${name.replace(/\./g, '_')}`,
        summary: `${name} (the contract method; the body is its input)`,
        tags: ['contract'],
        requestBody: { required: true, content: json(ref(`${name}.input`)) },
        responses: {
          '200': ok({
            type: 'object',
            properties: { ok: { const: true }, value: ref(`${name}.output`) },
            required: ['ok', 'value'],
          }),
          ...errors,
        },
      },
    };
  }
  paths['/api/call'] = {
    post: {
      operationId: 'call',
      summary: 'any contract method: { method, input }',
      tags: ['contract'],
      requestBody: {
        required: true,
        content: json({ type: 'object', properties: { method: { enum: names }, input: {} }, required: ['method'] }),
      },
      responses: {
        '200': ok({ type: 'object', properties: { ok: { const: true }, value: {} }, required: ['ok', 'value'] }),
        ...errors,
      },
    },
  };
  const action = (what: string, method: keyof typeof methods, body?: Json): Json => ({
    post: {
      operationId: `runs_${what}`,
      summary: `${what} a run (runs.${what})`,
      tags: ['runs'],
      parameters: [runIdParam],
      ...(body ? { requestBody: { required: what === 'approve', content: json(body) } } : {}),
      responses: { '200': ok(ref(`${method}.output`)), ...errors },
    },
  });
  paths['/api/runs'] = {
    post: {
      operationId: 'runs_create',
      summary: 'start a run; a repeated Idempotency-Key (header or idempotencyKey field) returns the same run',
      tags: ['runs'],
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: { type: 'string', minLength: 1, maxLength: 200 },
        },
      ],
      requestBody: { required: true, content: json(ref('runs.start.input')) },
      responses: {
        '201': ok(ref('runs.start.output'), 'the run was created'),
        '200': ok(ref('runs.start.output'), 'the key had started this run before'),
        ...errors,
      },
    },
    get: {
      operationId: 'runs_list',
      summary: 'runs, newest first (runs.list)',
      tags: ['runs'],
      parameters: [
        {
          name: 'status',
          in: 'query',
          schema: { type: 'string' },
          description: 'one status, or several separated by commas',
        },
        { name: 'graphId', in: 'query', schema: { type: 'string' } },
        { name: 'text', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000 } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
      ],
      responses: { '200': ok(ref('runs.list.output')), ...errors },
    },
  };
  paths['/api/runs/{runId}'] = {
    get: {
      operationId: 'runs_get',
      summary: 'a run with every node (runs.get)',
      tags: ['runs'],
      parameters: [runIdParam],
      responses: { '200': ok(ref('runs.get.output')), ...errors },
    },
  };
  paths['/api/runs/{runId}/cancel'] = action('cancel', 'runs.cancel');
  paths['/api/runs/{runId}/pause'] = action('pause', 'runs.pause');
  paths['/api/runs/{runId}/resume'] = action('resume', 'runs.resume', {
    type: 'object',
    properties: {
      budget: { type: 'object', properties: { maxTokens: { type: 'integer' }, maxCostUsd: { type: 'number' } } },
    },
  });
  paths['/api/runs/{runId}/approve'] = action('approve', 'runs.approve', {
    type: 'object',
    properties: {
      nodeId: { type: 'string' },
      approved: { type: 'boolean', default: true },
      by: { type: 'string' },
      comment: { type: 'string' },
      data: {},
    },
    required: ['nodeId'],
  });
  paths['/api/runs/{runId}/events'] = {
    get: {
      operationId: 'runs_events_stream',
      summary:
        "the run's events after a seq, then live, as Server-Sent Events (id = seq, event = type, data = the event JSON); ends after the run ends",
      tags: ['runs'],
      parameters: [
        runIdParam,
        { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
        { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
      ],
      responses: {
        '200': {
          description: 'an event stream of RunEvent',
          content: { 'text/event-stream': { schema: { type: 'string' }, itemSchema: ref('RunEvent') } },
        },
        ...errors,
      },
    },
  };
  paths['/api/openapi.json'] = {
    get: {
      operationId: 'openapi',
      summary: 'this document',
      tags: ['meta'],
      responses: { '200': ok({ type: 'object' }) },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'statepipe web host API',
      version,
      description:
        'Every request needs the token printed by `statepipe serve`: `Authorization: Bearer <token>` (or `?token=`).',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
