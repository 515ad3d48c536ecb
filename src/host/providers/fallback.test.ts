/**
 * Model fallback (issue: production integrations): an llm node's `fallback` models are tried in
 * order when its model fails with a retryable provider error; the attempt records the model
 * that answered and its cost. Against a local server speaking the OpenAI wire format.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { validateGraph } from '../../core/graph/validate.js';
import { StatepipeService } from '../service.js';
import { openAiServer, type FakeServer } from './test-servers.js';

let oa: FakeServer;
beforeAll(async () => {
  oa = await openAiServer();
});
afterAll(() => oa.close());

const graph = (fallback: unknown): Graph => ({
  format: 'statepipe.graph',
  version: 1,
  id: 'fallback',
  nodes: [{ id: 'ask', type: 'llm', config: { provider: 'openai', model: 'gpt-4o', prompt: 'Hi', fallback } }],
  edges: [],
});

describe('model fallback', () => {
  it('answers with the fallback model when the first returns 503, recording its model and cost', async () => {
    oa.respond = (r) =>
      r.body['model'] === 'gpt-4o'
        ? { status: 503, body: { error: { message: 'The server is overloaded' } } }
        : { text: 'hello from the fallback', usage: { input: 1000, output: 2000 }, model: 'gpt-4o-mini' };
    const svc = await StatepipeService.open({
      dbPath: join(mkdtempSync(join(tmpdir(), 'sp-fallback-')), 'sp.db'),
      providers: { env: { OPENAI_API_KEY: 'sk-test-fallback', OPENAI_BASE_URL: `${oa.url}/v1` }, log: () => undefined },
    });
    const events: RunEvent[] = [];
    svc.subscribe((b) => events.push(...b));
    try {
      const out = await svc.startRun(graph([{ provider: 'openai', model: 'gpt-4o-mini' }]), {});
      expect(out.status, JSON.stringify(out.error)).toBe('succeeded');
      expect(oa.seen.map((s) => s.body['model'])).toEqual(['gpt-4o', 'gpt-4o-mini']);
      const done = events.find((e) => e.type === 'node.succeeded');
      if (done?.type !== 'node.succeeded') throw new Error('no node.succeeded');
      expect(done.data.attempt).toBe(1); // no retry was spent
      expect(done.data.model).toBe('gpt-4o-mini');
      expect(done.data.output).toMatchObject({ text: 'hello from the fallback', model: 'gpt-4o-mini' });
      expect(done.data.costUsd).toBeCloseTo((1000 * 0.15 + 2000 * 0.6) / 1e6, 10);
      const warn = events.find((e) => e.type === 'node.log');
      expect(warn?.type === 'node.log' && warn.data.message).toMatch(
        /openai gpt-4o failed .*falling back to openai gpt-4o-mini/,
      );
      expect((await svc.inspect(out.runId)).nodes[0]!.attempts[0]).toMatchObject({
        status: 'succeeded',
        model: 'gpt-4o-mini',
      });
    } finally {
      oa.respond = undefined;
      await svc.close();
    }
  });

  it('an agent falls back too, per model call', async () => {
    oa.seen.length = 0;
    oa.respond = (r) =>
      r.body['model'] === 'gpt-4o'
        ? { status: 500, body: { error: { message: 'boom' } } }
        : { text: 'agent answer', model: 'gpt-4o-mini' };
    const svc = await StatepipeService.open({
      dbPath: join(mkdtempSync(join(tmpdir(), 'sp-fallback-')), 'sp.db'),
      providers: { env: { OPENAI_API_KEY: 'sk-test-fallback', OPENAI_BASE_URL: `${oa.url}/v1` }, log: () => undefined },
    });
    try {
      const g: Graph = {
        format: 'statepipe.graph',
        version: 1,
        id: 'fallback-agent',
        nodes: [
          {
            id: 'helper',
            type: 'agent',
            config: {
              provider: 'openai',
              model: 'gpt-4o',
              prompt: 'Hi',
              tools: [],
              fallback: [{ provider: 'openai', model: 'gpt-4o-mini' }],
            },
          },
        ],
        edges: [],
      };
      const out = await svc.startRun(g, {});
      expect(out.status, JSON.stringify(out.error)).toBe('succeeded');
      const node = (await svc.inspect(out.runId)).nodes[0]!;
      expect(node.output).toMatchObject({ text: 'agent answer' });
      expect(node.attempts[0]).toMatchObject({ status: 'succeeded', model: 'gpt-4o-mini' });
    } finally {
      oa.respond = undefined;
      await svc.close();
    }
  });

  it('validates fallback entries', async () => {
    expect(() => validateGraph(graph([{ provider: 'nope', model: 'x' }]))).toThrow(
      /nodes\[ask\]\.config\.fallback\[0\]\.provider/,
    );
    expect(() => validateGraph(graph([{ provider: 'openai' }]))).toThrow(/fallback\[0\]\.model/);
  });
});
