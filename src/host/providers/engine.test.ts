/**
 * Providers through the whole engine: StatepipeService on a temp database, llm graphs whose
 * provider points at local servers speaking the OpenAI and Anthropic wire formats.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { StatepipeService } from '../service.js';
import type { ProviderSettings } from './index.js';
import { anthropicServer, openAiServer, type FakeServer } from './test-servers.js';

let oa: FakeServer;
let an: FakeServer;
let svc: StatepipeService;
let events: RunEvent[];

beforeAll(async () => {
  oa = await openAiServer();
  an = await anthropicServer();
});
afterAll(async () => {
  await oa.close();
  await an.close();
});

async function open(providers: ProviderSettings = {}): Promise<StatepipeService> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-prov-'));
  const s = await StatepipeService.open({
    dbPath: join(dir, 'sp.db'),
    providers: {
      env: {
        OPENAI_API_KEY: 'sk-test-1',
        OPENAI_BASE_URL: `${oa.url}/v1`,
        ANTHROPIC_API_KEY: 'sk-ant-1',
        ANTHROPIC_BASE_URL: `${an.url}/v1`,
      },
      log: () => undefined,
      ...providers,
    },
  });
  s.subscribe((batch) => events.push(...batch));
  return s;
}

beforeEach(() => {
  events = [];
  for (const s of [oa, an]) {
    s.seen.length = 0;
    s.queue.length = 0;
    s.maxConcurrent = undefined;
    s.rejected = 0;
    s.peak = 0;
    s.defaultTurn = { text: 'ok' };
  }
});
afterEach(async () => {
  await svc?.close();
});

function llmGraph(config: Record<string, unknown>, extra: Record<string, unknown> = {}): Graph {
  return {
    format: 'statepipe.graph',
    version: 1,
    id: 'one-llm',
    name: 'one llm',
    defaults: { retry: { maxAttempts: 3, backoffMs: 10, strategy: 'fixed', jitter: false } },
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'ask', type: 'llm', config: { prompt: 'Greet {{input.name}}', ...config } },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'ask' }],
    ...extra,
  } as unknown as Graph;
}

const of = (runId: string, type: string, nodeId?: string) =>
  events.filter((e) => e.runId === runId && e.type === type && (nodeId === undefined || e.nodeId === nodeId));

describe.each([
  ['openai', 'gpt-4o-mini', () => oa, 0.15, 0.6],
  ['anthropic', 'claude-haiku-4-5', () => an, 1, 5],
] as const)('%s through the engine', (provider, model, server, inPrice, outPrice) => {
  it('streams coalesced node.tokens before the node succeeds, with usage and cost', async () => {
    svc = await open();
    const text = 'Hello Ada, it is very nice to meet you today, how are you?';
    server().queue.push({ text, pieces: 8, delayMs: 120, usage: { input: 2000, output: 4000 } });
    const out = await svc.startRun(llmGraph({ provider, model }), { name: 'Ada' });
    expect(out.status).toBe('succeeded');
    const tokens = of(out.runId, 'node.tokens');
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(tokens.length).toBeLessThan(8); // coalesced, not one per chunk
    expect(tokens.map((e) => (e.data as { text: string }).text).join('')).toBe(text);
    const succeeded = of(out.runId, 'node.succeeded', 'ask')[0]!;
    expect(succeeded.seq).toBeGreaterThan(Math.max(...tokens.map((e) => e.seq)));
    const data = succeeded.data as { output: { text: string; costUsd: number }; usage: unknown; costUsd: number };
    expect(data.output.text).toBe(text);
    expect(data.usage).toEqual({ inputTokens: 2000, outputTokens: 4000 });
    const cost = (2000 * inPrice + 4000 * outPrice) / 1e6;
    expect(data.costUsd).toBeCloseTo(cost, 9);
    const detail = await svc.inspect(out.runId);
    expect(detail.tokens).toBe(6000);
    expect(detail.costUsd).toBeCloseTo(cost, 9);
    expect(server().seen[0]!.body['model']).toBe(model);
  });

  it('retries a 429 after its Retry-After (1 s)', async () => {
    svc = await open();
    server().queue.push({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { type: 'rate_limit_error', message: 'Rate limit reached' } },
    });
    server().queue.push({ text: 'fine now' });
    const out = await svc.startRun(llmGraph({ provider, model }), { name: 'Ada' });
    expect(out.status).toBe('succeeded');
    const retry = of(out.runId, 'node.retrying')[0]!.data as {
      delayMs: number;
      error: { kind: string; retryAfterMs: number };
    };
    expect(retry.error.kind).toBe('rate-limit');
    expect(retry.error.retryAfterMs).toBe(1000);
    expect(retry.delayMs).toBeGreaterThanOrEqual(1000);
    const [first, second] = server().seen;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(second!.at - first!.at).toBeLessThan(3000);
  });

  it('retries a reply that breaks outputSchema, showing the model the validator error', async () => {
    svc = await open();
    const outputSchema = { type: 'object', properties: { risk: { enum: ['low', 'high'] } }, required: ['risk'] };
    server().queue.push({ text: '{"risk": "maybe"}' });
    server().queue.push({ text: '```json\n{"risk": "high"}\n```' });
    const out = await svc.startRun(llmGraph({ provider, model, outputSchema }), { name: 'Ada' });
    expect(out.status).toBe('succeeded');
    const retry = of(out.runId, 'node.retrying')[0]!.data as { error: { kind: string; message: string } };
    expect(retry.error.kind).toBe('schema');
    expect(retry.error.message).toContain('/risk must be equal to one of the allowed values');
    expect(server().seen.length).toBe(2);
    const secondPrompt = JSON.stringify(server().seen[1]!.body['messages']);
    expect(secondPrompt).toContain('/risk must be equal to one of the allowed values');
    expect(JSON.stringify(server().seen[0]!.body['messages'])).not.toContain('rejected');
    const ok = of(out.runId, 'node.succeeded', 'ask')[0]!.data as { output: { json: unknown } };
    expect(ok.output.json).toEqual({ risk: 'high' });
  });
});

function fanOut(width: number, retry?: unknown): Graph {
  const nodes: unknown[] = [{ id: 'start', type: 'input' }];
  const edges: unknown[] = [];
  for (let i = 0; i < width; i++) {
    nodes.push({
      id: `b${i}`,
      type: 'llm',
      config: { provider: 'openai', model: 'gpt-4o-mini', prompt: `branch ${i} for {{input.name}}` },
    });
    edges.push({ id: `e${i}`, source: 'start', target: `b${i}` });
  }
  return {
    format: 'statepipe.graph',
    version: 1,
    id: 'fan',
    name: 'fan',
    concurrency: width,
    nodes,
    edges,
    ...(retry ? { defaults: { retry } } : {}),
  } as unknown as Graph;
}

describe('fan-out under a concurrency limit', () => {
  it('control: without limits the same fan-out meets 429s', async () => {
    svc = await open();
    oa.maxConcurrent = 5;
    oa.defaultTurn = { text: 'branch reply here', pieces: 3, delayMs: 250 }; // long enough to overlap on a loaded machine
    const out = await svc.startRun(fanOut(20), { name: 'Ada' });
    expect(out.status).toBe('failed');
    expect(oa.rejected).toBeGreaterThan(0);
    const failed = of(out.runId, 'node.failed').map((e) => (e.data as { error: { kind: string } }).error.kind);
    expect(new Set(failed)).toEqual(new Set(['rate-limit']));
  });

  it('20 branches against a server that takes 5 at a time: no 429, no failed node', async () => {
    svc = await open({ limits: { openai: { concurrency: 5 } } });
    oa.maxConcurrent = 5;
    oa.defaultTurn = { text: 'branch reply here', pieces: 3, delayMs: 250 }; // long enough to overlap on a loaded machine
    const out = await svc.startRun(fanOut(20), { name: 'Ada' });
    expect(out.status).toBe('succeeded');
    expect(of(out.runId, 'node.failed')).toEqual([]);
    expect(of(out.runId, 'node.retrying')).toEqual([]);
    expect(of(out.runId, 'node.succeeded').filter((e) => e.nodeId !== 'start').length).toBe(20);
    expect(oa.rejected).toBe(0);
    expect(oa.peak).toBe(5);
    expect(oa.seen.length).toBe(20);
  });
});
