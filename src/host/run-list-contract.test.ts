// The run list's rows, as the host answers them, against the contract's row schema held strict:
// a field a store writes that the contract does not name (a client would get it undocumented), or
// one the contract names that no row carries, fails here, not in a client. Over a real SQLite file:
// a saved run, a draft, a run with child runs and its children.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import { methods, type ApiResult } from '../contract/api.js';
import { dispatch, type DispatchContext } from './dispatch.js';
import { StatepipeService } from './service.js';
import type { RunSummary } from './store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'statepipe-run-list-'));
const service = await StatepipeService.open({ dbPath: join(dir, 'sp.db') });
const ctx: DispatchContext = { service, host: 'web', version: 'test' };
afterAll(() => service.close());

const Row = methods['runs.list'].output.shape.runs.element;
/** The row's fields as the contract names them (without the passthrough's index signature). */
type ListedRun = z.output<ReturnType<typeof Row.strict>>;

async function call<T>(method: string, input: unknown): Promise<T> {
  const r = (await dispatch(ctx, method, input)) as ApiResult<T>;
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

const upper = {
  format: 'statepipe.graph',
  version: 1,
  id: 'upper',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'up', type: 'transform', config: { template: '{{$uppercase(input.item)}}' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'up' }],
};
const batch = {
  format: 'statepipe.graph',
  version: 1,
  id: 'batch',
  graphs: { upper },
  nodes: [{ id: 'each', type: 'map', config: { graph: 'upper', items: ['a', 'b'] } }],
  edges: [],
};

describe('the run list against the contract', () => {
  it("a store's run summary and the contract's row have the same fields", () => {
    // Both ways: a field one has and the other lacks (graphVersion was) is a type error here.
    expectTypeOf<RunSummary>().toMatchTypeOf<ListedRun>();
    expectTypeOf<ListedRun>().toMatchTypeOf<RunSummary>();
  });

  it('every row, of every kind, carries only what the contract names', async () => {
    await call('graphs.save', { graph: upper, create: true });
    const saved = await call<{ runId: string }>('runs.start', { graph: upper, input: { item: 'x' } });
    const draft = await call<{ runId: string }>('runs.start', {
      graph: { ...upper, name: 'edited' },
      input: { item: 'y' },
    });
    const parent = await call<{ runId: string }>('runs.start', { graph: batch, input: {} });
    for (const id of [saved.runId, draft.runId, parent.runId]) {
      await expect
        .poll(async () => (await call<{ status: string }>('runs.get', { runId: id })).status)
        .toBe('succeeded');
    }
    const { runs } = await call<{ runs: Record<string, unknown>[] }>('runs.list', { all: true });
    expect(runs).toHaveLength(5);
    for (const row of runs) {
      const checked = Row.strict().safeParse(row);
      expect(checked.success, `${JSON.stringify(row)}: ${checked.error?.message}`).toBe(true);
    }
    // Each optional field is met at least once, so the check saw it.
    expect(runs.find((r) => r['runId'] === draft.runId)).toMatchObject({ draft: true });
    expect(runs.find((r) => r['runId'] === parent.runId)).toMatchObject({ children: { succeeded: 2 } });
    expect(runs.filter((r) => (r['parent'] as { runId?: string } | undefined)?.runId === parent.runId)).toHaveLength(2);
  });
});
