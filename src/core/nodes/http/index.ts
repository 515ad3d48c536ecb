/**
 * `http`: one request (run by the host's http runner), or a long-running job: submit once,
 * then poll until done (`poll`). The Idempotency-Key header carries `<runId>:<nodeId>:<attempt>`.
 */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

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

/**
 * An unsafe http node's way to check its own effect after a crash (instead of going in-doubt at
 * once): a request (`url`, `headers`: templates over `{ input, nodes, idempotencyKey, config }`,
 * config being the rendered config of the attempt in flight) and JSONata over the same scope plus
 * `response`: `expect` gives true when the effect happened, `output` the node's output then.
 */
export const VerifySchema = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST']).optional(),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).optional(),
    expect: z.string().min(1),
    output: z.string().min(1).optional(),
  })
  .strict();

export type VerifyConfig = z.infer<typeof VerifySchema>;

export const HttpConfigSchema = z
  .object({
    method: z.enum(HTTP_METHODS),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    maxResponseBytes: z.number().int().positive().optional(),
    poll: PollSchema.optional(),
    verify: VerifySchema.optional(),
  })
  .passthrough();

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export const httpKind = defineKind({
  type: 'http',
  label: 'HTTP',
  hint: 'Call an HTTP endpoint',
  configSchema: HttpConfigSchema,
  defaultConfig: () => ({ method: 'GET' as const, url: 'https://example.com/' }),
  defaultSideEffect: (config) => {
    const m = String(config['method'] ?? 'GET').toUpperCase();
    return m === 'POST' || m === 'PATCH' ? 'unsafe' : 'idempotent';
  },
  execution: 'effect',
  readsOnly: (config) => (config['method'] === 'GET' || config['method'] === 'HEAD') && config['poll'] === undefined,
  // A polled node is bounded by poll.maxWaitMs (its own failure, kind timeout), not by timeoutMs.
  timeoutMs: (config, limit) => {
    const poll = config['poll'];
    return isObj(poll) && typeof poll['maxWaitMs'] === 'number'
      ? Math.max(limit, poll['maxWaitMs'] + 2 * limit)
      : limit;
  },
  checkConfig: (config, check) => {
    if (!config.verify) return;
    if (check.sideEffect !== 'unsafe')
      check.issue(
        'verify',
        'applies to unsafe nodes only (POST, PATCH or sideEffect "unsafe"): this node is sent again after a crash',
      );
    if (config.poll)
      check.issue(
        'verify',
        'cannot be combined with poll (a polled node records its submit and polls on after a crash)',
      );
  },
  checkTemplates: (config, check) => {
    const poll = config['poll'];
    if (isObj(poll)) {
      check.templates('poll.url', poll['url']);
      if (typeof poll['until'] === 'string') check.expression('poll.until', poll['until'], 'poll.until');
    }
    const verify = config['verify'];
    if (isObj(verify)) {
      check.templates('verify.url', verify['url']);
      check.templates('verify.headers', verify['headers']);
      for (const key of ['expect', 'output'] as const)
        if (typeof verify[key] === 'string') check.expression(`verify.${key}`, verify[key], `verify.${key}`);
    }
  },
  panel: [
    { key: 'method', label: 'Method', input: 'select', options: HTTP_METHODS },
    { key: 'url', label: 'URL', input: 'template' },
    { key: 'headers', label: 'Headers', input: 'json', optional: true, rows: 3 },
    { key: 'body', label: 'Body', input: 'json', optional: true, rows: 5 },
  ],
});
