import { describe, expect, it } from 'vitest';
import { NodeFailure, toNodeError, type NodeError } from '../../errors.js';
import type { GraphNode } from '../../graph/schema.js';
import { asRunId } from '../../ids.js';
import type { ModelProvider, ModelRequest, NodeRunContext } from '../../ports.js';
import { stripFences, validatorFor, type LlmOutput } from './model-call.js';
import { llmRunner } from './runner.js';

const screenSchema = {
  type: 'object',
  properties: { risk: { enum: ['low', 'high'] }, reasons: { type: 'array', items: { type: 'string' } } },
  required: ['risk'],
};

interface TestCtx extends NodeRunContext {
  tokens: string[];
}

function makeCtx(config: Record<string, unknown>, over: Partial<NodeRunContext> = {}): TestCtx {
  const tokens: string[] = [];
  const node: GraphNode = { id: 'screen', type: 'llm', config };
  return {
    runId: asRunId('run_test'),
    node,
    attempt: 1,
    idempotencyKey: 'run_test:screen:1',
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    clock: { now: () => 0, sleep: async () => {}, timer: () => () => undefined },
    scope: { input: {}, nodes: {} },
    config,
    emitTokens: (t) => tokens.push(t),
    log: () => {},
    recordedSteps: [],
    recordStep: async () => {},
    services: {},
    tokens,
    ...over,
  };
}

/** A real ModelProvider that records what it was asked and replies from a list. */
function recordingProvider(replies: string[]): ModelProvider & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    requests,
    async generate(req) {
      requests.push(req);
      const text = replies[Math.min(requests.length - 1, replies.length - 1)] ?? '';
      req.onToken(text);
      return { text, usage: { inputTokens: 10, outputTokens: 3 }, costUsd: 0.001, model: `${req.model}-2025` };
    },
  };
}

describe('llmRunner with the mock provider', () => {
  it('streams tokens that concatenate to the reply and reports usage', async () => {
    const reply = 'Alice leads ProjectX from the Berlin office.';
    const ctx = makeCtx({
      provider: 'mock',
      model: 'mock-1',
      prompt: 'Summarize the quarterly report please',
      mock: { reply, tokensPerSecond: 80 },
    });
    const result = await llmRunner(ctx);
    const out = result.output as LlmOutput;
    expect(ctx.tokens.length).toBe(7);
    expect(ctx.tokens.join('')).toBe(reply);
    expect(out).toEqual({ text: reply, usage: { inputTokens: 5, outputTokens: 7 }, costUsd: 0, model: 'mock-1' });
    expect(result.usage).toEqual({ inputTokens: 5, outputTokens: 7 });
    expect(result.costUsd).toBe(0);
    expect(result.model).toBe('mock-1');
  });

  it('fails the first failTimes attempts as retryable provider errors', async () => {
    const config = {
      provider: 'mock',
      model: 'mock-1',
      prompt: 'p',
      mock: { reply: 'ok', failTimes: 2, tokensPerSecond: 0 },
    };
    await expect(llmRunner(makeCtx(config, { attempt: 1 }))).rejects.toMatchObject({
      kind: 'provider',
      retryable: true,
      message: 'mock failure (attempt 1 of failTimes 2)',
    });
    await expect(llmRunner(makeCtx(config, { attempt: 2 }))).rejects.toMatchObject({ kind: 'provider' });
    const ok = await llmRunner(makeCtx(config, { attempt: 3 }));
    expect((ok.output as LlmOutput).text).toBe('ok');
  });

  it('parses and validates a JSON reply against outputSchema', async () => {
    const ctx = makeCtx({
      provider: 'mock',
      model: 'mock-1',
      prompt: 'Screen ACME',
      outputSchema: screenSchema,
      mock: { reply: { risk: 'high', reasons: ['new jurisdiction'] }, tokensPerSecond: 40 },
    });
    const out = (await llmRunner(ctx)).output as LlmOutput;
    expect(out.json).toEqual({ risk: 'high', reasons: ['new jurisdiction'] });
    expect(out.text).toBe('{"risk":"high","reasons":["new jurisdiction"]}');
    expect(ctx.tokens.join('')).toBe(out.text);
  });

  it('fails with kind schema, naming the path and the validator message', async () => {
    const ctx = makeCtx({
      provider: 'mock',
      model: 'mock-1',
      prompt: 'Screen ACME',
      outputSchema: screenSchema,
      mock: { reply: { risk: 'medium' }, tokensPerSecond: 0 },
    });
    const err = await llmRunner(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeFailure);
    const f = err as NodeFailure;
    expect(f.kind).toBe('schema');
    expect(f.retryable).toBe(true);
    expect(f.message).toBe(
      'screen: reply does not match outputSchema: /risk must be equal to one of the allowed values',
    );
    expect(f.details).toEqual([expect.objectContaining({ instancePath: '/risk', keyword: 'enum' })]);
  });

  it('fails with kind schema when the reply is not JSON', async () => {
    const ctx = makeCtx({
      provider: 'mock',
      model: 'mock-1',
      prompt: 'p',
      outputSchema: screenSchema,
      mock: { reply: 'sure! risk is high', tokensPerSecond: 0 },
    });
    await expect(llmRunner(ctx)).rejects.toMatchObject({ kind: 'schema', retryable: true });
  });

  it('refuses an unconfigured provider without retrying', async () => {
    const ctx = makeCtx({ provider: 'openai', model: 'gpt-4o-mini', prompt: 'p' });
    await expect(llmRunner(ctx)).rejects.toMatchObject({
      kind: 'provider',
      retryable: false,
      message: 'provider "openai" is not configured: set OPENAI_API_KEY',
    });
  });

  it('is cancelled when the signal aborts during streaming', async () => {
    const ac = new AbortController();
    const ctx = makeCtx(
      { provider: 'mock', model: 'mock-1', prompt: 'p', mock: { reply: 'a b c d e', tokensPerSecond: 10 } },
      { signal: ac.signal },
    );
    ctx.emitTokens = (t) => {
      ctx.tokens.push(t);
      ac.abort();
    };
    await expect(llmRunner(ctx)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(ctx.tokens).toEqual(['a ']);
  });
});

describe('llmRunner with a host provider', () => {
  it('sends system, prompt and options, and feeds schema errors back on the next attempt', async () => {
    const provider = recordingProvider(['{"risk":"medium"}', '```json\n{"risk":"low","reasons":[]}\n```']);
    const config = {
      provider: 'openai',
      model: 'gpt-x',
      system: 'You screen vendors.',
      prompt: 'Screen ACME from DE. Reply as JSON.',
      temperature: 0.2,
      maxTokens: 300,
      outputSchema: screenSchema,
    };
    const services = { provider: (name: string) => (name === 'openai' ? provider : undefined) };

    const first = await llmRunner(makeCtx(config, { services })).catch((e: unknown) => e);
    expect(first).toMatchObject({ kind: 'schema' });
    const previousError: NodeError = toNodeError(first);

    const ctx2 = makeCtx(config, { services, attempt: 2, previousError });
    const result = await llmRunner(ctx2);

    const [req1, req2] = provider.requests;
    expect(req1).toMatchObject({ model: 'gpt-x', system: 'You screen vendors.', temperature: 0.2, maxTokens: 300 });
    expect(req1!.messages).toEqual([{ role: 'user', content: 'Screen ACME from DE. Reply as JSON.' }]);
    const prompt2 = req2!.messages[0]!.content;
    expect(prompt2.startsWith('Screen ACME from DE. Reply as JSON.')).toBe(true);
    expect(prompt2).toContain('/risk must be equal to one of the allowed values');
    expect(prompt2).not.toBe(req1!.messages[0]!.content);

    expect(result.output).toEqual({
      text: '```json\n{"risk":"low","reasons":[]}\n```',
      json: { risk: 'low', reasons: [] },
      usage: { inputTokens: 10, outputTokens: 3 },
      costUsd: 0.001,
      model: 'gpt-x-2025',
    });
    expect(result).toMatchObject({ costUsd: 0.001, model: 'gpt-x-2025', usage: { inputTokens: 10, outputTokens: 3 } });
    expect(ctx2.tokens.join('')).toBe('```json\n{"risk":"low","reasons":[]}\n```');
  });

  it('does not add feedback after other kinds of failure', async () => {
    const provider = recordingProvider(['hello']);
    const ctx = makeCtx(
      { provider: 'anthropic', model: 'm', prompt: 'Say hello' },
      {
        services: { provider: () => provider },
        attempt: 2,
        previousError: { kind: 'network', message: 'ECONNRESET', retryable: true },
      },
    );
    await llmRunner(ctx);
    expect(provider.requests[0]!.messages[0]!.content).toBe('Say hello');
  });

  it('turns an unexpected provider throw into a retryable provider failure', async () => {
    const provider: ModelProvider = {
      generate: async () => {
        throw new Error('socket hang up');
      },
    };
    const ctx = makeCtx({ provider: 'openai', model: 'm', prompt: 'p' }, { services: { provider: () => provider } });
    await expect(llmRunner(ctx)).rejects.toMatchObject({
      kind: 'provider',
      retryable: true,
      message: 'screen: model call failed: socket hang up',
    });
  });
});

describe('helpers', () => {
  it('strips code fences', () => {
    expect(stripFences('```json\n{"a":1}\n```')).toBe('{"a":1}');
    expect(stripFences('```\n[1]\n```\n')).toBe('[1]');
    expect(stripFences(' {"a":1} ')).toBe('{"a":1}');
  });

  it('caches compiled validators per schema object and per content (one compile for equal schemas)', () => {
    const schema = { type: 'string' };
    expect(validatorFor(schema)).toBe(validatorFor(schema));
    expect(validatorFor({ type: 'string' })).toBe(validatorFor(schema));
    expect(validatorFor({ type: 'number' })).not.toBe(validatorFor(schema));
  });
});
