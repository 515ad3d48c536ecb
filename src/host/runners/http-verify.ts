/**
 * An http node's `verify` check (core/engine/verify.ts decides what to do with its verdict):
 *
 *   "verify": { "url": "https://shop.example/orders/{{idempotencyKey}}",
 *               "expect": "response.status = 200", "output": "response.body" }
 *
 * `url` and `headers` are templates over `{ input, nodes, idempotencyKey, config }` (config: the
 * rendered config of the attempt that was in flight); `expect` and `output` are JSONata over the
 * same plus `response` (`{ status, headers, body }`). The check is sent WITHOUT the attempt's
 * Idempotency-Key header (a server that dedups by key might take it for the request itself).
 *
 * A 2xx-4xx answer is an answer (a 404 usually means "no such order": `expect` says false); a
 * network error, 429 or 5xx cannot answer (retryable: the node's policy retries the check).
 */
import { NodeFailure } from '../../core/errors.js';
import { evaluateExpression, renderTemplates } from '../../core/graph/templates.js';
import type { VerifyConfig } from '../../core/nodes/http/index.js';
import type { TemplateScope, VerifyRequest, VerifyVerdict } from '../../core/ports.js';
import { httpRequest } from './http.js';

export async function verifyEffect(req: VerifyRequest): Promise<VerifyVerdict> {
  const v = req.node.config['verify'] as VerifyConfig;
  const limits = { signal: req.signal };
  const url = await renderTemplates(v.url, req.scope, limits);
  if (typeof url !== 'string' || url === '')
    throw new NodeFailure('template', 'verify.url must render to a non-empty string', { retryable: false });
  const headers = v.headers === undefined ? undefined : await renderTemplates(v.headers, req.scope, limits);
  const response = await httpRequest(
    { method: v.method ?? 'GET', url, ...(headers !== undefined ? { headers } : {}) },
    {
      signal: req.signal,
      clock: req.clock,
      log: () => undefined,
    },
    (status) => status < 500 && status !== 429,
  );
  const scope = { ...req.scope, response } as TemplateScope;
  const found = await evaluateExpression(v.expect, scope, `verify.expect "${v.expect}"`, limits);
  if (typeof found !== 'boolean')
    throw new NodeFailure(
      'template',
      `verify.expect "${v.expect}" must give a boolean, got ${JSON.stringify(found).slice(0, 80)}`,
      { retryable: false },
    );
  if (!found) return { applied: false, response };
  const output =
    v.output === undefined
      ? response
      : await evaluateExpression(v.output, scope, `verify.output "${v.output}"`, limits);
  return { applied: true, output };
}
