// The studio's graph API over a real SQLite file: drafts run without becoming saved versions,
// saved versions listed and fetched one by one, a first save refused when the id is taken, and
// "test one node" (runs one node with pinned inputs, stores nothing).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiResult } from '../contract/api.js';
import { dispatch, type DispatchContext } from './dispatch.js';
import { StatepipeService } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'statepipe-graphs-api-'));
const service = await StatepipeService.open({ dbPath: join(dir, 'sp.db') });
const ctx: DispatchContext = { service, host: 'web', version: 'test' };
afterAll(() => service.close());

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

async function call<T>(method: string, input: unknown): Promise<T> {
  const r = (await dispatch(ctx, method, input)) as ApiResult<T>;
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

const chain = (id: string, reply: string) => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  name: `Chain ${reply}`,
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'ask', type: 'llm', config: { provider: 'mock', model: 'm', prompt: 'hi', mock: { reply } } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'ask' }],
});

describe('graphs API', () => {
  it('a draft run keeps its snapshot but adds no saved version; saving makes versions a person can list and open', async () => {
    const { runId } = await call<{ runId: string }>('runs.start', { graph: chain('drafty', 'one'), input: {} });
    const listed = await call<{ graphs: { graphId: string }[] }>('graphs.list', {});
    expect(listed.graphs.map((g) => g.graphId)).not.toContain('drafty');
    const all = await call<{ graphs: { graphId: string }[] }>('graphs.list', { includeDrafts: true });
    expect(all.graphs.map((g) => g.graphId)).toContain('drafty');
    const snap = await call<{ json: string; saved: boolean; version: number }>('graphs.get', { graphIdOrRunId: runId });
    expect(snap.saved).toBe(false);
    expect(JSON.parse(snap.json).nodes[1].config.mock.reply).toBe('one');

    const v1 = await call<{ version: number }>('graphs.save', { graph: chain('drafty', 'two'), create: true });
    const v2 = await call<{ version: number }>('graphs.save', { graph: chain('drafty', 'three') });
    expect(v2.version).toBe(v1.version + 1);
    // A later draft run of other edits does not move the latest saved version.
    await call('runs.start', { graph: chain('drafty', 'four'), input: {} });
    const list = await call<{ graphs: { graphId: string; version: number; name: string | null }[] }>('graphs.list', {});
    expect(list.graphs.find((g) => g.graphId === 'drafty')).toMatchObject({
      version: v2.version,
      name: 'Chain three',
    });
    const { versions, latest } = await call<{
      versions: { version: number; name: string | null; runs: number }[];
      latest: number;
    }>('graphs.versions', { graphId: 'drafty' });
    expect(versions.map((v) => v.version)).toEqual([v2.version, v1.version]);
    expect(latest).toBe(v2.version);
    expect(versions[1]).toMatchObject({ name: 'Chain two', runs: 0 });
    const old = await call<{ json: string; saved: boolean }>('graphs.get', {
      graphIdOrRunId: 'drafty',
      version: v1.version,
    });
    expect(old.saved).toBe(true);
    expect(JSON.parse(old.json).name).toBe('Chain two');
    // Saving a draft's content makes that version a saved one.
    const again = await call<{ version: number }>('graphs.save', { graph: chain('drafty', 'one') });
    expect(again.version).toBe(snap.version);
    expect((await call<{ saved: boolean }>('graphs.get', { graphIdOrRunId: runId })).saved).toBe(true);
  });

  it('a first save (create) of an id that is taken is refused with a conflict naming the graph', async () => {
    await call('graphs.save', { graph: chain('taken', 'x') });
    const r = await dispatch(ctx, 'graphs.save', { graph: chain('taken', 'y'), create: true });
    expect(r).toMatchObject({ ok: false, error: { code: 'conflict' } });
    if (!r.ok) expect(r.error.message).toMatch(/taken.*"Chain x", version 1/);
    expect((await dispatch(ctx, 'graphs.versions', { graphId: 'nope' })).ok).toBe(false);
  });
});

describe('composition from the API', () => {
  it('runs.start finds a saved graph a subgraph names; a graph only run as a draft is not one', async () => {
    await call('graphs.save', { graph: chain('child-saved', 'from the saved child') });
    await call('runs.start', { graph: chain('child-draft', 'draft'), input: {} });
    const parent = (graph: string) => ({
      ...chain(`parent-of-${graph}`, 'p'),
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'sub', type: 'subgraph', config: { graph, input: {} } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'sub' }],
    });
    const { runId } = await call<{ runId: string }>('runs.start', { graph: parent('child-saved'), input: {} });
    await expect
      .poll(async () => (await call<{ status: string }>('runs.get', { runId })).status, { timeout: 10_000 })
      .toBe('succeeded');
    const refused = await dispatch(ctx, 'runs.start', { graph: parent('child-draft'), input: {} });
    expect(refused).toMatchObject({ ok: false, error: { code: 'validation' } });
    if (!refused.ok) expect(refused.error.message).toMatch(/child-draft/);
  });
});

describe('saving and validating a graph that names a saved graph', () => {
  it('finds it as runs.start does: saved as written (named, not copied), one found nowhere refused naming the node', async () => {
    await call('graphs.save', { graph: chain('saved-child', 'from the saved child'), create: true });
    const parent = (graph: string) => ({
      ...chain('saves-a-parent', 'p'),
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'sub', type: 'subgraph', config: { graph, input: {} } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'sub' }],
    });
    const saved = await call<{ json: string }>('graphs.save', { graph: parent('saved-child') });
    expect(JSON.parse(saved.json).graphs).toBeUndefined();
    expect(await call('graphs.validate', { graph: parent('saved-child') })).toEqual({ ok: true, issues: [] });
    const issue = {
      path: 'nodes[sub].config.graph',
      nodeId: 'sub',
      message: expect.stringMatching(/^graph "nowhere" not found/) as unknown,
    };
    const refused = await dispatch(ctx, 'graphs.save', { graph: parent('nowhere') });
    expect(refused).toMatchObject({ ok: false, error: { code: 'validation', issues: [issue] } });
    expect(await call('graphs.validate', { graph: parent('nowhere') })).toMatchObject({ ok: false, issues: [issue] });
  });
});

describe('nodes.test (test one node)', () => {
  it('renders the node against pinned outputs and runs it, storing nothing', async () => {
    const g = example('vendor-onboarding');
    const before = (await call<{ total: number }>('runs.list', {})).total;
    const r = await call<{ status: string; output: unknown; input: unknown }>('nodes.test', {
      graph: g,
      nodeId: 'final_decision',
      input: { vendor: 'Acme' },
      outputs: { docs_collect: { text: 'tax form' }, approval: { approved: true, by: 'ana' } },
    });
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual({
      vendor: 'Acme',
      documents: 'tax form',
      decision: 'approved_with_controls',
      approvedBy: 'ana',
    });
    expect((await call<{ total: number }>('runs.list', {})).total).toBe(before);
  });

  it('streams a model node, and reports a template that reads nothing as a failure of kind template', async () => {
    const g = example('vendor-onboarding');
    const ok = await call<{ status: string; stream: string; usage: unknown }>('nodes.test', {
      graph: g,
      nodeId: 'docs_collect',
      input: { vendor: 'Acme' },
    });
    expect(ok.status).toBe('succeeded');
    expect(ok.stream).toContain('Certificate of incorporation');
    expect(ok.usage).toMatchObject({ outputTokens: expect.any(Number) });
    const bad = await call<{ status: string; error: { kind: string } }>('nodes.test', {
      graph: g,
      nodeId: 'final_decision',
      input: { vendor: 'Acme' },
    });
    expect(bad).toMatchObject({ status: 'failed', error: { kind: 'template' } });
  });

  it('a code node sees only its upstream pins; its failure points at the line of the code', async () => {
    const g = {
      format: 'statepipe.graph',
      version: 1,
      id: 'codey',
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'up', type: 'transform', config: { template: { n: 1 } } },
        { id: 'side', type: 'transform', config: { template: { n: 2 } } },
        {
          id: 'calc',
          type: 'code',
          config: {
            code: 'const keys = Object.keys(nodes);\nif (input.boom) throw new Error("kaboom");\nreturn keys;',
          },
        },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'up' },
        { id: 'e2', source: 'up', target: 'calc' },
        { id: 'e3', source: 'start', target: 'side' },
      ],
    };
    const outputs = { up: { n: 1 }, side: { n: 2 } };
    const ok = await call<{ output: unknown }>('nodes.test', { graph: g, nodeId: 'calc', input: {}, outputs });
    expect(ok.output).toEqual(['up']);
    // As a client receives it (JSON): the trace of the user's code is there, no stack of the host.
    const bad = JSON.parse(
      JSON.stringify(await call<unknown>('nodes.test', { graph: g, nodeId: 'calc', input: { boom: true }, outputs })),
    ) as { status: string; error: { kind: string; message: string; stack?: string; details: { trace: string } } };
    expect(bad.error.kind).toBe('code');
    expect(bad.error.message).toBe('code: kaboom');
    expect(bad.error).toMatchObject({ details: { line: 2 } });
    expect(bad.error.stack).toBeUndefined();
    expect(bad.error.details.trace).toMatch(/^Error: kaboom\n {4}at line 2, column \d+ of calc's code/);
    expect(bad.error.details.trace).not.toMatch(/node_modules|\.ts:|statepipe-runner/);
  });

  it('refuses an approval node (it waits for a person), a composition node (child runs) and an unknown node', async () => {
    const g = example('vendor-onboarding');
    expect(await dispatch(ctx, 'nodes.test', { graph: g, nodeId: 'approval' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const mapped = {
      ...chain('mapper', 'x'),
      nodes: [{ id: 'each', type: 'map', config: { graph: 'drafty', items: [1, 2] } }],
      edges: [],
    };
    const refused = await dispatch(ctx, 'nodes.test', { graph: mapped, nodeId: 'each' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    if (!refused.ok) expect(refused.error.message).toMatch(/each runs another graph as child runs/);
    expect(await dispatch(ctx, 'nodes.test', { graph: g, nodeId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  });
});
