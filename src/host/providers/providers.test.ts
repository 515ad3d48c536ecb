import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeFailure } from '../../core/errors.js';
import type { AgentMessage } from '../../core/nodes/agent/runner.js';
import type { ModelRequest } from '../../core/ports.js';
import { ProviderRegistry } from './index.js';
import { anthropicServer, openAiServer, type FakeServer } from './test-servers.js';

const OPENAI_KEY = 'sk-test-openai-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-test-0123456789abcdef';

let oa: FakeServer;
let an: FakeServer;
let logs: string[];
let reg: ProviderRegistry;

beforeAll(async () => {
  oa = await openAiServer();
  an = await anthropicServer();
});
afterAll(async () => {
  await oa.close();
  await an.close();
});
beforeEach(() => {
  oa.seen.length = 0;
  oa.queue.length = 0;
  an.seen.length = 0;
  an.queue.length = 0;
  logs = [];
  reg = new ProviderRegistry({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${oa.url}/v1`,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: `${an.url}/v1`,
    },
    log: (m) => logs.push(m),
  });
});

function request(model: string, over: Partial<ModelRequest> = {}): ModelRequest & { tokens: string[] } {
  const tokens: string[] = [];
  return {
    model,
    messages: [{ role: 'user', content: 'Say hello' }],
    signal: new AbortController().signal,
    onToken: (t) => tokens.push(t),
    tokens,
    ...over,
  };
}

async function failureOf(p: Promise<unknown>): Promise<NodeFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NodeFailure);
    return err as NodeFailure;
  }
  throw new Error('expected a failure');
}

describe('openai', () => {
  it('streams tokens, reports usage and prices the call', async () => {
    oa.queue.push({ text: 'Hello there, friend', pieces: 4, usage: { input: 1000, output: 2000 } });
    const req = request('gpt-4o-mini', { system: 'be brief', temperature: 0.2, maxTokens: 50 });
    const reply = await reg.get('openai')!.generate(req);
    expect(reply.text).toBe('Hello there, friend');
    expect(req.tokens.length).toBe(4);
    expect(req.tokens.join('')).toBe(reply.text);
    expect(reply.usage).toEqual({ inputTokens: 1000, outputTokens: 2000 });
    // gpt-4o-mini: 0.15 / 0.6 USD per million
    expect(reply.costUsd).toBeCloseTo(0.00015 + 0.0012, 9);
    const seen = oa.seen[0]!;
    expect(seen.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(seen.body['stream']).toBe(true);
    expect(seen.body['stream_options']).toEqual({ include_usage: true });
    expect(seen.body['temperature']).toBe(0.2);
    expect(seen.body['max_tokens']).toBe(50);
    expect(seen.body['messages']).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'Say hello' },
    ]);
  });

  it('returns the first tool call unexecuted, and sends tool results back', async () => {
    oa.queue.push({ toolCall: { id: 'call_1', name: 'weather', args: { city: 'Oslo' } } });
    const tools = [
      {
        name: 'weather',
        description: 'Weather of a city',
        inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    const reply = await reg.get('openai')!.generate(request('gpt-4o', { tools }));
    expect(reply.toolCall).toEqual({ id: 'call_1', name: 'weather', args: { city: 'Oslo' } });
    expect(oa.seen.length).toBe(1);
    const sentTools = oa.seen[0]!.body['tools'] as { function: { name: string; parameters: unknown } }[];
    expect(sentTools[0]!.function.name).toBe('weather');
    expect(sentTools[0]!.function.parameters).toMatchObject({ properties: { city: { type: 'string' } } });

    const messages: AgentMessage[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: '', toolCall: { id: 'call_1', name: 'weather', args: { city: 'Oslo' } } },
      { role: 'tool', content: '{"tempC":3}', toolCallId: 'call_1', toolName: 'weather' },
    ];
    oa.queue.push({ text: 'It is 3 C.' });
    const second = await reg.get('openai')!.generate(request('gpt-4o', { tools, messages }));
    expect(second.text).toBe('It is 3 C.');
    const sent = oa.seen[1]!.body['messages'] as Record<string, unknown>[];
    expect(sent[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather' } }],
    });
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"tempC":3}' });
  });

  it('is missing until its key is set', () => {
    const bare = new ProviderRegistry({ env: {} });
    expect(bare.get('openai')).toBeUndefined();
    expect(bare.get('anthropic')).toBeUndefined();
    expect(bare.get('openai-compatible')).toBeDefined();
    expect(bare.get('nope')).toBeUndefined();
  });
});

describe('anthropic', () => {
  it('streams tokens and reports usage and cost', async () => {
    an.queue.push({ text: 'Bonjour tout le monde', pieces: 3, usage: { input: 1_000_000, output: 100_000 } });
    const req = request('claude-sonnet-4-5-20250929', { system: 'sys' });
    const reply = await reg.get('anthropic')!.generate(req);
    expect(reply.text).toBe('Bonjour tout le monde');
    expect(req.tokens.length).toBe(3);
    expect(reply.usage).toEqual({ inputTokens: 1_000_000, outputTokens: 100_000 });
    expect(reply.costUsd).toBeCloseTo(3 + 1.5, 9);
    const seen = an.seen[0]!;
    expect(seen.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(seen.body['system']).toEqual([{ type: 'text', text: 'sys' }]);
  });

  it('returns a tool_use block as a tool call', async () => {
    an.queue.push({ toolCall: { id: 'toolu_1', name: 'lookup', args: { q: 'x' } } });
    const reply = await reg.get('anthropic')!.generate(
      request('claude-haiku-4-5', {
        tools: [{ name: 'lookup', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } }],
      }),
    );
    expect(reply.toolCall).toEqual({ id: 'toolu_1', name: 'lookup', args: { q: 'x' } });
  });

  it('classifies 529 overloaded as a retryable provider error', async () => {
    an.queue.push({ status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    const f = await failureOf(reg.get('anthropic')!.generate(request('claude-haiku-4-5')));
    expect(f.kind).toBe('provider');
    expect(f.retryable).toBe(true);
  });
});

describe('openai-compatible', () => {
  it('uses the node baseURL and an optional key', async () => {
    oa.queue.push({ text: 'local model says hi', model: 'llama3.2' });
    const local = new ProviderRegistry({ env: {}, log: (m) => logs.push(m) });
    const reply = await local.get('openai-compatible')!.generate(request('llama3.2', { baseURL: `${oa.url}/v1` }));
    expect(reply.text).toBe('local model says hi');
    expect(reply.costUsd).toBe(0);
    expect(oa.seen[0]!.headers.authorization).toBeUndefined();
    expect(logs.filter((l) => l.includes('llama3.2')).length).toBe(1);
    oa.queue.push({ text: 'again', model: 'llama3.2' });
    await local.get('openai-compatible')!.generate(request('llama3.2', { baseURL: `${oa.url}/v1` }));
    expect(logs.filter((l) => l.includes('llama3.2')).length).toBe(1); // once per process
  });

  it('says how to configure a missing base URL', async () => {
    const f = await failureOf(new ProviderRegistry({ env: {} }).get('openai-compatible')!.generate(request('m')));
    expect(f.kind).toBe('provider');
    expect(f.retryable).toBe(false);
    expect(f.message).toContain('OPENAI_COMPATIBLE_BASE_URL');
  });
});

describe('error classification', () => {
  it('429 → rate-limit with Retry-After seconds, retry-after-ms or a date', async () => {
    oa.queue.push({ status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'slow down' } } });
    let f = await failureOf(reg.get('openai')!.generate(request('gpt-4o')));
    expect([f.kind, f.retryable, f.retryAfterMs]).toEqual(['rate-limit', true, 2000]);
    oa.queue.push({
      status: 429,
      headers: { 'retry-after-ms': '350', 'retry-after': '9' },
      body: { error: { message: 'slow down' } },
    });
    f = await failureOf(reg.get('openai')!.generate(request('gpt-4o')));
    expect(f.retryAfterMs).toBe(350);
    oa.queue.push({
      status: 429,
      headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() },
      body: { error: { message: 'x' } },
    });
    f = await failureOf(reg.get('openai')!.generate(request('gpt-4o')));
    expect(f.retryAfterMs).toBeGreaterThan(1000);
    expect(f.retryAfterMs).toBeLessThanOrEqual(3000);
  });

  it('5xx retryable, other 4xx not', async () => {
    oa.queue.push({ status: 503, body: { error: { message: 'unavailable' } } });
    let f = await failureOf(reg.get('openai')!.generate(request('gpt-4o')));
    expect([f.kind, f.retryable]).toEqual(['provider', true]);
    oa.queue.push({ status: 400, body: { error: { message: 'bad model' } } });
    f = await failureOf(reg.get('openai')!.generate(request('gpt-4o')));
    expect([f.kind, f.retryable]).toEqual(['provider', false]);
    expect(f.message).toContain('400');
  });

  it('connection refused → network (retryable)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dead = new ProviderRegistry({
      env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` },
    });
    const f = await failureOf(dead.get('openai')!.generate(request('gpt-4o')));
    expect([f.kind, f.retryable]).toEqual(['network', true]);
  });

  it('an abort by the node timeout → timeout; a cancel → cancelled', async () => {
    oa.queue.push({ text: 'a b c d e f', pieces: 6, delayMs: 200 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new NodeFailure('timeout', 'node n timed out after 100 ms')), 100);
    let f = await failureOf(reg.get('openai')!.generate(request('gpt-4o', { signal: ac.signal })));
    expect(f.kind).toBe('timeout');
    oa.queue.push({ text: 'a b c d e f', pieces: 6, delayMs: 200 });
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 100);
    f = await failureOf(reg.get('openai')!.generate(request('gpt-4o', { signal: ac2.signal })));
    expect([f.kind, f.retryable]).toEqual(['cancelled', false]);
  });

  it('scrubs the key from an error that echoes it', async () => {
    oa.queue.push({ status: 401, body: { error: { message: `Incorrect API key provided: Bearer ${OPENAI_KEY}` } } });
    const f = await failureOf(reg.get('openai')!.generate(request('gpt-4o')));
    expect([f.kind, f.retryable]).toEqual(['provider', false]);
    expect(JSON.stringify({ m: f.message, d: f.details, s: f.stack })).not.toContain(OPENAI_KEY);
    expect(f.message).toContain('***');
  });
});

describe('prices', () => {
  it('matches dated model names, honours overrides and STATEPIPE_PRICES', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({ models: { 'my-model': { input: 1, output: 2 }, 'gpt-4o': { input: 100, output: 100 } } }),
    );
    const r = new ProviderRegistry({
      env: { STATEPIPE_PRICES: file },
      prices: { 'gpt-4o': { input: 5, output: 5 } },
      log: () => undefined,
    });
    expect(r.prices.lookup('openai', 'gpt-4o-2024-08-06')).toEqual({ input: 5, output: 5 });
    expect(r.prices.lookup('openai', 'gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(r.prices.lookup('anthropic', 'claude-sonnet-4-20250514')).toEqual({ input: 3, output: 15 });
    expect(r.prices.lookup('openai-compatible', 'openrouter/my-model')).toEqual({ input: 1, output: 2 });
    expect(r.prices.cost('openai-compatible', 'my-model', { inputTokens: 1_000_000, outputTokens: 500_000 })).toBe(2);
    expect(r.prices.lookup('openai', 'o1x')).toBeUndefined();
  });
});
