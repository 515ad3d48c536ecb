/**
 * The web host's HTTP API (issue: production integrations): the OpenAPI 3.1 document from the
 * zod contract, the REST routes over dispatch(), idempotent starts and the SSE event stream.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../contract/method-names.js';
import { useTestServer } from './server-test-kit.js';

const t = useTestServer('rest');
const { post, get } = t;
const base = () => t.base();

const graph = (reply = 'hi', tokensPerSecond = 0) => ({
  format: 'statepipe.graph',
  version: 1,
  id: 'rest-demo',
  nodes: [
    { id: 'start', type: 'input' },
    {
      id: 'talk',
      type: 'llm',
      config: { provider: 'mock', model: 'mock-1', prompt: 'x', mock: { reply, tokensPerSecond } },
    },
    { id: 'gate', type: 'approval', config: { title: 'ok?' } },
    { id: 'out', type: 'output', config: { value: '{{nodes.talk.output.text}}' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'talk' },
    { id: 'e2', source: 'talk', target: 'gate' },
    { id: 'e3', source: 'gate', target: 'out' },
  ],
});

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: unknown }> };
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      }
    >
  >;
  components: { schemas: Record<string, object> };
};

describe('OpenAPI', () => {
  it('is token-guarded', async () => {
    expect((await fetch(`${base()}/api/openapi.json`)).status).toBe(401);
    expect((await fetch(`${base()}/api/runs`)).status).toBe(401);
  });

  it('documents every contract method with request and response schemas that compile', async () => {
    const r = await get('/api/openapi.json');
    expect(r.status).toBe(200);
    const doc = (await r.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    for (const name of API_METHOD_NAMES) {
      const op = doc.paths[`/api/call/${name}`]?.['post'];
      expect(op, name).toBeDefined();
      const stem = name
        .split('.')
        .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
        .join('');
      expect(op!.requestBody!.content['application/json']!.schema).toEqual({
        $ref: `#/components/schemas/${stem}Input`,
      });
      const out = JSON.stringify(op!.responses['200']!.content!['application/json']!.schema);
      const outRef = /#\/components\/schemas\/(\w+)/.exec(out)?.[1];
      expect(outRef, name).toBeDefined();
      expect(doc.components.schemas[`${stem}Input`], name).toBeDefined();
      expect(doc.components.schemas[outRef!], name).toBeDefined();
    }
    for (const p of [
      '/api/runs',
      '/api/runs/{runId}',
      '/api/runs/{runId}/cancel',
      '/api/runs/{runId}/approve',
      '/api/runs/{runId}/resume',
      '/api/runs/{runId}/events',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    // Every embedded schema compiles (JSON Schema 2020-12, OpenAPI 3.1's dialect), refs resolved.
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.getSchema(`doc#/components/schemas/${name}`), name).not.toThrow();
      expect(ajv.getSchema(`doc#/components/schemas/${name}`), name).toBeTypeOf('function');
    }
    const startIn = ajv.getSchema('doc#/components/schemas/RunsStartInput')!;
    const g = { format: 'statepipe.graph', version: 1, id: 'g', nodes: [], edges: [] };
    expect(startIn({ graph: g, idempotencyKey: 'k' })).toBe(true);
    expect(startIn({ graph: g, extra: 1 })).toBe(false);
    expect(startIn({ graph: {} })).toBe(false); // a graph has a shape
  });
});

describe('REST routes', () => {
  it('starts a run once per Idempotency-Key, lists it, streams its events and approves it', async () => {
    const first = await post('/api/runs', { graph: graph(), input: {} }, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(201);
    const { runId, created } = (await first.json()) as { runId: string; created: boolean };
    expect(created).toBe(true);
    const again = await post('/api/runs', { graph: graph(), input: {} }, { 'idempotency-key': 'order-42' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ runId, created: false });
    const viaField = await post('/api/runs', { graph: graph(), input: {}, idempotencyKey: 'order-42' });
    expect(((await viaField.json()) as { runId: string }).runId).toBe(runId);

    const list = (await (await get('/api/runs?graphId=rest-demo')).json()) as { runs: { runId: string }[] };
    expect(list.runs.map((r) => r.runId)).toEqual([runId]);

    // SSE from seq 0: the history, then live events until the run ends.
    const stream = await get(`/api/runs/${runId}/events?after=0`);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await until(/event: run\.waiting/);
    const one = (await (await get(`/api/runs/${runId}`)).json()) as { status: string };
    expect(one.status).toBe('waiting');
    const approved = await post(`/api/runs/${runId}/approve`, { nodeId: 'gate', comment: 'fine' });
    expect(approved.status).toBe(200);
    await until(/event: run\.succeeded/);
    const { done } = await reader.read();
    expect(done).toBe(true); // the stream ends with the run
    const seqs = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // gapless, from 1
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { type: string });
    expect(events[0]!.type).toBe('run.created');

    // Resuming from a seq gives only what came after it.
    const tail = await (await get(`/api/runs/${runId}/events?after=${seqs.at(-2)}`)).text();
    expect([...tail.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([seqs.at(-1)]);
  });

  it('maps errors to status codes and cancels through POST /api/runs/:id/cancel', async () => {
    expect((await get('/api/runs/run_00000000000000000000000000')).status).toBe(404);
    // A graph of the wrong shape is a 400 naming the field; one that breaks a graph rule, a 422.
    const shape = await post('/api/runs', { graph: { format: 'nope' } });
    expect(shape.status).toBe(400);
    expect(((await shape.json()) as { error: { message: string } }).error.message).toMatch(/^graph\.format: /);
    const dangling = { ...graph(), edges: [{ id: 'e1', source: 'start', target: 'nowhere' }] };
    const rule = await post('/api/runs', { graph: dangling });
    expect(rule.status).toBe(422);
    const ruled = (await rule.json()) as { ok: boolean; error: { code: string; issues: { edgeId?: string }[] } };
    expect(ruled).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(ruled.error.issues.map((i) => i.edgeId)).toContain('e1');
    // A bad query parameter is a 400 naming it, never silently ignored.
    for (const [query, param] of [
      ['status=bogus', 'status'],
      ['limit=abc', 'limit'],
      ['limit=0', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=', 'limit'],
      ['offset=-1', 'offset'],
    ]) {
      const bad = await get(`/api/runs?${query}`);
      expect(bad.status, query).toBe(400);
      const body = (await bad.json()) as { ok: boolean; error: { code: string; message: string } };
      expect(body, query).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(body.error.message, query).toContain(`${param}:`);
    }
    expect(((await (await get('/api/runs?limit=1')).json()) as { runs: unknown[] }).runs.length).toBeLessThanOrEqual(1);
    const r = await post('/api/call/runs.start', { graph: graph(), input: {} });
    const { value } = (await r.json()) as { value: { runId: string } };
    const cancel = await post(`/api/runs/${value.runId}/cancel`, {});
    expect(cancel.status).toBe(200);
    for (
      let i = 0;
      i < 50 && ((await (await get(`/api/runs/${value.runId}`)).json()) as { status: string }).status !== 'cancelled';
      i++
    )
      await new Promise((res) => setTimeout(res, 20));
    expect(((await (await get(`/api/runs/${value.runId}`)).json()) as { status: string }).status).toBe('cancelled');
  });

  it('an approval whose request names nobody records the OS user the server runs as; a given by wins', async () => {
    // The README's vendor-onboarding example reports who approved as result.approvedBy.
    const vendor = JSON.parse(
      readFileSync(new URL('../../examples/vendor-onboarding.json', import.meta.url), 'utf8'),
    ) as { nodes: { config?: { mock?: { tokensPerSecond?: number } } }[] };
    for (const n of vendor.nodes) if (n.config?.mock) n.config.mock.tokensPerSecond = 0;
    const statusOf = async (runId: string) =>
      (await (await get(`/api/runs/${runId}`)).json()) as {
        status: string;
        result?: { result?: { approvedBy?: string } };
      };
    const until = async (runId: string, status: string) => {
      for (let i = 0; i < 200 && (await statusOf(runId)).status !== status; i++)
        await new Promise((res) => setTimeout(res, 20));
      return statusOf(runId);
    };
    const approvedBy = async (body: Record<string, unknown>) => {
      const { runId } = (await (
        await post('/api/runs', { graph: vendor, input: { vendor: 'Acme', country: 'DE' } })
      ).json()) as { runId: string };
      expect((await until(runId, 'waiting')).status).toBe('waiting');
      expect((await post(`/api/runs/${runId}/approve`, body)).status).toBe(200); // README: -d '{"nodeId":"approval","comment":"ok"}'
      const done = await until(runId, 'succeeded');
      expect(done.status).toBe('succeeded');
      return done.result?.result?.approvedBy;
    };
    expect(await approvedBy({ nodeId: 'approval', comment: 'ok' })).toBe(userInfo().username);
    expect(await approvedBy({ nodeId: 'approval', comment: 'ok', by: 'dana' })).toBe('dana');
  });
});
