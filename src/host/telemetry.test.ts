/**
 * OpenTelemetry (issue: production integrations): with OTEL_EXPORTER_OTLP_ENDPOINT set, a run
 * is a trace whose spans (run → node attempts → model and tool calls) reach a local OTLP/HTTP
 * collector as JSON, with GenAI semantic-convention attributes. Off by default: no SDK loaded.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../core/graph/schema.js';
import { StatepipeService } from './service.js';
import { startTelemetry, tracesEndpoint } from './telemetry.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: {
    key: string;
    value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
  }[];
}

let server: Server;
let endpoint = '';
const spans: OtlpSpan[] = [];
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const attr = (s: OtlpSpan, key: string): unknown => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
};

const graph: Graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'traced',
  nodes: [
    { id: 'start', type: 'input', config: {} },
    {
      id: 'greet',
      type: 'llm',
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'Hi',
        mock: { reply: 'hello there friend', tokensPerSecond: 0, usage: { inputTokens: 7, outputTokens: 3 } },
      },
    },
    {
      id: 'helper',
      type: 'agent',
      config: {
        provider: 'mock',
        model: 'mock-2',
        prompt: 'Add',
        tools: [{ name: 'add', run: { type: 'code', config: { code: 'return 2 + 3' } } }],
        mock: { tokensPerSecond: 0, script: [{ toolCall: { name: 'add', args: {} } }, { reply: 'five' }] },
      },
    },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'greet' },
    { id: 'e2', source: 'start', target: 'helper' },
  ],
};

describe('OpenTelemetry', () => {
  it('is off without the endpoint variable', async () => {
    expect(tracesEndpoint({})).toBeUndefined();
    expect(
      startTelemetry({ subscribe: () => () => undefined, graphOf: async () => undefined }, { env: {} }),
    ).toBeUndefined();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318/' })).toBe('http://x:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('exports a trace per run with node, model and tool spans and GenAI attributes', async () => {
    const before = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint;
    let svc: StatepipeService;
    try {
      svc = await StatepipeService.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'sp-otel-')), 'sp.db') });
    } finally {
      if (before === undefined) delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
      else process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = before;
    }
    const out = await svc.startRun(graph, {});
    expect(out.status).toBe('succeeded');
    await svc.close(); // flushes
    expect(paths[0]).toMatch(/^POST \/v1\/traces application\/json/);

    const run = spans.find((s) => s.name === 'run traced')!;
    expect(run).toBeDefined();
    expect(run.parentSpanId ?? '').toBe('');
    expect(attr(run, 'statepipe.run.id')).toBe(out.runId);
    expect(attr(run, 'statepipe.run.status')).toBe('succeeded');
    expect(spans.every((s) => s.traceId === run.traceId)).toBe(true);

    const node = (id: string) => spans.find((s) => s.name === `node ${id}`)!;
    for (const id of ['start', 'greet', 'helper']) expect(node(id).parentSpanId).toBe(run.spanId);
    expect(attr(node('greet'), 'statepipe.attempt')).toBe(1);

    const chat = spans.find((s) => s.name === 'chat mock-1')!;
    expect(chat.parentSpanId).toBe(node('greet').spanId);
    expect(attr(chat, 'gen_ai.system')).toBe('mock');
    expect(attr(chat, 'gen_ai.request.model')).toBe('mock-1');
    expect(attr(chat, 'gen_ai.usage.input_tokens')).toBe(7);
    expect(attr(chat, 'gen_ai.usage.output_tokens')).toBe(3);
    expect(attr(chat, 'statepipe.cost_usd')).toBe(0);

    const agentCalls = spans.filter((s) => s.parentSpanId === node('helper').spanId).map((s) => s.name);
    expect(agentCalls).toEqual(['chat mock-2', 'execute_tool add', 'chat mock-2']);
    const tool = spans.find((s) => s.name === 'execute_tool add')!;
    expect(attr(tool, 'gen_ai.tool.name')).toBe('add');
  });
});
