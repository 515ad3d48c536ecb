/**
 * The agent runner through the engine (memory store, simulated clock, the built-in mock
 * provider driven by `mock.script`). The http tool here is a counting runner standing in for
 * the host's http runner; real HTTP and a real SIGKILL are in src/host/providers/agent-crash.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../../errors.js';
import { asNewEvent, type AgentStep, type RunEvent } from '../../events.js';
import type { Graph } from '../../graph/schema.js';
import type { RunId } from '../../ids.js';
import type { NodeRunContext, NodeRunner } from '../../ports.js';
import { graph, testEngine } from '../../engine/test-kit.js';
import { createAgentRunner, type AgentOutput } from './runner.js';

interface ToolCall {
  url: unknown;
  method: unknown;
  body: unknown;
  key: string;
}

/** An http tool runner that records each call and answers from `reply`. */
function toolHost(
  reply: (ctx: NodeRunContext) => unknown = (ctx) => ({ status: 200, headers: {}, body: { echo: ctx.config['url'] } }),
) {
  const calls: ToolCall[] = [];
  const runner: NodeRunner = async (ctx) => {
    calls.push({
      url: ctx.config['url'],
      method: ctx.config['method'],
      body: ctx.config['body'],
      key: ctx.idempotencyKey,
    });
    return { output: reply(ctx) };
  };
  return { calls, runner };
}

const tools = [
  {
    name: 'lookup',
    description: 'Look a vendor up',
    inputSchema: { type: 'object', properties: { vendor: { type: 'string' } }, required: ['vendor'] },
    run: {
      type: 'http',
      config: { method: 'GET', url: 'http://tools.local/lookup/{{args.vendor}}?for={{input.who}}' },
    },
  },
  { name: 'score', run: { type: 'http', config: { method: 'POST', url: 'http://tools.local/score' } } },
];

// `reply` only because MockSchema (src/core/graph/schema.ts) still requires it next to `script`.
function agentGraph(script: unknown[], extra: Record<string, unknown> = {}, retry = 1): Graph {
  return graph({
    defaults: { retry: { maxAttempts: retry, backoffMs: 10, strategy: 'fixed', jitter: false }, timeoutMs: 60_000 },
    nodes: [
      { id: 'start', type: 'input' },
      {
        id: 'agent',
        type: 'agent',
        config: {
          provider: 'mock',
          model: 'mock-1',
          prompt: 'Review {{input.who}}',
          tools,
          mock: { script, reply: 'script ran out', tokensPerSecond: 0 },
          ...extra,
        },
      },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'agent' }],
  } as unknown as Graph);
}

const TWO_TOOLS = [
  { toolCall: { name: 'lookup', args: { vendor: 'acme' } } },
  { toolCall: { name: 'score', args: { n: 3 } } },
  { reply: { verdict: 'ok' } },
];

const stepsOf = (events: RunEvent[]) =>
  events.filter((e) => e.type === 'agent.step').map((e) => (e.data as { step: AgentStep }).step);
const outputOf = (events: RunEvent[]) =>
  (events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'agent')!.data as { output: AgentOutput }).output;

describe('agent node', () => {
  it('calls tools in a loop, records every step, then answers', async () => {
    const host = toolHost();
    const t = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const out = await t.engine.start(
      agentGraph(TWO_TOOLS, { outputSchema: { type: 'object', required: ['verdict'] } }),
      { who: 'ACME' },
      { graphHash: 'h' },
    );
    expect(out.status).toBe('succeeded');
    expect(host.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', 'http://tools.local/lookup/acme?for=ACME', undefined],
      ['POST', 'http://tools.local/score', { n: 3 }], // no body configured: the arguments
    ]);
    expect(host.calls[0]!.key).toBe(`${out.runId}:agent:1:step-1`);
    expect(host.calls[1]!.key).toBe(`${out.runId}:agent:1:step-3`);
    const steps = stepsOf(t.events);
    expect(steps.map((s) => s.kind)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
    expect(steps[1]).toMatchObject({
      kind: 'tool',
      name: 'lookup',
      callId: 'mock_call_1',
      args: { vendor: 'acme' },
      result: { status: 200, body: { echo: 'http://tools.local/lookup/acme?for=ACME' } },
    });
    const output = outputOf(t.events);
    expect(output.json).toEqual({ verdict: 'ok' });
    expect(output.text).toBe('{"verdict":"ok"}');
    expect(output.steps).toEqual(steps);
    expect(output.model).toBe('mock-1');
    expect(output.usage.outputTokens).toBeGreaterThan(0);
    // Each agent.step is committed before the next step starts.
    const kinds = t.events.filter((e) => e.nodeId === 'agent' && e.type !== 'node.tokens').map((e) => e.type);
    expect(kinds).toEqual([
      'node.queued',
      'node.started',
      'agent.step',
      'agent.step',
      'agent.step',
      'agent.step',
      'agent.step',
      'node.succeeded',
    ]);
  });

  it.each([
    [
      'after the first tool step',
      (e: RunEvent) => e.type === 'agent.step' && (e.data as { step: AgentStep }).step.kind === 'tool',
      [0, 1],
    ],
    [
      'after a model step asked for the second tool',
      (e: RunEvent) => e.type === 'agent.step' && (e.data as { index: number }).index === 2,
      [0, 1],
    ],
    [
      'after the final answer was recorded',
      (e: RunEvent) => e.type === 'agent.step' && (e.data as { index: number }).index === 4,
      [0, 0],
    ],
  ] as const)('resumes a crash %s without repeating finished steps', async (_name, cut, expectedNewCalls) => {
    const host = toolHost();
    const g = agentGraph(TWO_TOOLS);
    const first = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const o = await first.engine.start(g, { who: 'ACME' }, { graphHash: 'h' });
    const runId = o.runId as RunId;
    const all = first.store.snapshot(runId).events;
    const idx = all.findIndex(cut);
    const kept = all.slice(0, idx + 1).map(asNewEvent);
    const again = toolHost();
    const second = testEngine({ agent: createAgentRunner({ httpTool: again.runner }) });
    second.store.createRun({ runId, graph: g, graphHash: 'h', events: kept });
    const done = await second.engine.resume(runId);
    expect(done.status).toBe('succeeded');
    const lookups = again.calls.filter((c) => String(c.url).includes('lookup')).length;
    const scores = again.calls.filter((c) => String(c.url).includes('score')).length;
    expect([lookups, scores]).toEqual(expectedNewCalls);
    const output = outputOf(second.events);
    expect(output.steps.map((s) => s.kind)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
    expect(output.text).toBe('{"verdict":"ok"}');
    // The resumed attempt keeps its number, so its idempotency keys repeat.
    if (again.calls[0]) expect(again.calls[0].key).toBe(`${runId}:agent:1:step-3`);
  });

  it('pauses for the run budget between model calls; resuming goes on from the recorded steps', async () => {
    const host = toolHost();
    const mock = {
      script: TWO_TOOLS,
      reply: 'script ran out',
      tokensPerSecond: 0,
      usage: { inputTokens: 5, outputTokens: 5 },
    };
    const g = { ...agentGraph(TWO_TOOLS, { mock }), budget: { maxTokens: 15 } };
    const t = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const o = await t.engine.start(g, { who: 'ACME' }, { graphHash: 'h' });
    // Two model calls (10 tokens each) and two tools ran; the third model call would start past 15.
    expect(o).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    expect(stepsOf(t.events).map((s) => s.kind)).toEqual(['model', 'tool', 'model', 'tool']);
    const tail = t.events.slice(-3).map((e) => [e.type, e.nodeId]);
    expect(tail).toEqual([
      ['budget.exceeded', 'agent'],
      ['node.retrying', 'agent'],
      ['run.paused', undefined],
    ]);
    expect(t.events.at(-3)!.data).toMatchObject({ tokens: 20, maxTokens: 15 });
    expect(host.calls).toHaveLength(2);

    // Resuming with the same budget pauses again before any model call.
    const again = await t.engine.resume(o.runId as RunId);
    expect(again).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    expect(stepsOf(t.events)).toHaveLength(4);

    const done = await t.engine.resume(o.runId as RunId, { budget: { maxTokens: 100 } });
    expect(done.status).toBe('succeeded');
    expect(host.calls).toHaveLength(2); // finished tools are not called again
    const output = outputOf(t.events);
    expect(output.steps.map((s) => s.kind)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
    expect(output.usage).toEqual({ inputTokens: 15, outputTokens: 15 });
  });

  it('feeds a reply that breaks outputSchema back to the model on the next attempt', async () => {
    const host = toolHost();
    const t = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const script = [{ reply: { verdict: 42 } }, { reply: { verdict: 'fixed' } }];
    const schema = { type: 'object', properties: { verdict: { type: 'string' } }, required: ['verdict'] };
    const out = await t.engine.start(agentGraph(script, { outputSchema: schema }, 2), { who: 'x' }, { graphHash: 'h' });
    expect(out.status).toBe('succeeded');
    const retry = t.events.find((e) => e.type === 'node.retrying')!.data as {
      error: { kind: string; message: string };
    };
    expect(retry.error.kind).toBe('schema');
    expect(outputOf(t.events).json).toEqual({ verdict: 'fixed' });
    expect(outputOf(t.events).steps.length).toBe(2);
  });

  it('tells the model about unknown tools, bad arguments and tool errors that will not go away', async () => {
    const host = toolHost(() => {
      throw new NodeFailure('http-status', 'http: GET http://tools.local/lookup/nope returned 404', {
        retryable: false,
        details: { status: 404 },
      });
    });
    const t = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const script = [
      { toolCall: { name: 'nonesuch', args: {} } },
      { toolCall: { name: 'lookup', args: { wrong: 1 } } },
      { toolCall: { name: 'lookup', args: { vendor: 'nope' } } },
      { reply: 'gave up' },
    ];
    const out = await t.engine.start(agentGraph(script), { who: 'x' }, { graphHash: 'h' });
    expect(out.status).toBe('succeeded');
    const results = stepsOf(t.events)
      .filter((s) => s.kind === 'tool')
      .map((s) => (s as { result: { error: string } }).result.error);
    expect(results[0]).toContain('unknown tool "nonesuch"');
    expect(results[1]).toContain('invalid arguments for lookup');
    expect(results[2]).toContain('returned 404');
    expect(host.calls.length).toBe(1);
  });

  it('a retryable tool failure fails the attempt; the retry keeps the finished steps', async () => {
    let n = 0;
    const host = toolHost((ctx) => {
      if (String(ctx.config['url']).includes('score') && n++ === 0)
        throw new NodeFailure('network', 'connection reset');
      return { status: 200, headers: {}, body: 'ok' };
    });
    const t = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const out = await t.engine.start(agentGraph(TWO_TOOLS, {}, 2), { who: 'x' }, { graphHash: 'h' });
    expect(out.status).toBe('succeeded');
    expect(host.calls.map((c) => String(c.url).split('/').pop())).toEqual(['acme?for=x', 'score', 'score']);
    expect(host.calls[2]!.key).toBe(`${out.runId}:agent:2:step-3`);
    expect(outputOf(t.events).steps.length).toBe(5);
  });

  it('stops at maxSteps model calls', async () => {
    const host = toolHost();
    const t = testEngine({ agent: createAgentRunner({ httpTool: host.runner }) });
    const loop = Array.from({ length: 5 }, () => ({ toolCall: { name: 'lookup', args: { vendor: 'a' } } }));
    const out = await t.engine.start(agentGraph(loop, { maxSteps: 2 }), { who: 'x' }, { graphHash: 'h' });
    expect(out.status).toBe('failed');
    expect(out.error?.message).toContain('maxSteps (2');
    expect(host.calls.length).toBe(2);
  });

  it('runs code tools through services.runCode with the arguments as input', async () => {
    const seen: unknown[] = [];
    // The memory engine has no sandbox: give the agent one through a wrapping runner.
    const agent = createAgentRunner();
    const withCode: NodeRunner = (ctx) =>
      agent({
        ...ctx,
        services: { ...ctx.services, runCode: async (code, args) => (seen.push({ code, args }), { sum: 5 }) },
      });
    const t2 = testEngine({ agent: withCode });
    const codeTools = [{ name: 'add', run: { type: 'code', config: { code: 'return { sum: input.a + input.b }' } } }];
    const g = agentGraph([{ toolCall: { name: 'add', args: { a: 2, b: 3 } } }, { reply: 'five' }], {
      tools: codeTools,
    });
    const out = await t2.engine.start(g, { who: 'x' }, { graphHash: 'h' });
    expect(out.status).toBe('succeeded');
    expect(seen).toEqual([
      { code: 'return { sum: input.a + input.b }', args: { input: { a: 2, b: 3 }, nodes: { start: { who: 'x' } } } },
    ]);
    expect(stepsOf(t2.events)[1]).toMatchObject({ kind: 'tool', name: 'add', result: { sum: 5 } });
  });
});
