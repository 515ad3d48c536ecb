/** The `verify` check against a real server: found, not found, cannot answer, broken expression. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphNode } from '../../core/graph/schema.js';
import { asRunId } from '../../core/ids.js';
import { realClock } from '../../core/engine/clock.js';
import type { VerifyRequest } from '../../core/ports.js';
import { verifyEffect } from './http-verify.js';
import { nodeFailure as failure } from '../../core/engine/test-kit.js';

let server: Server;
let base = '';
const seen: IncomingMessage['headers'][] = [];
const ORDERS = new Map([['run_1:order:1', { id: 'o-17', item: 'tea' }]]);

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    const key = decodeURIComponent(/^\/orders\/(.+)$/.exec(req.url ?? '')?.[1] ?? '');
    if (req.url === '/down') return res.writeHead(503).end('maintenance');
    if (req.url === '/busy') return res.writeHead(429, { 'retry-after': '3' }).end();
    const order = ORDERS.get(key);
    res.writeHead(order ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(order ?? { error: 'no such order' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function request(verify: Record<string, unknown>, key = 'run_1:order:1'): VerifyRequest {
  const node: GraphNode = { id: 'order', type: 'http', config: { method: 'POST', url: `${base}/orders`, verify } };
  return {
    runId: asRunId('run_1'),
    node,
    attempt: 1,
    idempotencyKey: key,
    scope: {
      input: { item: 'tea' },
      nodes: {},
      idempotencyKey: key,
      config: { method: 'POST', url: `${base}/orders` },
    },
    signal: new AbortController().signal,
    clock: realClock,
  };
}

const check = {
  url: `{{config.url}}/{{$encodeUrlComponent(idempotencyKey)}}`,
  headers: { 'x-item': '{{input.item}}' },
  expect: 'response.status = 200',
};

describe('verifyEffect', () => {
  it('found: applied, with the output expression over the response; templated headers, no Idempotency-Key', async () => {
    seen.length = 0;
    expect(await verifyEffect(request({ ...check, output: 'response.body' }))).toEqual({
      applied: true,
      output: { id: 'o-17', item: 'tea' },
    });
    expect(seen[0]!['x-item']).toBe('tea');
    expect(seen[0]!['idempotency-key']).toBeUndefined();
    // Without `output`, the output is the response.
    const whole = await verifyEffect(request(check));
    expect(whole).toMatchObject({ applied: true, output: { status: 200, body: { id: 'o-17' } } });
  });

  it('not found (a 404 is an answer): not applied', async () => {
    const v = await verifyEffect(request(check, 'run_1:order:2'));
    expect(v).toMatchObject({ applied: false, response: { status: 404, body: { error: 'no such order' } } });
  });

  it('5xx, 429 and a refused connection cannot answer: retryable failures', async () => {
    expect(await failure(verifyEffect(request({ ...check, url: `${base}/down` })))).toMatchObject({
      kind: 'http-status',
      retryable: true,
    });
    expect(await failure(verifyEffect(request({ ...check, url: `${base}/busy` })))).toMatchObject({
      kind: 'rate-limit',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(await failure(verifyEffect(request({ ...check, url: 'http://127.0.0.1:9/orders/x' })))).toMatchObject({
      kind: 'network',
      retryable: true,
    });
  });

  it('an expect that is not a boolean, or a template that gives nothing: kind template, not retried', async () => {
    const f = await failure(verifyEffect(request({ ...check, expect: 'response.body' })));
    expect(f).toMatchObject({ kind: 'template', retryable: false });
    expect(f.message).toMatch(/^verify\.expect "response\.body" must give a boolean, got \{"id":"o-17"/);
    const g = await failure(verifyEffect(request({ ...check, url: '{{config.nothing}}' })));
    expect(g).toMatchObject({ kind: 'template', retryable: false });
  });
});
