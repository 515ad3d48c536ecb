import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../api/client';
import { newRunView, reduceRun } from './run-state';

let seq = 0;
const ev = (type: string, nodeId?: string, data: Record<string, unknown> = {}) =>
  ({ seq: ++seq, runId: 'run_x', ts: '', type, ...(nodeId ? { nodeId } : {}), data }) as unknown as WireEvent;

describe('reduceRun', () => {
  it('follows run and node states, streams and ignores repeats', () => {
    seq = 0;
    const events = [
      ev('run.created'),
      ev('run.started'),
      ev('node.queued', 'a'),
      ev('node.started', 'a', { attempt: 1 }),
      ev('node.tokens', 'a', { text: 'Hel' }),
      ev('node.tokens', 'a', { text: 'lo' }),
      ev('node.succeeded', 'a', { output: { text: 'Hello' } }),
      ev('approval.requested', 'b'),
      ev('run.waiting', undefined, { nodeIds: ['b'] }),
    ];
    let v = reduceRun(newRunView('run_x'), events);
    expect(v.status).toBe('waiting');
    expect(v.nodes['a']).toMatchObject({ status: 'succeeded', stream: 'Hello', attempt: 1 });
    expect(v.nodes['b']!.status).toBe('waiting');
    expect(reduceRun(v, events)).toBe(v);
    v = reduceRun(v, [ev('approval.granted', 'b'), ev('node.succeeded', 'b'), ev('run.succeeded', undefined, { result: { r: 1 } })]);
    expect(v.status).toBe('succeeded');
    expect(v.result).toEqual({ r: 1 });
  });
});
