/**
 * The store contract for child runs (subgraph, map and loop nodes: docs/composition.md), the same
 * tests for every Store: a child run's row names its parent run, node and key; lists show
 * top-level runs unless asked for a run's children or for every run, and count each run's
 * children by status; a composition node's events project as the SQLite projector always did.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ev, type ChildOf, type NewEvent, type RunEvent } from '../../core/events.js';
import type { NewRun } from '../../core/ports.js';
import type { Store } from './store.js';
import { makeGraph, newRun, nid, rid } from './test-helpers.js';

/** A run started by `parent`'s composition node. */
function childRun(runId: string, parent: ChildOf): NewRun {
  const run = newRun(runId, makeGraph('child-graph'), { item: parent.key });
  const created = run.events[0]!;
  if (created.type !== 'run.created') throw new Error('newRun starts with run.created');
  return { ...run, events: [{ ...created, data: { ...created.data, parent } }] };
}

/** A rerun of `of` from its node `from`. */
function rerun(runId: string, of: string, from: string): NewRun {
  const run = newRun(runId);
  const created = run.events[0]!;
  if (created.type !== 'run.created') throw new Error('newRun starts with run.created');
  return { ...run, events: [{ ...created, data: { ...created.data, rerunOf: { runId: of, fromNodeId: from } } }] };
}

/** A store of the contract, opened afresh for each test, and its one writer (store-contract.ts). */
export interface ContractStore {
  store(): Store;
  put(runId: string, events: NewEvent[]): Promise<RunEvent[]>;
}

/** Registered by storeContract, inside its describe: runs on every store it runs on. */
export function childRunsContract(t: ContractStore): void {
  const put = (runId: string, events: NewEvent[]) => t.put(runId, events);
  describe('child runs', () => {
    let store: Store;
    beforeEach(() => {
      store = t.store();
    });

    /** run_a with three map items (run_c0 succeeded, run_c1 failed, run_c2 queued), run_b without children; ids sort as created. */
    async function family(): Promise<void> {
      await store.createRun(newRun('run_a'));
      await store.createRun(newRun('run_b'));
      for (const key of [0, 1, 2])
        await store.createRun(childRun(`run_c${key}`, { runId: 'run_a', nodeId: 'each', key }));
      await put('run_c0', [ev('run.started', {}), ev('run.succeeded', { result: 0, durationMs: 3 })]);
      const error = { kind: 'network' as const, message: 'boom', retryable: false };
      await put('run_c1', [ev('run.started', {}), ev('run.failed', { error })]);
    }

    it("a child run's row names its parent run, node and key; a rerun's names the run it copied", async () => {
      await family();
      await store.createRun(rerun('run_r', 'run_b', 'ask'));
      expect(await store.getRunRow('run_c1')).toMatchObject({
        parentRunId: 'run_a',
        parentNodeId: 'each',
        childKey: 1,
        rerunOf: null,
        rerunFromNode: null,
        parent: { runId: 'run_a', nodeId: 'each', key: 1 },
      });
      expect(await store.getRunRow('run_r')).toMatchObject({
        parentRunId: null,
        parentNodeId: null,
        childKey: null,
        rerunOf: 'run_b',
        rerunFromNode: 'ask',
      });
      expect((await store.getRunRow('run_r'))!.parent).toBeUndefined();
    });

    it('lists top-level runs by default, the children of one run, or every run; counts children by status', async () => {
      await family();
      const ids = async (o: Parameters<Store['listRuns']>[0] = {}) => (await store.listRuns(o)).map((r) => r.runId);
      expect(await ids()).toEqual(['run_b', 'run_a']);
      expect(await store.countRuns()).toBe(2);
      expect(await ids({ parentRunId: 'run_a', order: 'asc' })).toEqual(['run_c0', 'run_c1', 'run_c2']);
      expect(await store.countRuns({ parentRunId: 'run_a' })).toBe(3);
      // Neither graph was saved: the top-level runs are drafts, the child runs are not called so
      // (a child's graph may be one its parent's file carries).
      const drafts = (await store.listRuns({ all: true, order: 'asc' })).map((r) => [r.runId, r.draft ?? false]);
      expect(drafts).toEqual([
        ['run_a', true],
        ['run_b', true],
        ['run_c0', false],
        ['run_c1', false],
        ['run_c2', false],
      ]);
      expect(await ids({ parentRunId: 'run_a', status: 'failed' })).toEqual(['run_c1']);
      expect(await ids({ parentRunId: 'run_b' })).toEqual([]);
      expect(await ids({ all: true, order: 'asc' })).toEqual(['run_a', 'run_b', 'run_c0', 'run_c1', 'run_c2']);
      expect(await store.countRuns({ all: true })).toBe(5);
      expect(await ids({ all: true, graphId: 'child-graph', status: ['queued', 'succeeded'] })).toEqual([
        'run_c2',
        'run_c0',
      ]);

      const top = Object.fromEntries((await store.listRuns()).map((r) => [r.runId, r]));
      expect(top['run_a']!.children).toEqual({ succeeded: 1, failed: 1, queued: 1 });
      expect(top['run_b']!.children).toBeUndefined();
      expect(top['run_a']!.parent).toBeUndefined();
      const [child] = await store.listRuns({ parentRunId: 'run_a', limit: 1, order: 'asc' });
      expect(child).toMatchObject({ runId: 'run_c0', parent: { runId: 'run_a', nodeId: 'each', key: 0 } });
      expect(child!.children).toBeUndefined();
    });

    it("projects a composition node's events: waiting for its children, their usage in the parent's totals", async () => {
      await store.createRun(newRun('run_p'));
      const each = nid('each');
      await put('run_p', [
        ev('run.started', {}),
        ev('node.queued', {}, each),
        ev('node.started', { attempt: 1, idempotencyKey: 'run_p:each:1' }, each),
        ev('node.child', { attempt: 1, key: 0, childRunId: 'run_c0', graphId: 'child-graph' }, each),
      ]);
      expect((await store.nodeStates('run_p'))[0]).toMatchObject({ nodeId: 'each', status: 'running', attempt: 1 });
      const children = [{ runId: 'run_c0', nodeIds: ['gate'] }];
      await put('run_p', [
        ev('node.waiting', { attempt: 1, children }, each),
        ev('run.waiting', { nodeIds: [], children }),
      ]);
      expect((await store.nodeStates('run_p'))[0]).toMatchObject({ nodeId: 'each', status: 'waiting', attempt: 1 });
      expect((await store.getRunRow('run_p'))!.status).toBe('waiting');
      expect(await store.openApprovals('run_p')).toEqual([]);

      const usage = { inputTokens: 30, outputTokens: 12 };
      await put('run_p', [
        ev('run.resumed', {}),
        ev('node.started', { attempt: 1, idempotencyKey: 'run_p:each:1' }, each),
        ev(
          'child.finished',
          { attempt: 1, key: 0, childRunId: 'run_c0', status: 'succeeded', result: 1, usage, costUsd: 0.25 },
          each,
        ),
      ]);
      expect(await store.getRunRow('run_p')).toMatchObject({
        status: 'running',
        tokens: 42,
        inputTokens: 30,
        outputTokens: 12,
        costUsd: 0.25,
      });
      // The node's own end counts what it spent itself; its children's usage was counted as they finished.
      await put('run_p', [
        ev('node.succeeded', { attempt: 1, durationMs: 9, output: [1] }, each),
        ev('run.succeeded', { result: [1], durationMs: 20 }),
      ]);
      expect(await store.getRunRow('run_p')).toMatchObject({ status: 'succeeded', tokens: 42, costUsd: 0.25 });
      expect((await store.nodeStates('run_p'))[0]).toMatchObject({ status: 'succeeded', attempt: 1, output: [1] });
      expect((await store.loadRun(rid('run_p'))).events.map((e) => e.type)).toContain('child.finished');
    });
  });
}
