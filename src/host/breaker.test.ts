/**
 * Circuit breakers (issue: production integrations): they open after N consecutive failures,
 * fail fast with kind `provider` (retryable, retryAfterMs = the cool-down left), go half-open
 * after the cool-down and close on a success; a whole run sees it in its node logs, and the
 * API method `app.breakers` shows the state.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFailure } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Graph } from '../core/graph/schema.js';
import type { ModelProvider } from '../core/ports.js';
import { BreakerRegistry } from './breaker.js';
import { dispatch } from './dispatch.js';
import { StatepipeService } from './service.js';

const failing: ModelProvider = {
  generate: () => Promise.reject(new NodeFailure('provider', 'HTTP 503', { retryable: true })),
};
const answering: ModelProvider = {
  generate: () => Promise.resolve({ text: 'ok', usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, model: 'm' }),
};
const req = { model: 'm', messages: [], signal: new AbortController().signal, onToken: () => undefined };

describe('circuit breaker', () => {
  it('opens after N consecutive failures, fails fast, goes half-open after the cool-down and closes', async () => {
    let now = 1_000_000;
    const b = new BreakerRegistry({ threshold: 3, coolDownMs: 30_000, now: () => now });
    const logs: string[] = [];
    const p = b.provider('openai', failing, (_l, m) => logs.push(m));
    for (let i = 0; i < 3; i++) await expect(p.generate(req)).rejects.toThrow('HTTP 503');
    expect(b.state('provider:openai')).toBe('open');
    expect(logs.some((m) => /opened after 3 consecutive failures/.test(m))).toBe(true);

    now += 10_000;
    const fast = await p.generate(req).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(NodeFailure);
    expect(fast).toMatchObject({ kind: 'provider', retryable: true, retryAfterMs: 20_000 });
    expect(b.list()).toEqual([
      expect.objectContaining({
        key: 'provider:openai',
        kind: 'provider',
        state: 'open',
        failures: 3,
        retryAfterMs: 20_000,
      }),
    ]);

    now += 20_000;
    expect(b.state('provider:openai')).toBe('half-open');
    // The half-open trial fails: open again for a whole cool-down.
    await expect(p.generate(req)).rejects.toThrow('HTTP 503');
    expect(b.state('provider:openai')).toBe('open');
    now += 30_000;
    const ok = b.provider('openai', answering);
    await expect(ok.generate(req)).resolves.toMatchObject({ text: 'ok' });
    expect(b.state('provider:openai')).toBe('closed');
    expect(b.list()).toEqual([]);
  });

  it('counts only consecutive failures, and not rate limits or 4xx', async () => {
    const b = new BreakerRegistry({ threshold: 2 });
    const notCounted: ModelProvider = {
      generate: () => Promise.reject(new NodeFailure('provider', 'HTTP 400', { retryable: false })),
    };
    await expect(b.provider('x', failing).generate(req)).rejects.toThrow();
    await expect(b.provider('x', answering).generate(req)).resolves.toBeDefined();
    await expect(b.provider('x', failing).generate(req)).rejects.toThrow();
    await expect(b.provider('x', notCounted).generate(req)).rejects.toThrow();
    expect(b.state('provider:x')).toBe('closed');
    await expect(b.provider('x', failing).generate(req)).rejects.toThrow();
    expect(b.state('provider:x')).toBe('open');
  });

  it('a half-open trial that ends neither way frees the circuit for the next trial', async () => {
    let now = 0;
    const b = new BreakerRegistry({ threshold: 1, coolDownMs: 100, now: () => now });
    const limited: ModelProvider = {
      generate: () => Promise.reject(new NodeFailure('rate-limit', '429', { retryable: true })),
    };
    await expect(b.provider('y', failing).generate(req)).rejects.toThrow('HTTP 503');
    now = 100;
    await expect(b.provider('y', limited).generate(req)).rejects.toThrow('429');
    await expect(b.provider('y', answering).generate(req)).resolves.toMatchObject({ text: 'ok' });
    expect(b.state('provider:y')).toBe('closed');
  });
});

describe('circuit breaker per http host, through a run', () => {
  let server: Server;
  let url = '';
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(503).end('down');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('opens after the threshold, then fails the next calls fast without reaching the host', async () => {
    const svc = await StatepipeService.open({
      dbPath: join(mkdtempSync(join(tmpdir(), 'sp-breaker-')), 'sp.db'),
      breakers: { threshold: 2, coolDownMs: 60_000 },
    });
    const events: RunEvent[] = [];
    svc.subscribe((b) => events.push(...b));
    try {
      const graph: Graph = {
        format: 'statepipe.graph',
        version: 1,
        id: 'breaker',
        nodes: [
          {
            id: 'call',
            type: 'http',
            config: { method: 'GET', url: `${url}/x` },
            retry: { maxAttempts: 3, backoffMs: 1, jitter: false },
          },
        ],
        edges: [],
      };
      const out = await svc.startRun(graph, {});
      expect(out.status).toBe('failed');
      expect(hits).toBe(2); // the third attempt failed fast
      const failed = events.find((e) => e.type === 'node.failed');
      expect(failed?.type === 'node.failed' && failed.data.error).toMatchObject({ kind: 'provider', retryable: true });
      const logs = events.filter((e) => e.type === 'node.log').map((e) => (e.type === 'node.log' ? e.data : undefined));
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(/circuit http:127\.0\.0\.1:\d+ opened/),
        }),
      );
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(/is open after 2 consecutive failures/),
        }),
      );
      const r = await dispatch({ service: svc, host: 'web', version: 't' }, 'app.breakers', {});
      expect(r).toMatchObject({
        ok: true,
        value: { threshold: 2, coolDownMs: 60_000, breakers: [{ kind: 'http', state: 'open', failures: 2 }] },
      });
    } finally {
      await svc.close();
    }
  });
});
