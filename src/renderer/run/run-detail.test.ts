import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import { entryNode } from '../doc/defaults';
import { dayToIso, listQuery, EMPTY_FILTERS } from '../dashboard/dashboard-store';
import { visibleRange } from '../dashboard/VirtualList';
import { logLines } from './Logs';
import { diffRuns } from './run-diff';
import { foldTo, type RunSnapshot } from '../run/fold';

const nodeStatuses = (s: RunSnapshot) => Object.fromEntries(Object.entries(s.nodes).map(([id, n]) => [id, n.status]));
import { buildTrace } from './trace';

const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'g',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'ask', type: 'llm', config: { provider: 'mock', prompt: 'hi' } },
    { id: 'result', type: 'output', config: { value: 'x' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'ask' },
    { id: 'e2', source: 'ask', target: 'result' },
  ],
} as unknown as Graph;

let seq = 0;
const e = (type: string, data: unknown, nodeId?: string): RunEvent =>
  ({
    seq: ++seq,
    runId: 'run_X',
    ts: new Date(1_700_000_000_000 + seq * 10).toISOString(),
    type,
    ...(nodeId ? { nodeId } : {}),
    data,
  }) as RunEvent;

function runLog(reply: string, fail = false): RunEvent[] {
  seq = 0;
  const err = { kind: 'provider', message: 'boom', retryable: true };
  return [
    e('run.created', { graphId: 'g', graphHash: 'h', input: { q: 1 } }),
    e('run.started', {}),
    e('node.queued', {}, 'start'),
    e('node.started', { attempt: 1, idempotencyKey: 'k' }, 'start'),
    e('node.succeeded', { attempt: 1, durationMs: 1, output: { q: 1 } }, 'start'),
    e('node.queued', {}, 'ask'),
    e('node.started', { attempt: 1, idempotencyKey: 'k', input: { prompt: 'hi', model: 'mock-1' } }, 'ask'),
    e('node.tokens', { attempt: 1, text: reply }, 'ask'),
    ...(fail
      ? [
          e('node.failed', { attempt: 1, durationMs: 5, error: err }, 'ask'),
          e('node.skipped', { reason: 'upstream failed', source: 'ask' }, 'result'),
          e('run.failed', { error: err, nodeId: 'ask' }),
        ]
      : [
          e(
            'node.succeeded',
            {
              attempt: 1,
              durationMs: 5,
              output: { text: reply },
              usage: { inputTokens: 1, outputTokens: 2 },
              costUsd: 0.01,
              model: 'mock-1',
            },
            'ask',
          ),
          e('node.queued', {}, 'result'),
          e('node.started', { attempt: 1, idempotencyKey: 'k' }, 'result'),
          e('node.succeeded', { attempt: 1, durationMs: 1, output: reply }, 'result'),
          e('run.succeeded', { result: { result: reply }, durationMs: 50 }),
        ]),
  ];
}

describe('run detail (pure parts)', () => {
  it('time travel folds the log up to a seq', () => {
    const log = runLog('Hello');
    const started = log.find((x) => x.type === 'node.started' && x.nodeId === 'ask')!;
    expect(nodeStatuses(foldTo('run_X', graph, log, started.seq))).toEqual({
      start: 'succeeded',
      ask: 'running',
      result: 'idle',
    });
    expect(nodeStatuses(foldTo('run_X', graph, log))).toEqual({
      start: 'succeeded',
      ask: 'succeeded',
      result: 'succeeded',
    });
    expect(foldTo('run_X', graph, log, 0).status).toBe('queued');
  });

  it("the trace counts a run's and a node's tokens as the header and the inspector do: live, estimated while a stream is open", () => {
    const log = runLog('one two three four');
    const streaming = log.find((x) => x.type === 'node.tokens')!;
    const at = foldTo('run_X', graph, log, streaming.seq);
    expect(at).toMatchObject({ tokens: 0, estimating: true });
    expect(at.liveTokens).toBeGreaterThan(0);
    const trace = buildTrace(graph, at, log.slice(0, streaming.seq));
    expect(trace).toMatchObject({ tokens: at.liveTokens, estimating: true });
    const ask = trace.children.find((c) => c.id === 'ask')!;
    expect(ask).toMatchObject({ tokens: at.nodes['ask']!.liveTokens, estimating: true });
    expect(ask.tokens).toBe(at.liveTokens);
    // Ended: the reply's reported count, no longer estimated.
    const end = foldTo('run_X', graph, log);
    const done = buildTrace(graph, end, log);
    expect(done).toMatchObject({ tokens: 3 });
    expect(done.estimating).toBeUndefined();
  });

  it('builds the trace: run → node → attempt → model call, errors included', () => {
    const ok = buildTrace(graph, foldTo('run_X', graph, runLog('Hello')), runLog('Hello'));
    const ask = ok.children.find((c) => c.id === 'ask')!;
    expect(ask).toMatchObject({ kind: 'node', status: 'succeeded', tokens: 3, costUsd: 0.01 });
    const call = ask.children[0]!.children[0]!;
    expect(call).toMatchObject({ kind: 'model', tokens: 3, model: 'mock-1' });
    expect(call.fields).toEqual(
      expect.arrayContaining([
        { label: 'reply', value: 'Hello' },
        { label: 'prompt', value: { prompt: 'hi' } },
      ]),
    );
    const failLog = runLog('Hel', true);
    const bad = buildTrace(graph, foldTo('run_X', graph, failLog), failLog);
    expect(bad.fields.find((f) => f.error)?.value).toMatchObject({ message: 'boom', nodeId: 'ask' });
    expect(bad.children.find((c) => c.id === 'ask')!.children[0]!.fields).toEqual([
      { label: 'error', value: expect.objectContaining({ message: 'boom' }), error: true },
    ]);
    expect(
      logLines(failLog)
        .filter((l) => l.level === 'error')
        .map((l) => l.nodeId ?? 'run'),
    ).toEqual(['ask', 'run']);
  });

  it('a log line shows an error kind once, also when the message repeats it (the code runner says "code: …")', () => {
    const log = [
      e(
        'node.failed',
        { attempt: 1, durationMs: 3, error: { kind: 'code', message: 'code: kaboom', retryable: false } },
        'ask',
      ),
    ];
    expect(logLines(log).map((l) => l.message)).toEqual(['failed (code): kaboom']);
  });

  it('diffs two runs: the changed node and its downstream', () => {
    const a = runLog('Hello');
    const b = runLog('Howdy');
    const d = diffRuns(graph, foldTo('run_X', graph, a), graph, foldTo('run_X', graph, b));
    expect(Object.fromEntries(d.map((x) => [x.nodeId, x.mark]))).toEqual({
      start: 'same',
      ask: 'changed',
      result: 'changed',
    });
  });

  it('dashboard helpers: query, dates, window, entry node', () => {
    expect(listQuery({ ...EMPTY_FILTERS, statuses: ['failed'], text: ' acme ' }, 'cost', 'asc')).toEqual({
      sort: 'cost',
      order: 'asc',
      status: ['failed'],
      text: 'acme',
    });
    const from = dayToIso('2026-03-04', false)!;
    const to = dayToIso('2026-03-04', true)!;
    expect(Date.parse(to) - Date.parse(from)).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(dayToIso('nope', false)).toBeUndefined();
    expect(visibleRange(10_000, 38, 38 * 5000, 760, 6)).toEqual([4994, 5026]);
    expect(visibleRange(0, 38, 0, 760, 6)).toEqual([0, -1]);
    expect(visibleRange(3, 38, 0, 760, 6)).toEqual([0, 2]);
    expect(entryNode(graph as never)).toBe('start');
  });
});
