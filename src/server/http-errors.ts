/**
 * Every refusal of the web host is one JSON shape, `{ ok: false, error: { code, message } }`,
 * with the HTTP status of its code: the contract's coded errors from dispatch(), and the
 * framework's own (malformed URL, 404, 405, 413, 415, schema-checked requests) mapped onto it.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { ERROR_CODES, type ApiError, type ApiErrorCode } from '../contract/api.js';

/** Request bodies larger than this are refused with 413 (graphs with big inputs fit easily). */
export const BODY_LIMIT = 16 * 1024 * 1024;

export const STATUS: Record<ApiErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'illegal-transition': 409,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  validation: 422,
  internal: 500,
  database: 503,
};

/** What each status means, for the OpenAPI document's responses. */
export const STATUS_TEXT: Record<number, string> = {
  204: 'no content: the run succeeded or was cancelled and every event after the given id was sent',
  400: 'bad-request: malformed URL, body or parameter (the message names it), or a value nested too deep',
  401: 'unauthorized: missing or wrong token',
  403: 'forbidden: a write from another origin (Origin or Sec-Fetch-Site)',
  404: 'not-found: no such run, graph or node',
  409: 'illegal-transition or conflict: the run cannot do that now, or another process drives it',
  413: 'too-large: the body is larger than 16 MiB',
  415: 'unsupported-media-type: the body is not application/json',
  422: 'validation: the graph or its input breaks a rule (issues name the node, edge or field)',
  500: 'internal: a fault of the server',
  503: 'database: the database is busy or cannot be written',
};

const Issue = z.object({
  path: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  edgeId: z.string().optional(),
});

/** The body of every error answer. */
export const Failure = z.object({
  ok: z.literal(false),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), issues: z.array(Issue).optional() }),
});

export const failure = (code: ApiErrorCode, message: string, issues?: ApiError['issues']) => ({
  ok: false as const,
  error: { code, message, ...(issues ? { issues } : {}) },
});

export function sendFailure(reply: FastifyReply, code: ApiErrorCode, message: string, issues?: ApiError['issues']) {
  return reply.code(STATUS[code]).send(failure(code, message, issues));
}

const BY_STATUS: Record<number, ApiErrorCode> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'too-large',
  415: 'unsupported-media-type',
  422: 'validation',
  503: 'database',
};

/** `graph.nodes[0].id`, `limit`, `idempotency-key`: where a schema check failed, as a person writes it. */
function issuePath(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
}

/** The framework's errors (and a rare throw of ours) as the one error shape. */
export function errorHandler(onError: (err: unknown) => void) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const issues = err.validation.map((v) => ({
        path: issuePath(v.instancePath) || where,
        message: v.message ?? 'is invalid',
      }));
      return sendFailure(reply, 'bad-request', `${issues[0]!.path}: ${issues[0]!.message}`, issues);
    }
    if (isResponseSerializationError(err)) {
      onError(err);
      return sendFailure(reply, 'internal', `the answer to ${req.method} ${req.url} did not match its schema`);
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendFailure(
          reply,
          'unsupported-media-type',
          `content type ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted: send application/json`,
        );
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendFailure(reply, 'too-large', `the body is larger than ${BODY_LIMIT / 1024 / 1024} MiB`);
    }
    // @fastify/static refuses directories and dotfiles with 403: to a client there is no such file.
    if (err.statusCode === 403) return sendFailure(reply, 'not-found', `no file ${req.url.split('?')[0]}`);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendFailure(reply, BY_STATUS[status] ?? 'bad-request', err.message);
    onError(err);
    return sendFailure(reply, 'internal', 'internal error');
  };
}
