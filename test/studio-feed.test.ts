/**
 * The push channel into the studio, end to end: the host's frame (coalesceTokens) → the
 * renderer's follower (followRun) → its fold (RunFold). The sequence that once left a node
 * `queued` forever: tokens of A, B starts, tokens of A again, in one frame. Merging A's two token
 * events put the merged one (with the last seq) before B's start; the fold, which skips what is
 * below the highest seq it applied, then dropped B's start.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/core/events.js';
import type { Graph } from '../src/core/graph/schema.js';
import type { WireEvent } from '../src/contract/push.js';
import { coalesceTokens } from '../src/host/coalesce.js';
import { followRun, type HostClient } from '../src/renderer/api/client.js';
import { RunFold } from '../src/renderer/run/fold.js';

const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'g',
  nodes: [
    { id: 'in', type: 'input' },
    { id: 'A', type: 'llm', config: {} },
    { id: 'B', type: 'llm', config: {} },
  ],
  edges: [
    { id: 'e1', source: 'in', target: 'A' },
    { id: 'e2', source: 'in', target: 'B' },
  ],
} as unknown as Graph;

let seq = 0;
const ev = (type: string, nodeId?: string, data: Record<string, unknown> = {}): RunEvent =>
  ({
    seq: ++seq,
    runId: 'run_x',
    ts: new Date(1000 + seq).toISOString(),
    type,
    ...(nodeId ? { nodeId } : {}),
    data,
  }) as unknown as RunEvent;

/** A host client whose connection opens at once with an empty log, and whose pushes the test sends. */
function fakeHost(): { client: HostClient; push: (events: WireEvent[]) => void } {
  let onEvents: (runId: string, events: WireEvent[]) => void = () => undefined;
  const client = {
    host: 'web',
    call: async () => ({ events: [] }),
    onEvents: (fn: typeof onEvents) => ((onEvents = fn), () => undefined),
    onConnection: (fn: (s: 'open') => void) => (queueMicrotask(() => fn('open')), () => undefined),
    onMenu: () => () => undefined,
  } as unknown as HostClient;
  return { client, push: (events) => onEvents('run_x', events) };
}

describe('token coalescing through the studio fold', () => {
  it('tokens A, started B, tokens A: B is running, A has all its text, every seq once', async () => {
    seq = 0;
    const before = [
      ev('run.created', undefined, { graphId: 'g', graphHash: 'h', input: {} }),
      ev('run.started'),
      ev('node.queued', 'in'),
      ev('node.started', 'in', { attempt: 1, idempotencyKey: 'k' }),
      ev('node.succeeded', 'in', { attempt: 1, durationMs: 1, output: {} }),
      ev('node.queued', 'A'),
      ev('node.queued', 'B'),
      ev('node.started', 'A', { attempt: 1, idempotencyKey: 'k' }),
    ];
    const frame = [
      ev('node.tokens', 'A', { attempt: 1, text: 'Hel' }),
      ev('node.started', 'B', { attempt: 1, idempotencyKey: 'k' }),
      ev('node.tokens', 'A', { attempt: 1, text: 'lo' }),
      ev('node.tokens', 'A', { attempt: 1, text: '!' }),
    ];
    const wire = coalesceTokens(frame);
    expect(wire.map((e) => e.seq)).toEqual([9, 10, 12]); // ascending; 11 and 12 merged
    expect(wire[2]!.data.mergedSeqs).toEqual([11, 12]);

    const { client, push } = fakeHost();
    const fold = new RunFold('run_x', graph);
    const received: number[] = [];
    followRun(client, 'run_x', (events) => {
      received.push(...events.map((e) => e.seq));
      fold.apply(events);
    });
    await new Promise((r) => setTimeout(r, 0)); // the catch-up (an empty log) is done
    push(coalesceTokens(before));
    push(wire);
    const view = fold.current;
    expect(view.nodes['B']!.status).toBe('running');
    expect(view.nodes['A']!.stream).toBe('Hello!');
    expect(view.lastSeq).toBe(12);
    expect(view.problems).toEqual([]);
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
  });

  it('a frame out of seq order (any channel) is put back in order before the fold sees it', async () => {
    seq = 0;
    const events = [
      ev('run.created', undefined, { graphId: 'g', graphHash: 'h', input: {} }),
      ev('run.started'),
      ev('node.queued', 'A'),
      ev('node.queued', 'B'),
      ev('node.started', 'A', { attempt: 1, idempotencyKey: 'k' }),
      ev('node.started', 'B', { attempt: 1, idempotencyKey: 'k' }),
    ];
    const { client, push } = fakeHost();
    const fold = new RunFold('run_x', graph);
    followRun(client, 'run_x', (batch) => fold.apply(batch));
    await new Promise((r) => setTimeout(r, 0));
    push([...events].reverse() as WireEvent[]);
    expect(fold.current.nodes['A']!.status).toBe('running');
    expect(fold.current.nodes['B']!.status).toBe('running');
  });
});
