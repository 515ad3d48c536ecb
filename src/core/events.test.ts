import { describe, expect, it } from 'vitest';
import { committedEvent, ev, type NewEvent } from './events.js';
import { asNodeId, asRunId } from './ids.js';

describe('committedEvent', () => {
  const runId = asRunId('run_1');
  const ts = '2026-12-07T00:00:00.000Z';

  it('numbers and stamps an event with the same fields in the same order, with or without a node', () => {
    const node = committedEvent(ev('node.queued', {}, asNodeId('a')), 7, runId, ts);
    const run = committedEvent(ev('run.started', {}), 8, runId, ts);
    expect(Object.keys(node)).toEqual(['seq', 'runId', 'ts', 'type', 'nodeId', 'data']);
    expect(Object.keys(run)).toEqual(['seq', 'runId', 'ts', 'type', 'data']);
    expect(node).toEqual({ seq: 7, runId, ts, type: 'node.queued', nodeId: 'a', data: {} });
  });

  it('a null node id (untyped input) is no node, as an event read back from a database has none', () => {
    const loose = { type: 'run.started', nodeId: null, data: {} } as unknown as NewEvent;
    expect(Object.keys(committedEvent(loose, 1, runId, ts))).toEqual(['seq', 'runId', 'ts', 'type', 'data']);
  });

  it('keeps only the event fields (nothing else a caller left on the object) and gives missing data {}', () => {
    const loose = { type: 'run.started', extra: 1 } as unknown as NewEvent;
    expect(committedEvent(loose, 1, runId, ts)).toEqual({ seq: 1, runId, ts, type: 'run.started', data: {} });
  });
});
