import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import { streamTail } from '../canvas/stream-tail';
import { animatedEdges, foldTo, RunFold } from './fold';

const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'g',
  nodes: [
    { id: 'a', type: 'input' },
    { id: 'b', type: 'llm', config: {} },
    { id: 'c', type: 'approval', config: { title: 't' } },
  ],
  edges: [
    { id: 'e1', source: 'a', target: 'b' },
    { id: 'e2', source: 'b', target: 'c' },
  ],
} as unknown as Graph;

let seq = 0;
const ev = (type: string, nodeId?: string, data: Record<string, unknown> = {}) =>
  ({
    seq: ++seq,
    runId: 'run_x',
    ts: new Date(1000 + seq).toISOString(),
    type,
    ...(nodeId ? { nodeId } : {}),
    data,
  }) as unknown as RunEvent;

describe('RunFold (the core fold, as immutable views)', () => {
  it('follows run and node states, streams, ignores repeats, and renews only touched nodes', () => {
    seq = 0;
    const fold = new RunFold('run_x', graph);
    const first = [
      ev('run.created', undefined, { graphId: 'g', graphHash: 'h', input: { q: 1 } }),
      ev('run.started'),
      ev('node.queued', 'a'),
      ev('node.started', 'a', { attempt: 1, idempotencyKey: 'k' }),
      ev('node.succeeded', 'a', { attempt: 1, durationMs: 1, output: { q: 1 } }),
      ev('node.queued', 'b'),
      ev('node.started', 'b', { attempt: 1, idempotencyKey: 'k' }),
      ev('node.tokens', 'b', { attempt: 1, text: 'Hel' }),
    ];
    const v1 = fold.apply(first);
    expect(v1.status).toBe('running');
    expect(v1.nodes['b']).toMatchObject({ status: 'running', stream: 'Hel', attempt: 1 });
    expect(animatedEdges(graph, v1)).toBe('e1');
    const cBefore = v1.nodes['c'];
    const v2 = fold.apply([ev('node.tokens', 'b', { attempt: 1, text: 'lo' })]);
    expect(v2.nodes['b']!.stream).toBe('Hello');
    expect(v2.nodes['a']).toBe(v1.nodes['a']);
    expect(v2.nodes['c']).toBe(cBefore);
    expect(fold.apply(first)).toBe(v2);
    const v3 = fold.apply([
      ev('node.succeeded', 'b', {
        attempt: 1,
        durationMs: 5,
        output: { text: 'Hello' },
        usage: { inputTokens: 3, outputTokens: 2 },
        costUsd: 0.01,
      }),
      ev('node.queued', 'c'),
    ]);
    expect(animatedEdges(graph, v3)).toBe('e2');
    // Paused: a queued node gets no data until the run resumes.
    expect(animatedEdges(graph, { ...v3, status: 'paused' })).toBe('');
    expect(v3.nodes['b']).toMatchObject({ tokens: 5, costUsd: 0.01 });
    expect(v3.nodes['b']!.attempts[0]).toMatchObject({
      status: 'succeeded',
      usage: { inputTokens: 3, outputTokens: 2 },
    });
    const v4 = fold.apply([
      ev('node.started', 'c', { attempt: 1, idempotencyKey: 'k' }),
      ev('approval.requested', 'c', { title: 't' }),
      ev('run.waiting', undefined, { nodeIds: ['c'] }),
    ]);
    expect(v4.status).toBe('waiting');
    expect(v4.nodes['c']).toMatchObject({ status: 'waiting', approval: { title: 't' } });
  });

  it('records a refused event as a problem instead of throwing', () => {
    seq = 0;
    const v = foldTo('run_x', graph, [
      ev('run.created', undefined, { graphId: 'g', graphHash: 'h', input: {} }),
      ev('node.succeeded', 'c', { attempt: 1, durationMs: 0, output: 1 }),
    ]);
    expect(v.problems).toHaveLength(1);
    expect(v.nodes['c']!.status).toBe('idle');
  });

  it('keeps the last lines of a stream', () => {
    expect(streamTail('one\ntwo\nthree')).toBe('two\nthree');
    expect(streamTail('x'.repeat(1000)).length).toBeLessThanOrEqual(241);
  });
});
