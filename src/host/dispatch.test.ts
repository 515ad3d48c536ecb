import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { API_METHOD_NAMES } from '../contract/api.js';
import { dispatch, type DispatchContext } from './dispatch.js';
import { StatepipeService } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'statepipe-dispatch-'));
const service = await StatepipeService.open({ dbPath: join(dir, 'sp.db') });
const ctx: DispatchContext = { service, host: 'web', version: 'test' };
const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8'));
afterAll(async () => {
  await service.close();
});

async function until<T>(fn: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('dispatch', () => {
  it('answers unknown methods and malformed input with coded errors, never a crash', async () => {
    const bad: [unknown, unknown][] = [
      [undefined, {}],
      [42, {}],
      ['nope', {}],
      ['__proto__', {}],
      ['constructor', {}],
      ['runs.get', { runId: 'not-a-run' }],
      ['runs.get', null],
      ['runs.get', 'string'],
      ['runs.get', { runId: 'run_01ABCDEFGHJKMNPQRSTVWXYZ01', extra: 1 }],
      ['runs.list', { limit: -1 }],
      ['runs.list', { from: 'yesterday' }],
      ['runs.list', { sort: 'name' }],
      ['runs.approve', { runId: 'run_01ABCDEFGHJKMNPQRSTVWXYZ01', nodeId: 'a b', approved: 'yes' }],
      ['graphs.save', { graph: [] }],
    ];
    for (const [method, input] of bad) {
      const r = await dispatch(ctx, method, input);
      expect(r.ok, JSON.stringify([method, input])).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('bad-request');
    }
  });

  it('every method answers random payloads with a value or a coded error', async () => {
    const payloads = [
      {},
      { runId: 'run_01ABCDEFGHJKMNPQRSTVWXYZ01' },
      { graph: {} },
      { graph: { format: 'x' } },
      [],
      'x',
      0,
    ];
    for (const m of API_METHOD_NAMES) {
      for (const p of payloads) {
        const r = await dispatch(ctx, m, p);
        if (!r.ok) expect(['bad-request', 'validation', 'not-found', 'illegal-transition']).toContain(r.error.code);
      }
    }
  });

  it('maps engine errors: not-found, validation with issues, illegal transitions', async () => {
    const missing = await dispatch(ctx, 'runs.get', { runId: 'run_01ABCDEFGHJKMNPQRSTVWXYZ01' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    // The shape of a graph is the contract's (bad-request naming the field), its rules validateGraph's.
    const shape = await dispatch(ctx, 'graphs.save', { graph: { ...example('vendor-onboarding'), version: 2 } });
    expect(shape).toMatchObject({ ok: false, error: { code: 'bad-request', message: /graph\.version/ } });
    const g = example('vendor-onboarding') as { nodes: { id: string }[] };
    const invalid = await dispatch(ctx, 'graphs.save', { graph: { ...g, nodes: [...g.nodes, g.nodes[0]] } });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'validation' } });
    const badInput = await dispatch(ctx, 'runs.start', { graph: example('vendor-onboarding'), input: {} });
    expect(badInput).toMatchObject({ ok: false, error: { code: 'validation' } });
  });

  it('starts a run, approves it and sees it succeed', async () => {
    const started = await dispatch(ctx, 'runs.start', {
      graph: example('vendor-onboarding'),
      input: { vendor: 'Acme', country: 'DE' },
    });
    expect(started.ok).toBe(true);
    const runId = (started as { value: { runId: string } }).value.runId;
    await until(async () => ((await service.inspect(runId)).status === 'waiting' ? true : undefined));
    const wrong = await dispatch(ctx, 'runs.approve', { runId, nodeId: 'final_decision', approved: true });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'illegal-transition' } });
    const ok = await dispatch(ctx, 'runs.approve', { runId, nodeId: 'approval', approved: true, by: 'ana' });
    expect(ok.ok).toBe(true);
    await until(async () => ((await service.inspect(runId)).status === 'succeeded' ? true : undefined));
    const events = await dispatch(ctx, 'runs.events', { runId, afterSeq: 0 });
    const list = (events as { value: { events: { seq: number }[] } }).value.events;
    expect(list.map((e) => e.seq)).toEqual(list.map((_, i) => i + 1));
    const exported = await dispatch(ctx, 'runs.export', { runId });
    expect((exported as { value: { jsonl: string } }).value.jsonl.trim().split('\n')).toHaveLength(list.length);
  });

  it('a control refused late (a slow store, a large run) is answered with its refusal, never a 200 that dropped it', async () => {
    const started = await dispatch(ctx, 'runs.start', {
      graph: example('vendor-onboarding'),
      input: { vendor: 'Acme', country: 'DE' },
    });
    const runId = (started as { value: { runId: string } }).value.runId;
    await until(async () => ((await service.inspect(runId)).status === 'waiting' ? true : undefined));
    // Loading the run takes 200 ms, as a run with a large input on a loaded machine may.
    const loadRun = service.store.loadRun.bind(service.store);
    const slow = vi.spyOn(service.store, 'loadRun').mockImplementation(async (id) => {
      await new Promise((r) => setTimeout(r, 200));
      return loadRun(id);
    });
    try {
      for (const [method, input] of [
        ['runs.approve', { runId, nodeId: 'final_decision', approved: true }],
        ['runs.retry', { runId, nodeId: 'approval' }],
        ['runs.resolve', { runId, nodeId: 'approval', output: 1 }],
      ] as const) {
        const r = await dispatch(ctx, method, input);
        expect(r, method).toMatchObject({ ok: false, error: { code: 'illegal-transition' } });
      }
      // And an accepted one is answered once written, while the run goes on.
      const ok = await dispatch(ctx, 'runs.approve', { runId, nodeId: 'approval', approved: true, by: 'ana' });
      expect(ok.ok).toBe(true);
      const events = await service.events(runId);
      expect(events.some((e) => e.type === 'approval.granted')).toBe(true);
    } finally {
      slow.mockRestore();
    }
    await until(async () => ((await service.inspect(runId)).status === 'succeeded' ? true : undefined));
  });

  it('runs.list answers the page and the total count of the filter', async () => {
    const start = await dispatch(ctx, 'runs.start', {
      graph: example('document-pipeline'),
      input: { text: 'Zanzibar leads' },
    });
    expect(start.ok).toBe(true);
    const list = await dispatch(ctx, 'runs.list', {
      text: 'zanzibar',
      limit: 1,
      from: '2000-01-01T00:00:00Z',
      sort: 'status',
    });
    expect(list).toMatchObject({ ok: true, value: { total: 1, runs: [{ graphId: 'document-pipeline' }] } });
    const none = await dispatch(ctx, 'runs.list', { to: '2000-01-01T00:00:00Z' });
    expect(none).toMatchObject({ ok: true, value: { total: 0, runs: [] } });
  });

  it('checks every answer against the contract: a handler answering a wrong shape is an internal error', async () => {
    const started = await dispatch(ctx, 'runs.start', { graph: example('document-pipeline'), input: { text: 'x' } });
    const runId = (started as { value: { runId: string } }).value.runId;
    const good = await dispatch(ctx, 'runs.get', { runId });
    expect(good).toMatchObject({ ok: true, value: { runId, nodes: expect.any(Array) } });
    // A handler that drifts from the contract: a status the contract does not know, a node without its id.
    const drifted = { ...(good as { value: object }).value, status: 'done', nodes: [{ type: 'llm' }] };
    const spy = vi.spyOn(service, 'inspect').mockResolvedValue(drifted as never);
    try {
      const bad = await dispatch(ctx, 'runs.get', { runId });
      expect(bad).toMatchObject({ ok: false, error: { code: 'internal', message: /^runs\.get answered outside/ } });
      const paths = (bad as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['status', 'nodes.0.nodeId']));
      // The switch production takes: the answer goes out unchecked.
      const unchecked = await dispatch({ ...ctx, checkOutputs: false }, 'runs.get', { runId });
      expect(unchecked).toEqual({ ok: true, value: drifted });
    } finally {
      spy.mockRestore();
    }
  });
});
