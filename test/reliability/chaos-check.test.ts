/**
 * The chaos tooling itself: the env switch (absent → no wrapper at all), the kill spec, and
 * that the per-run checker catches each broken promise it is there to catch.
 */
import { describe, expect, it } from 'vitest';
import { checkCounts, checkRun, type RunSnapshot } from '../../src/cli/commands/chaos-check.js';
import type { RunEvent } from '../../src/core/events.js';
import { validateGraph } from '../../src/core/graph/validate.js';
import { asRunId } from '../../src/core/ids.js';
import { foldEvents } from '../../src/core/engine/state.js';
import { chaosFromEnv, parseChaosSpec } from '../../src/host/chaos.js';

describe('STATEPIPE_CHAOS_KILL', () => {
  it('is off unless set, and parses n:where or never', () => {
    expect(chaosFromEnv({})).toBeUndefined();
    expect(chaosFromEnv({ STATEPIPE_CHAOS_KILL: '' })).toBeUndefined();
    expect(parseChaosSpec('7:inside', '/tmp/t')).toEqual({ at: 7, where: 'inside', trace: '/tmp/t' });
    expect(parseChaosSpec('never')).toEqual({ where: 'after' });
    for (const bad of ['0:before', 'x:after', '3:during', '3']) expect(() => parseChaosSpec(bad)).toThrow(/expected/);
  });
});

const graph = validateGraph({
  format: 'statepipe.graph',
  version: 1,
  id: 'g',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'post', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:1/x' } },
    { id: 'result', type: 'output', config: { value: '{{nodes.post.output.body}}' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'post' },
    { id: 'e2', source: 'post', target: 'result' },
  ],
});
const runId = asRunId('run_01ABCDEFGHJKMNPQRSTVWXYZ01');
type E = Omit<RunEvent, 'seq' | 'runId' | 'ts'>;
const body = { ok: true };
const good: E[] = [
  { type: 'run.created', data: { graphId: 'g', graphHash: 'h', input: {} } },
  { type: 'run.started', data: {} },
  { type: 'node.queued', nodeId: 'start', data: {} },
  { type: 'node.started', nodeId: 'start', data: { attempt: 1, idempotencyKey: 'k0' } },
  { type: 'node.succeeded', nodeId: 'start', data: { attempt: 1, durationMs: 0, output: {} } },
  { type: 'node.queued', nodeId: 'post', data: {} },
  { type: 'node.started', nodeId: 'post', data: { attempt: 1, idempotencyKey: `${runId}:post:1` } },
  {
    type: 'node.succeeded',
    nodeId: 'post',
    data: { attempt: 1, durationMs: 1, output: { status: 200, headers: {}, body } },
  },
  { type: 'node.queued', nodeId: 'result', data: {} },
  { type: 'node.started', nodeId: 'result', data: { attempt: 1, idempotencyKey: 'k2' } },
  { type: 'node.succeeded', nodeId: 'result', data: { attempt: 1, durationMs: 0, output: body } },
  { type: 'run.succeeded', data: { result: { result: body }, durationMs: 3 } },
] as E[];

/** A snapshot whose log is `list` (the fold refuses illegal logs, so the state comes from the good one). */
function snap(list: E[], seqs?: number[]): RunSnapshot {
  const stamp = (l: E[], s?: number[]) =>
    l.map((e, i) => ({ ...e, seq: s?.[i] ?? i + 1, runId, ts: '2026-01-01T00:00:00.000Z' }) as RunEvent);
  return { graph, events: stamp(list, seqs), state: foldEvents(runId, graph, stamp(good)) };
}
const ref = { status: 'succeeded', result: { result: { ok: true } } };

describe('checkRun', () => {
  it('passes a clean run and reports its unsafe http key', () => {
    const r = checkRun(snap(good), ref);
    expect(r.problems).toEqual([]);
    expect(r.facts.unsafeHttpKeys).toEqual([`${runId}:post:1`]);
    expect(r.facts.httpKeys).toEqual([`${runId}:post:1`]);
  });

  it('catches a seq gap', () => {
    const seqs = good.map((_, i) => (i < 5 ? i + 1 : i + 2));
    expect(checkRun(snap(good, seqs), ref).problems.join('\n')).toMatch(/gap or duplicate/);
  });

  it('catches a different output', () => {
    expect(checkRun(snap(good), { ...ref, result: { result: { ok: false } } }).problems.join('\n')).toMatch(
      /output differs/,
    );
  });

  it('catches an unsafe attempt re-executed after a crash, and a node run after it succeeded', () => {
    const resumed = [
      ...good.slice(0, 7),
      {
        type: 'node.started',
        nodeId: 'post',
        data: { attempt: 1, idempotencyKey: `${runId}:post:1`, resumed: true },
      } as E,
      ...good.slice(7),
    ];
    const problems = checkRun(snap(resumed), ref).problems.join('\n');
    expect(problems).toMatch(/unsafe post: attempt 1 re-executed after a crash/);
    const again = [...good.slice(0, 11), { type: 'node.started', nodeId: 'start', data: { attempt: 2 } } as E];
    expect(checkRun(snap(again), ref).problems.join('\n')).toMatch(/start: node.started after it had succeeded/);
  });

  it('checkCounts: an unsafe key seen twice, or a succeeded key never seen, is a mismatch', () => {
    expect(checkCounts({ a: 1, b: 1 }, ['a'], ['a', 'b'])).toEqual([]);
    expect(checkCounts({ a: 2 }, ['a'], [])[0]).toMatch(/reached the server 2 times/);
    expect(checkCounts({}, [], ['b'])[0]).toMatch(/never reached the server/);
  });
});
