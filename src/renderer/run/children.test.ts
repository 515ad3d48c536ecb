import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import { filterChildren } from './ChildList';
import { RunFold } from './fold';

const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'g',
  nodes: [
    { id: 'each', type: 'map', config: { graph: 'c', items: '{{input.items}}' } },
    { id: 'again', type: 'loop', config: { graph: 'c', until: 'true', maxIterations: 5 } },
    { id: 'once', type: 'subgraph', config: { graph: 'c' } },
  ],
  edges: [],
} as unknown as Graph;

let seq = 0;
const ev = (type: string, nodeId?: string, data: Record<string, unknown> = {}, ms = seq * 100) =>
  ({
    seq: ++seq,
    runId: 'run_p',
    ts: new Date(1_000_000 + ms).toISOString(),
    type,
    ...(nodeId ? { nodeId } : {}),
    data,
  }) as unknown as RunEvent;
const usage = (n: number) => ({ inputTokens: n, outputTokens: 1 });
const child = (nodeId: string, key: number) =>
  ev('node.child', nodeId, { attempt: 1, key, childRunId: `run_${nodeId}${key}`, graphId: 'c' });
const finished = (nodeId: string, key: number, status: string, tokens = 0) =>
  ev('child.finished', nodeId, {
    attempt: 1,
    key,
    childRunId: `run_${nodeId}${key}`,
    status,
    ...(status === 'failed' ? { error: { kind: 'code', message: `bad item ${key}`, retryable: false } } : {}),
    usage: usage(tokens),
    costUsd: 0,
  });

describe("a composition node's children in the run fold", () => {
  it('counts a map against its items, a loop by its iteration, a subgraph by its child, from the parent events alone', () => {
    seq = 0;
    const fold = new RunFold('run_p', graph);
    const start = (id: string, input: unknown) => [
      ev('node.queued', id),
      ev('node.started', id, { attempt: 1, idempotencyKey: 'k', input }),
    ];
    let v = fold.apply([
      ev('run.created', undefined, { graphId: 'g', graphHash: 'h', input: {} }),
      ev('run.started'),
      ...start('each', { graph: 'c', items: [10, 20, 30, 40] }),
      ...start('again', { graph: 'c', until: 'true', maxIterations: 5 }),
      ...start('once', { graph: 'c' }),
    ]);
    expect(v.nodes['each']!.progress).toMatchObject({ text: '0 / 4 items', total: 4, done: 0 });
    expect(v.nodes['again']!.progress?.text).toBe('no iteration yet');
    expect(v.nodes['once']!.progress?.text).toBe('child not started');

    v = fold.apply([
      child('each', 0),
      child('each', 1),
      finished('each', 0, 'succeeded', 9),
      child('each', 2),
      finished('each', 1, 'failed'),
      child('again', 1),
      finished('again', 1, 'succeeded'),
      child('again', 2),
      child('once', 0),
      ev('node.waiting', 'once', { attempt: 1, children: [{ runId: 'run_once0', nodeIds: ['gate'] }] }),
    ]);
    expect(v.nodes['each']!.progress).toMatchObject({ text: '2 / 4 items', done: 2, failed: 1, running: 1 });
    expect(v.nodes['each']!.tokens).toBe(11);
    const items = v.nodes['each']!.children!;
    expect(items.map((c) => [c.key, c.status, c.tokens])).toEqual([
      [0, 'succeeded', 10],
      [1, 'failed', 1],
      [2, 'running', 0],
    ]);
    // Started at node.child, ended at child.finished: 2 events apart, 100 ms each.
    expect(items[0]!.durationMs).toBe(200);
    expect(items[2]!.durationMs).toBeUndefined();
    expect(v.nodes['again']!.progress?.text).toBe('iteration 2');
    expect(v.nodes['once']!.progress?.text).toBe('child waiting');

    // Filtered by status and by text (the item label, the run id, the error).
    expect(filterChildren(items, 'map', 'failed', '').map((c) => c.key)).toEqual([1]);
    expect(filterChildren(items, 'map', '', 'item 2').map((c) => c.key)).toEqual([2]);
    expect(filterChildren(items, 'map', '', 'bad item').map((c) => c.key)).toEqual([1]);
    expect(filterChildren(items, 'map', '', 'run_each0').map((c) => c.key)).toEqual([0]);
    expect(filterChildren(items, 'map', 'succeeded', 'item 2')).toEqual([]);
  });
});

describe('children that wait', () => {
  it('a child waiting only on nodes in doubt is shown in doubt (retry or resolve), one with an approval waiting; a deeper wait marks the direct child', () => {
    seq = 0;
    const fold = new RunFold('run_p', graph);
    const v = fold.apply([
      ev('run.started'),
      ev('node.queued', 'each'),
      ev('node.started', 'each', { attempt: 1, idempotencyKey: 'k', input: {} }),
      child('each', 0),
      child('each', 1),
      child('each', 2),
      ev('node.waiting', 'each', {
        attempt: 1,
        children: [
          { runId: 'run_each0', nodeIds: ['charge'], inDoubt: ['charge'] },
          { runId: 'run_each1', nodeIds: ['gate'] },
          { runId: 'run_deep', nodeIds: ['gate'], via: 'run_each2' },
        ],
      }),
    ]);
    const items = v.nodes['each']!.children!;
    expect(items.map((c) => [c.key, c.status])).toEqual([
      [0, 'in-doubt'],
      [1, 'waiting'],
      [2, 'waiting'],
    ]);
    expect(filterChildren(items, 'map', 'in-doubt', '').map((c) => c.key)).toEqual([0]);
    // The card says where: two children (one two levels down) wait for the gate, one is in doubt.
    expect(v.nodes['each']!.progress).toMatchObject({
      text: '0 / ? items',
      waits: '1 in doubt at charge · 2 wait for gate',
    });
  });
});

describe('children when their parent is paused or cancelled', () => {
  const start = (id: string, input: unknown = {}) => [
    ev('node.queued', id),
    ev('node.started', id, { attempt: 1, idempotencyKey: 'k', input }),
  ];

  it('a pause of the parent reads paused on its running children (not running), and running again on resume', () => {
    seq = 0;
    const fold = new RunFold('run_p', graph);
    let v = fold.apply([
      ev('run.started'),
      ...start('each', { graph: 'c', items: [1, 2, 3] }),
      ...start('again'),
      ...start('once'),
      child('each', 0),
      child('each', 1),
      finished('each', 0, 'succeeded'),
      child('each', 2),
      child('again', 1),
      child('once', 0),
    ]);
    expect(v.nodes['once']!.progress?.text).toBe('child running');
    // The pause is the parent's run-level event alone: its log records nothing of the children.
    v = fold.apply([ev('run.paused', undefined, { reason: 'user' })]);
    expect(v.nodes['once']!.progress?.text).toBe('child paused');
    expect(v.nodes['once']!.children!.map((c) => c.status)).toEqual(['paused']);
    expect(v.nodes['each']!.children!.map((c) => c.status)).toEqual(['succeeded', 'paused', 'paused']);
    expect(v.nodes['each']!.progress).toMatchObject({ text: '1 / 3 items · 2 paused', running: 0, paused: 2 });
    expect(v.nodes['again']!.progress?.text).toBe('iteration 1 · paused');
    // What ends while paused is what the log records (a child's running node finishing).
    v = fold.apply([finished('each', 1, 'succeeded')]);
    expect(v.nodes['each']!.progress?.text).toBe('2 / 3 items · 1 paused');
    v = fold.apply([ev('run.resumed')]);
    expect(v.nodes['once']!.progress?.text).toBe('child running');
    expect(v.nodes['each']!.progress?.text).toBe('2 / 3 items');
    expect(v.nodes['again']!.progress?.text).toBe('iteration 1');
  });

  it('a cancelled node: the children it left unended read cancelled, not running', () => {
    seq = 0;
    const fold = new RunFold('run_p', graph);
    const v = fold.apply([
      ev('run.started'),
      ...start('once'),
      child('once', 0),
      ev('run.paused', undefined, { reason: 'user' }),
      ev('node.cancelled', 'once'),
      ev('run.cancelled'),
    ]);
    expect(v.nodes['once']!.progress?.text).toBe('child cancelled');
    expect(v.nodes['once']!.children!.map((c) => c.status)).toEqual(['cancelled']);
  });
});
